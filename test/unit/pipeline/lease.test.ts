import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseHeldError } from '../../../lambdas/kernel/errors';
import { acquireLease } from '../../../lambdas/kernel/lake/documents/lease';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';

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
});
