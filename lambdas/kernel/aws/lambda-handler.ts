import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { withLease } from '../lake/documents/lease';
import type { LakeStore } from '../lake/lake-store';
import type { Log } from '../logger';

/** A Lambda handler of the pipeline: an event in, a small summary out. */
export type StageHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * The deployed entry of a handler built by a factory: its dependencies (clients, the lake,
 * the environment contract) are built once per container, on the first invocation, so that a
 * test can import the factory from the same module without any environment.
 */
export function lambdaEntry<R>(build: () => StageHandler<R>): StageHandler<R> {
  let built: StageHandler<R> | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}

/**
 * Runs `work` in a fresh folder under `root` and removes it afterwards: a warm container may
 * still hold the previous call's files, and `/tmp` is all the disk a function has.
 */
export async function inScratchFolder<T>(
  root: string,
  prefix: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(root, `${prefix}-`));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a stage's writing work under the pipeline lease of its lake (one writer at a time, a
 * Lambda or a `totes` command), e.g. `withLease` of `lambdas/kernel/lake/documents/lease.ts`.
 */
export type LeaseGuard = <T>(purpose: string, work: () => Promise<T>) => Promise<T>;

/** How long a stage function waits for a lease another writer (e.g. an operator's `totes run`) holds. */
export const LAMBDA_LEASE_WAIT_MS = 60_000;

/**
 * The {@link LeaseGuard} of a deployed stage function: the pipeline lease of `lake` (the
 * `state/lease.json` object in the curated bucket), held by `lambda:<function name>` and renewed
 * while the stage works. A lease held past the wait fails the call with `LeaseHeldError`
 * naming the holder; the state machine retries it with backoff.
 */
export function pipelineLease(
  lake: LakeStore | Promise<LakeStore>,
  options: {
    readonly functionName: string | undefined;
    readonly ttlMs?: number | undefined;
    /** @default LAMBDA_LEASE_WAIT_MS */
    readonly waitMs?: number;
    readonly log: Log;
  },
): LeaseGuard {
  return async (purpose, work) =>
    withLease(
      await lake,
      {
        holder: `lambda:${options.functionName ?? 'unknown'}`,
        purpose: `${purpose} (Lambda)`,
        waitMs: options.waitMs ?? LAMBDA_LEASE_WAIT_MS,
        log: options.log,
        ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      },
      () => work(),
    );
}
