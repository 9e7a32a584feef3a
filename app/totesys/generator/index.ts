/**
 * The synthetic totesys generator: `plan.ts` (volumes and calendar), `tables.ts` (one
 * generator per source table), `orders.ts` (what an order's transaction and payment repeat),
 * `vocabulary.ts` (the words rows are made of), `invented.ts` (values for columns only the
 * schema module knows) and `source.ts` (rows rendered as COPY text in the schema's order).
 */

export { ORDERS_FROM, ORDERS_TO, type SyntheticPlan, syntheticPlan } from './plan';
export { type GeneratedTable, SyntheticSource } from './source';
