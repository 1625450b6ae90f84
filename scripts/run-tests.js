#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's own test runner.
// Node 20's --test takes no glob, so the files are listed here. Pass a substring to run a subset.
'use strict';
const { readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const { spawnSync } = require('node:child_process');
const { createConnection } = require('node:net');

const root = join(__dirname, '..', 'dist', 'test');
const filter = process.argv[2];
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) walk(full);
    else if (entry.endsWith('.test.js') && (!filter || full.includes(filter))) files.push(full);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${relative(process.cwd(), root)}${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}

/** The PostgreSQL the store tests create their databases on (test/helpers/postgres.ts reads the same variable). */
function postgresTarget() {
  const url = new URL(process.env.CORDON_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
}

/** Resolves true when something accepts TCP connections at the PostgreSQL address within 2 s. */
function postgresAnswers({ host, port }) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

(async () => {
  const target = postgresTarget();
  if (!(await postgresAnswers(target))) {
    const message = [
      `PostgreSQL does not answer on ${target.host}:${target.port}; the store's contract suite and the PostgreSQL tests need it.`,
      'Start it, then run the tests again:',
      '  Debian/Ubuntu:  apt-get install -y postgresql && pg_ctlcluster 15 main start   (or: service postgresql start)',
      '  Docker:         docker run -d -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15',
      'It must let the role postgres connect from 127.0.0.1 without a password (trust), or set CORDON_TEST_DATABASE_URL',
      'to postgres://USER:PASSWORD@HOST:PORT/postgres for a role that may create databases.',
    ].join('\n');
    // A subset that was asked for by name may not need it; the whole suite does.
    if (!filter) {
      console.error(message);
      process.exit(1);
    }
    console.warn(`warning: ${message}`);
  }
  // A test that hangs fails after 4 minutes instead of holding the run until CI gives up on it.
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=240000', ...files], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
