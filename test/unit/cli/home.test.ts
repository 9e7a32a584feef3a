import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliConfig, homeBase } from '../../../bin/environment';

describe('where the CLI keeps its state (TOTES_HOME)', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'totes-home-'));
    await mkdir(join(root, 'project', 'docs', 'deep'), { recursive: true });
    await writeFile(join(root, 'project', 'package.json'), '{}');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('defaults to the project root, found from a folder below it', () => {
    expect(homeBase(join(root, 'project', 'docs', 'deep'))).toBe(join(root, 'project'));
    expect(cliConfig({}, join(root, 'project', 'docs')).home).toBe(join(root, 'project', '.totes'));
  });

  it('prefers the nearest folder that already holds a .totes', async () => {
    await mkdir(join(root, 'project', 'docs', '.totes'));
    expect(homeBase(join(root, 'project', 'docs', 'deep'))).toBe(join(root, 'project', 'docs'));
  });

  it('takes a relative TOTES_HOME from the current folder, as given', () => {
    const cwd = join(root, 'project', 'docs');
    expect(cliConfig({ TOTES_HOME: 'state' }, cwd).home).toBe(join(cwd, 'state'));
  });

  it('falls back to the current folder outside any project', async () => {
    const lone = await mkdtemp(join(tmpdir(), 'totes-lone-'));
    try {
      expect(homeBase(lone)).toBe(lone);
    } finally {
      await rm(lone, { recursive: true, force: true });
    }
  });
});
