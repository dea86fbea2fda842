#!/usr/bin/env node
// The `paddock` command. The bundle is built by `npm install` (prepare) or `npm run build:cli`.
'use strict';
const path = require('node:path');
const bundle = path.join(__dirname, '..', 'out', 'cli', 'paddock.cjs');
try {
  require.resolve(bundle);
} catch {
  process.stderr.write(
    'paddock: the CLI is not built yet; run `npm run build:cli` in the project folder.\n',
  );
  process.exit(3);
}
require(bundle);
