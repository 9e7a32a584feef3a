/**
 * Lineage: where every star column's value comes from in `totesys`. The transform builds its
 * SQL from this, verify recomputes the star tables' content from the source with it, and a
 * new source column reaches the star schema by one entry here (plus its column in
 * `warehouse.ts` and a migration).
 *
 * Rules that hold for every table, so that only the exceptions are written below:
 * - a star column takes the same-named column of the table's main source (`from`);
 * - a fact's `created_date`/`created_time` and `last_updated_date`/`last_updated_time` are
 *   the date and the time of day of the source's `created_at` and `last_updated`;
 * - a fact's `observed_at` and `is_deleted` describe the version, not the source row.
 */

import { sourceTables } from './source';
import type { ColumnDef, SourceTableDef, WarehouseTableDef } from './types';
import { warehouseTables } from './warehouse';

/** A column of a source table. */
export interface SourceColumnRef {
  readonly table: string;
  readonly column: string;
}

/** A calendar attribute of a date (`dim_date`'s columns). */
export type CalendarPart =
  | 'date'
  | 'year'
  | 'month'
  | 'day'
  | 'iso_day_of_week'
  | 'day_name'
  | 'month_name'
  | 'quarter';

/** Where the value of one star column comes from. */
export type ColumnSource =
  /** The source column's value as it is (typed: a text date becomes a date). */
  | ({ readonly kind: 'column' } & SourceColumnRef)
  /** The calendar date of a source timestamp. */
  | ({ readonly kind: 'date_of' } & SourceColumnRef)
  /** The time of day (`HH:MM:SS.fff`) of a source timestamp. */
  | ({ readonly kind: 'time_of' } & SourceColumnRef)
  /** The ISO 4217 name of the currency code in a source column; null for a code it does not know. */
  | ({ readonly kind: 'iso4217_name' } & SourceColumnRef)
  /** When the pipeline captured the version (facts). */
  | { readonly kind: 'observed_at' }
  /** True for the version that records the source row's delete (facts). */
  | { readonly kind: 'deleted' }
  /** A calendar attribute of each date the facts reference (`dim_date`). */
  | { readonly kind: 'calendar'; readonly part: CalendarPart };

/**
 * A source table joined to a dimension's main source: the row of `table` whose `column`
 * equals the main source's `on`. The join is inner: a main row whose parent row is unknown
 * is left out until the parent arrives (the star columns are NOT NULL).
 */
export interface LineageJoin {
  readonly table: string;
  readonly column: string;
  readonly on: string;
}

/** The lineage of one star column. */
export interface ColumnLineage {
  readonly name: string;
  readonly source: ColumnSource;
}

/** The lineage of one star table. */
export interface TableLineage {
  readonly table: string;
  readonly kind: 'dimension' | 'fact';
  /**
   * The source table whose rows the star table's rows are: facts, one row per version of
   * its rows; dimensions, one member per row (a deleted row keeps its member). Undefined
   * for `dim_date`, whose members are the dates the facts reference ({@link datesReferenced}).
   */
  readonly from: string | undefined;
  readonly joins: readonly LineageJoin[];
  /** Every column of the star table, in its order. */
  readonly columns: readonly ColumnLineage[];
  /**
   * The source tables a change to which changes the star table: `from` and the joined
   * tables (the ripple: a department edit rebuilds `dim_staff`).
   */
  readonly sources: readonly string[];
}

const col = (table: string, column: string): ColumnSource => ({ kind: 'column', table, column });

/** What the rules above do not say, per star table. */
interface Recipe {
  readonly from?: string;
  readonly joins?: readonly LineageJoin[];
  readonly columns?: Readonly<Record<string, ColumnSource>>;
}

const address = (column: string) => col('address', column);

