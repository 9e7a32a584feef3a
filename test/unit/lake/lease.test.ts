import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, LeaseHeldError } from '../../../lambdas/kernel/errors';
import {
  acquireLease,
  holdLease,
  type LeaseRecord,
  withLease,
} from '../../../lambdas/kernel/lake/documents/lease';
import { LakeDocumentError, LeaseLostError } from '../../../lambdas/kernel/lake/errors';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';

const LEASE_FILE = (lake: LocalLakeStore) => join(lake.root, 'state', 'lease.json');

/** A pid that belonged to a process of this host and is gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
}

/** Writes a lease record as another process would have. */
async function leaseOf(lake: LocalLakeStore, record: Partial<LeaseRecord>): Promise<void> {
  const now = Date.now();
  const full: LeaseRecord = {
    holder: 'other',
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 60_000).toISOString(),
    token: 'theirs',
    ...record,
  };
  await lake.put('state/lease.json', JSON.stringify(full));
}

/** `lake` whose writes of the lease fail `times` times (then all succeed), as a full disk would. */
function failingLeaseWrites(lake: LakeStore, times: number): LakeStore & { failures: number } {
  const wrapped = Object.create(lake) as LakeStore & { failures: number };
  wrapped.failures = 0;
  wrapped.putIf = async (key, body, condition) => {
    if (key === 'state/lease.json' && wrapped.failures < times) {
      wrapped.failures++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return lake.putIf(key, body, condition);
  };
  return wrapped;
}

describe('pipeline lease', () => {
  let lake: LocalLakeStore;
  let now: number;
  const clock = () => new Date(now);

  beforeEach(() => {
    lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lease-')));
    now = Date.parse('2026-01-01T00:00:00Z');
  });

  it('turns a second taker away with a message naming the holder', async () => {
    await acquireLease(lake, { holder: 'run-a', clock });

    const second = acquireLease(lake, { holder: 'run-b', clock });

    await expect(second).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(acquireLease(lake, { holder: 'run-b', clock })).rejects.toThrow(
      /another run \(run-a\) holds the pipeline lease/,
    );
  });

  it('is free again once released', async () => {
    const first = await acquireLease(lake, { holder: 'run-a', clock });
    await first.release();

    await expect(acquireLease(lake, { holder: 'run-b', clock })).resolves.toMatchObject({ holder: 'run-b' });
  });

  it('expires when its holder crashed without releasing it', async () => {
    await acquireLease(lake, { holder: 'crashed', clock, ttlMs: 60_000 });
    now += 60_001;

    await expect(acquireLease(lake, { holder: 'next', clock })).resolves.toMatchObject({ holder: 'next' });
  });

  it('waits for a busy lease when asked to', async () => {
    const first = await acquireLease(lake, { holder: 'run-a', clock });
    let waited = 0;
    const sleep = async (ms: number) => {
      waited += ms;
      if (waited >= 100) await first.release();
    };

    await expect(
      acquireLease(lake, { holder: 'run-b', clock, waitMs: 10_000, sleep }),
    ).resolves.toMatchObject({
      holder: 'run-b',
    });
  });

  it('refuses to renew a lease another run took over after it expired', async () => {
    const first = await acquireLease(lake, { holder: 'slow', clock, ttlMs: 1_000 });
    now += 5_000;
    await acquireLease(lake, { holder: 'fast', clock });

    await expect(first.renew()).rejects.toBeInstanceOf(LeaseHeldError);
  });

  it('lets exactly one of many simultaneous takers win', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => acquireLease(lake, { holder: `p${i}`, clock })),
    );

    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
  });

  it('is taken over at once when its holder was a process on this host that is gone', async () => {
    await leaseOf(lake, { holder: 'crashed', host: hostname(), pid: deadPid() });

    await expect(acquireLease(lake, { holder: 'next' })).resolves.toMatchObject({ holder: 'next' });
  });

  it('is not taken over while its holder on this host is alive', async () => {
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await leaseOf(lake, { holder: 'alive', host: hostname(), pid: alive.pid as number });

      await expect(acquireLease(lake, { holder: 'next' })).rejects.toThrow(/another run \(alive\) holds/);
    } finally {
      alive.kill('SIGKILL');
    }
  });

  it('is not taken over by pid when its holder ran on another host', async () => {
    await leaseOf(lake, { holder: 'elsewhere', host: 'another-host', pid: deadPid() });

    await expect(acquireLease(lake, { holder: 'next' })).rejects.toBeInstanceOf(LeaseHeldError);
  });

  it('tells the second taker what the holder runs', async () => {
    await acquireLease(lake, { purpose: 'totes transform' });

    await expect(acquireLease(lake)).rejects.toThrow(
      /another run \(totes transform on .+:\d+\) holds the pipeline lease until .+; wait for it to finish/,
    );
  });

  it('refuses a wait that is not a number', async () => {
    await expect(acquireLease(lake, { waitMs: Number.NaN })).rejects.toBeInstanceOf(ConfigError);
  });

  it('names the file and the next step when lease.json is damaged', async () => {
    await lake.put('state/lease.json', '{"holder": "cut');

    const taken = acquireLease(lake);

    await expect(taken).rejects.toBeInstanceOf(LakeDocumentError);
    await expect(taken).rejects.toThrow(
      `the pipeline lease state/lease.json in ${lake.url} is not valid JSON`,
    );
    await expect(taken).rejects.toThrow(
      `if no totes command is running on this lake, delete ${LEASE_FILE(lake)}`,
    );
  });
});

