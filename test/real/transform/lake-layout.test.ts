import { listSizes } from '../../../lambdas/kernel/lake/lake-store';
import { curatedTablePrefix } from '../../../lambdas/kernel/lake/layout';
import { factTables } from '../../../lambdas/kernel/schema';
import { closeReader, runTransform } from '../../integration/transform/helpers';
import { RawFixture } from '../../support/raw-fixtures';
import { realSnapshotChanges } from '../support/real-data';

describe('the fact layout of the real Nov 2024 snapshot', () => {
  let fx: RawFixture;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(realSnapshotChanges(), new Date('2024-11-15T15:00:00.123Z'));
    await runTransform(fx);
  });

  afterAll(async () => {
    closeReader();
    await fx.cleanup();
  });

  it.each(factTables.map((t) => [t.name]))(
    'writes %s as one file per year of its 25 months, at most 30 objects',
    async (name) => {
      const files: { key: string; bytes: number }[] = [];
      for await (const o of listSizes(fx.lake, curatedTablePrefix(name))) files.push(o);
      expect(files.length).toBeLessThanOrEqual(30);
      expect(files.map((f) => f.key.split('/')[2])).toEqual([
        'dt=2022-01-01',
        'dt=2023-01-01',
        'dt=2024-01-01',
      ]);
      // A whole year of the real data is a few hundred KB: far from a file too big for one Lambda.
      expect(files.every((f) => f.bytes > 1024 && f.bytes < 1024 * 1024)).toBe(true);
    },
  );
});
