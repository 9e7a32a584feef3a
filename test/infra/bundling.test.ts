import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';
import { synthesize } from './synth';

// The one test that bundles for real (local esbuild, no Docker), as `cdk synth` does in CI.
let stack: TotesysLakeStack;
let outdir: string;

beforeAll(() => {
  const { app, stack: built } = synthesize({ 'aws:cdk:enable-asset-metadata': true }, { bundle: true });
  stack = built;
  outdir = app.synth().directory;
}, 300_000);

/** The folder of the bundled code of a stage function in the cloud assembly. */
function bundleOf(stage: 'ingest' | 'transform' | 'load' | 'compact'): string {
  const fn = stack.functions[stage].function.node.defaultChild as CfnElement;
  const template = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8')) as {
    Resources: Record<string, { Metadata?: Record<string, string> }>;
  };
  const asset = template.Resources[stack.getLogicalId(fn)]?.Metadata?.['aws:asset:path'];
  if (!asset) throw new Error(`no asset for ${stage}`);
  return join(outdir, asset);
}

describe('bundled functions', () => {
  it.each(['ingest', 'transform', 'load', 'compact'] as const)(
    'bundles %s into one index.js with a source map',
    (stage) => {
      expect(readdirSync(bundleOf(stage))).toEqual(expect.arrayContaining(['index.js', 'index.js.map']));
    },
  );

  it.each(['transform', 'load', 'compact'] as const)(
    'ships DuckDB with its linux-x64 binding beside %s',
    (stage) => {
      const modules = join(bundleOf(stage), 'node_modules');
      for (const pkg of [
        '@duckdb/node-api',
        '@duckdb/node-bindings',
        '@duckdb/node-bindings-linux-x64',
        'detect-libc',
      ]) {
        expect([pkg, existsSync(join(modules, pkg, 'package.json'))]).toEqual([pkg, true]);
      }
    },
  );

  it('ships no native modules with ingest', () => {
    expect(existsSync(join(bundleOf('ingest'), 'node_modules'))).toBe(false);
  });

  it.each(['ingest', 'transform', 'load', 'compact'] as const)(
    'loads the %s bundle and DuckDB in a plain node process',
    (stage) => {
      const env = {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-2',
        LAKE_URL: 's3://curated-bucket/',
        RAW_LAKE_URL: 's3://raw-bucket/',
        SOURCE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:source',
        WAREHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:warehouse',
        GLUE_DATABASE: 'totesys_lake_test',
        MIGRATIONS_DIR: join(bundleOf('load'), 'warehouse-sql'),
      };
      const script =
        "const m = require('./index.js'); if (typeof m.handler !== 'function') throw new Error('no handler');" +
        (stage === 'ingest' ? '' : " require('@duckdb/node-api');") +
        " process.stdout.write('ok')";
      expect(execFileSync(process.execPath, ['-e', script], { cwd: bundleOf(stage), env }).toString()).toBe(
        'ok',
      );
    },
  );

  it('ships the warehouse migrations with load', () => {
    const migrations = readdirSync(join(bundleOf('load'), 'warehouse-sql'));
    expect(migrations).toEqual(readdirSync(join(__dirname, '..', '..', 'warehouse-sql')));
  });
});