describe('withLease', () => {
  let lake: LocalLakeStore;

  beforeEach(() => {
    lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lease-')));
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const expiry = async () =>
    Date.parse((JSON.parse(await readFile(LEASE_FILE(lake), 'utf8')) as LeaseRecord).expiresAt);

  it('renews the lease while the work runs past its lifetime', async () => {
    let second: unknown;
    await withLease(lake, { ttlMs: 300 }, async () => {
      const first = await expiry();
      await sleep(900);
      second = await acquireLease(lake, { holder: 'second' }).catch((e: unknown) => e);
      expect(await expiry()).toBeGreaterThan(first + 300);
    });

    expect(second).toBeInstanceOf(LeaseHeldError);
  });

  it('releases the lease when the work fails', async () => {
    await expect(
      withLease(lake, {}, async () => {
        throw new Error('stage failed');
      }),
    ).rejects.toThrow('stage failed');

    await expect(acquireLease(lake, { holder: 'next' })).resolves.toMatchObject({ holder: 'next' });
  });

  it('lets work inside the work join the lease it holds instead of waiting for itself', async () => {
    const inner = await withLease(lake, { holder: 'runner' }, async (outer) =>
      withLease(lake, { holder: 'stage' }, async (joined) => joined.token === outer.token),
    );

    expect(inner).toBe(true);
  });

  it('does not let a parallel caller in the same process join it', async () => {
    const held = await holdLease(lake, { holder: 'one' });
    try {
      await expect(withLease(lake, { holder: 'two' }, async () => 'ran')).rejects.toBeInstanceOf(
        LeaseHeldError,
      );
    } finally {
      await held.end();
    }
  });

  it('retries a release that failed', async () => {
    const flaky = failingLeaseWrites(lake, 0);
    await withLease(flaky, { sleep: async () => undefined }, async () => {
      flaky.failures = -2; // the next two lease writes fail: the release and its first retry
    });

    expect(flaky.failures).toBe(0);
    expect(JSON.parse(await readFile(LEASE_FILE(lake), 'utf8'))).toHaveProperty('releasedAt');
    await expect(acquireLease(lake, { holder: 'next' })).resolves.toMatchObject({ holder: 'next' });
  });

  it('deletes its lease when every release write fails, as on a full disk', async () => {
    const full = failingLeaseWrites(lake, 1);
    full.failures = 1; // the taking succeeds
    const held = await holdLease(full, { sleep: async () => undefined });
    full.failures = -100;
    await held.end();

    expect(await lake.get('state/lease.json')).toBeUndefined();
  });

  it('reports a lease another run took over while it could not renew', async () => {
    const held = await holdLease(lake, { ttlMs: 60_000, renewEveryMs: 50 });
    await leaseOf(lake, { holder: 'thief' });
    await sleep(200);

    await expect(held.end()).rejects.toBeInstanceOf(LeaseLostError);
  });
});
