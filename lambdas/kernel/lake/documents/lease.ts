/**
 * The pipeline lease (`state/lease.json`): at most one writer at a time, whatever runs it (a
 * `totes` command, a pipeline run, an overlapping Lambda invocation). It is a lake document
 * replaced by conditional writes, so two takers cannot both win, and it frees itself:
 * renewed while its holder works and short-lived otherwise, taken over at once when its holder
 * was a process on this host that is gone, and released (with retries) however the work ends.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, LeaseHeldError, PreconditionFailedError } from '../../errors';
import type { Log } from '../../logger';
import { LeaseLostError } from '../errors';
import type { LakeStore } from '../lake-store';
import { LEASE_KEY } from '../layout';
import { type DocumentSpec, readDocument, type StoredDocument, updateDocument } from './document';

/**
 * How long a lease lives without renewal unless told otherwise (`TOTES_LEASE_TTL`). Short,
 * because a holder renews it every quarter of this while it works: it only bounds how long a
 * holder that vanished on another machine blocks the next run.
 */
export const DEFAULT_LEASE_TTL_MS = 60_000;

const isoTime = z.iso.datetime({ offset: true });

/** The lease object in the lake. */
export const leaseRecordSchema = z.object({
  /** Who holds it, for messages: `host:pid` unless the taker named itself. */
  holder: z.string().min(1),
  acquiredAt: isoTime,
  expiresAt: isoTime,
  /** Host and process of the holder, so a taker on the same host can tell it is gone. */
  host: z.string().optional(),
  pid: z.number().int().positive().optional(),
  /** Unique per acquisition: tells this holder's renewals and release from another's. */
  token: z.string().optional(),
  /** What the holder is doing (`totes transform`), for the message a second taker gets. */
  purpose: z.string().optional(),
  releasedAt: isoTime.optional(),
});

/** The lease object in the lake. */
export type LeaseRecord = z.infer<typeof leaseRecordSchema>;

/** The lease document's contract: a damaged one is safe to delete when nothing runs. */
export const LEASE_DOCUMENT: DocumentSpec<LeaseRecord> = {
  what: 'the pipeline lease',
  schema: leaseRecordSchema,
  repair: (at) =>
    at.kind === 'folder'
      ? `if no totes command is running on this lake, delete ${at.where} (it holds no data, only who is writing)`
      : `if no pipeline run is active (no Lambda and no totes command), delete ${at.where} (it holds no data, only who is writing)`,
};

/** A held lease: renewed while working, released when done. */
export interface Lease {
  readonly holder: string;
  /** Unique to this acquisition. */
  readonly token: string;
  /** Extends the expiry; throws {@link LeaseLostError} if another taker has it now. */
  renew(): Promise<void>;
  /** Gives the lease up (retried; a last resort deletes it while it is still ours). */
  release(): Promise<void>;
}

/** Options for {@link acquireLease}. */
export interface LeaseOptions {
  /** How long the lease lives without renewal. @default {@link DEFAULT_LEASE_TTL_MS} */
  readonly ttlMs?: number;
  /** Who is asking (for the message a second taker gets). @default host:pid */
  readonly holder?: string;
  /** What the holder does, e.g. `totes transform`. @default undefined */
  readonly purpose?: string;
  /** How long to wait for a busy lease before giving up. @default 0 (fail at once) */
  readonly waitMs?: number;
  readonly clock?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Receives takeovers and release problems. @default no logging */
  readonly log?: Log;
  /**
   * Take over at once a lease whose holder ran on this host and is gone. Off in a Lambda,
   * where sandboxes on different machines can share a host name and a pid.
   * @default true outside AWS Lambda
   */
  readonly takeOverDeadHolders?: boolean;
  /** This host's name. @default os.hostname() */
  readonly host?: string;
  /** Whether process `pid` on this host is alive. @default a signal-0 probe */
  readonly isAlive?: (pid: number) => boolean;
}

/** Read once at start: inside a Lambda the host name does not identify a machine. */
const IN_LAMBDA = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/** Tokens of the leases this process holds now, to tell them from ones it left behind. */
const heldTokens = new Set<string>();

/**
 * Takes the pipeline lease, waiting up to `waitMs` for a busy one; throws `LeaseHeldError`
 * naming the holder when it stays busy. Prefer {@link withLease}, which also renews and
 * releases it.
 */
