import {
  DESIGN_NAMES,
  DISTRICTS,
  FIRST_NAMES,
  LAST_NAMES,
  phoneNumber,
  token,
  UPPER_ALNUM,
} from '../generator/vocabulary';
import { type ChangeContext, cents, daysFromToday, type EffectOp } from './context';

/**
 * One kind of change traffic: how often it happens, which pre-existing rows it may act on,
 * what it records of the row it picked, and its SQL. A kind without `picks` makes new rows
 * and always succeeds; a kind with `picks` is skipped when no row qualifies.
 */
export interface ChangeDef {
  /** Relative frequency, loosely after a trading day of totesys. */
  readonly weight: number;
  /** Edits and deletes: the table and the condition of the rows it acts on. */
  readonly picks?: {
    readonly table: string;
    readonly where?: string;
    /** What happens to the picked row, and whether its `last_updated` moves. */
    readonly op: EffectOp;
    readonly bumpsLastUpdated: boolean;
  };
  /** Makes the change; `id` is the picked row (undefined for kinds without `picks`). */
  make(ctx: ChangeContext, id: number): Promise<void>;
}

/** A day 0–`maxDays` from today. */
const upTo = (ctx: ChangeContext, maxDays: number) => daysFromToday(ctx.rng.int(0, maxDays));

type NewOrder = { id: number; counterparty: number; currency: number };
const ORDER_RETURNING = { counterparty: 'counterparty_id', currency: 'currency_id' } as const;

/** The transaction and the (unpaid) payment of a new order, for its exact value. */
async function settle(
  ctx: ChangeContext,
  type: 'SALE' | 'PURCHASE',
  order: NewOrder,
  amountCents: number,
): Promise<void> {
  const tx = await ctx.insert<{ id: number }>(
    'transaction',
    {
      transaction_type: type,
      sales_order_id: type === 'SALE' ? order.id : null,
      purchase_order_id: type === 'PURCHASE' ? order.id : null,
    },
    { id: 'transaction_id' },
  );
  ctx.record('transaction', 'insert', true, tx.id);
  const paymentType = ctx.paymentTypes.get(type === 'SALE' ? 'SALES_RECEIPT' : 'PURCHASE_PAYMENT');
  const pay = await ctx.insert<{ id: number }>(
    'payment',
    {
      transaction_id: tx.id,
      counterparty_id: order.counterparty,
      payment_amount: cents(amountCents),
      currency_id: order.currency,
      payment_type_id: paymentType ?? 1,
      paid: false,
      payment_date: upTo(ctx, 6),
      company_ac_number: ctx.rng.int(10_000_000, 99_999_999),
      counterparty_ac_number: ctx.rng.int(10_000_000, 99_999_999),
    },
    { id: 'payment_id' },
  );
  ctx.record('payment', 'insert', true, pay.id);
}

/**
 * The kinds of change totesys sees, in the order the plan draws them from. Edits and deletes
 * act only on rows that existed before the simulation, each row touched by one kind only.
 */
