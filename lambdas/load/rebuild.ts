import { ident, warehouseTables } from '../kernel/schema';
import { LOAD_LOCK_KEY, type LoadDeps } from './load';
import { migrate } from './migrate';
import { checkWarehouseSchema } from './schema-check';
import { type LoadStageResult, runLoadStage } from './stage';

/**
 * Rebuilds the warehouse from the lake: empties every star table and the ledger (one
 * transaction under the load lock, after the migrations and the schema check, so a drifted
 * warehouse is refused before anything is emptied), then loads every committed batch in
 * order. Not atomic as a whole: readers see the warehouse fill up batch by batch, and if the
 * process stops half-way, the next `totes load` or `totes run` goes on from the last batch
 * loaded (each batch is still one transaction).
 *
 * @example
 * await rebuildWarehouse({ warehouse, lake, log, workDir: '/tmp' });
 */
export async function rebuildWarehouse(
  deps: LoadDeps & { readonly migrationsDir?: string },
): Promise<LoadStageResult> {
  const { warehouse } = deps;
  await migrate({
    warehouse,
    log: deps.log,
    ...(deps.migrationsDir === undefined ? {} : { dir: deps.migrationsDir }),
  });
  await checkWarehouseSchema(warehouse);
  await warehouse.query('BEGIN');
  try {
    await warehouse.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK_KEY.toString()]);
    const tables = [...warehouseTables.map((t) => ident(t.name)), 'etl.load_log'];
    await warehouse.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
    await warehouse.query('COMMIT');
  } catch (error) {
    await warehouse.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  deps.log.warn('emptied the warehouse to rebuild it from the lake', { lake: deps.lake.url });
  return runLoadStage(deps);
}
