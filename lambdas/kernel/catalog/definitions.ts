/**
 * The Glue catalog, derived from the schema module: one raw table per source table (JSON
 * lines, partitioned by ingest date) and one curated table per star-schema table (Parquet;
 * facts partitioned by `dt`, dimensions pointing at their current snapshot folder). The CDK
 * catalog construct and the runtime {@link GlueCatalog} both read these definitions, so a
 * column is typed in exactly one place: `lambdas/kernel/schema`.
 */
import { curatedTablePrefix, dimensionSnapshotPrefix, rawTablePrefix } from '../lake/layout';
import {
  type ColumnDef,
  FACT_PARTITION,
  glueCuratedType,
  glueRawType,
  RAW_META_COLUMNS,
  type SourceTableDef,
  sourceTables,
  type WarehouseTableDef,
  warehouseTables,
} from '../schema';
import { type CurrentViewDef, currentViewQuery, currentViews, MEASURE_TYPE } from './current-views';

/** One column of a Glue table: its Hive DDL type and the analyst-facing comment. */
export interface GlueColumnDefinition {
  readonly name: string;
  /** Hive/Athena type, e.g. `int`, `decimal(10,2)`, `timestamp`. */
  readonly type: string;
  readonly comment?: string;
}

/**
 * A date partition projected by Athena (no crawler, no `ALTER TABLE ADD PARTITION`): values
 * from `min` to today in `yyyy-MM-dd`, one per day, or one per `step` (facts: the first day
 * of each year, see `FACT_PARTITION` in the schema module).
 */
export interface DatePartitionDefinition extends GlueColumnDefinition {
  readonly type: 'date';
  readonly projection: {
    readonly format: 'yyyy-MM-dd';
    readonly min: string;
    readonly max: 'NOW';
    /** @default one day */
    readonly step?: { readonly interval: 1; readonly unit: 'MONTHS' | 'YEARS' };
  };
}

/** Everything needed to declare one Glue table. */
export interface GlueTableDefinition {
  /** Glue table name: `raw_<source table>` or the star-schema table name. */
  readonly name: string;
  readonly zone: 'raw' | 'curated';
  readonly format: 'json' | 'parquet';
  /**
   * Key prefix of the table's data relative to its bucket's lake root, ending in `/`. For a
   * dimension this is the placeholder snapshot until the transform publishes the first one.
   */
  readonly prefix: string;
  readonly columns: readonly GlueColumnDefinition[];
  readonly partitionKeys: readonly DatePartitionDefinition[];
  readonly description: string;
}

/**
 * First day any partition can have. The oldest totesys rows are from November 2022, so
 * projecting from there covers every `dt` the transform can write without listing S3.
 */
export const PROJECTION_START = '2022-11-01';

/** Snapshot id of a dimension that has never been published; queries over it return no rows. */
export const UNPUBLISHED_SNAPSHOT = 'unpublished';

/** Glue database name for a deployment stage (Glue names: lower case, digits and `_`). */
export const glueDatabaseName = (stage: string): string =>
  `totesys_lake_${stage.toLowerCase().replace(/[^a-z0-9]/g, '_')}`;

/** Name of the raw Glue table that catalogues source table `table`. */
export const rawTableName = (table: string): string => `raw_${table}`;

/** The projection step of a partition grain: Athena enumerates `min`, `min` + step, … up to now. */
const GRAIN_STEPS = {
  day: undefined,
  month: { interval: 1, unit: 'MONTHS' },
  year: { interval: 1, unit: 'YEARS' },
} as const;

/** The first partition value of a grain: its start on or before {@link PROJECTION_START}. */
const projectionMin = (grain: keyof typeof GRAIN_STEPS): string =>
  grain === 'year'
    ? `${PROJECTION_START.slice(0, 4)}-01-01`
    : grain === 'month'
      ? `${PROJECTION_START.slice(0, 7)}-01`
      : PROJECTION_START;

const datePartition = (
  name: string,
  comment: string,
  grain: keyof typeof GRAIN_STEPS = 'day',
): DatePartitionDefinition => {
  const step = GRAIN_STEPS[grain];
  return {
    name,
    type: 'date',
    comment,
    projection: { format: 'yyyy-MM-dd', min: projectionMin(grain), max: 'NOW', ...(step ? { step } : {}) },
  };
};

const withComment = (column: ColumnDef, type: string): GlueColumnDefinition => ({
  name: column.name,
  type,
  ...(column.comment ? { comment: column.comment } : {}),
});

