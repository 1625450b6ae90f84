#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled tree; `npm run build` (or `npm start`/`npm test`) produces it.
require('../dist/server/cli/main.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err?.message ? err.message : String(err));
      process.exitCode = 2;
    },
  );