/** Facts take their main source from `warehouse.ts` (`sourceTable`). */
const RECIPES: Readonly<Record<string, Recipe>> = {
  dim_date: {
    columns: {
      date_id: { kind: 'calendar', part: 'date' },
      year: { kind: 'calendar', part: 'year' },
      month: { kind: 'calendar', part: 'month' },
      day: { kind: 'calendar', part: 'day' },
      day_of_week: { kind: 'calendar', part: 'iso_day_of_week' },
      day_name: { kind: 'calendar', part: 'day_name' },
      month_name: { kind: 'calendar', part: 'month_name' },
      quarter: { kind: 'calendar', part: 'quarter' },
    },
  },
  dim_staff: {
    from: 'staff',
    joins: [{ table: 'department', column: 'department_id', on: 'department_id' }],
    columns: {
      department_name: col('department', 'department_name'),
      location: col('department', 'location'),
    },
  },
  dim_location: { from: 'address', columns: { location_id: address('address_id') } },
  dim_design: { from: 'design' },
  dim_currency: {
    from: 'currency',
    columns: { currency_name: { kind: 'iso4217_name', table: 'currency', column: 'currency_code' } },
  },
  dim_counterparty: {
    from: 'counterparty',
    joins: [{ table: 'address', column: 'address_id', on: 'legal_address_id' }],
    columns: {
      counterparty_legal_address_line_1: address('address_line_1'),
      counterparty_legal_address_line_2: address('address_line_2'),
      counterparty_legal_district: address('district'),
      counterparty_legal_city: address('city'),
      counterparty_legal_postal_code: address('postal_code'),
      counterparty_legal_country: address('country'),
      counterparty_legal_phone_number: address('phone'),
    },
  },
  dim_payment_type: { from: 'payment_type' },
  dim_transaction: { from: 'transaction' },
  fact_sales_order: { columns: { sales_staff_id: col('sales_order', 'staff_id') } },
  fact_purchase_order: {},
  fact_payment: {},
};

/** The columns of a fact that the rules derive: the audit split and the version's lineage. */
function factRule(from: string, name: string): ColumnSource | undefined {
  const split = /^(created|last_updated)_(date|time)$/.exec(name);
  if (split) {
    const column = split[1] === 'created' ? 'created_at' : 'last_updated';
    return { kind: split[2] === 'date' ? 'date_of' : 'time_of', table: from, column };
  }
  if (name === 'observed_at') return { kind: 'observed_at' };
  if (name === 'is_deleted') return { kind: 'deleted' };
  return undefined;
}

const sources = new Map(sourceTables.map((t) => [t.name, t]));

function sourceColumn(ref: SourceColumnRef, star: string): ColumnDef {
  const found = sources.get(ref.table)?.columns.find((c) => c.name === ref.column);
  if (!found)
    throw new RangeError(`lineage of ${star} names ${ref.table}.${ref.column}, which totesys lacks`);
  return found;
}

function resolve(table: WarehouseTableDef): TableLineage {
  const recipe = RECIPES[table.name];
  if (!recipe) throw new RangeError(`star table ${table.name} has no lineage in lineage.ts`);
  const from = table.kind === 'fact' ? table.sourceTable : recipe.from;
  const joins = recipe.joins ?? [];
  const columns = table.columns.map((c): ColumnLineage => {
    const source =
      recipe.columns?.[c.name] ??
      (table.kind === 'fact' && from ? factRule(from, c.name) : undefined) ??
      (from ? col(from, c.name) : undefined);
    if (!source) throw new RangeError(`star column ${table.name}.${c.name} has no source in lineage.ts`);
    if ('table' in source) {
      sourceColumn(source, `${table.name}.${c.name}`);
      if (source.table !== from && !joins.some((j) => j.table === source.table))
        throw new RangeError(
          `${table.name}.${c.name} reads ${source.table}, which ${table.name} does not join`,
        );
    }
    return { name: c.name, source };
  });
  for (const j of joins) {
    sourceColumn({ table: j.table, column: j.column }, table.name);
    if (from) sourceColumn({ table: from, column: j.on }, table.name);
  }
  return {
    table: table.name,
    kind: table.kind,
    from,
    joins,
    columns,
    sources: from ? [from, ...joins.map((j) => j.table)] : [],
  };
}

/** The lineage of every star table, in `warehouseTables` order; checked when the module loads. */
export const lineages: readonly TableLineage[] = warehouseTables.map(resolve);

const byTable = new Map(lineages.map((l) => [l.table, l]));

/** The lineage of star table `name`; throws for a name the schema does not define. */
export function lineage(name: string): TableLineage {
  const found = byTable.get(name);
  if (!found) throw new RangeError(`no lineage for star table "${name}"`);
  return found;
}

