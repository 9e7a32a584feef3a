import {
  type ColumnDef,
  ident,
  type SourceTableDef,
  sourceColumnNames,
  sourceTables,
} from '../../../lambdas/kernel/schema';
import { GeneratorError } from '../errors';
import { RowRandom } from '../prng';
import { COPY_NULL } from './copy-values';
import { inventedStream, inventedValue } from './invented';
import { idsUpTo, type RowKey } from './orders';
import type { SyntheticPlan } from './plan';
import { type GeneratedRow, type RowContext, TABLE_GENERATORS, type TableGenerator } from './tables';

/** A rendered table: the columns of its COPY and its rows as COPY text lines. */
export interface GeneratedTable {
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: number;
  lines(): Iterable<string>;
}

const generators = new Map(TABLE_GENERATORS.map((g) => [g.table, g]));

/**
 * Generates every table of a synthetic source for a plan. Every row is a pure function of
 * (seed, table, id), so tables are generated one after the other, streaming, with nothing
 * kept in memory. The tables and their columns are the schema module's
 * (`lambdas/kernel/schema/source.ts`), in its order: a column added there is generated too.
 */
export class SyntheticSource {
  private readonly rowRandom = new RowRandom();
  private readonly otherRandom = new RowRandom();
  private readonly inventRandom = new RowRandom();
  private readonly ctx: RowContext;

  constructor(readonly plan: SyntheticPlan) {
    const other = this.otherRandom;
    this.ctx = {
      plan,
      r: this.rowRandom,
      at: (stream, index) => other.at(plan.seed, stream, index),
    };
  }

  /** The tables in load (foreign key) order. */
  tables(): GeneratedTable[] {
    return sourceTables.map((table) => this.table(table));
  }

  private table(def: SourceTableDef): GeneratedTable {
    const generator = generators.get(def.name);
    if (!generator) {
      throw new GeneratorError(
        `the synthetic generator has no rows for source table ${def.name}; add its generator to app/totesys/generator/tables.ts`,
        { context: { table: def.name } },
      );
    }
    const rows = generator.rows(this.plan);
    const line = this.renderer(def, generator);
    const plan = this.plan;
    return {
      table: def.name,
      columns: sourceColumnNames(def),
      rows,
      *lines() {
        const keys = generator.keys?.(plan) ?? idsUpTo(rows);
        for (const key of keys) yield line(key);
      },
    };
  }

  /**
   * One COPY line per key: the generator's values in the schema's column order, and an
   * invented value for each column the generator does not write.
   */
  private renderer(def: SourceTableDef, generator: TableGenerator): (key: RowKey) => string {
    const { plan, ctx, rowRandom, inventRandom } = this;
    const streams = def.columns.map((c) => inventedStream(def.name, c.name));
    const invent = (index: number, key: RowKey): string => {
      const column = def.columns[index] as ColumnDef;
      const r = inventRandom.at(plan.seed, streams[index] as number, key.id);
      return inventedValue(def.name, column, r) ?? COPY_NULL;
    };
    const line = compileLine(def);
    let checked = false;
    return (key) => {
      rowRandom.at(plan.seed, generator.stream, key.id);
      const row = generator.row(ctx, key);
      if (!checked) {
        checked = true;
        checkColumns(def, row);
      }
      return line(row, key, invent);
    };
  }
}

type LineOf = (row: GeneratedRow, key: RowKey, invent: (index: number, key: RowKey) => string) => string;

/**
 * The function that joins a row's values into its COPY line, compiled once per table with
 * the columns as named property reads: millions of rows go through it, and a read by a
 * computed name costs a third more of the whole generation. Column names come from the
 * schema module and are checked as plain identifiers before they reach the source text.
 */
function compileLine(def: SourceTableDef): LineOf {
  const fields = def.columns.map((c, i) => {
    ident(c.name);
    return `(row.${c.name} ?? invent(${i}, key))`;
  });
  return new Function('row', 'key', 'invent', `return ${fields.join(" + '\\t' + ")} + '\\n';`) as LineOf;
}

/** A generator that writes a column the schema does not have is out of date: say so. */
function checkColumns(def: SourceTableDef, row: GeneratedRow): void {
  const names = new Set(sourceColumnNames(def));
  const unknown = Object.keys(row).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new GeneratorError(
      `the synthetic generator of ${def.name} writes ${unknown.join(', ')}, which the schema module does not define; remove it from app/totesys/generator/tables.ts`,
      { context: { table: def.name, columns: unknown } },
    );
  }
}
