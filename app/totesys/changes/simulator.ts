import type { Client } from 'pg';
import { ident, sourceTable } from '../../../lambdas/kernel/schema';
import { SimulationError } from '../errors';
import { inventedValue } from '../generator/invented';
import { RowRandom } from '../prng';
import type { ChangeContext, EffectOp, InsertValue, KnownIds } from './context';
import { CHANGE_KINDS, type ChangeKind, changeDef } from './kinds';

/** The rows one kind of change touched in one table, and how. */
export interface SimulatedEffect {
  readonly kind: ChangeKind;
  readonly table: string;
  readonly op: EffectOp;
  /** Whether the rows' `last_updated` moved (always true for inserts: they are new). */
  readonly bumpsLastUpdated: boolean;
  /** Primary keys, ascending, each once. */
  readonly keys: readonly number[];
}

/** What a simulation did. */
export interface SimulationResult {
  /** Changes made, by kind (a change may touch several rows and tables). */
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** Changes that found no row to act on (e.g. no unpaid payment left) and were skipped. */
  readonly skipped: number;
  /** Every row touched, grouped by kind, table and operation. */
  readonly effects: readonly SimulatedEffect[];
}

/** Tables whose pre-existing keys bound the rows edits and deletes may pick. */
const PICKED_TABLES = ['sales_order', 'purchase_order', 'payment', 'design', 'department', 'address'];
/** Columns an insert leaves to their defaults: the audit timestamps. */
const DEFAULTED = new Set(['created_at', 'last_updated']);

/**
 * The state of one simulation: the generator, the keys that existed before it, which kind
 * claimed which row, and every row touched. The kinds themselves are in `kinds.ts`.
 */
export class ChangeSimulator {
  private readonly rng: RowRandom;
  /** Smallest and largest key of each table before the simulation: edits and deletes stay within. */
  private readonly bounds = new Map<string, { lo: number; hi: number }>();
  private readonly claims = new Map<string, Map<number, ChangeKind>>();
  private readonly touched = new Map<string, Set<number>>();
  private readonly counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  private skipped = 0;
  private ids: KnownIds = { design: [], staff: [], counterparty: [], currency: [], address: [] };
  private paymentTypes = new Map<string, number>();

  constructor(
    private readonly client: Client,
    seed: number,
  ) {
    this.rng = new RowRandom().at(seed, 100, 0);
  }

  /** Reads the keys the changes draw from. @throws {SimulationError} when a table they need is empty. */
  async prepare(): Promise<void> {
    for (const name of PICKED_TABLES) {
      const pk = ident(sourceTable(name).primaryKey);
      const { rows } = await this.client.query<{ lo: number | null; hi: number | null }>(
        `SELECT min(${pk}) AS lo, max(${pk}) AS hi FROM ${ident(name)}`,
      );
      this.bounds.set(name, { lo: rows[0]?.lo ?? 0, hi: rows[0]?.hi ?? 0 });
    }
    const ids: Record<string, number[]> = {};
    for (const name of Object.keys(this.ids)) {
      const pk = ident(sourceTable(name).primaryKey);
      const { rows } = await this.client.query<{ id: number }>(
        `SELECT ${pk} AS id FROM ${ident(name)} ORDER BY 1`,
      );
      if (rows.length === 0) {
        throw new SimulationError(`the source table ${name} is empty; seed the source first (totes seed)`, {
          context: { table: name },
        });
      }
      ids[name] = rows.map((r) => r.id);
    }
    this.ids = ids as unknown as KnownIds;
    const { rows } = await this.client.query<{ id: number; name: string }>(
      'SELECT payment_type_id AS id, payment_type_name::text AS name FROM payment_type',
    );
    this.paymentTypes = new Map(rows.map((r) => [r.name, r.id]));
  }

  /** The kinds to apply, in order: one of each first (when there is room), then weighted draws. */
  planKinds(changes: number): ChangeKind[] {
    const plan: ChangeKind[] = changes >= CHANGE_KINDS.length ? [...CHANGE_KINDS] : [];
    const weights = CHANGE_KINDS.map((k) => changeDef(k).weight);
    while (plan.length < changes) plan.push(CHANGE_KINDS[this.rng.weighted(weights)] as ChangeKind);
    return plan;
  }

