/*
 * The volumes and the calendar of a synthetic totesys with the shape of the real exports
 * (shared/totesys-data, Nov 2024): per sales order ≈ 0.4156 purchase orders, one transaction
 * per order, one payment per transaction; 30 addresses, 20 counterparties, 20 staff,
 * ~470 designs at the real scale.
 */

/** Purchase orders per sales order, as the integer ratio PURCHASES_NUM / PURCHASES_DEN. */
const PURCHASES_NUM = 4156;
const PURCHASES_DEN = 10_000;

/** First and last order creation time of the real data (UTC). */
export const ORDERS_FROM = Date.UTC(2022, 10, 3, 14, 20, 52, 186);
export const ORDERS_TO = Date.UTC(2024, 10, 15, 14, 40, 10, 188);
/** When the reference tables were created. */
export const BEGINNING = Date.UTC(2022, 10, 3, 14, 20, 49, 962);
export const DAY = 86_400_000;

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
export function purchasesUpTo(i: number): number {
  return Math.floor((i * PURCHASES_NUM) / PURCHASES_DEN);
}

/** The sales order a purchase order `j` is placed right after (they share its creation batch). */
export function saleBefore(j: number): number {
  return Math.ceil((j * PURCHASES_DEN) / PURCHASES_NUM);
}

/** When the orders of sales order `sale`'s batch are created: evenly over the two years. */
export function batchTime(plan: SyntheticPlan, sale: number): number {
  return (
    ORDERS_FROM + Math.floor(((ORDERS_TO - ORDERS_FROM) * (sale - 1)) / Math.max(1, plan.salesOrders - 1))
  );
}
