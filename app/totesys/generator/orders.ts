import type { RowRandom } from '../prng';
import { batchTime, purchasesUpTo, type SyntheticPlan, saleBefore } from './plan';
import { CURRENCIES } from './vocabulary';

/**
 * The values of an order that its transaction and payment repeat. Each is recomputed from
 * (seed, order id) wherever it is needed, so nothing about an order is kept in memory.
 */
export interface OrderCore {
  /** The order's own generator, positioned after the core's draws. */
  readonly r: RowRandom;
  readonly createdMs: number;
  readonly counterpartyId: number;
  readonly currencyId: number;
  readonly amountCents: number;
}

export interface SalesCore extends OrderCore {
  readonly units: number;
  readonly priceCents: number;
}

export interface PurchaseCore extends OrderCore {
  readonly quantity: number;
  readonly priceCents: number;
}

/** Delivery 0–7 days after the order, payment 0–6: the real spread, ends half as likely. */
export const DELIVERY_WEIGHTS = [0.4, 1, 1, 1, 1, 1, 1, 0.55];
export const PAYMENT_WEIGHTS = [0.45, 1, 1, 1, 1, 1, 0.6];

/** The core of sales order `id`, drawn from `r` (already keyed to the order). */
export function salesCore(plan: SyntheticPlan, r: RowRandom, id: number): SalesCore {
  const createdMs = batchTime(plan, id) + r.int(0, 2);
  const counterpartyId = r.int(1, plan.counterparties);
  const currencyId = r.int(1, CURRENCIES.length);
  const units = r.int(1000, 99_999);
  const priceCents = r.int(200, 400);
  return { r, createdMs, counterpartyId, currencyId, units, priceCents, amountCents: units * priceCents };
}

/** The core of purchase order `id`, drawn from `r` (already keyed to the order). */
export function purchaseCore(plan: SyntheticPlan, r: RowRandom, id: number): PurchaseCore {
  const createdMs = batchTime(plan, saleBefore(id)) + r.int(0, 2);
  const counterpartyId = r.int(1, plan.counterparties);
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

/** An order a transaction settles. */
export interface OrderRef {
  readonly kind: 'SALE' | 'PURCHASE';
  readonly id: number;
}

/** The key of a generated row, and for a transaction or payment the order it settles. */
export interface RowKey {
  readonly id: number;
  readonly order?: OrderRef;
}

/**
 * The transactions in id order: each sales order, then the purchase orders placed in its
 * batch, the way the real ids interleave.
 */
export function* transactionKeys(plan: SyntheticPlan): Generator<RowKey> {
  let id = 0;
  for (let sale = 1; sale <= plan.salesOrders; sale++) {
    yield { id: ++id, order: { kind: 'SALE', id: sale } };
    for (let j = purchasesUpTo(sale - 1) + 1; j <= purchasesUpTo(sale); j++)
      yield { id: ++id, order: { kind: 'PURCHASE', id: j } };
  }
}

/** Keys 1…`rows`. */
export function* idsUpTo(rows: number): Generator<RowKey> {
  for (let id = 1; id <= rows; id++) yield { id };
}