/** Where star column `table.column` comes from. */
export function columnSource(table: string, column: string): ColumnSource {
  const found = lineage(table).columns.find((c) => c.name === column);
  if (!found) throw new RangeError(`star table ${table} has no column "${column}"`);
  return found.source;
}

/** The source column a column source reads, if it reads one. */
export function sourceColumnOf(source: ColumnSource): ColumnDef | undefined {
  return 'table' in source ? sourceColumn(source, `${source.table}.${source.column}`) : undefined;
}

/**
 * The source table and key column of a dimension's members (`dim_location` ←
 * `address.address_id`); undefined for `dim_date`. Every row of that table has its member.
 */
export function memberKey(dim: string): SourceColumnRef | undefined {
  const l = lineage(dim);
  const { naturalKey } = warehouseTables.find((t) => t.name === dim) as WarehouseTableDef;
  const key = l.columns.find((c) => c.name === naturalKey)?.source;
  return key?.kind === 'column' ? { table: key.table, column: key.column } : undefined;
}

/** True for a fact column that describes the version (`observed_at`, `is_deleted`), not the source row. */
export const isVersionColumn = (source: ColumnSource): boolean =>
  source.kind === 'observed_at' || source.kind === 'deleted';

/** The fact columns whose dates `dim_date` must hold: every fact column that references it. */
export function datesReferenced(): { fact: string; column: string }[] {
  return warehouseTables
    .filter((t) => t.kind === 'fact')
    .flatMap((t) =>
      t.columns
        .filter((c) => c.references?.table === 'dim_date')
        .map((c) => ({ fact: t.name, column: c.name })),
    );
}

/** The star tables a change to source table `table` changes (the ripple), in `warehouseTables` order. */
export function starTablesOf(table: string): string[] {
  return lineages.filter((l) => l.sources.includes(table)).map((l) => l.table);
}

/**
 * The source tables the dimension rows a fact references are built from, in dependency
 * order: what must have arrived before the fact's rows can be published.
 */
export function dimensionSourcesOf(fact: string): string[] {
  const table = warehouseTables.find((t) => t.name === fact);
  const dims = new Set((table?.columns ?? []).flatMap((c) => (c.references ? [c.references.table] : [])));
  const needed = new Set(lineages.filter((l) => dims.has(l.table)).flatMap((l) => l.sources));
  return sourceTables.filter((t) => needed.has(t.name)).map((t) => t.name);
}

/**
 * How the lake partitions each fact's files: `dt` is the first day of the year of the
 * version's `created_date` (a DATE, so filters on it read as dates). All the versions of a
 * source row share its partition. A year, not a month or a day, because Athena's cost and
 * latency are per object and its guidance is files of 128 MB or more: the real snapshot
 * spans 25 months of 12–23 KB each (3 files per fact instead of 25); at 1M sales orders a
 * month of sales is some 1.2 MB and a whole year 13–15 MB (payments 19–22 MB), at 5M a
 * year nears 100 MB. Compaction (`lambdas/compact/compact.ts`) keeps a year's files full.
 */
export const FACT_PARTITION = { name: 'dt', column: 'created_date', grain: 'year' } as const;

/** The `dt` partition ({@link FACT_PARTITION}) of a `YYYY-MM-DD` date: `YYYY-01-01`. */
export const factPartitionOf = (date: string): string => `${date.slice(0, 4)}-01-01`;

const PARTITION_GLOBS: Readonly<Record<'day' | 'month' | 'year', string>> = {
  day: '*',
  month: '*-*-01',
  year: '*-01-01',
};

/**
 * A glob of the `dt` values of {@link FACT_PARTITION}'s grain (`*-01-01`): the partitions
 * Athena's projection lists. Files left under a finer partition (a lake written before the
 * grain changed) are outside it until compaction folds them in.
 */
export const factPartitionGlob: string = PARTITION_GLOBS[FACT_PARTITION.grain];

/** The source tables whose versions become fact rows. */
export const factSourceTables: readonly string[] = lineages.flatMap((l) =>
  l.kind === 'fact' && l.from ? [l.from] : [],
);

/** The source columns in the order `totesys` defines them (the order of a `COPY` without a column list). */
export const sourceColumnNames = (table: SourceTableDef): string[] => table.columns.map((c) => c.name);
