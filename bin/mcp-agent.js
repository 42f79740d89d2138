#!/usr/bin/env node
'use strict';

// The CLI is TypeScript run through tsx (as `npm run dev` is), so it needs no build step.
require('tsx/cjs/api').register();

require('../src/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
