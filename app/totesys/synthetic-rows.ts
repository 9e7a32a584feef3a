import { sourceColumnNames, sourceTable } from '../../lambdas/kernel/schema';
import { copyEscape } from './copy-text';
import { RowRandom } from './prng';

/*
 * Row generators for a synthetic totesys with the shape of the real exports
 * (shared/totesys-data, Nov 2024): per sales order ≈ 0.4156 purchase orders, one transaction
 * per order, one payment per transaction settling the order's exact value; 30 addresses,
 * 20 counterparties, 3 currencies, 8 departments, 4 payment types, 20 staff, ~470 designs.
 * Every row is a pure function of (seed, table, id), so tables are generated one after the
 * other, streaming, with nothing kept in memory.
 */

/** Purchase orders per sales order, as the integer ratio PURCHASES_NUM / PURCHASES_DEN. */
const PURCHASES_NUM = 4156;
const PURCHASES_DEN = 10_000;

/** First and last order creation time of the real data (UTC). */
export const ORDERS_FROM = Date.UTC(2022, 10, 3, 14, 20, 52, 186);
export const ORDERS_TO = Date.UTC(2024, 10, 15, 14, 40, 10, 188);
/** When the reference tables were created. */
const BEGINNING = Date.UTC(2022, 10, 3, 14, 20, 49, 962);
const DAY = 86_400_000;

const STREAM = {
  address: 1,
  counterparty: 2,
  department: 3,
  design: 4,
  staff: 5,
  sales: 6,
  purchase: 7,
  payment: 8,
} as const;

/** Sizes of a synthetic source of `scale` sales orders. */
export interface SyntheticPlan {
  readonly seed: number;
  readonly salesOrders: number;
  readonly purchaseOrders: number;
  readonly transactions: number;
  readonly designs: number;
  readonly addresses: number;
  readonly counterparties: number;
  readonly staff: number;
}

/** The sizes for `scale` sales orders; designs grow mildly (fourth root) with the scale. */
export function syntheticPlan(scale: number, seed: number): SyntheticPlan {
  const purchaseOrders = purchasesUpTo(scale);
  return {
    seed,
    salesOrders: scale,
    purchaseOrders,
    transactions: scale + purchaseOrders,
    designs: Math.max(5, Math.round(470 * (scale / 11_187) ** 0.25)),
    addresses: 30,
    counterparties: 20,
    staff: 20,
  };
}

/** Purchase orders placed up to (and right after) sales order `i`. */
function purchasesUpTo(i: number): number {
  return Math.floor((i * PURCHASES_NUM) / PURCHASES_DEN);
}

/** The sales order a purchase order `j` is placed right after (they share its creation batch). */
function saleBefore(j: number): number {
  return Math.ceil((j * PURCHASES_DEN) / PURCHASES_NUM);
}

/** A rendered table: the columns of its COPY and its rows as COPY text lines. */
export interface GeneratedTable {
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: number;
  lines(): Iterable<string>;
}

const N = '\\N';

function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function money(cents: number): string {
  const rest = cents % 100;
  return `${Math.floor(cents / 100)}.${rest < 10 ? '0' : ''}${rest}`;
}

/** Delivery 0–7 days after the order, payment 0–6: the real spread, ends half as likely. */
const DELIVERY_WEIGHTS = [0.4, 1, 1, 1, 1, 1, 1, 0.55];
const PAYMENT_WEIGHTS = [0.45, 1, 1, 1, 1, 1, 0.6];

/** The values of one order that its transaction and payment repeat. */
interface OrderCore {
  readonly createdMs: number;
  readonly counterpartyId: number;
  readonly currencyId: number;
  readonly amountCents: number;
}

/** Generates every table of a synthetic source for a plan. */
export class SyntheticSource {
  private readonly rng = new RowRandom();

  constructor(readonly plan: SyntheticPlan) {}

  /** The tables in load (foreign key) order. */
  tables(): GeneratedTable[] {
    const p = this.plan;
    return [
      this.table('address', ADDRESS_COLUMNS, p.addresses, (i) => this.address(i)),
      this.table('counterparty', COUNTERPARTY_COLUMNS, p.counterparties, (i) => this.counterparty(i)),
      this.table('currency', CURRENCY_COLUMNS, CURRENCIES.length, (i) => this.currency(i)),
      this.table('department', DEPARTMENT_COLUMNS, DEPARTMENTS.length, (i) => this.department(i)),
      this.table('design', DESIGN_COLUMNS, p.designs, (i) => this.design(i)),
      this.table('payment_type', PAYMENT_TYPE_COLUMNS, PAYMENT_TYPES.length, (i) => this.paymentType(i)),
      this.table('staff', STAFF_COLUMNS, p.staff, (i) => this.staffMember(i)),
      this.table('sales_order', SALES_ORDER_COLUMNS, p.salesOrders, (i) => this.salesOrder(i)),
      this.table('purchase_order', PURCHASE_ORDER_COLUMNS, p.purchaseOrders, (i) => this.purchaseOrder(i)),
      {
        table: 'transaction',
        columns: TRANSACTION_COLUMNS,
        rows: p.transactions,
        lines: () => this.inTransactionOrder((id, kind, orderId) => this.transaction(id, kind, orderId)),
      },
      {
        table: 'payment',
        columns: PAYMENT_COLUMNS,
        rows: p.transactions,
        lines: () => this.inTransactionOrder((id, kind, orderId) => this.payment(id, kind, orderId)),
      },
    ];
  }

