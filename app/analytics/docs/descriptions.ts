import { currentViews, MEASURE_TYPE } from '../../../lambdas/kernel/catalog/current-views';
import { type WarehouseTableDef, warehousePgType, warehouseTables } from '../../../lambdas/kernel/schema';
import { SURROGATE_KEY_COMMENT } from '../../../lambdas/kernel/schema/warehouse';

/** One documented column of a warehouse relation. */
export interface DescribedColumn {
  readonly name: string;
  /** PostgreSQL type as the warehouse has it, e.g. `integer`, `numeric(10,2)`. */
  readonly pgType: string;
  readonly nullable: boolean;
  readonly description: string;
  /** `dim_x.key` the column joins to, when it is a foreign key. */
  readonly references?: string;
}

/** One documented table or view of the warehouse's `public` schema. */
export interface DescribedRelation {
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly description: string;
  readonly columns: readonly DescribedColumn[];
  /** Columns that identify a row (a dimension's key, a fact version's surrogate key, a view's source id). */
  readonly uniqueKey: string;
}

/** Thrown while generating: a column of the schema module has no description. */
export class MissingDescriptionError extends Error {}

function required(table: string, column: string, text: string | undefined): string {
  if (!text?.trim()) {
    throw new MissingDescriptionError(
      `${table}.${column} has no description: add a comment to it in lambdas/kernel/schema/warehouse.ts`,
    );
  }
  return text;
}

function describeTable(table: WarehouseTableDef): DescribedRelation {
  // The warehouse's own columns (load lineage) follow the curated ones, as in the table.
  const columns: DescribedColumn[] = [...table.columns, ...(table.loadColumns ?? [])].map((c) => ({
    name: c.name,
    pgType: warehousePgType(c.type),
    nullable: c.nullable ?? false,
    description: required(table.name, c.name, c.comment),
    ...(c.references ? { references: `${c.references.table}.${c.references.column}` } : {}),
  }));
  if (table.surrogateKey) {
    columns.unshift({
      name: table.surrogateKey,
      pgType: 'integer',
      nullable: false,
      description: SURROGATE_KEY_COMMENT,
    });
  }
  return {
    name: table.name,
    kind: 'table',
    description: table.comment,
    columns,
    uniqueKey: table.surrogateKey ?? table.naturalKey,
  };
}

/**
 * Every star table (with its surrogate key) and every current-state view of the warehouse,
 * with the descriptions of the schema module (`lambdas/kernel/schema/warehouse.ts`) and of
 * the current views (`lambdas/kernel/catalog/current-views.ts`): the one source of the
 * warehouse's `COMMENT ON`s, the dbt sources and the analyst guide's column tables.
 *
 * @throws {MissingDescriptionError} naming a column without a description.
 */
export function warehouseRelations(): DescribedRelation[] {
  const tables = warehouseTables.map(describeTable);
  const views = currentViews().map((view): DescribedRelation => {
    const fact = tables.find((t) => t.name === view.fact.name);
    return {
      name: view.name,
      kind: 'view',
      description: view.comment,
      uniqueKey: view.fact.naturalKey,
      columns: view.columns.map((c) => {
        if (c.kind === 'measure') {
          return { name: c.name, pgType: MEASURE_TYPE.pg, nullable: false, description: c.measure.comment };
        }
        const described = fact?.columns.find((f) => f.name === c.name);
        if (!described)
          throw new MissingDescriptionError(`${view.name}.${c.name} is not a column of ${view.fact.name}`);
        return described;
      }),
    };
  });
  return [...tables, ...views];
}