  /** Makes one change of `kind`, or counts it skipped when no row qualified. */
  async apply(kind: ChangeKind): Promise<void> {
    const def = changeDef(kind);
    const ctx = this.context(kind);
    if (def.picks) {
      const id = await this.pick(kind, def.picks.table, def.picks.where);
      if (id === undefined) {
        this.skipped++;
        return;
      }
      await def.make(ctx, id);
      ctx.record(def.picks.table, def.picks.op, def.picks.bumpsLastUpdated, id);
    } else {
      await def.make(ctx, 0);
    }
    this.counts[kind]++;
  }

  result(): SimulationResult {
    const effects: SimulatedEffect[] = [];
    for (const [key, keys] of this.touched) {
      const [kind, table, op, bump] = key.split('|') as [ChangeKind, string, EffectOp, string];
      effects.push({
        kind,
        table,
        op,
        bumpsLastUpdated: bump === '1',
        keys: [...keys].sort((a, b) => a - b),
      });
    }
    effects.sort((a, b) => a.kind.localeCompare(b.kind) || a.table.localeCompare(b.table));
    return { counts: { ...this.counts }, skipped: this.skipped, effects };
  }

  private context(kind: ChangeKind): ChangeContext {
    return {
      client: this.client,
      rng: this.rng,
      ids: this.ids,
      paymentTypes: this.paymentTypes,
      record: (table, op, bump, key) => {
        const id = `${kind}|${table}|${op}|${bump ? 1 : 0}`;
        const keys = this.touched.get(id) ?? new Set<number>();
        this.touched.set(id, keys);
        keys.add(key);
      },
      insert: (table, values, returning) => this.insert(table, values, returning),
    };
  }

  /**
   * A random pre-existing row of `table` matching `where` that no other kind of change has
   * touched: start at a random key and take the next one up, wrapping around once.
   */
  private async pick(kind: ChangeKind, name: string, where = 'true'): Promise<number | undefined> {
    const { lo, hi } = this.bounds.get(name) ?? { lo: 0, hi: 0 };
    const claims = this.claims.get(name) ?? new Map<number, ChangeKind>();
    this.claims.set(name, claims);
    const pk = ident(sourceTable(name).primaryKey);
    let start = this.rng.int(lo, hi);
    for (let attempt = 0; attempt < 20; attempt++) {
      const { rows } = await this.client.query<{ id: number }>(
        `SELECT ${pk} AS id FROM ${ident(name)}
          WHERE ${pk} >= $1 AND ${pk} <= $2 AND (${where}) ORDER BY ${pk} LIMIT 1`,
        [attempt === 0 ? start : lo, hi],
      );
      const id = rows[0]?.id;
      if (id === undefined) {
        if (start === lo) return undefined;
        start = lo;
        continue;
      }
      const owner = claims.get(id);
      if (owner === undefined || owner === kind) {
        claims.set(id, kind);
        return id;
      }
      start = id + 1;
      if (start > hi) start = lo;
    }
    return undefined;
  }

  /** See {@link ChangeContext.insert}: the columns come from the schema module. */
  private async insert<R extends Record<string, number>>(
    name: string,
    values: Readonly<Record<string, InsertValue>>,
    returning: Readonly<Record<string, string>>,
  ): Promise<R> {
    const table = sourceTable(name);
    const given: [string, InsertValue][] = Object.entries(values);
    for (const column of table.columns) {
      if (column.name === table.primaryKey || DEFAULTED.has(column.name) || column.name in values) continue;
      given.push([column.name, inventedValue(name, column, this.rng)]);
    }
    const params: unknown[] = [];
    const exprs = given.map(([, value]) => {
      if (value !== null && typeof value === 'object') {
        params.push(value.value);
        return value.sql(`$${params.length}`);
      }
      params.push(value);
      return `$${params.length}`;
    });
    const columns = given.map(([column]) => ident(column)).join(', ');
    const out = Object.entries(returning)
      .map(([alias, column]) => `${ident(column)} AS ${ident(alias)}`)
      .join(', ');
    const { rows } = await this.client.query<R>(
      `INSERT INTO ${ident(name)} (${columns}) VALUES (${exprs.join(', ')}) RETURNING ${out}`,
      params,
    );
    return rows[0] as R;
  }
}
