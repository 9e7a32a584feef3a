import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type PipelineResult, runPipeline } from '../../app/pipeline/run-pipeline';
import { createSourceSchema } from '../../app/totesys/seed';
import { seedSynthetic } from '../../app/totesys/synthetic';
import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../lambdas/kernel/logger';
import { createTestDatabase } from './pg';

/**
 * A seeded source run once through the whole pipeline into a local lake and a warehouse: the
 * curated lake and the warehouse the analysts' surfaces read.
 */
export interface SeededPipeline {
  readonly source: Client;
  readonly warehouse: Client;
  readonly lake: LocalLakeStore;
  readonly catalog: LocalCatalog;
  readonly result: PipelineResult;
  readonly warehouseUrl: string;
  /** Runs the pipeline again (after the test changed the source). */
  rerun(): Promise<PipelineResult>;
  cleanup(): Promise<void>;
}

/** Fills an empty source schema. */
export type SourceSeed = (source: Client) => Promise<unknown>;

/** A generated totesys of `scale` sales orders (app/totesys/synthetic.ts). */
export const seedGenerated =
  (scale: number): SourceSeed =>
  (source) =>
    seedSynthetic(source, { scale, seed: 1 });

/** Creates a fresh source database, fills it with `seed`, and runs the pipeline once. */
export async function seededPipeline(seed: SourceSeed): Promise<SeededPipeline> {
  const sourceDb = await createTestDatabase('asrc');
  const warehouseDb = await createTestDatabase('awh');
  const root = await mkdtemp(join(tmpdir(), 'totes-analytics-'));
  const source = new Client({ connectionString: sourceDb.url });
  const warehouse = new Client({ connectionString: warehouseDb.url });
  await source.connect();
  await warehouse.connect();
  await createSourceSchema(source);
  await seed(source);
  const lake = new LocalLakeStore(join(root, 'lake'));
  const catalog = new LocalCatalog(lake);
  const run = () =>
    runPipeline({ source, warehouse, lake, catalog, log: silentLog, workDir: join(root, 'work') });
  const result = await run();
  return {
    source,
    warehouse,
    lake,
    catalog,
    result,
    warehouseUrl: warehouseDb.url,
    rerun: run,
    cleanup: async () => {
      await Promise.all([source.end(), warehouse.end()]);
      await Promise.all([sourceDb.drop(), warehouseDb.drop(), rm(root, { recursive: true, force: true })]);
    },
  };
}
