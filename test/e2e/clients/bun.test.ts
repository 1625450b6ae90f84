import { clientSuite } from './client-suite';

clientSuite({
  client: 'bun',
  lock: ['install', '--lockfile-only', '--ignore-scripts'],
  lockfile: 'bun.lock',
  frozen: ['install', '--frozen-lockfile', '--ignore-scripts'],
  add: (spec) => ['add', spec, '--ignore-scripts'],
  view: (name) => ['pm', 'view', name, 'versions', '--json'],
  cannotShowReason:
    'Bun reports a refused tarball as "GET <url> - 403": src/install/PackageManager/runTasks.zig formats only metadata.url and ' +
    'response.status_code (or the error name TarballHTTP403), reading neither the body, the reason phrase nor any header. ' +
    'The user learns the package and version from the URL; "cordon why demo-pkg@1.1.0" gives the reason.',
});