  private table(
    table: string,
    columns: readonly string[],
    rows: number,
    line: (id: number) => string,
  ): GeneratedTable {
    return {
      table,
      columns,
      rows,
      *lines() {
        for (let id = 1; id <= rows; id++) yield line(id);
      },
    };
  }

  /**
   * Walks the transactions in id order: each sales order, then the purchase orders placed
   * in its batch, the way the real ids interleave.
   */
  private *inTransactionOrder(
    line: (id: number, kind: 'SALE' | 'PURCHASE', orderId: number) => string,
  ): Generator<string> {
    let id = 0;
    for (let sale = 1; sale <= this.plan.salesOrders; sale++) {
      yield line(++id, 'SALE', sale);
      for (let j = purchasesUpTo(sale - 1) + 1; j <= purchasesUpTo(sale); j++)
        yield line(++id, 'PURCHASE', j);
    }
  }

  private batchTime(sale: number): number {
    return (
      ORDERS_FROM +
      Math.floor(((ORDERS_TO - ORDERS_FROM) * (sale - 1)) / Math.max(1, this.plan.salesOrders - 1))
    );
  }

  private address(id: number): string {
    const r = this.rng.at(this.plan.seed, STREAM.address, id);
    const line1 = `${r.int(1, 9999)} ${r.pick(LAST_NAMES)} ${r.pick(STREET_KINDS)}`;
    const line2 = r.chance(2 / 3) ? N : `${r.pick(LAST_NAMES)} ${r.pick(STREET_KINDS)}`;
    const district = r.chance(0.47) ? N : r.pick(DISTRICTS);
    const postal = r.chance(0.5) ? `${r.int(10000, 99999)}` : `${r.int(10000, 99999)}-${r.int(1000, 9999)}`;
    const phone = `${String(r.int(0, 9999)).padStart(4, '0')} ${String(r.int(0, 999999)).padStart(6, '0')}`;
    const t = timestamp(BEGINNING);
    return `${id}\t${line1}\t${line2}\t${district}\t${r.pick(CITIES)}\t${postal}\t${r.pick(COUNTRIES)}\t${phone}\t${t}\t${t}\n`;
  }

  private counterparty(id: number): string {
    const r = this.rng.at(this.plan.seed, STREAM.counterparty, id);
    const name = companyName(r);
    const address = r.int(1, this.plan.addresses);
    const commercial = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
    const delivery = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
    const t = timestamp(BEGINNING + 1601);
    return `${id}\t${copyEscape(name)}\t${address}\t${commercial}\t${delivery}\t${t}\t${t}\n`;
  }

  private currency(id: number): string {
    const t = timestamp(BEGINNING);
    return `${id}\t${CURRENCIES[id - 1]}\t${t}\t${t}\n`;
  }

  private department(id: number): string {
    const r = this.rng.at(this.plan.seed, STREAM.department, id);
    const t = timestamp(BEGINNING);
    const manager = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
    return `${id}\t${DEPARTMENTS[id - 1]}\t${r.pick(OFFICES)}\t${manager}\t${t}\t${t}\n`;
  }

  private design(id: number): string {
    const r = this.rng.at(this.plan.seed, STREAM.design, id);
    // The first designs exist from the start; the rest arrive over the two years.
    const fraction = id <= 10 ? 0 : (id - 10) / Math.max(1, this.plan.designs - 10);
    const created = timestamp(BEGINNING + Math.floor((ORDERS_TO - BEGINNING) * fraction) + r.int(0, 999));
    const name = r.pick(DESIGN_NAMES);
    const file = `${name.toLowerCase()}-${dateText(BEGINNING - r.int(0, 400) * DAY).replaceAll('-', '')}-${token(r, 4, LOWER_ALNUM)}.json`;
    return `${id}\t${created}\t${name}\t${r.pick(FILE_LOCATIONS)}\t${file}\t${created}\n`;
  }

  private paymentType(id: number): string {
    const t = timestamp(BEGINNING);
    return `${id}\t${PAYMENT_TYPES[id - 1]}\t${t}\t${t}\n`;
  }