const rawMetaColumns: readonly GlueColumnDefinition[] = RAW_META_COLUMNS.map((name) => ({
  name,
  type: 'string',
  comment: {
    _op: 'Change kind: c (created), u (updated), d (deleted, a tombstone)',
    _run_id: 'Ingest run that captured this row version',
    _extracted_at: 'When the ingest run read the source (ISO 8601, UTC)',
  }[name],
}));

/** The raw-zone table of one source table: every source column as delivered, plus change metadata. */
export function rawTableDefinition(table: SourceTableDef): GlueTableDefinition {
  return {
    name: rawTableName(table.name),
    zone: 'raw',
    format: 'json',
    prefix: rawTablePrefix(table.name),
    columns: [...table.columns.map((c) => withComment(c, glueRawType(c.type))), ...rawMetaColumns],
    partitionKeys: [datePartition('ingest_date', 'Day the change was captured (UTC)')],
    description: `Raw change records of totesys.${table.name} (JSON lines, gzip, immutable)`,
  };
}

/** The curated-zone table of one star-schema table. */
export function curatedTableDefinition(table: WarehouseTableDef): GlueTableDefinition {
  const isFact = table.kind === 'fact';
  return {
    name: table.name,
    zone: 'curated',
    format: 'parquet',
    prefix: isFact
      ? curatedTablePrefix(table.name)
      : dimensionSnapshotPrefix(table.name, UNPUBLISHED_SNAPSHOT),
    columns: table.columns.map((c) => withComment(c, glueCuratedType(c.type))),
    partitionKeys: isFact
      ? [
          datePartition(
            FACT_PARTITION.name,
            `First day of the ${FACT_PARTITION.grain} of ${FACT_PARTITION.column}; filter on it so Athena reads only those ${FACT_PARTITION.grain}s`,
            FACT_PARTITION.grain,
          ),
        ]
      : [],
    description: table.comment,
  };
}

/** Every raw table, in source dependency order. */
export const rawTableDefinitions = (): GlueTableDefinition[] => sourceTables.map(rawTableDefinition);

/** Every curated table: dimensions then facts. */
export const curatedTableDefinitions = (): GlueTableDefinition[] =>
  warehouseTables.map(curatedTableDefinition);

/** One column of a Glue view: its Hive type (the catalog's) and its Trino type (the view's). */
export interface GlueViewColumnDefinition extends GlueColumnDefinition {
  /** Trino spelling of the type, e.g. `integer`, `varchar`, `decimal(18,2)`. */
  readonly prestoType: string;
}

/** A view in the Glue catalog that Athena runs: a current-state view of a fact. */
export interface GlueViewDefinition {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly GlueViewColumnDefinition[];
  /** The view's query (the SELECT alone), resolved against the view's own database. */
  readonly sql: string;
}

/** Hive type names Trino spells differently; the others are the same (`date`, `decimal(p,s)`…). */
const PRESTO_TYPES: Readonly<Record<string, string>> = { int: 'integer', string: 'varchar' };

/** The Glue view of one current-state view (`lambdas/kernel/catalog/current-views.ts`). */
export function currentViewDefinition(view: CurrentViewDef): GlueViewDefinition {
  return {
    name: view.name,
    description: view.comment,
    columns: view.columns.map((c) => {
      const type = c.kind === 'fact' ? glueCuratedType(c.column.type) : MEASURE_TYPE.glue;
      const comment = c.kind === 'fact' ? c.column.comment : c.measure.comment;
      return { name: c.name, type, prestoType: PRESTO_TYPES[type] ?? type, ...(comment ? { comment } : {}) };
    }),
    sql: currentViewQuery(view),
  };
}

/** Every fact's current-state view, for the Glue catalog. */
export const currentViewDefinitions = (): GlueViewDefinition[] => currentViews().map(currentViewDefinition);

/**
 * `ViewOriginalText` of a Glue table that Athena reads as a view: the encoding Athena itself
 * writes for `CREATE VIEW` — `/* Presto View: <base64 of JSON> *\/`, the JSON holding the
 * SQL, the catalog and database it resolves names in, and the output columns with their
 * Trino types (Athena reports the view as stale when the query's columns no longer match).
 */
export function prestoViewOriginalText(view: GlueViewDefinition, databaseName: string): string {
  const json = JSON.stringify({
    originalSql: view.sql,
    catalog: 'awsdatacatalog',
    schema: databaseName,
    columns: view.columns.map((c) => ({ name: c.name, type: c.prestoType })),
  });
  return `/* Presto View: ${Buffer.from(json, 'utf8').toString('base64')} */`;
}
