import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..', '..');
const TOTES = join(ROOT, 'bin', 'totes.cjs');
const GUIDE = readFileSync(join(ROOT, 'docs', 'analyst-guide.md'), 'utf8');

const hasPsql = (process.env.PATH ?? '').split(delimiter).some((dir) => {
  try {
    accessSync(join(dir, 'psql'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** The ```sh blocks of the guide's "On your machine" connection section. */
function guideShellBlocks(): string[] {
  const section = /### On your machine\n([\s\S]*?)\n### /.exec(GUIDE)?.[1] ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

// End to end, as a person follows the analyst guide: no database URL configured, so `totes`
// runs its own embedded PostgreSQL in the workspace's .totes, which `totes up` keeps running.
describe('totes up and totes sql: a warehouse analysts can reach', () => {
  let ws: string;
  let env: NodeJS.ProcessEnv;
  let up: ChildProcess;
  let upOutput = '';

  const sh = (command: string, args: readonly string[], input?: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const child = execFile(command, args, { cwd: ws, env, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const totes = (args: readonly string[], input?: string) => sh(process.execPath, [TOTES, ...args], input);

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'totes-up-'));
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(TOTESYS_URL|WAREHOUSE_URL|RAW_LAKE_URL|LAKE_URL|PG[A-Z]+)$/.test(k),
      ),
    );
    env = { ...inherited, TOTES_HOME: join(ws, '.totes') };
    // The guide's first block, with synthetic data in place of the shared snapshot.
    const [load] = guideShellBlocks();
    expect(load).toContain('npx totes up');
    expect((await totes(['seed', '--synthetic', '--scale', '3000'])).code).toBe(0);
    expect((await totes(['run'])).code).toBe(0);
    up = spawn(process.execPath, [TOTES, 'up'], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (chunk: Buffer) => {
      upOutput += chunk.toString('utf8');
    });
    up.stderr?.on('data', (chunk: Buffer) => {
      upOutput += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (upOutput.includes('Ctrl-C stops it')) {
          clearInterval(timer);
          resolve();
        } else if (up.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`totes up ended: ${upOutput}`));
        }
      }, 100);
    });
  }, 300_000);

  afterAll(async () => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
    await rm(ws, { recursive: true, force: true });
  });

  it('prints the analyst and owner URLs without passwords, and where the passwords are', () => {
    expect(upOutput).toMatch(/read-only analyst +postgres:\/\/analyst@127\.0\.0\.1:\d+\/warehouse\n/);
    expect(upOutput).toMatch(/owner +postgres:\/\/postgres@127\.0\.0\.1:\d+\/warehouse\n/);
    expect(upOutput).toContain(`export PGPASSFILE=${join(ws, '.totes', 'pgpass')}`);
    expect(upOutput).toContain(`export PGSERVICEFILE=${join(ws, '.totes', 'pg_service.conf')}`);
    expect(upOutput).not.toContain('totes-local');
  });

  (hasPsql ? it : it.skip)(
    "answers last month's sales by country with psql, following the guide",
    async () => {
      const [, query] = guideShellBlocks();
      expect(query).toMatch(/^psql service=totes_warehouse/m);
      const guide = await sh('bash', ['-euc', query as string]);
      expect(guide).toMatchObject({ code: 0, stderr: '' });
      const answer = JSON.parse(
        (await totes(['sql', '--json', "SELECT * FROM last_month_sales_by_country(DATE '2024-11-15')"]))
          .stdout,
      ) as { orders: number; month: string }[];
      expect(answer.length).toBeGreaterThan(5);
      expect(guide.stdout).toContain(`(${answer.length} rows)`);
      expect(new Set(answer.map((r) => r.month))).toEqual(new Set(['2024-10-01']));
      // The source, through the owner's service of the same file: every October order is counted.
      const source = await sh('bash', [
        '-euc',
        `export PGSERVICEFILE="$PWD/.totes/pg_service.conf"; psql service=totes_totesys -At -c "SELECT count(*) FROM sales_order WHERE created_at >= '2024-10-01' AND created_at < '2024-11-01'"`,
      ]);
      expect(answer.reduce((sum, r) => sum + r.orders, 0)).toBe(Number(source.stdout.trim()));
    },
  );

  it('runs a query as the read-only analyst and refuses to change anything', async () => {
    const who = await totes([
      'sql',
      'SELECT current_user AS who, count(*) AS n FROM fact_sales_order_current',
    ]);
    expect(who.stdout).toMatch(/^who +n\n-+ +-+\nanalyst +3,?000\n/);
    const write = await totes(['sql', 'DELETE FROM etl.load_log']);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/read-only transaction/);
  });

  it('gives a SQL shell that reads statements from its input', async () => {
    const shell = await totes(
      ['sql', '--no-psql'],
      "SELECT 'a;b' AS text,\n  2 AS n;\n\\d dim_design\nSELECT nope;\n",
    );
    expect(shell.stdout).toMatch(/^text +n\n-+ +-+\na;b +2\n\(1 row\)/);
    expect(shell.stdout).toContain('Design name; names repeat, so tell designs apart by design_id');
    expect(shell.stdout).toMatch(/ERROR: {2}column "nope" does not exist/);
    expect(shell.code).toBe(1);
  });

  it('prints a URL with the password that another tool can connect with', async () => {
    const url = (await totes(['sql', '--url'])).stdout.trim();
    expect(url).toMatch(/^postgres:\/\/analyst:[^@]+@127\.0\.0\.1:\d+\/warehouse$/);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM v_sales_current')).rows).toEqual([
        { n: 3000 },
      ]);
    } finally {
      await client.end();
    }
  });

  it('stops the databases when asked to', async () => {
    const url = (await totes(['sql', '--url'])).stdout.trim();
    const ended = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGTERM');
    expect(await ended).toBe(0);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    await expect(client.connect()).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});
