import { stringify } from 'yaml';
import { versionOrderSql } from '../../../lambdas/kernel/catalog/current-views';
import { freshnessWindow } from '../freshness-window';
import { type DescribedColumn, type DescribedRelation, warehouseRelations } from './descriptions';

/** A dbt data test as properties files write it: a name, or a name with its arguments. */
type DataTest = string | { readonly relationships: { readonly to: string; readonly field: string } };

/** One column of a dbt source table. */
export interface DbtColumn {
  readonly name: string;
  readonly description: string;
  readonly data_type: string;
  readonly data_tests?: readonly DataTest[];
}

/** One table of a dbt source. */
export interface DbtTable {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly DbtColumn[];
}

/** A freshness rule: dbt warns (or errors) when the newest load is older than this. */
interface FreshnessRule {
  readonly count: number;
  readonly period: 'minute';
}

/** A dbt source: the warehouse schema and its tables. */
export interface DbtSource {
  readonly name: string;
  readonly description: string;
  readonly schema: string;
  readonly database?: string;
  readonly loader: string;
  readonly loaded_at_field: string;
  readonly freshness: { readonly warn_after: FreshnessRule; readonly error_after: FreshnessRule };
  readonly meta: Readonly<Record<string, string>>;
  readonly tables: readonly DbtTable[];
}

/** A dbt properties file holding sources (`models/sources.yml`). */
export interface DbtPropertiesFile {
  readonly version: 2;
  readonly sources: readonly DbtSource[];
}

/** Options of {@link dbtSources}. */
export interface DbtSourcesOptions {
  /** The name dbt models use in `source('<name>', …)`. @default 'totesys_warehouse' */
  readonly sourceName?: string;
  /** @default 'public' */
  readonly schema?: string;
  /** The database, when dbt's target connects to another one. */
  readonly database?: string;
  /** @default the configured freshness window (cdk.json `freshnessMinutes`) */
  readonly freshnessMinutes?: number;
}

/**
 * When the warehouse last received a batch: the load ledger's newest row. Every batch carries
 * the changes of every table up to its ingest run, so each table is as fresh as the newest batch
 * (a table's own last change would call an unchanged dimension stale). dbt puts this expression
 * into `max(…)` over the table, so an empty table has no freshness yet.
 */
export const LEDGER_LOADED_AT = '(SELECT max(loaded_at) FROM etl.load_log)';

function tests(relation: DescribedRelation, column: DescribedColumn, sourceName: string): DataTest[] {
  const found: DataTest[] = [];
  if (column.name === relation.uniqueKey) found.push('unique');
  if (!column.nullable) found.push('not_null');
  if (column.references) {
    const [table, field] = column.references.split('.') as [string, string];
    found.push({ relationships: { to: `source('${sourceName}', '${table}')`, field } });
  }
  return found;
}

/**
 * The dbt sources of the warehouse, generated from the schema module: every star table and
 * current view with its columns, types, descriptions and tests (keys unique, NOT NULL columns
 * not_null, foreign keys as relationships), and freshness from the load ledger against the
 * configured window (warn after it, error after twice it).
 */
export function dbtSources(options: DbtSourcesOptions = {}): DbtPropertiesFile {
  const name = options.sourceName ?? 'totesys_warehouse';
  const window = freshnessWindow(options.freshnessMinutes).minutes;
  return {
    version: 2,
    sources: [
      {
        name,
        description:
          "Terrific Totes' totesys data as the totesys-lake pipeline loads it: a star schema whose facts keep every observed version of a source row, and <fact>_current views with the latest version of each row that is not deleted.",
        schema: options.schema ?? 'public',
        ...(options.database ? { database: options.database } : {}),
        loader: 'totesys-lake (totes load / the load Lambda)',
        loaded_at_field: LEDGER_LOADED_AT,
        freshness: {
          warn_after: { count: window, period: 'minute' },
          error_after: { count: 2 * window, period: 'minute' },
        },
        meta: {
          generated_by: 'totes dbt-sources, from lambdas/kernel/schema',
          current_version_order: versionOrderSql(),
        },
        tables: warehouseRelations().map((relation) => ({
          name: relation.name,
          description: relation.description,
          columns: relation.columns.map((column) => {
            const found = tests(relation, column, name);
            return {
              name: column.name,
              description: column.description,
              data_type: column.pgType,
              ...(found.length > 0 ? { data_tests: found } : {}),
            };
          }),
        })),
      },
    ],
  };
}

/** {@link dbtSources} as the YAML of a `sources.yml`. */
export function dbtSourcesYaml(options: DbtSourcesOptions = {}): string {
  const header =
    '# Generated by `totes dbt-sources` from the schema module; regenerate instead of editing.\n';
  return header + stringify(dbtSources(options), { lineWidth: 0 });
}
