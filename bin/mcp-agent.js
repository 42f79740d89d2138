#!/usr/bin/env node
'use strict';

const { existsSync } = require('node:fs');
const path = require('node:path');

// In a checkout the CLI runs from its TypeScript through tsx, with no build step; an installed
// package has only the compiled JavaScript. tsx is registered either way, so that the config's
// TypeScript modules (code workflows, functions) load.
require('tsx/cjs/api').register();
const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const main = existsSync(source) ? source : path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');

require(main)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
