import { hostname } from 'node:os';
import { LeaseHeldError, PreconditionFailedError } from '../../errors';
import type { LakeStore } from '../lake-store';
import { LEASE_KEY } from '../layout';

/** How long a lease lives without renewal unless told otherwise (`TOTES_LEASE_TTL`). */
export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;

/** The lease object in the lake. */
interface LeaseRecord {
  readonly holder: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

/** A held lease: renew it while working, release it when done. */
export interface Lease {
  readonly holder: string;
  /** Extends the expiry; throws `LeaseHeldError` if the lease was lost meanwhile. */
  renew(): Promise<void>;
  /** Gives the lease up (it expires at once). */
  release(): Promise<void>;
}

/** Options for {@link acquireLease}. */
export interface LeaseOptions {
  /** How long the lease lives without renewal. @default 10 minutes */
  readonly ttlMs?: number;
  /** Who is asking (for the message the second run gets). @default host:pid */
  readonly holder?: string;
  /** How long to wait for a busy lease before giving up. @default 0 (fail at once) */
  readonly waitMs?: number;
  readonly clock?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Takes the pipeline lease: at most one run at a time, whatever runs it (two CLI processes,
 * overlapping Lambda invocations). The lease is an object in the lake replaced by conditional
 * writes, so two takers cannot both win; a lease whose holder crashed expires after `ttlMs`.
 */
export async function acquireLease(lake: LakeStore, options: LeaseOptions = {}): Promise<Lease> {
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const holder = options.holder ?? `${hostname()}:${process.pid}`;
  const deadline = clock().getTime() + (options.waitMs ?? 0);

  for (;;) {
    const current = await lake.get(LEASE_KEY);
    const record = current ? (JSON.parse(current.body.toString('utf8')) as LeaseRecord) : undefined;
    const now = clock();
    if (!record || new Date(record.expiresAt).getTime() <= now.getTime()) {
      const next: LeaseRecord = {
        holder,
        acquiredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      };
      try {
        let version = await lake.putIf(
          LEASE_KEY,
          JSON.stringify(next),
          current ? { ifMatch: current.version } : { ifNoneMatch: '*' },
        );
        return {
          holder,
          renew: async () => {
            const renewed = { ...next, expiresAt: new Date(clock().getTime() + ttlMs).toISOString() };
            version = await replace(lake, renewed, version, holder);
          },
          release: async () => {
            await replace(lake, { ...next, expiresAt: clock().toISOString() }, version, holder);
          },
        };
      } catch (error) {
        if (!(error instanceof PreconditionFailedError)) throw error;
        // Someone else took it between our read and our write: look again.
      }
    } else if (now.getTime() >= deadline) {
      throw new LeaseHeldError(
        `another run (${record.holder}) holds the pipeline lease until ${record.expiresAt}; wait for it to finish, or if it crashed, for the lease to expire`,
        { context: { holder: record.holder, expiresAt: record.expiresAt } },
      );
    } else {
      await sleep(Math.min(2_000, Math.max(50, deadline - now.getTime())));
    }
  }
}

async function replace(
  lake: LakeStore,
  record: LeaseRecord,
  version: string,
  holder: string,
): Promise<string> {
  try {
    return await lake.putIf(LEASE_KEY, JSON.stringify(record), { ifMatch: version });
  } catch (error) {
    if (error instanceof PreconditionFailedError) {
      throw new LeaseHeldError(
        `the pipeline lease held by ${holder} was taken over by another run (it had expired)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
