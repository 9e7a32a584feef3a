import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type PipelineResult, runPipeline } from '../../app/pipeline/run-pipeline';
import { createSourceSchema, seedFromSnapshot } from '../../app/totesys/seed';
import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../lambdas/kernel/logger';
import { createTestDatabase } from './pg';
import { REAL_DATA_DIR } from './raw-fixtures';

/**
 * A source seeded with the real snapshot, run once through the whole pipeline into a local
 * lake and a warehouse: the curated lake and the warehouse the analysts' surfaces read.
 */
export interface RealPipeline {
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

/** Seeds a fresh source database with the real snapshot and runs the pipeline once. */
export async function runRealPipeline(): Promise<RealPipeline> {
  const sourceDb = await createTestDatabase('asrc');
  const warehouseDb = await createTestDatabase('awh');
  const root = await mkdtemp(join(tmpdir(), 'totes-analytics-'));
  const source = new Client({ connectionString: sourceDb.url });
  const warehouse = new Client({ connectionString: warehouseDb.url });
  await source.connect();
  await warehouse.connect();
  await createSourceSchema(source);
  await seedFromSnapshot(source, REAL_DATA_DIR);
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
