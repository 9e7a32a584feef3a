import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliWorkspace, createCliWorkspace } from '../support/cli-workspace';
import { offlineEnv, runTotes } from './support/totes-process';

/** Command-line conventions of the shipped CLI, as a user meets them in a shell. */
describe('totes command-line conventions', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-e2e-conventions-'));
    env = offlineEnv(join(dir, 'lake'), join(dir, 'home'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['an unknown command', ['nope']],
    ['an unknown option', ['status', '--bogus']],
    ['a value that is not a number', ['seed', '--synthetic', '--scale', 'abc']],
    ['a bad number of seconds', ['compact', '--wait', 'soon']],
    ['no command at all', []],
    ['--json with --csv', ['query', 'SELECT 1', '--json', '--csv']],
    ['a missing SQL file', ['query', 'missing.sql']],
  ])('exits 2 on %s', async (_what, args) => {
    const run = await runTotes(args, { env });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toBe('');
  });

  it('prints its version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = await runTotes(['--version'], { env });
    expect(run.code).toBe(0);
    expect(run.out).toBe(`${version}\n`);
  });

  it('prints only what was asked for under --quiet', async () => {
    const listed = await runTotes(['queries'], { env });
    expect(listed.out).toContain('sales_by_month');
    const quiet = await runTotes(['--quiet', 'queries'], { env });
    expect(quiet.code).toBe(0);
    expect(quiet.out).toBe('');
    const asked = await runTotes(['--quiet', 'queries', '--json'], { env });
    expect(JSON.parse(asked.out)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'sales_by_month' })]),
    );
    const rows = await runTotes(['--quiet', 'query', 'SELECT 7 AS n', '--csv'], { env });
    expect(rows.out).toBe('n\n7\n');
  });

  describe('TOTES_HOME', () => {
    let ws: CliWorkspace;
    let project: string;

    beforeAll(async () => {
      ws = await createCliWorkspace('e2e_home');
      project = join(ws.dir, 'project');
      await mkdir(join(project, 'docs', 'guide'), { recursive: true });
      await writeFile(join(project, 'package.json'), '{"name":"somewhere"}\n');
    });

    afterAll(async () => {
      await ws?.cleanup();
    });

    const fromDocs = () =>
      runTotes(['--quiet', 'ingest'], {
        cwd: join(project, 'docs', 'guide'),
        env: { TOTESYS_URL: ws.source.url, WAREHOUSE_URL: ws.warehouse.url },
      });

    it('is the project root’s .totes when run from a folder below it', async () => {
      const run = await fromDocs();
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(existsSync(join(project, '.totes', 'lake', 'state', 'ingest.json'))).toBe(true);
      expect(existsSync(join(project, 'docs', 'guide', '.totes'))).toBe(false);
    });

    it('is the nearest .totes at or above the current folder, before the project root’s', async () => {
      await mkdir(join(project, 'docs', '.totes'));
      const run = await fromDocs();
      expect(run.code).toBe(0);
      expect(existsSync(join(project, 'docs', '.totes', 'lake', 'state', 'ingest.json'))).toBe(true);
    });
  });
});
