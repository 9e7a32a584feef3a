import type { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';
import { ident, type SourceTableDef, sourceTable } from '../../lambdas/kernel/schema';
import { SimulationError } from './errors';
import { RowRandom } from './prng';
import { inTransaction } from './seed';
import { DESIGN_NAMES, DISTRICTS, FIRST_NAMES, LAST_NAMES } from './synthetic-rows';

/**
 * The kinds of change traffic totesys sees, each with what it does to `last_updated`:
 * - `new_sales_order`, `new_purchase_order`: an order with its transaction and payment (new rows).
 * - `payment_paid`: an unpaid payment becomes paid (bumps `last_updated`).
 * - `sales_order_edit`: units sold change (bumps).
 * - `sales_order_edit_in_place`: a delivery date, design, staff, location or units change
 *   WITHOUT touching `last_updated` — what the real data shows.
 * - `design_edit_in_place`: a design's file name or name changes, `last_updated` untouched.
 * - `department_edit`, `address_edit`: reference data edits (bump).
 * - `sales_order_delete`: a sales order is deleted; PostgreSQL sets its transaction's
 *   `sales_order_id` to NULL (ON DELETE SET NULL), without touching `last_updated`.
 */
export const CHANGE_KINDS = [
  'new_sales_order',
  'new_purchase_order',
  'payment_paid',
  'sales_order_edit',
  'sales_order_edit_in_place',
  'design_edit_in_place',
  'department_edit',
  'address_edit',
  'sales_order_delete',
] as const;

/** One kind of simulated change; see {@link CHANGE_KINDS}. */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Relative frequency of each kind, loosely after a trading day of totesys. */
const KIND_WEIGHTS: Readonly<Record<ChangeKind, number>> = {
  new_sales_order: 30,
  new_purchase_order: 12,
  payment_paid: 20,
  sales_order_edit: 8,
  sales_order_edit_in_place: 10,
  design_edit_in_place: 5,
  department_edit: 3,
  address_edit: 5,
  sales_order_delete: 7,
};

/** The rows one kind of change touched in one table, and how. */
export interface SimulatedEffect {
  readonly kind: ChangeKind;
  readonly table: string;
  readonly op: 'insert' | 'update' | 'delete';
  /** Whether the rows' `last_updated` moved (always true for inserts: they are new). */
  readonly bumpsLastUpdated: boolean;
  /** Primary keys, ascending, each once. */
  readonly keys: readonly number[];
}

/** What {@link simulateChanges} did. */
export interface SimulationResult {
  /** Changes made, by kind (a change may touch several rows and tables). */
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** Changes that found no row to act on (e.g. no unpaid payment left) and were skipped. */
  readonly skipped: number;
  /** Every row touched, grouped by kind, table and operation. */
  readonly effects: readonly SimulatedEffect[];
}

/** Options of {@link simulateChanges}. */
export interface SimulateOptions {
  /** Number of changes to make. */
  readonly changes: number;
  /** PRNG seed: the same seed on the same source state makes the same changes. @default 1 */
  readonly seed?: number;
  /** Number of database transactions the changes are spread over. @default 1 */
  readonly transactions?: number;
  readonly log?: Log;
}

/**
 * Makes realistic change traffic on a seeded totesys source and reports exactly which rows
 * it touched, so tests can assert that the pipeline captured each of them.
 *
 * Edits and deletes act only on rows that existed before the call, and a row is touched by
 * one kind of change only (a sales order is edited or deleted, not both), so every key
 * appears in exactly one effect of its table and the net change of each row is unambiguous.
 * Timestamps come from the database (`current_timestamp`), as in totesys itself. When
 * `changes` is at least the number of kinds, every kind happens at least once.
 *
 * @throws {SimulationError} when the source has no orders to work on (seed it first).
 * @example
 * const result = await simulateChanges(client, { changes: 200, seed: 7 });
 * result.effects.filter((e) => e.table === 'sales_order' && e.op === 'delete');
 */
export async function simulateChanges(client: Client, options: SimulateOptions): Promise<SimulationResult> {
  if (!Number.isInteger(options.changes) || options.changes < 0) {
    throw new SimulationError(`the number of changes must be a whole number, not ${options.changes}`);
  }
  const batches = Math.max(1, Math.min(options.transactions ?? 1, Math.max(1, options.changes)));
  const simulator = new ChangeSimulator(client, options.seed ?? 1);
  await simulator.prepare();
  const plan = simulator.planKinds(options.changes);
  for (let b = 0; b < batches; b++) {
    const slice = plan.slice(
      Math.floor((plan.length * b) / batches),
      Math.floor((plan.length * (b + 1)) / batches),
    );
    await inTransaction(client, async () => {
      for (const kind of slice) await simulator.apply(kind);
    });
  }
  const result = simulator.result();
  options.log?.info('simulated changes', { counts: result.counts, skipped: result.skipped });
  return result;
}

class ChangeSimulator {
  private readonly rng: RowRandom;
  /** Largest key of each table before the simulation: edits and deletes stay at or below it. */
  private readonly maxBefore = new Map<string, number>();
  private readonly minBefore = new Map<string, number>();
  private readonly claims = new Map<string, Map<number, ChangeKind>>();
  private readonly touched = new Map<string, Set<number>>();
  private readonly counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  private skipped = 0;
  private ids: Record<'design' | 'staff' | 'counterparty' | 'currency' | 'address', number[]> = {
    design: [],
    staff: [],
    counterparty: [],
    currency: [],
    address: [],
  };
  private paymentTypes = new Map<string, number>();

  constructor(
    private readonly client: Client,
    seed: number,
  ) {
    this.rng = new RowRandom().at(seed, 100, 0);
  }

  async prepare(): Promise<void> {
    for (const name of ['sales_order', 'purchase_order', 'payment', 'design', 'department', 'address']) {
      const table = sourceTable(name);
      const pk = ident(table.primaryKey);
      const { rows } = await this.client.query<{ lo: number | null; hi: number | null }>(
        `SELECT min(${pk}) AS lo, max(${pk}) AS hi FROM ${ident(name)}`,
      );
      this.minBefore.set(name, rows[0]?.lo ?? 0);
      this.maxBefore.set(name, rows[0]?.hi ?? 0);
    }
    for (const name of Object.keys(this.ids) as (keyof typeof this.ids)[]) {
      const pk = ident(sourceTable(name).primaryKey);
      const { rows } = await this.client.query<{ id: number }>(
        `SELECT ${pk} AS id FROM ${ident(name)} ORDER BY 1`,
      );
      this.ids[name] = rows.map((r) => r.id);
      if (rows.length === 0) {
        throw new SimulationError(`the source table ${name} is empty; seed the source first (totes seed)`, {
          context: { table: name },
        });
      }
    }
    const { rows } = await this.client.query<{ id: number; name: string }>(
      'SELECT payment_type_id AS id, payment_type_name::text AS name FROM payment_type',
    );
    this.paymentTypes = new Map(rows.map((r) => [r.name, r.id]));
  }

  /** The kinds to apply, in order: one of each first (when there is room), then weighted draws. */
  planKinds(changes: number): ChangeKind[] {
    const plan: ChangeKind[] = changes >= CHANGE_KINDS.length ? [...CHANGE_KINDS] : [];
    const weights = CHANGE_KINDS.map((k) => KIND_WEIGHTS[k]);
    while (plan.length < changes) plan.push(CHANGE_KINDS[this.rng.weighted(weights)] as ChangeKind);
    return plan;
  }

  async apply(kind: ChangeKind): Promise<void> {
    const done = await this.change(kind);
    if (!done) this.skipped++;
    else this.counts[kind]++;
  }

  /** Makes one change of `kind`; false when no row qualified. */
  private change(kind: ChangeKind): Promise<boolean> {
    switch (kind) {
      case 'new_sales_order':
        return this.newSalesOrder();
      case 'new_purchase_order':
        return this.newPurchaseOrder();
      case 'payment_paid':
        return this.paymentPaid();
      case 'sales_order_edit':
        return this.salesOrderEdit();
      case 'sales_order_edit_in_place':
        return this.salesOrderEditInPlace();
      case 'design_edit_in_place':
        return this.designEditInPlace();
      case 'department_edit':
        return this.departmentEdit();
      case 'address_edit':
        return this.addressEdit();
      case 'sales_order_delete':
        return this.salesOrderDelete();
    }
  }

  result(): SimulationResult {
    const effects: SimulatedEffect[] = [];
    for (const [key, keys] of this.touched) {
      const [kind, table, op, bump] = key.split('|') as [ChangeKind, string, SimulatedEffect['op'], string];
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

  private record(
    kind: ChangeKind,
    table: string,
    op: SimulatedEffect['op'],
    bump: boolean,
    key: number,
  ): void {
    const id = `${kind}|${table}|${op}|${bump ? 1 : 0}`;
    const keys = this.touched.get(id) ?? new Set<number>();
    this.touched.set(id, keys);
    keys.add(key);
  }

  /**
   * A random pre-existing row of `table` matching `where` that no other kind of change has
   * touched: start at a random key and take the next one up, wrapping around once.
   */
  private async pick(kind: ChangeKind, table: SourceTableDef, where = 'true'): Promise<number | undefined> {
    const lo = this.minBefore.get(table.name) ?? 0;
    const hi = this.maxBefore.get(table.name) ?? 0;
    const claims = this.claims.get(table.name) ?? new Map<number, ChangeKind>();
    this.claims.set(table.name, claims);
    const pk = ident(table.primaryKey);
    let start = this.rng.int(lo, hi);
    for (let attempt = 0; attempt < 20; attempt++) {
      const { rows } = await this.client.query<{ id: number }>(
        `SELECT ${pk} AS id FROM ${ident(table.name)}
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

  private futureDate(maxDays: number): string {
    return String(this.rng.int(0, maxDays));
  }

  private async newSalesOrder(): Promise<boolean> {
    const units = this.rng.int(1000, 99_999);
    const cents = this.rng.int(200, 400);
    const { rows } = await this.client.query<{ id: number; counterparty: number; currency: number }>(
      `INSERT INTO sales_order (design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id,
                                agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       VALUES ($1, $2, $3, $4, $5::numeric / 100, $6,
               to_char(current_date + $7::int, 'YYYY-MM-DD'), to_char(current_date + $8::int, 'YYYY-MM-DD'), $9)
       RETURNING sales_order_id AS id, counterparty_id AS counterparty, currency_id AS currency`,
      [
        this.rng.pick(this.ids.design),
        this.rng.pick(this.ids.staff),
        this.rng.pick(this.ids.counterparty),
        units,
        cents,
        this.rng.pick(this.ids.currency),
        this.futureDate(7),
        this.futureDate(6),
        this.rng.pick(this.ids.address),
      ],
    );
    const order = rows[0] as { id: number; counterparty: number; currency: number };
    this.record('new_sales_order', 'sales_order', 'insert', true, order.id);
    await this.settle('new_sales_order', 'SALE', order, units * cents);
    return true;
  }

  private async newPurchaseOrder(): Promise<boolean> {
    const quantity = this.rng.int(1, 999);
    const cents = this.rng.int(100, 100_000);
    let code = '';
    for (let i = 0; i < 7; i++) code += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.charAt(this.rng.int(0, 35));
    const { rows } = await this.client.query<{ id: number; counterparty: number; currency: number }>(
      `INSERT INTO purchase_order (staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id,
                                   agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       VALUES ($1, $2, $3, $4, $5::numeric / 100, $6,
               to_char(current_date + $7::int, 'YYYY-MM-DD'), to_char(current_date + $8::int, 'YYYY-MM-DD'), $9)
       RETURNING purchase_order_id AS id, counterparty_id AS counterparty, currency_id AS currency`,
      [
        this.rng.pick(this.ids.staff),
        this.rng.pick(this.ids.counterparty),
        code,
        quantity,
        cents,
        this.rng.pick(this.ids.currency),
        this.futureDate(7),
        this.futureDate(6),
        this.rng.pick(this.ids.address),
      ],
    );
    const order = rows[0] as { id: number; counterparty: number; currency: number };
    this.record('new_purchase_order', 'purchase_order', 'insert', true, order.id);
    await this.settle('new_purchase_order', 'PURCHASE', order, quantity * cents);
    return true;
  }

  /** The transaction and the (unpaid) payment of a new order, for its exact value. */
  private async settle(
    kind: ChangeKind,
    type: 'SALE' | 'PURCHASE',
    order: { id: number; counterparty: number; currency: number },
    amountCents: number,
  ): Promise<void> {
    const tx = await this.client.query<{ id: number }>(
      `INSERT INTO "transaction" (transaction_type, sales_order_id, purchase_order_id)
       VALUES ($1, $2, $3) RETURNING transaction_id AS id`,
      [type, type === 'SALE' ? order.id : null, type === 'PURCHASE' ? order.id : null],
    );
    const transactionId = tx.rows[0]?.id as number;
    this.record(kind, 'transaction', 'insert', true, transactionId);
    const paymentType = this.paymentTypes.get(type === 'SALE' ? 'SALES_RECEIPT' : 'PURCHASE_PAYMENT');
    const pay = await this.client.query<{ id: number }>(
      `INSERT INTO payment (transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid,
                            payment_date, company_ac_number, counterparty_ac_number)
       VALUES ($1, $2, $3::numeric / 100, $4, $5, false, to_char(current_date + $6::int, 'YYYY-MM-DD'), $7, $8)
       RETURNING payment_id AS id`,
      [
        transactionId,
        order.counterparty,
        amountCents,
        order.currency,
        paymentType ?? 1,
        this.futureDate(6),
        this.rng.int(10_000_000, 99_999_999),
        this.rng.int(10_000_000, 99_999_999),
      ],
    );
    this.record(kind, 'payment', 'insert', true, pay.rows[0]?.id as number);
  }

  private async paymentPaid(): Promise<boolean> {
    const id = await this.pick('payment_paid', sourceTable('payment'), 'NOT paid');
    if (id === undefined) return false;
    await this.client.query(
      'UPDATE payment SET paid = true, last_updated = current_timestamp WHERE payment_id = $1',
      [id],
    );
    this.record('payment_paid', 'payment', 'update', true, id);
    return true;
  }

  private async salesOrderEdit(): Promise<boolean> {
    const id = await this.pick('sales_order_edit', sourceTable('sales_order'));
    if (id === undefined) return false;
    await this.client.query(
      `UPDATE sales_order SET units_sold = units_sold + $2, last_updated = current_timestamp
        WHERE sales_order_id = $1`,
      [id, this.rng.int(1, 500)],
    );
    this.record('sales_order_edit', 'sales_order', 'update', true, id);
    return true;
  }

  /** Edits the way the real data does: the value changes, `last_updated` stays put. */
  private async salesOrderEditInPlace(): Promise<boolean> {
    const id = await this.pick('sales_order_edit_in_place', sourceTable('sales_order'));
    if (id === undefined) return false;
    const edits = [
      ["agreed_delivery_date = to_char(current_date + $2::int, 'YYYY-MM-DD')", this.rng.int(1, 60)],
      ['design_id = $2', this.rng.pick(this.ids.design)],
      ['staff_id = $2', this.rng.pick(this.ids.staff)],
      ['agreed_delivery_location_id = $2', this.rng.pick(this.ids.address)],
      ['units_sold = units_sold + $2::int', this.rng.int(1, 500)],
    ] as const;
    const [assignment, value] = this.rng.pick(edits);
    // The assignment may leave the row as it was (same design drawn): fall back to units_sold.
    const { rowCount } = await this.client.query(
      `UPDATE sales_order SET ${assignment} WHERE sales_order_id = $1
          AND (${assignment.replace(' = ', ' IS DISTINCT FROM ')})`,
      [id, value],
    );
    if (!rowCount) {
      await this.client.query(
        'UPDATE sales_order SET units_sold = units_sold + 1 WHERE sales_order_id = $1',
        [id],
      );
    }
    this.record('sales_order_edit_in_place', 'sales_order', 'update', false, id);
    return true;
  }

  private async designEditInPlace(): Promise<boolean> {
    const id = await this.pick('design_edit_in_place', sourceTable('design'));
    if (id === undefined) return false;
    const name = this.rng.pick(DESIGN_NAMES);
    const suffix = this.rng
      .int(0, 36 ** 4 - 1)
      .toString(36)
      .padStart(4, '0');
    const stamp = new Date(Date.UTC(2024, 0, 1) + this.rng.int(0, 700) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await this.client.query('UPDATE design SET design_name = $2, file_name = $3 WHERE design_id = $1', [
      id,
      name,
      `${name.toLowerCase()}-${stamp.replaceAll('-', '')}-${suffix}.json`,
    ]);
    this.record('design_edit_in_place', 'design', 'update', false, id);
    return true;
  }

  private async departmentEdit(): Promise<boolean> {
    const id = await this.pick('department_edit', sourceTable('department'));
    if (id === undefined) return false;
    const manager = `${this.rng.pick(FIRST_NAMES)} ${this.rng.pick(LAST_NAMES)} ${this.rng.int(1, 999)}`;
    await this.client.query(
      `UPDATE department SET manager = $2, location = $3, last_updated = current_timestamp
        WHERE department_id = $1`,
      [id, manager, this.rng.pick(['Manchester', 'Leeds', 'Sheffield', 'Liverpool'])],
    );
    this.record('department_edit', 'department', 'update', true, id);
    return true;
  }

  private async addressEdit(): Promise<boolean> {
    const id = await this.pick('address_edit', sourceTable('address'));
    if (id === undefined) return false;
    const phone = `${String(this.rng.int(0, 9999)).padStart(4, '0')} ${String(this.rng.int(0, 999_999)).padStart(6, '0')}`;
    const district = this.rng.chance(0.47) ? null : this.rng.pick(DISTRICTS);
    await this.client.query(
      'UPDATE address SET phone = $2, district = $3, last_updated = current_timestamp WHERE address_id = $1',
      [id, phone, district],
    );
    this.record('address_edit', 'address', 'update', true, id);
    return true;
  }

  /**
   * Deletes a sales order. Nothing else is deleted: its transaction stays and PostgreSQL
   * sets the transaction's `sales_order_id` to NULL (ON DELETE SET NULL), a change that does
   * not touch `last_updated`; the payment keeps pointing at the transaction.
   */
  private async salesOrderDelete(): Promise<boolean> {
    const id = await this.pick('sales_order_delete', sourceTable('sales_order'));
    if (id === undefined) return false;
    const { rows } = await this.client.query<{ id: number }>(
      'SELECT transaction_id AS id FROM "transaction" WHERE sales_order_id = $1',
      [id],
    );
    await this.client.query('DELETE FROM sales_order WHERE sales_order_id = $1', [id]);
    this.record('sales_order_delete', 'sales_order', 'delete', false, id);
    for (const tx of rows) this.record('sales_order_delete', 'transaction', 'update', false, tx.id);
    return true;
  }
}