export async function acquireLease(lake: LakeStore, options: LeaseOptions = {}): Promise<Lease> {
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const host = options.host ?? hostname();
  const holder = options.holder ?? `${host}:${process.pid}`;
  const isAlive = options.isAlive ?? processAlive;
  const takeOver = options.takeOverDeadHolders ?? !IN_LAMBDA;
  const waitMs = options.waitMs ?? 0;
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    throw new ConfigError(
      `the time to wait for the pipeline lease must be a number of seconds ≥ 0 (got ${waitMs / 1000})`,
    );
  }
  const deadline = clock().getTime() + waitMs;
  const token = randomBytes(8).toString('hex');
  // Counted as held from the first attempt: a concurrent taker in this process that reads our
  // record before this call returns must see a live holder, not one left behind.
  heldTokens.add(token);
  try {
    return await take();
  } catch (error) {
    heldTokens.delete(token);
    throw error;
  }

  async function take(): Promise<Lease> {
    for (;;) {
      let busy: LeaseRecord | undefined;
      let replaced: LeaseRecord | undefined;
      let taken: StoredDocument<LeaseRecord> | undefined;
      try {
        taken = await updateDocument(lake, LEASE_KEY, LEASE_DOCUMENT, (current) => {
          const now = clock();
          busy = undefined;
          replaced = undefined;
          if (current && isHeld(current.value, now)) {
            if (!(takeOver && holderIsGone(current.value, host, isAlive))) {
              busy = current.value;
              return undefined;
            }
            replaced = current.value;
          }
          return {
            holder,
            acquiredAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
            host,
            pid: process.pid,
            token,
            ...(options.purpose ? { purpose: options.purpose } : {}),
          };
        });
      } catch (error) {
        // Lost several races in a row: look again.
        if (!(error instanceof PreconditionFailedError)) throw error;
      }
      if (busy === undefined && taken?.value.token === token) {
        if (replaced) {
          options.log?.warn('took over the pipeline lease of a process that is gone', {
            holder: replaced.holder,
            purpose: replaced.purpose,
            expiresAt: replaced.expiresAt,
          });
        }
        return heldLease(lake, {
          holder,
          token,
          ttlMs,
          clock,
          sleep,
          ...(options.log ? { log: options.log } : {}),
        });
      }
      const record = busy as LeaseRecord | undefined;
      const now = clock().getTime();
      if (record && now >= deadline) throw leaseHeld(record);
      await sleep(Math.min(2_000, Math.max(50, deadline - now)));
    }
  }
}

/** What {@link withLease} needs beyond {@link LeaseOptions}. */
export interface WithLeaseOptions extends LeaseOptions {
  /** How often the lease is renewed while `work` runs. @default a quarter of `ttlMs` */
  readonly renewEveryMs?: number;
}

/** The leases held in the current async context, by lake URL (for reentrant calls). */
const context = new AsyncLocalStorage<ReadonlyMap<string, Lease>>();

/**
 * Runs `work` holding the pipeline lease of `lake`: takes it (waiting up to `waitMs`, else
 * `LeaseHeldError` naming the holder — exit code 4 in the CLI), renews it every quarter of its
 * lifetime while `work` runs, and releases it however `work` ends. Reentrant: a `withLease`
 * inside `work` on the same lake joins the held lease (the pipeline runner holds one across
 * its stages while each stage may guard itself).
 *
 * @example
 * await withLease(lake, { purpose: 'totes transform', waitMs: 30_000, log }, () => transform(deps));
 */
export async function withLease<T>(
  lake: LakeStore,
  options: WithLeaseOptions,
  work: (lease: Lease) => Promise<T>,
): Promise<T> {
  const joined = context.getStore()?.get(lake.url);
  if (joined) return work(joined);
  const held = await holdLease(lake, options);
  const leases = new Map(context.getStore() ?? []);
  leases.set(lake.url, held.lease);
  let result: T;
  try {
    result = await context.run(leases, () => work(held.lease));
  } catch (error) {
    await held.end().catch(() => undefined);
    throw error;
  }
  await held.end();
  return result;
}

/** A lease held by {@link holdLease}: renewed until `end()`. */
export interface HeldLease {
  readonly lease: Lease;
  /**
   * Stops renewing and releases the lease (a failed release is logged: the lease then expires
   * on its own). Throws {@link LeaseLostError} when another run took the lease meanwhile.
   */
  end(): Promise<void>;
}

/**
 * Takes the pipeline lease and renews it every quarter of its lifetime until `end()` — the
 * imperative form of {@link withLease} for code that cannot wrap its work in a function.
 * Call `end()` in a `finally`.
 */
