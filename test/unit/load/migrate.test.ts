import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationChangedError } from '../../../lambdas/load/errors';
import {
  checksum,
  DEFAULT_MIGRATIONS_DIR,
  type Migration,
  readMigrations,
  verifyApplied,
} from '../../../lambdas/load/migrate';

describe('migration files', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-mig-unit-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are read in name order, ignoring files that are not numbered migrations', async () => {
    await writeFile(join(dir, '010_later.sql'), 'SELECT 10;');
    await writeFile(join(dir, '002_second.sql'), 'SELECT 2;');
    await writeFile(join(dir, '001_first.sql'), 'SELECT 1;');
    await writeFile(join(dir, 'README.md'), '# notes');
    await writeFile(join(dir, 'scratch.sql'), 'SELECT 0;');
    const migrations = await readMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(['001_first.sql', '002_second.sql', '010_later.sql']);
    expect(migrations[0]?.checksum).toBe(checksum('SELECT 1;'));
  });

  it('of this repository are numbered without gaps or duplicates', async () => {
    const numbers = (await readMigrations(DEFAULT_MIGRATIONS_DIR)).map((m) => Number(m.name.slice(0, 3)));
    expect(numbers.length).toBeGreaterThanOrEqual(3);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  });
});

describe('verifyApplied', () => {
  const file = (name: string, sql: string): Migration => ({ name, sql, checksum: checksum(sql) });
  const files = [file('001_a.sql', 'SELECT 1;'), file('002_b.sql', 'SELECT 2;')];

  it('accepts applied migrations whose files are unchanged, and pending ones', () => {
    expect(() => verifyApplied(files, new Map([['001_a.sql', checksum('SELECT 1;')]]))).not.toThrow();
  });

  it('refuses an applied migration whose file changed, naming it', () => {
    const applied = new Map([
      ['001_a.sql', checksum('SELECT 1;')],
      ['002_b.sql', checksum('SELECT 22;')],
    ]);
    expect(() => verifyApplied(files, applied)).toThrow(MigrationChangedError);
    expect(() => verifyApplied(files, applied)).toThrow(/002_b\.sql changed after it was applied/);
  });

  it('refuses an applied migration whose file is gone', () => {
    expect(() => verifyApplied(files, new Map([['003_c.sql', 'x']]))).toThrow(/003_c\.sql .* is missing/);
  });
});
