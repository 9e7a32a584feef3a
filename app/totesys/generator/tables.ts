import { copyEscape } from '../copy-text';
import type { RowRandom } from '../prng';
import { dateText, money, COPY_NULL as N, timestamp } from './copy-values';
import {
  DELIVERY_WEIGHTS,
  type OrderCore,
  type OrderRef,
  PAYMENT_WEIGHTS,
  purchaseCore,
  type RowKey,
  salesCore,
  transactionKeys,
} from './orders';
import { BEGINNING, DAY, ORDERS_TO, type SyntheticPlan } from './plan';
import {
  CITIES,
  COUNTRIES,
  CURRENCIES,
  companyName,
  DEPARTMENTS,
  DESIGN_NAMES,
  DISTRICTS,
  FILE_LOCATIONS,
  FIRST_NAMES,
  LAST_NAMES,
  LOWER_ALNUM,
  OFFICES,
  PAYMENT_TYPES,
  phoneNumber,
  STREET_KINDS,
  token,
  UPPER_ALNUM,
} from './vocabulary';

/** One generated row: COPY text of each column it writes, by column name. */
export type GeneratedRow = Readonly<Record<string, string>>;

/** What a table's generator is given for each row. */
export interface RowContext {
  readonly plan: SyntheticPlan;
  /** A generator keyed to (seed, the table's stream, `id`). */
  readonly r: RowRandom;
  /** A fresh generator keyed to (seed, `stream`, `index`): to recompute another table's row. */
  at(stream: number, index: number): RowRandom;
}

/**
 * How one source table is generated: how many rows, in which key order, and each row's
 * values by column name. Columns are matched to the schema module by name, so their order
 * here does not matter, and a schema column missing here is invented from its type
 * (`invented.ts`). Draws happen in the order the statements run: reordering them changes
 * the rows a seed gives, which the bench and the tests rely on.
 */
export interface TableGenerator {
  readonly table: string;
  /** The PRNG stream of the table's rows. */
  readonly stream: number;
  rows(plan: SyntheticPlan): number;
  /** The rows' keys in COPY order, with what each row needs; default ids 1…rows. */
  keys?(plan: SyntheticPlan): Iterable<RowKey>;
  row(ctx: RowContext, key: RowKey): GeneratedRow;
}

/** Streams of the order tables, which other tables' rows recompute. */
const SALES = 6;
const PURCHASE = 7;

/** When the reference tables' rows were created (and last updated). */
const AT_BEGINNING = timestamp(BEGINNING);
const AT_STAFFING = timestamp(BEGINNING + 1601);

/** The order a transaction or payment settles (its keys come from `transactionKeys`). */
const settled = (key: RowKey): OrderRef => key.order ?? { kind: 'SALE', id: key.id };

/** The core of the order a transaction or payment settles. */
const orderOf = (ctx: RowContext, order: OrderRef): OrderCore =>
  order.kind === 'SALE'
    ? salesCore(ctx.plan, ctx.at(SALES, order.id), order.id)
    : purchaseCore(ctx.plan, ctx.at(PURCHASE, order.id), order.id);

