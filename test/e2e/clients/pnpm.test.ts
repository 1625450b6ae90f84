import { clientSuite } from './client-suite';

clientSuite({
  client: 'pnpm',
  lock: ['install', '--lockfile-only', '--ignore-scripts', '--config.minimumReleaseAge=0'],
  lockfile: 'pnpm-lock.yaml',
  frozen: ['install', '--frozen-lockfile', '--ignore-scripts'],
  add: (spec) => ['add', spec, '--ignore-scripts'],
  view: (name) => ['view', name, 'versions', '--json'],
  cannotShowReason:
    'pnpm 12 (Rust) reports a refused tarball as "Tarball server returned HTTP 403 for <url>" from the status code and URL alone: ' +
    'pnpm/crates/tarball/src/download.rs returns TarballError::HttpStatus(HttpStatusError { url, status }) without reading the body or any header, ' +
    'and its registry errors print StatusCode::canonical_reason(), not the reason phrase sent (pnpm/crates/resolving-npm-resolver/src/npm_resolver.rs). ' +
    'The user learns the package and version from the URL; "cordon why demo-pkg@1.1.0" gives the reason.',
});