export async function holdLease(lake: LakeStore, options: WithLeaseOptions): Promise<HeldLease> {
  const lease = await acquireLease(lake, options);
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  let lost: unknown;
  let renewing = false;
  const heartbeat = setInterval(
    () => {
      if (renewing || lost !== undefined) return;
      renewing = true;
      lease
        .renew()
        .catch((error: unknown) => {
          if (error instanceof LeaseLostError) {
            lost = error;
            options.log?.error('the pipeline lease was lost while working', { error });
          } else {
            // Retried at the next beat: three more chances before the lease would expire.
            options.log?.warn('lease renewal failed; retrying', { error });
          }
        })
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(50, options.renewEveryMs ?? ttlMs / 4),
  );
  heartbeat.unref();
  let ended = false;
  return {
    lease,
    end: async () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      await lease
        .release()
        .catch((error: unknown) =>
          options.log?.error('could not release the pipeline lease; it expires on its own', { error }),
        );
      if (lost !== undefined) {
        throw new LeaseLostError(
          `another run took the pipeline lease while ${lease.holder} worked (it could not renew it in time); check the lake with totes verify`,
          { cause: lost },
        );
      }
    },
  };
}

/** The record of the lease as it stands, for `status` (undefined when none was ever taken). */
export async function readLease(lake: LakeStore): Promise<StoredDocument<LeaseRecord> | undefined> {
  return readDocument(lake, LEASE_KEY, LEASE_DOCUMENT);
}

/** True when `record` is held at `now` (not expired, not released). */
export function isHeld(record: LeaseRecord, now: Date): boolean {
  return record.releasedAt === undefined && Date.parse(record.expiresAt) > now.getTime();
}

function heldLease(
  lake: LakeStore,
  held: {
    holder: string;
    token: string;
    ttlMs: number;
    clock: () => Date;
    sleep: (ms: number) => Promise<void>;
    log?: Log;
  },
): Lease {
  const { holder, token, ttlMs, clock } = held;
  const ours = (current: StoredDocument<LeaseRecord> | undefined): LeaseRecord | undefined =>
    current?.value.token === token ? current.value : undefined;
  let released = false;
  return {
    holder,
    token,
    renew: async () => {
      await updateDocument(lake, LEASE_KEY, LEASE_DOCUMENT, (current) => {
        const record = ours(current);
        if (!record || record.releasedAt !== undefined) throw leaseLost(holder, current?.value);
        return { ...record, expiresAt: new Date(clock().getTime() + ttlMs).toISOString() };
      });
    },
    release: async () => {
      if (released) return;
      const giveUp = (current: StoredDocument<LeaseRecord> | undefined) => {
        const record = ours(current);
        if (!record || record.releasedAt !== undefined) return undefined;
        const now = clock().toISOString();
        return { ...record, expiresAt: now, releasedAt: now };
      };
      let failure: unknown;
      for (const pause of [0, 200, 1_000, 3_000]) {
        if (pause) await held.sleep(pause);
        try {
          await updateDocument(lake, LEASE_KEY, LEASE_DOCUMENT, giveUp);
          failure = undefined;
          break;
        } catch (error) {
          failure = error;
          held.log?.warn('lease release failed; retrying', { error, pauseMs: pause });
        }
      }
      try {
        if (failure !== undefined) {
          // A write that keeps failing (a full disk) may still allow a delete, which needs no space.
          const current = await readLease(lake).catch(() => {
            throw failure;
          });
          // Not ours any more (expired and taken): nothing of this holder is left to remove.
          if (ours(current)) {
            await lake.delete(LEASE_KEY).catch(() => {
              throw failure;
            });
          }
        }
        released = true;
      } finally {
        // No longer working under it either way: a later taker in this process may replace it.
        heldTokens.delete(token);
      }
    },
  };
}

/** A holder that ran on this host and whose process is gone (or is this process, from before). */
function holderIsGone(record: LeaseRecord, host: string, isAlive: (pid: number) => boolean): boolean {
  if (record.host !== host || record.pid === undefined) return false;
  if (record.pid === process.pid) return record.token === undefined || !heldTokens.has(record.token);
  return !isAlive(record.pid);
}

/** Signal 0 tests for a process without touching it; EPERM means it exists under another user. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function leaseHeld(record: LeaseRecord): LeaseHeldError {
  const who = `${record.purpose ? `${record.purpose} on ` : ''}${record.holder}`;
  return new LeaseHeldError(
    `another run (${who}) holds the pipeline lease until ${record.expiresAt}; wait for it to finish (--wait <seconds> waits for it), or if it crashed on another machine, for the lease to expire`,
    { context: { holder: record.holder, purpose: record.purpose, expiresAt: record.expiresAt } },
  );
}

function leaseLost(holder: string, now: LeaseRecord | undefined): LeaseLostError {
  return new LeaseLostError(
    `the pipeline lease held by ${holder} was ${now ? `taken over by ${now.holder}` : 'removed'} (it had expired)`,
    { context: { holder, ...(now ? { now: now.holder } : {}) } },
  );
}
