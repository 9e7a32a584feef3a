import { type LoadDeps, type LoadResult, load } from './load';
import type { MigrateResult } from './migrate';
import { migrate } from './migrate';
import { checkWarehouseSchema } from './schema-check';

/** What {@link runLoadStage} did: the migrations it applied and the batches it loaded. */
export interface LoadStageResult extends LoadResult {
  readonly migrations: MigrateResult;
}

/**
 * The whole load stage, as `totes load`, `totes run` and the Lambda run it: apply pending
 * warehouse migrations, check the warehouse tables against the schema module (so a drifted
 * warehouse fails before any data moves, naming table and column), then load every committed
 * transform batch exactly once.
 *
 * @example
 * const result = await runLoadStage({ warehouse, lake, log, workDir: '/tmp' });
 */
export async function runLoadStage(
  deps: LoadDeps & {
    /** Folder of the numbered migrations. @default the repository's `warehouse-sql/` */
    readonly migrationsDir?: string;
  },
): Promise<LoadStageResult> {
  const migrations = await migrate({
    warehouse: deps.warehouse,
    log: deps.log,
    ...(deps.migrationsDir === undefined ? {} : { dir: deps.migrationsDir }),
  });
  await checkWarehouseSchema(deps.warehouse);
  return { migrations, ...(await load(deps)) };
}
