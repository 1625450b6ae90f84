import { clientSuite } from './client-suite';

clientSuite({
  client: 'yarn1',
  lock: ['install', '--ignore-scripts'],
  lockfile: 'yarn.lock',
  frozen: ['install', '--frozen-lockfile', '--ignore-scripts'],
  add: (spec) => ['add', spec, '--ignore-scripts'],
  view: (name) => ['info', name, 'versions', '--json'],
  cannotShowReason:
    'Yarn 1 reports a refused tarball as Request failed "403 Forbidden": src/util/request-manager.js builds the text from ' +
    'http.STATUS_CODES[res.statusCode], not the reason phrase sent, and the tarball fetcher (src/fetchers/tarball-fetcher.js, a `process` request) ' +
    'never reads the body; body.error is shown only for JSON requests, and npm-notice is never read. ' +
    'The user learns the package and version from the URL; "cordon why demo-pkg@1.1.0" gives the reason.',
});
