import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';
import { testServerUrl } from '../../support/pg';

/** Values that would break SQL, CSV, JSON or a shell if any stage pasted them into text. */
const HOSTILE = [
  `Robert'); DROP TABLE dim_design; --`,
  `"quoted", with, commas\nand a newline\r\n\\N`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the hostile value.
  "$1 $$ E'\\x00' ${process.exit(1)} ☃ 𝄞",
];

describe('security end to end', () => {
  let ws: CliWorkspace;
  let source: CliWorkspace['source'];
  let warehouse: CliWorkspace['warehouse'];
  let env: Record<string, string>;

  beforeEach(async () => {
    ws = await createCliWorkspace('sec');
    ({ source, warehouse, env } = ws);
  });

  afterEach(() => ws.cleanup());

  it('lands hostile source values as data in the warehouse, through transform and load', async () => {
    for (const [i, value] of HOSTILE.entries()) {
      await sql(
        source.url,
        `INSERT INTO design (design_name, file_location, file_name, created_at, last_updated)
         VALUES ($1, $2, $3, '2024-01-01 00:00:00', '2024-01-01 00:00:00')`,
        [value, `/tmp/${i}`, value],
      );
    }
    await sql(
      source.url,
      'UPDATE staff SET first_name = $1, last_name = $2 WHERE staff_id = 1',
      HOSTILE.slice(0, 2),
    );

    const run = await totes(['run'], env);
    expect(run.code).toBe(0);
    const designs = await sql(
      warehouse.url,
      "SELECT design_name, file_name FROM dim_design WHERE file_location LIKE '/tmp/%' ORDER BY file_location",
    );
    expect(designs).toEqual(HOSTILE.map((v) => ({ design_name: v, file_name: v })));
    expect(
      await sql(warehouse.url, 'SELECT first_name, last_name FROM dim_staff WHERE staff_id = 1'),
    ).toEqual([{ first_name: HOSTILE[0], last_name: HOSTILE[1] }]);
    expect(await sql(warehouse.url, "SELECT to_regclass('dim_design') IS NOT NULL AS t")).toEqual([
      { t: true },
    ]);
    expect((await totes(['verify'], env)).code).toBe(0);
  });

  it('prints no password in any log line or error of a verbose run, failing or not', async () => {
    const secrets = { reader: 'Src-Pa55word-4f1c', writer: 'Wh-Pa55word-9b2e' };
    const admin = testServerUrl();
    await sql(
      admin,
      `DROP ROLE IF EXISTS totes_sec_reader; DROP ROLE IF EXISTS totes_sec_writer;
       CREATE ROLE totes_sec_reader LOGIN PASSWORD '${secrets.reader}';
       CREATE ROLE totes_sec_writer LOGIN PASSWORD '${secrets.writer}'`,
    );
    try {
      await sql(source.url, 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO totes_sec_reader');
      const warehouseName = new URL(warehouse.url).pathname.slice(1);
      await sql(admin, `ALTER DATABASE "${warehouseName}" OWNER TO totes_sec_writer`);
      await sql(warehouse.url, 'ALTER SCHEMA public OWNER TO totes_sec_writer');
      const withUser = (url: string, user: string, password: string) => {
        const u = new URL(url);
        u.username = user;
        u.password = password;
        return u.toString();
      };
      const secured = {
        ...env,
        TOTESYS_URL: withUser(source.url, 'totes_sec_reader', secrets.reader),
        WAREHOUSE_URL: withUser(warehouse.url, 'totes_sec_writer', secrets.writer),
      };
      const outputs = [
        await totes(['--verbose', 'run'], secured),
        await totes(['--verbose', 'status'], secured),
        await totes(['--verbose', 'verify'], secured),
        // Failing: wrong password, unreachable warehouse, a malformed URL.
        await totes(['--verbose', 'run'], {
          ...secured,
          TOTESYS_URL: withUser(source.url, 'totes_sec_reader', 'Wrong-5ecret-77'),
        }),
        await totes(['--verbose', 'run'], {
          ...secured,
          WAREHOUSE_URL: `postgres://totes_sec_writer:${secrets.writer}@127.0.0.1:9/wh`,
        }),
        await totes(['--verbose', 'run'], {
          ...secured,
          WAREHOUSE_URL: `mysql://totes_sec_writer:${secrets.writer}@host/wh`,
        }),
      ];
      // The tail of stderr: a failed run ends with each failed stage's error and what to do.
      expect(outputs.map((o) => [o.code, o.code === 0 ? '' : o.stderr.slice(-600)])).toEqual([
        [0, ''],
        [0, ''],
        [0, ''],
        [1, expect.stringContaining('password authentication failed')],
        [1, expect.stringContaining('cannot connect to the warehouse database')],
        [2, expect.stringContaining('WAREHOUSE_URL must start with postgres://')],
      ]);
      expect(outputs[0]?.stderr).toContain('"level":"debug"');
      for (const o of outputs) {
        const text = o.stdout + o.stderr;
        for (const secret of [...Object.values(secrets), 'Wrong-5ecret-77'])
          expect(text).not.toContain(secret);
      }
      expect(outputs[4]?.stderr).toContain('postgres://totes_sec_writer:***@127.0.0.1:9/wh');
    } finally {
      await sql(source.url, 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM totes_sec_reader').catch(
        () => undefined,
      );
      await sql(warehouse.url, 'ALTER SCHEMA public OWNER TO pg_database_owner').catch(() => undefined);
      await sql(warehouse.url, 'REASSIGN OWNED BY totes_sec_writer TO postgres').catch(() => undefined);
      await sql(source.url, 'DROP OWNED BY totes_sec_reader').catch(() => undefined);
      await sql(admin, 'DROP ROLE IF EXISTS totes_sec_reader; DROP ROLE IF EXISTS totes_sec_writer').catch(
        () => undefined,
      );
    }
  });
});