  private staffMember(id: number): string {
    const r = this.rng.at(this.plan.seed, STREAM.staff, id);
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const email = `${first}.${last}@terrifictotes.com`.toLowerCase();
    const t = timestamp(BEGINNING + 1601);
    return `${id}\t${first}\t${last}\t${r.int(1, DEPARTMENTS.length)}\t${email}\t${t}\t${t}\n`;
  }

  private salesCore(id: number): OrderCore & { r: RowRandom; units: number; priceCents: number } {
    const r = this.rng.at(this.plan.seed, STREAM.sales, id);
    const createdMs = this.batchTime(id) + r.int(0, 2);
    const counterpartyId = r.int(1, this.plan.counterparties);
    const currencyId = r.int(1, CURRENCIES.length);
    const units = r.int(1000, 99_999);
    const priceCents = r.int(200, 400);
    return { r, createdMs, counterpartyId, currencyId, units, priceCents, amountCents: units * priceCents };
  }

  private salesOrder(id: number): string {
    const o = this.salesCore(id);
    const r = o.r;
    const t = timestamp(o.createdMs);
    const design = r.int(1, this.plan.designs);
    const staff = r.int(1, this.plan.staff);
    const delivery = dateText(o.createdMs + r.weighted(DELIVERY_WEIGHTS) * DAY);
    const payment = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
    const location = r.int(1, this.plan.addresses);
    return `${id}\t${t}\t${t}\t${design}\t${staff}\t${o.counterpartyId}\t${o.units}\t${money(o.priceCents)}\t${o.currencyId}\t${delivery}\t${payment}\t${location}\n`;
  }

  private purchaseCore(id: number): OrderCore & { r: RowRandom; quantity: number; priceCents: number } {
    const r = this.rng.at(this.plan.seed, STREAM.purchase, id);
    const createdMs = this.batchTime(saleBefore(id)) + r.int(0, 2);
    const counterpartyId = r.int(1, this.plan.counterparties);
    const currencyId = r.int(1, CURRENCIES.length);
    const quantity = r.int(1, 999);
    const priceCents = r.int(100, 100_000);
    return {
      r,
      createdMs,
      counterpartyId,
      currencyId,
      quantity,
      priceCents,
      amountCents: quantity * priceCents,
    };
  }

  private purchaseOrder(id: number): string {
    const o = this.purchaseCore(id);
    const r = o.r;
    const t = timestamp(o.createdMs);
    const staff = r.int(1, this.plan.staff);
    const item = token(r, 7, UPPER_ALNUM);
    const delivery = dateText(o.createdMs + r.weighted(DELIVERY_WEIGHTS) * DAY);
    const payment = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
    const location = r.int(1, this.plan.addresses);
    return `${id}\t${t}\t${t}\t${staff}\t${o.counterpartyId}\t${item}\t${o.quantity}\t${money(o.priceCents)}\t${o.currencyId}\t${delivery}\t${payment}\t${location}\n`;
  }

  private transaction(id: number, kind: 'SALE' | 'PURCHASE', orderId: number): string {
    const core = kind === 'SALE' ? this.salesCore(orderId) : this.purchaseCore(orderId);
    const t = timestamp(core.createdMs);
    const sale = kind === 'SALE' ? orderId : N;
    const purchase = kind === 'PURCHASE' ? orderId : N;
    return `${id}\t${kind}\t${sale}\t${purchase}\t${t}\t${t}\n`;
  }

  private payment(id: number, kind: 'SALE' | 'PURCHASE', orderId: number): string {
    const o = kind === 'SALE' ? this.salesCore(orderId) : this.purchaseCore(orderId);
    const r = this.rng.at(this.plan.seed, STREAM.payment, id);
    const paid = r.chance(0.61);
    // A payment is created with its order; marking it paid (0–5 days on) bumps last_updated.
    const updatedMs = paid ? o.createdMs + r.int(60_000, 5 * DAY) : o.createdMs;
    const paymentDate = dateText(o.createdMs + r.weighted(PAYMENT_WEIGHTS) * DAY);
    const type = kind === 'SALE' ? 1 : 3;
    const company = r.int(10_000_000, 99_999_999);
    const counterparty = r.int(10_000_000, 99_999_999);
    return `${id}\t${timestamp(o.createdMs)}\t${timestamp(updatedMs)}\t${id}\t${o.counterpartyId}\t${money(o.amountCents)}\t${o.currencyId}\t${type}\t${paid ? 't' : 'f'}\t${paymentDate}\t${company}\t${counterparty}\n`;
  }
}

