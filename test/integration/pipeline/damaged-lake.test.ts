import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';
import { type LocalS3Server, startLocalS3 } from '../lake/s3-server';

/** Cuts a lake file in half, as a torn copy or a full disk during a restore would. */
async function cut(path: string): Promise<void> {
  const body = await readFile(path);
  await writeFile(path, body.subarray(0, Math.floor(body.length / 2)));
}

/** A damaged lake document through the CLI: the error names the file and what to do, never a bare JSON error. */
describe('a damaged lake document', () => {
  let ws: CliWorkspace;
  let lake: string;

  beforeAll(async () => {
    ws = await createCliWorkspace('damaged');
    lake = join(ws.dir, 'lake');
    expect((await totes(['run'], ws.env)).code).toBe(0);
  });

  afterAll(() => ws.cleanup());

  /** Runs `work` with `file` damaged, then puts the file back. */
  async function withDamaged(file: string, work: () => Promise<void>, damage = cut): Promise<void> {
    const path = join(lake, ...file.split('/'));
    const good = await readFile(path);
    await damage(path);
    try {
      await work();
    } finally {
      await writeFile(path, good);
    }
  }

  it.each([
    ['state/transform.json', ['transform'], 'the transform state'],
    ['catalog/dim_staff.json', ['transform'], 'the catalog pointer'],
    ['state/ingest-runs/0000000001.json', ['verify'], 'the ingest run manifest'],
  ])('names %s and the next step for a folder lake', async (file, args, what) => {
    await withDamaged(file, async () => {
      const failed = await totes(args, ws.env);
      // verify reports the failed check on stdout, the other commands fail on stderr.
      const output = `${failed.stdout}${failed.stderr}`;

      expect(failed.code).not.toBe(0);
      expect(output).toContain(`${what} ${file} in file://${lake} is not valid JSON`);
      expect(output).toContain(join(lake, ...file.split('/')));
      expect(output).not.toContain("bucket's");
      expect(output).not.toMatch(/^totes: (Unterminated|Unexpected|Expected)/m);
    });
  });

  it('names a cut lease and says it may be deleted when nothing runs', async () => {
    await writeFile(join(lake, 'state', 'lease.json'), '{"holder": "host:1", "acquiredAt": "2026');
    const failed = await totes(['run'], ws.env);
    await rm(join(lake, 'state', 'lease.json'));

    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `the pipeline lease state/lease.json in file://${lake} is not valid JSON`,
    );
    expect(failed.stderr).toContain(
      `if no totes command is running on this lake, delete ${join(lake, 'state', 'lease.json')}`,
    );
  });

  it('names a key set that cannot be decoded', async () => {
    const folder = join(lake, 'state', 'keys', 'sales_order');
    const [file] = await readdir(folder);
    await sql(
      ws.source.url,
      'UPDATE sales_order SET units_sold = 7, last_updated = now() WHERE sales_order_id = 1',
    );

    await withDamaged(`state/keys/sales_order/${file}`, async () => {
      const failed = await totes(['ingest'], ws.env);

      expect(failed.code).not.toBe(0);
      expect(`${failed.stdout}${failed.stderr}`).toContain(
        `the key set of sales_order state/keys/sales_order/${file} in file://${lake} cannot be decoded`,
      );
    });
  });
});

describe('a damaged lake document on S3', () => {
  let server: LocalS3Server;

  beforeAll(async () => {
    server = await startLocalS3(['damaged']);
  });

  afterAll(() => server?.stop());

  it("says to restore it from the bucket's object versions, naming bucket and key", async () => {
    const lake = new S3LakeStore(server.client(), { bucket: 'damaged', prefix: 'lake' });
    await lake.put('state/transform.json', '{"seq": 1, "ingestSeq"');

    const read = readTransformState(lake);

    await expect(read).rejects.toThrow(
      'the transform state state/transform.json in s3://damaged/lake is not valid JSON',
    );
    await expect(read).rejects.toThrow(
      "restore its last good version from the bucket's object versions (aws s3api list-object-versions --bucket damaged --prefix lake/state/transform.json",
    );
  });
});
