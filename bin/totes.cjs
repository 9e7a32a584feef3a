#!/usr/bin/env node
// Runs the built CLI (dist/totes.cjs, made by scripts/build-cli.mjs when `npm ci` runs the
// `prepare` script): plain JavaScript, no TypeScript loader at run time. In a checkout where a
// source file is newer than the build, it is rebuilt first, so a changed CLI is never stale.
'use strict';
const { existsSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'totes.cjs');

/** True when the build is missing or older than one of the files it was built from. */
function stale() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return true;
  }
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, 'dist', 'totes.inputs.json'), 'utf8')).inputs;
  } catch {
    return true;
  }
  // npm rewrites this file on every install: a dependency may have changed under the bundle.
  for (const file of [...inputs, 'node_modules/.package-lock.json']) {
    try {
      if (statSync(join(root, file)).mtimeMs > built) return true;
    } catch {
      // A deleted input changes the build as much as an edited one, except the npm marker.
      if (file !== 'node_modules/.package-lock.json') return true;
    }
  }
  return false;
}

function rebuild() {
  const { spawnSync } = require('node:child_process');
  const script = join(root, 'scripts', 'build-cli.mjs');
  if (!existsSync(script) || !existsSync(join(root, 'node_modules', 'esbuild'))) return;
  const result = spawnSync(process.execPath, [script, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0 && !existsSync(bundle)) process.exit(1);
}

if (stale()) rebuild();
if (!existsSync(bundle)) {
  process.stderr.write(
    'totes: the CLI is not built (dist/totes.cjs is missing); run `npm install` (or `node scripts/build-cli.mjs`) in the project folder\n',
  );
  process.exit(1);
}
// Node 22+: reuse compiled code across runs (a third of the start-up time of a 3 MB bundle).
require('node:module').enableCompileCache?.();
require(bundle);
