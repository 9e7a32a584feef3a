import type { Catalog } from '../../lambdas/kernel/catalog/catalog';
import { createCurrentViewSql, currentView } from '../../lambdas/kernel/catalog/current-views';
import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { type DuckSession, openDuck, type QueryResult, sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import { curatedTablePrefix } from '../../lambdas/kernel/lake/layout';
import {
  dimensionTables,
  duckdbType,
  factPartitionGlob,
  factTables,
  ident,
  type WarehouseTableDef,
} from '../../lambdas/kernel/schema';
import { QuerySqlError, RemoteLakeQueryError } from './errors';

/** Athena on this machine: DuckDB with one view per curated table of a local lake. */
export interface LocalAthena {
  /** Runs analyst SQL (one or more statements; the last one's result is returned). */
  runQuery(sql: string): Promise<QueryResult>;
  /** Names of the views, tables first, then each fact's `_current` view. */
  readonly views: readonly string[];
  close(): void;
}

/**
 * Opens DuckDB over a local lake with the views Athena has, named like the warehouse tables:
 * each dimension reads the snapshot its catalog pointer names, each fact reads every `dt=`
 * partition Athena projects (Hive partitioning, `dt` typed DATE so filters prune files). A table with no
 * files yet is an empty view with the right columns. `<fact>_current` holds the latest
 * version of every source row that is not deleted, exactly as Athena and the warehouse
 * define it (`lambdas/kernel/catalog/current-views.ts`).
 *
 * @example
 * const athena = await openLocalAthena(lake);
 * const { columns, rows } = await athena.runQuery('SELECT count(*) FROM fact_sales_order');
 */
export async function openLocalAthena(
  lake: LakeStore,
  options: { catalog?: Catalog; memoryLimit?: string; threads?: number } = {},
): Promise<LocalAthena> {
  const root = lake.localPath('curated');
  if (root === undefined) {
    throw new RemoteLakeQueryError(
      `totes query reads a local lake, but LAKE_URL is ${lake.url}; query an S3 lake with Athena, or set LAKE_URL=file:///path`,
    );
  }
  const catalog = options.catalog ?? new LocalCatalog(lake);
  const duck = await openDuck({
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const views: string[] = [];
  try {
    for (const dim of dimensionTables) {
      await duck.exec(await dimensionViewSql(dim, lake, catalog));
      views.push(dim.name);
    }
    for (const fact of factTables) {
      await duck.exec(await factViewSql(fact, lake, duck));
      await duck.exec(createCurrentViewSql(currentView(fact)));
      views.push(fact.name);
    }
    views.push(...factTables.map((f) => `${f.name}_current`));
  } catch (error) {
    duck.close();
    throw error;
  }
  return {
    views,
    runQuery: async (sql) => {
      try {
        return await duck.all(sql);
      } catch (cause) {
        throw new QuerySqlError(`query failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
          cause,
        });
      }
    },
    close: () => duck.close(),
  };
}

function typedColumns(table: WarehouseTableDef): string {
  return table.columns
    .map((c) => `CAST(${ident(c.name)} AS ${duckdbType(c.type)}) AS ${ident(c.name)}`)
    .join(', ');
}

function emptyViewSql(table: WarehouseTableDef, extra = ''): string {
  const columns = table.columns
    .map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${ident(c.name)}`)
    .join(', ');
  return `CREATE OR REPLACE VIEW ${ident(table.name)} AS SELECT ${columns}${extra} WHERE false`;
}

async function dimensionViewSql(dim: WarehouseTableDef, lake: LakeStore, catalog: Catalog): Promise<string> {
  const prefix = await catalog.currentDimension(dim.name);
  const folder = prefix === undefined ? undefined : lake.localPath(prefix.replace(/\/$/, ''));
  if (folder === undefined) return emptyViewSql(dim);
  return `CREATE OR REPLACE VIEW ${ident(dim.name)} AS SELECT ${typedColumns(dim)} FROM read_parquet(${sqlString(`${folder}/*.parquet`)})`;
}

async function factViewSql(fact: WarehouseTableDef, lake: LakeStore, duck: DuckSession): Promise<string> {
  const folder = lake.localPath(curatedTablePrefix(fact.name).slice(0, -1)) as string;
  // Only the partitions Athena's projection lists, so a lake not yet folded reads the same here.
  const pattern = `${folder}/dt=${factPartitionGlob}/*.parquet`;
  const files = await duck.scalarNumber(`SELECT count(*) FROM glob(${sqlString(pattern)})`);
  if (files === 0) return emptyViewSql(fact, ', CAST(NULL AS DATE) AS dt');
  return (
    `CREATE OR REPLACE VIEW ${ident(fact.name)} AS SELECT ${typedColumns(fact)}, dt ` +
    `FROM read_parquet(${sqlString(pattern)}, hive_partitioning = true, hive_types = {'dt': 'DATE'})`
  );
}
