import { type FactFile, filesToReplace } from '../../../lambdas/compact/compact';

const file = (key: string, bytes: number, inPlace = true): FactFile => ({ key, bytes, inPlace });
const keys = (groups: readonly (readonly FactFile[])[]): string[][] => groups.map((g) => g.map((f) => f.key));

describe('which files of a partition compaction merges', () => {
  const full = file('full', 100);

  it('merges nothing while the files under the target are at most the threshold', () => {
    expect(filesToReplace([full, file('a', 1), file('b', 1)], 2, 100)).toEqual([]);
  });

  it('never takes a file at or above the target, however many small files there are', () => {
    const files = [full, file('over', 250), ...['a', 'b', 'c'].map((k) => file(k, 1))];
    expect(keys(filesToReplace(files, 2, 100))).toEqual([['a', 'b', 'c']]);
  });

  it('takes the smallest files first, as many as fit in the target together', () => {
    const files = [file('big', 60), file('mid', 30), file('s1', 5), file('s2', 10), file('s3', 20)];
    // 5 + 10 + 20 + 30 = 65 fits in 70; adding the 60 would not.
    expect(keys(filesToReplace(files, 3, 70))).toEqual([['s1', 's2', 's3', 'mid']]);
  });

  it('merges nothing when not even the two smallest fit in the target together', () => {
    expect(filesToReplace([file('a', 60), file('b', 70), file('c', 80)], 2, 100)).toEqual([]);
  });

  it('bounds the bytes of a merge by the target', () => {
    const files = Array.from({ length: 50 }, (_, i) => file(`f${i}`, 7));
    const [merged = []] = filesToReplace(files, 32, 100);
    expect(merged).toHaveLength(14);
    expect(merged.reduce((n, f) => n + f.bytes, 0)).toBeLessThanOrEqual(100);
  });

  it('folds every file of a finer-grained partition, with the small files of its year and not the full ones', () => {
    const files = [full, file('stray', 1, false), file('small', 2)];
    expect(keys(filesToReplace(files, 32, 100))).toEqual([['stray', 'small']]);
  });

  it('folds into files of about the target each, a file over the target on its own', () => {
    const files = [
      file('m1', 40, false),
      file('m2', 40, false),
      file('m3', 40, false),
      file('huge', 300, false),
      file('small', 10),
      full,
    ];
    expect(keys(filesToReplace(files, 32, 100))).toEqual([['small', 'm1', 'm2'], ['m3'], ['huge']]);
  });

  it('does not rewrite a lone small file already in place while folding the others', () => {
    const files = [file('m1', 90, false), file('small', 20)];
    expect(keys(filesToReplace(files, 32, 100))).toEqual([['m1']]);
  });
});
