import type { Client } from 'pg';
import type { RowRandom } from '../prng';

/** How a simulated change touched rows of one table. */
export type EffectOp = 'insert' | 'update' | 'delete';

/** A source row's pre-existing keys that a change can draw from, by table. */
export type KnownIds = Readonly<
  Record<'design' | 'staff' | 'counterparty' | 'currency' | 'address', readonly number[]>
>;

/** A parameter of an inserted row: a value, or a value inside an SQL expression. */
export type InsertValue =
  | string
  | number
  | boolean
  | null
  | { readonly sql: (param: string) => string; readonly value: number };

/** What a change kind (`kinds.ts`) is given to do its work. */
export interface ChangeContext {
  readonly client: Client;
  /** The simulation's one generator: every draw is part of the seed's outcome. */
  readonly rng: RowRandom;
  readonly ids: KnownIds;
  /** Payment type ids by name. */
  readonly paymentTypes: ReadonlyMap<string, number>;
  /** Records that this change touched row `key` of `table`. */
  record(table: string, op: EffectOp, bumpsLastUpdated: boolean, key: number): void;
  /**
   * Inserts one row into `table` with `values` by column name (the key and the audit
   * columns come from their defaults); columns of the schema module not given get a value
   * drawn from their type. Returns the listed columns of the new row.
   */
  insert<R extends Record<string, number>>(
    table: string,
    values: Readonly<Record<string, InsertValue>>,
    returning: Readonly<Record<keyof R & string, string>>,
  ): Promise<R>;
}

/** A day `days` from today in totesys's text date format. */
export const daysFromToday = (days: number): InsertValue => ({
  sql: (p) => `to_char(current_date + ${p}::int, 'YYYY-MM-DD')`,
  value: days,
});

/** A money amount of a whole number of cents. */
export const cents = (value: number): InsertValue => ({ sql: (p) => `${p}::numeric / 100`, value });
