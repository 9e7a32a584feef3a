import type { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';
import { ChangeSimulator, type SimulationResult } from './changes/simulator';
import { SimulationError } from './errors';
import { inTransaction } from './seed';

export { CHANGE_KINDS, CHANGES, type ChangeKind } from './changes/kinds';
export type { SimulatedEffect, SimulationResult } from './changes/simulator';

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
 * it touched, so tests can assert that the pipeline captured each of them. The kinds of
 * change, their frequency, the rows they pick and their SQL are in `changes/kinds.ts`.
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
