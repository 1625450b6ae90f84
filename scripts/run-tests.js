#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's own test runner.
// Node 20's --test takes no glob, so the files are listed here. Pass a substring to run a subset.
'use strict';
const { readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const { spawnSync } = require('node:child_process');

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
// A test that hangs fails after 4 minutes instead of holding the run until CI gives up on it.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=240000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
