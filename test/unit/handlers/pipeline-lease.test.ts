import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipelineLease } from '../../../lambdas/kernel/aws/lambda-handler';
import { acquireLease, readLease } from '../../../lambdas/kernel/lake/documents/lease';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';

let dir: string;
let lake: LocalLakeStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'totes-lambda-lease-'));
  lake = new LocalLakeStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the lease of a stage function', () => {
  it('holds the pipeline lease of the lake while the stage works, as lambda:<function>, then frees it', async () => {
    const guard = pipelineLease(Promise.resolve(lake), { functionName: 'totesys-ingest', log: silentLog });

    const seen = await guard('ingest', async () => (await readLease(lake))?.value);

    expect(seen).toEqual(
      expect.objectContaining({ holder: 'lambda:totesys-ingest', purpose: 'ingest (Lambda)' }),
    );
    const after = (await readLease(lake))?.value;
    expect(new Date(after?.expiresAt ?? 0).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('refuses to work while another writer holds the lease, naming it', async () => {
    const guard = pipelineLease(lake, { functionName: 'totesys-load', waitMs: 0, log: silentLog });
    let ran = false;

    const held = await acquireLease(lake, { holder: 'ops-laptop:4242', purpose: 'totes run' });
    try {
      await expect(
        guard('load', async () => {
          ran = true;
        }),
      ).rejects.toThrow(/another run \(totes run on ops-laptop:4242\) holds the pipeline lease/);
    } finally {
      await held.release();
    }

    expect(ran).toBe(false);
  });
});