export const CHANGES = {
  /** An order with its transaction and payment (new rows). */
  new_sales_order: {
    weight: 30,
    async make(ctx) {
      const { rng, ids } = ctx;
      const units = rng.int(1000, 99_999);
      const price = rng.int(200, 400);
      const order = await ctx.insert<NewOrder>(
        'sales_order',
        {
          design_id: rng.pick(ids.design),
          staff_id: rng.pick(ids.staff),
          counterparty_id: rng.pick(ids.counterparty),
          units_sold: units,
          unit_price: cents(price),
          currency_id: rng.pick(ids.currency),
          agreed_delivery_date: upTo(ctx, 7),
          agreed_payment_date: upTo(ctx, 6),
          agreed_delivery_location_id: rng.pick(ids.address),
        },
        { id: 'sales_order_id', ...ORDER_RETURNING },
      );
      ctx.record('sales_order', 'insert', true, order.id);
      await settle(ctx, 'SALE', order, units * price);
    },
  },
  new_purchase_order: {
    weight: 12,
    async make(ctx) {
      const { rng, ids } = ctx;
      const quantity = rng.int(1, 999);
      const price = rng.int(100, 100_000);
      const code = token(rng, 7, UPPER_ALNUM);
      const order = await ctx.insert<NewOrder>(
        'purchase_order',
        {
          staff_id: rng.pick(ids.staff),
          counterparty_id: rng.pick(ids.counterparty),
          item_code: code,
          item_quantity: quantity,
          item_unit_price: cents(price),
          currency_id: rng.pick(ids.currency),
          agreed_delivery_date: upTo(ctx, 7),
          agreed_payment_date: upTo(ctx, 6),
          agreed_delivery_location_id: rng.pick(ids.address),
        },
        { id: 'purchase_order_id', ...ORDER_RETURNING },
      );
      ctx.record('purchase_order', 'insert', true, order.id);
      await settle(ctx, 'PURCHASE', order, quantity * price);
    },
  },
  /** An unpaid payment becomes paid. */
  payment_paid: {
    weight: 20,
    picks: { table: 'payment', where: 'NOT paid', op: 'update', bumpsLastUpdated: true },
    async make({ client }, id) {
      await client.query(
        'UPDATE payment SET paid = true, last_updated = current_timestamp WHERE payment_id = $1',
        [id],
      );
    },
  },
  /** Units sold change. */
  sales_order_edit: {
    weight: 8,
    picks: { table: 'sales_order', op: 'update', bumpsLastUpdated: true },
    async make({ client, rng }, id) {
      await client.query(
        `UPDATE sales_order SET units_sold = units_sold + $2, last_updated = current_timestamp
          WHERE sales_order_id = $1`,
        [id, rng.int(1, 500)],
      );
    },
  },
  /**
   * A delivery date, design, staff, location or units change WITHOUT touching
   * `last_updated` — what the real data shows.
   */
  sales_order_edit_in_place: {
    weight: 10,
    picks: { table: 'sales_order', op: 'update', bumpsLastUpdated: false },
    async make({ client, rng, ids }, id) {
      const edits = [
        ["agreed_delivery_date = to_char(current_date + $2::int, 'YYYY-MM-DD')", rng.int(1, 60)],
        ['design_id = $2', rng.pick(ids.design)],
        ['staff_id = $2', rng.pick(ids.staff)],
        ['agreed_delivery_location_id = $2', rng.pick(ids.address)],
        ['units_sold = units_sold + $2::int', rng.int(1, 500)],
      ] as const;
      const [assignment, value] = rng.pick(edits);
      // The assignment may leave the row as it was (same design drawn): fall back to units_sold.
      const { rowCount } = await client.query(
        `UPDATE sales_order SET ${assignment} WHERE sales_order_id = $1
            AND (${assignment.replace(' = ', ' IS DISTINCT FROM ')})`,
        [id, value],
      );
      if (!rowCount) {
        await client.query('UPDATE sales_order SET units_sold = units_sold + 1 WHERE sales_order_id = $1', [
          id,
        ]);
      }
    },
  },
  /** A design's file name or name changes, `last_updated` untouched. */
  design_edit_in_place: {
    weight: 5,
    picks: { table: 'design', op: 'update', bumpsLastUpdated: false },
    async make({ client, rng }, id) {
      const name = rng.pick(DESIGN_NAMES);
      const suffix = rng
        .int(0, 36 ** 4 - 1)
        .toString(36)
        .padStart(4, '0');
      const stamp = new Date(Date.UTC(2024, 0, 1) + rng.int(0, 700) * 86_400_000).toISOString().slice(0, 10);
      await client.query('UPDATE design SET design_name = $2, file_name = $3 WHERE design_id = $1', [
        id,
        name,
        `${name.toLowerCase()}-${stamp.replaceAll('-', '')}-${suffix}.json`,
      ]);
    },
  },
  /** Reference data edit (bumps). */
  department_edit: {
    weight: 3,
    picks: { table: 'department', op: 'update', bumpsLastUpdated: true },
    async make({ client, rng }, id) {
      const manager = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)} ${rng.int(1, 999)}`;
      await client.query(
        `UPDATE department SET manager = $2, location = $3, last_updated = current_timestamp
          WHERE department_id = $1`,
        [id, manager, rng.pick(['Manchester', 'Leeds', 'Sheffield', 'Liverpool'])],
      );
    },
  },
  /** Reference data edit (bumps). */
  address_edit: {
    weight: 5,
    picks: { table: 'address', op: 'update', bumpsLastUpdated: true },
    async make({ client, rng }, id) {
      const phone = phoneNumber(rng);
      const district = rng.chance(0.47) ? null : rng.pick(DISTRICTS);
      await client.query(
        'UPDATE address SET phone = $2, district = $3, last_updated = current_timestamp WHERE address_id = $1',
        [id, phone, district],
      );
    },
  },
  /**
   * A sales order is deleted. Nothing else is: its transaction stays and PostgreSQL sets the
   * transaction's `sales_order_id` to NULL (ON DELETE SET NULL), a change that does not touch
   * `last_updated`; the payment keeps pointing at the transaction.
   */
  sales_order_delete: {
    weight: 7,
    picks: { table: 'sales_order', op: 'delete', bumpsLastUpdated: false },
    async make(ctx, id) {
      const { rows } = await ctx.client.query<{ id: number }>(
        'SELECT transaction_id AS id FROM "transaction" WHERE sales_order_id = $1',
        [id],
      );
      await ctx.client.query('DELETE FROM sales_order WHERE sales_order_id = $1', [id]);
      for (const tx of rows) ctx.record('transaction', 'update', false, tx.id);
    },
  },
} satisfies Record<string, ChangeDef>;

/** One kind of simulated change; see {@link CHANGES}. */
export type ChangeKind = keyof typeof CHANGES;

/** Every change kind, in the plan's draw order. */
export const CHANGE_KINDS = Object.keys(CHANGES) as readonly ChangeKind[];

/** The definition of `kind`. */
export const changeDef = (kind: ChangeKind): ChangeDef => CHANGES[kind];
