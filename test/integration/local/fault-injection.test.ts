import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crashPointFromEnv, installFaultInjection } from '../../../app/local/fault-injection';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { createTestDatabase } from '../../support/pg';

/*
 * The crash points themselves kill the process, so the fault suite (`npm run test:faults`)
 * proves them on real `totes` processes; here, in process, what leads up to them: parsing the
 * setting, and counting and tracing every lake write and SQL statement without changing it.
 */

describe('crashPointFromEnv', () => {
  it('reads each kind of crash point, and nothing when unset', () => {
    expect(crashPointFromEnv({})).toBeUndefined();
    expect(crashPointFromEnv({ TOTES_CRASH_AT: ' ' })).toBeUndefined();
    expect(crashPointFromEnv({ TOTES_CRASH_AT: 'lake-write:17' })).toEqual({ kind: 'lake-write', n: 17 });
    expect(crashPointFromEnv({ TOTES_CRASH_AT: 'lake-write-mid:3' })).toEqual({
      kind: 'lake-write-mid',
      n: 3,
    });
    expect(crashPointFromEnv({ TOTES_CRASH_AT: 'pg:40' })).toEqual({ kind: 'pg', n: 40 });
    expect(crashPointFromEnv({ TOTES_CRASH_AT: 'warehouse:2' })).toEqual({ kind: 'warehouse', n: 2 });
  });

  it('names the valid forms when the value is not one', () => {
    expect(() => crashPointFromEnv({ TOTES_CRASH_AT: 'pg:0' })).toThrow(
      'TOTES_CRASH_AT must be lake-write:N, lake-write-mid:N, pg:N or warehouse:N (got pg:0)',
    );
  });
});

describe('installFaultInjection with tracing on', () => {
  let dir: string;
  let lines: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-faults-'));
    lines = [];
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, text: string) => {
      if (fd === 2) lines.push(text);
      return text.length;
    }) as typeof fs.writeSync);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves the lake as it is when neither variable is set', () => {
    const lake = new LocalLakeStore(dir);
    expect(installFaultInjection(lake, {})).toBe(lake);
  });

  // First: each installation patches pg's Client once more (the CLI installs it once per process).
  it('traces every SQL statement, telling the warehouse from the source', async () => {
    installFaultInjection(new LocalLakeStore(dir), { TOTES_CRASH_TRACE: '1' });
    const db = await createTestDatabase('trace');
    const source = await connectPg(db.url, 'source');
    const warehouse = await connectPg(db.url, 'warehouse');
    try {
      lines.length = 0;
      await source.query('SELECT 1 AS one');
      await warehouse.query({ text: 'SELECT   2\n  AS two' });
      const pg = lines.filter((l) => l.startsWith('totes-op pg '));
      expect(pg.map((l) => l.replace(/^totes-op pg \d+ /, '').trim())).toEqual([
        'source SELECT 1 AS one',
        expect.stringMatching(/^warehouse \d+ SELECT 2 AS two$/),
      ]);
    } finally {
      await source.end();
      await warehouse.end();
      await db.drop();
    }
  });

  it('counts and traces every lake write, passing every operation through unchanged', async () => {
    const inner = new LocalLakeStore(join(dir, 'lake'));
    const lake = installFaultInjection(inner, { TOTES_CRASH_TRACE: '1' });
    expect(lake).not.toBe(inner);
    expect(lake.url).toBe(inner.url);
    await lake.put('a/one.txt', 'one');
    await lake.put('a/two.txt', Readable.from([Buffer.from('tw'), 'o']));
    await lake.putIf('a/three.txt', 'three', { ifNoneMatch: '*' });
    await writeFile(join(dir, 'four.txt'), 'four');
    await lake.upload(join(dir, 'four.txt'), 'a/four.txt');
    await lake.delete('a/one.txt');
    const keys: string[] = [];
    for await (const key of lake.list('a/')) keys.push(key);
    expect(keys.sort()).toEqual(['a/four.txt', 'a/three.txt', 'a/two.txt']);
    expect((await lake.get('a/two.txt'))?.body.toString()).toBe('two');
    await lake.download('a/four.txt', join(dir, 'copy.txt'));
    expect(fs.readFileSync(join(dir, 'copy.txt'), 'utf8')).toBe('four');
    expect(lake.localPath('a/four.txt')).toBe(inner.localPath('a/four.txt'));
    const ops = lines.map((l) => l.replace(/^totes-op lake \d+ /, '').trim());
    expect(ops).toEqual([
      'put a/one.txt',
      'put a/two.txt',
      'putIf a/three.txt',
      'upload a/four.txt',
      'delete a/one.txt',
    ]);
    const numbers = lines.map((l) => Number(/^totes-op lake (\d+) /.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] ?? 0) + i));
  });
});