function companyName(r: RowRandom): string {
  const a = r.pick(LAST_NAMES);
  const b = r.pick(LAST_NAMES);
  switch (r.int(0, 4)) {
    case 0:
      return `${a} and Sons`;
    case 1:
      return `${a} Inc`;
    case 2:
      return `${a} LLC`;
    case 3:
      return `${a} - ${b}`;
    default:
      return `${a}, ${b} and ${r.pick(LAST_NAMES)}`;
  }
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function token(r: RowRandom, length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(r.int(0, alphabet.length - 1));
  return out;
}

/**
 * Column lists of the generated lines: the source's column order (lambdas/kernel/schema),
 * which is the order each generator writes its fields in.
 */
const columnsOf = (table: string): readonly string[] => sourceColumnNames(sourceTable(table));
export const ADDRESS_COLUMNS = columnsOf('address');
export const COUNTERPARTY_COLUMNS = columnsOf('counterparty');
export const CURRENCY_COLUMNS = columnsOf('currency');
export const DEPARTMENT_COLUMNS = columnsOf('department');
export const DESIGN_COLUMNS = columnsOf('design');
export const PAYMENT_TYPE_COLUMNS = columnsOf('payment_type');
export const STAFF_COLUMNS = columnsOf('staff');
export const SALES_ORDER_COLUMNS = columnsOf('sales_order');
export const PURCHASE_ORDER_COLUMNS = columnsOf('purchase_order');
export const TRANSACTION_COLUMNS = columnsOf('transaction');
export const PAYMENT_COLUMNS = columnsOf('payment');

/** The three currencies of totesys, in id order. */
export const CURRENCIES = ['GBP', 'USD', 'EUR'] as const;
/** The payment types of totesys, in id order (the enum's labels). */
export const PAYMENT_TYPES = [
  'SALES_RECEIPT',
  'SALES_REFUND',
  'PURCHASE_PAYMENT',
  'PURCHASE_REFUND',
] as const;
const DEPARTMENTS = [
  'Sales',
  'Purchasing',
  'Production',
  'Dispatch',
  'Finance',
  'Facilities',
  'Communications',
  'HR',
];
const OFFICES = ['Manchester', 'Leeds'];
/** Design names, file locations, people and places: fake, in the style of the real rows. */
export const DESIGN_NAMES = [
  'Steel',
  'Soft',
  'Granite',
  'Concrete',
  'Frozen',
  'Wooden',
  'Bronze',
  'Rubber',
  'Plastic',
  'Cotton',
  'Fresh',
  'Metal',
];
const FILE_LOCATIONS = [
  '/net',
  '/usr/libexec',
  '/usr',
  '/etc',
  '/usr/ports',
  '/usr/share',
  '/etc/periodic',
  '/usr/local/src',
  '/opt/lib',
  '/selinux',
  '/home/user/dir',
  '/lost+found',
  '/private',
  '/System',
  '/Users',
  '/bin',
];
export const FIRST_NAMES = [
  'Jeremie',
  'Deron',
  'Jeanette',
  'Ana',
  'Magdalena',
  'Korey',
  'Raphael',
  'Oswaldo',
  'Brody',
  'Jazmyn',
  'Meda',
  'Imani',
  'Stan',
  'Rick',
  'Flavio',
  'Laurel',
  'Tyrel',
  'Marcus',
  'Irving',
  'Mariela',
];
export const LAST_NAMES = [
  'Franey',
  'Beier',
  'Erdman',
  'Glover',
  'Zieme',
  'Kreiger',
  'Rippin',
  'Bergnaum',
  'Ratke',
  'Kuhn',
  'Cremin',
  'Kuvalis',
  'Lehner',
  'Hackett',
  'Kunze',
  'Fahey',
  'Leannon',
  'Predovic',
  'Morar',
  'Armstrong',
  'Kohler',
  'Frami',
  'Yundt',
  'Padberg',
  'Herzog',
];
const STREET_KINDS = [
  'Via',
  'Cliffs',
  'Fort',
  'Street',
  'Road',
  'Lane',
  'Gardens',
  'Mews',
  'Avenue',
  'Court',
];
export const DISTRICTS = [
  'Avon',
  'Bedfordshire',
  'Buckinghamshire',
  'Cambridgeshire',
  'Cheshire',
  'Kent',
  'Surrey',
];
export const CITIES = [
  'New Patienceburgh',
  'Aliso Viejo',
  'Lake Charles',
  'Olsonside',
  'Fort Shadburgh',
  'Kendraburgh',
  'North Dausside',
  'Suffolk',
  'East Bobbie',
  'Pricetown',
];
const COUNTRIES = [
  'Turkey',
  'San Marino',
  'Samoa',
  'Republic of Korea',
  'Bosnia and Herzegovina',
  'Zimbabwe',
  'Faroe Islands',
  'United Kingdom',
  'Austria',
  'Chile',
];
