import { clientSuite } from './client-suite';

clientSuite({
  client: 'yarn4',
  lock: ['install', '--mode=update-lockfile'],
  lockfile: 'yarn.lock',
  frozen: ['install', '--immutable', '--mode=skip-build'],
  add: (spec) => ['add', spec, '--mode=skip-build'],
  view: (name) => ['npm', 'info', name, '--fields', 'versions', '--json'],
  gateOffEnv: { YARN_NPM_MINIMAL_AGE_GATE: '0' },
});
