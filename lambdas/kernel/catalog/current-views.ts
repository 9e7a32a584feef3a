/**
 * The current state of each fact, defined once for every engine: `<fact>_current`, the latest
 * version of every source row that is not deleted, with the fact's own columns (except
 * `is_deleted`, always false there) and its money measure (`sale_value`, `purchase_value`).
 * The SELECT below is plain SQL that Athena (Trino), DuckDB and PostgreSQL all run as it is:
 * the Glue catalog stores it as an Athena view (`definitions.ts`), the local lake creates it
 * in DuckDB (`app/analytics/local-athena.ts`), and a warehouse migration creates it in
 * PostgreSQL (`warehouse-sql/006_current_views.sql`, checked against this file by
 * `test/unit/analytics/current-views.test.ts`); after the migrations, the migrate step adds
 * the columns the schema module gained since (`warehouse-current-views.ts`).
 */
import { type ColumnDef, factTables, ident, type LogicalType, type WarehouseTableDef } from '../schema';

/**
 * Newest version first. `observed_at` (when the pipeline captured the version) decides; on a
 * tie, the source's own `last_updated` of the version; then a deletion wins over a live
 * version (a tombstone carries its row's last known values, so it ties on everything else,
 * and a key is only found missing after its last live version was read). Every column exists
 * in the lake and in the warehouse, so every engine picks the same version; a warehouse-only
 * surrogate key would let the lake and the warehouse disagree.
 */
export const VERSION_ORDER: readonly string[] = [
  'observed_at DESC',
  'last_updated_date DESC',
  'last_updated_time DESC',
  'is_deleted DESC',
];

/** {@link VERSION_ORDER} as SQL, each column qualified by `alias` when given. */
export function versionOrderSql(alias?: string): string {
  return VERSION_ORDER.map((term) => {
    const [column, direction] = term.split(' ') as [string, string];
    return `${alias ? `${alias}.` : ''}${ident(column)} ${direction}`;
  }).join(', ');
}

/** A money column a current view adds: the product of two fact columns, per currency. */
export interface CurrentViewMeasure {
  readonly name: string;
  readonly factors: readonly [quantity: string, price: string];
  readonly comment: string;
}

/** Each fact's measure; a fact missing here (payments: `payment_amount` is the measure) adds none. */
const MEASURES: Readonly<Record<string, readonly CurrentViewMeasure[]>> = {
  fact_sales_order: [
    {
      name: 'sale_value',
      factors: ['units_sold', 'unit_price'],
      comment: "units_sold × unit_price, in the order's currency (never sum across currencies)",
    },
  ],
  fact_purchase_order: [
    {
      name: 'purchase_value',
      factors: ['item_quantity', 'item_unit_price'],
      comment: "item_quantity × item_unit_price, in the order's currency (never sum across currencies)",
    },
  ],
};

/** A measure's type on every engine: exact, wide enough for any product of two fact columns. */
export const MEASURE_TYPE = { sql: 'DECIMAL(18, 2)', glue: 'decimal(18,2)', pg: 'numeric(18,2)' } as const;

/** One column of a current view: a fact column as it is, or a measure. */
export type CurrentViewColumn =
  | { readonly kind: 'fact'; readonly name: string; readonly column: ColumnDef }
  | { readonly kind: 'measure'; readonly name: string; readonly measure: CurrentViewMeasure };

/** A `<fact>_current` view. */
export interface CurrentViewDef {
  readonly name: string;
  readonly fact: WarehouseTableDef;
  readonly columns: readonly CurrentViewColumn[];
  readonly comment: string;
}

const HIDDEN = new Set(['is_deleted']);

/** The current view of `fact`. */
export function currentView(fact: WarehouseTableDef): CurrentViewDef {
  if (fact.kind !== 'fact') throw new RangeError(`${fact.name} is not a fact table`);
  const columns: CurrentViewColumn[] = fact.columns
    .filter((c) => !HIDDEN.has(c.name))
    .map((column) => ({ kind: 'fact', name: column.name, column }));
  for (const measure of MEASURES[fact.name] ?? [])
    columns.push({ kind: 'measure', name: measure.name, measure });
  return {
    name: `${fact.name}_current`,
    fact,
    columns,
    comment: `Current state of ${fact.name}: the latest version of every ${fact.naturalKey} that is not deleted`,
  };
}

/** Every fact's current view, in schema order. */
export const currentViews = (): CurrentViewDef[] => factTables.map(currentView);

/** The logical type of a fact column of a view, or `measure`. */
export const columnType = (column: CurrentViewColumn): LogicalType | 'measure' =>
  column.kind === 'fact' ? column.column.type : 'measure';

const RANK = ident('version_rank');

/** The SELECT-list entry of a view column: a fact column as it is, a measure computed. */
function selectEntry(column: CurrentViewColumn): string {
  return column.kind === 'fact'
    ? ident(column.name)
    : `CAST(${ident(column.measure.factors[0])} * ${ident(column.measure.factors[1])} AS ${MEASURE_TYPE.sql}) AS ${ident(column.name)}`;
}

/**
 * The view's query, the same text on Athena, DuckDB and PostgreSQL (standard SQL, quoted
 * identifiers from the schema module, no engine-specific syntax).
 *
 * @param names the SELECT list, by column name, when it is not the view's own order (a
 *   warehouse view keeps the order it was created with, {@link withMissingColumns}); a name
 *   the view does not derive is selected from the fact as it is.
 */
export function currentViewQuery(
  view: CurrentViewDef,
  names: readonly string[] = view.columns.map((c) => c.name),
): string {
  const byName = new Map(view.columns.map((c) => [c.name, c]));
  const select = names.map((name) => {
    const column = byName.get(name);
    return column ? selectEntry(column) : ident(name);
  });
  return `SELECT
  ${select.join(',\n  ')}
FROM (
  SELECT
    *,
    row_number() OVER (PARTITION BY ${ident(view.fact.naturalKey)} ORDER BY ${versionOrderSql()}) AS ${RANK}
  FROM ${ident(view.fact.name)}
) AS versions
WHERE ${RANK} = 1 AND NOT ${ident('is_deleted')}`;
}

/** `CREATE OR REPLACE VIEW` of the view (DuckDB and PostgreSQL), optionally in the order `names`. */
export const createCurrentViewSql = (view: CurrentViewDef, names?: readonly string[]): string =>
  `CREATE OR REPLACE VIEW ${ident(view.name)} AS\n${currentViewQuery(view, names)}`;

/**
 * The columns a view that already has `existing` (in its order) must end up with: `existing`
 * as they are, then every column of `view` it lacks, in the view's order. PostgreSQL's
 * `CREATE OR REPLACE VIEW` keeps existing columns in place and can only add columns at the
 * end, so a column the schema module adds before a measure still lands after it in the
 * warehouse; the lake and Glue views, created afresh, follow the schema order.
 */
export function withMissingColumns(
  view: CurrentViewDef,
  existing: readonly string[],
): { readonly names: readonly string[]; readonly added: readonly CurrentViewColumn[] } {
  const have = new Set(existing);
  const added = view.columns.filter((c) => !have.has(c.name));
  return { names: [...existing, ...added.map((c) => c.name)], added };
}