/** Every source table's generator, by table name. */
export const TABLE_GENERATORS: readonly TableGenerator[] = [
  {
    table: 'address',
    stream: 1,
    rows: (p) => p.addresses,
    row: ({ r }, { id }) => {
      const line1 = `${r.int(1, 9999)} ${r.pick(LAST_NAMES)} ${r.pick(STREET_KINDS)}`;
      const line2 = r.chance(2 / 3) ? N : `${r.pick(LAST_NAMES)} ${r.pick(STREET_KINDS)}`;
      const district = r.chance(0.47) ? N : r.pick(DISTRICTS);
      const postal = r.chance(0.5) ? `${r.int(10000, 99999)}` : `${r.int(10000, 99999)}-${r.int(1000, 9999)}`;
      const phone = phoneNumber(r);
      const city = r.pick(CITIES);
      const country = r.pick(COUNTRIES);
      return {
        address_id: `${id}`,
        address_line_1: line1,
        address_line_2: line2,
        district,
        city,
        postal_code: postal,
        country,
        phone,
        created_at: AT_BEGINNING,
        last_updated: AT_BEGINNING,
      };
    },
  },
  {
    table: 'counterparty',
    stream: 2,
    rows: (p) => p.counterparties,
    row: ({ r, plan }, { id }) => {
      const name = companyName(r);
      const address = r.int(1, plan.addresses);
      const commercial = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
      const delivery = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
      return {
        counterparty_id: `${id}`,
        counterparty_legal_name: copyEscape(name),
        legal_address_id: `${address}`,
        commercial_contact: commercial,
        delivery_contact: delivery,
        created_at: AT_STAFFING,
        last_updated: AT_STAFFING,
      };
    },
  },
  {
    table: 'currency',
    stream: 0,
    rows: () => CURRENCIES.length,
    row: (_, { id }) => ({
      currency_id: `${id}`,
      currency_code: CURRENCIES[id - 1] as string,
      created_at: AT_BEGINNING,
      last_updated: AT_BEGINNING,
    }),
  },
  {
    table: 'department',
    stream: 3,
    rows: () => DEPARTMENTS.length,
    row: ({ r }, { id }) => {
      const manager = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
      return {
        department_id: `${id}`,
        department_name: DEPARTMENTS[id - 1] as string,
        location: r.pick(OFFICES),
        manager,
        created_at: AT_BEGINNING,
        last_updated: AT_BEGINNING,
      };
    },
  },
  {
    table: 'design',
    stream: 4,
    rows: (p) => p.designs,
    row: ({ r, plan }, { id }) => {
      // The first designs exist from the start; the rest arrive over the two years.
      const fraction = id <= 10 ? 0 : (id - 10) / Math.max(1, plan.designs - 10);
      const at = BEGINNING + Math.floor((ORDERS_TO - BEGINNING) * fraction) + r.int(0, 999);
      const name = r.pick(DESIGN_NAMES);
      const file = `${name.toLowerCase()}-${dateText(BEGINNING - r.int(0, 400) * DAY).replaceAll('-', '')}-${token(r, 4, LOWER_ALNUM)}.json`;
      const t = timestamp(at);
      return {
        design_id: `${id}`,
        design_name: name,
        file_location: r.pick(FILE_LOCATIONS),
        file_name: file,
        created_at: t,
        last_updated: t,
      };
    },
  },
  {
    table: 'payment_type',
    stream: 0,
    rows: () => PAYMENT_TYPES.length,
    row: (_, { id }) => ({
      payment_type_id: `${id}`,
      payment_type_name: PAYMENT_TYPES[id - 1] as string,
      created_at: AT_BEGINNING,
      last_updated: AT_BEGINNING,
    }),
  },
  {
    table: 'staff',
    stream: 5,
    rows: (p) => p.staff,
    row: ({ r }, { id }) => {
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      return {
        staff_id: `${id}`,
        first_name: first,
        last_name: last,
        email_address: `${first}.${last}@terrifictotes.com`.toLowerCase(),
        department_id: `${r.int(1, DEPARTMENTS.length)}`,
        created_at: AT_STAFFING,
        last_updated: AT_STAFFING,
      };
    },
  },
  {
    table: 'sales_order',
    stream: SALES,
    rows: (p) => p.salesOrders,
    row: ({ r, plan }, { id }) => {
      const o = salesCore(plan, r, id);
      const design = r.int(1, plan.designs);
      const staff = r.int(1, plan.staff);
      const delivery = dateText(o.createdMs + r.weighted(DELIVERY_WEIGHTS) * DAY);
      const payment = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
      const location = r.int(1, plan.addresses);
      const t = timestamp(o.createdMs);
      return {
        sales_order_id: `${id}`,
        created_at: t,
        last_updated: t,
        design_id: `${design}`,
        staff_id: `${staff}`,
        counterparty_id: `${o.counterpartyId}`,
        units_sold: `${o.units}`,
        unit_price: money(o.priceCents),
        currency_id: `${o.currencyId}`,
        agreed_delivery_date: delivery,
        agreed_payment_date: payment,
        agreed_delivery_location_id: `${location}`,
      };
    },
  },
  {
    table: 'purchase_order',
    stream: PURCHASE,
    rows: (p) => p.purchaseOrders,
    row: ({ r, plan }, { id }) => {
      const o = purchaseCore(plan, r, id);
      const staff = r.int(1, plan.staff);
      const item = token(r, 7, UPPER_ALNUM);
      const delivery = dateText(o.createdMs + r.weighted(DELIVERY_WEIGHTS) * DAY);
      const payment = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
      const location = r.int(1, plan.addresses);
      const t = timestamp(o.createdMs);
      return {
        purchase_order_id: `${id}`,
        created_at: t,
        last_updated: t,
        staff_id: `${staff}`,
        counterparty_id: `${o.counterpartyId}`,
        item_code: item,
        item_quantity: `${o.quantity}`,
        item_unit_price: money(o.priceCents),
        currency_id: `${o.currencyId}`,
        agreed_delivery_date: delivery,
        agreed_payment_date: payment,
        agreed_delivery_location_id: `${location}`,
      };
    },
  },
  {
    table: 'transaction',
    stream: 0,
    rows: (p) => p.transactions,
    keys: transactionKeys,
    row: (ctx, key) => {
      const order = settled(key);
      const t = timestamp(orderOf(ctx, order).createdMs);
      return {
        transaction_id: `${key.id}`,
        transaction_type: order.kind,
        sales_order_id: order.kind === 'SALE' ? `${order.id}` : N,
        purchase_order_id: order.kind === 'PURCHASE' ? `${order.id}` : N,
        created_at: t,
        last_updated: t,
      };
    },
  },
  {
    table: 'payment',
    stream: 8,
    rows: (p) => p.transactions,
    keys: transactionKeys,
    row: (ctx, key) => {
      const order = settled(key);
      const o = orderOf(ctx, order);
      const r = ctx.r;
      const paid = r.chance(0.61);
      // A payment is created with its order; marking it paid (0–5 days on) bumps last_updated.
      const updatedMs = paid ? o.createdMs + r.int(60_000, 5 * DAY) : o.createdMs;
      const paymentDate = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
      const company = r.int(10_000_000, 99_999_999);
      const counterparty = r.int(10_000_000, 99_999_999);
      return {
        payment_id: `${key.id}`,
        created_at: timestamp(o.createdMs),
        last_updated: timestamp(updatedMs),
        transaction_id: `${key.id}`,
        counterparty_id: `${o.counterpartyId}`,
        payment_amount: money(o.amountCents),
        currency_id: `${o.currencyId}`,
        payment_type_id: order.kind === 'SALE' ? '1' : '3',
        paid: paid ? 't' : 'f',
        payment_date: paymentDate,
        company_ac_number: `${company}`,
        counterparty_ac_number: `${counterparty}`,
      };
    },
  },
];
