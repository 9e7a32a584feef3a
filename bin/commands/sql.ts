import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import type { Client } from 'pg';
import { withCredentials } from '../../app/analytics/warehouse/analyst-login';
import { prepareLocalWarehouse } from '../../app/analytics/warehouse/local-access';
import { runSql, runSqlShell } from '../../app/analytics/warehouse/sql-shell';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { redact } from '../../lambdas/kernel/redact';
import { type Environment, openEnvironment } from '../environment';
import { formatResult, type QueryFormat, readSql } from './query';

/** How this process reaches the warehouse as an analyst. */
interface AnalystTarget {
  /** URL with the password, for this process's own connection. */
  readonly url: string;
  /** URL to show (no password). */
  readonly shown: string;
  /** libpq password file (embedded warehouse), for psql. */
  readonly passFile?: string;
  /** A configured warehouse: the session is made read-only, the login is whatever the URL says. */
  readonly configured: boolean;
}

/**
 * `totes sql ["<sql>" | file.sql]`: SQL on the warehouse as the read-only analyst; without SQL,
 * a shell (psql when it is installed, else a built-in one).
 */
export function register(program: Command): void {
  program
    .command('sql')
    .description(
      'run SQL on the warehouse as the read-only analyst, or open a SQL shell on it (psql when installed)',
    )
    .argument('[sql-or-file]', 'SQL text, or the path of a .sql file; omit it for a shell')
    .option('--json', 'print rows as a JSON array of objects')
    .option('--csv', 'print rows as CSV with a header line')
    .option('--url', 'print the analyst connection URL, password included, for another tool, and exit')
    .option('--no-psql', 'use the built-in shell even when psql is installed')
    .action(
      async (
        sqlOrFile: string | undefined,
        options: { json?: boolean; csv?: boolean; url?: boolean; psql: boolean },
      ) => {
        const sql = sqlOrFile === undefined ? undefined : await readSql(sqlOrFile);
        const format: QueryFormat = options.json ? 'json' : options.csv ? 'csv' : 'table';
        const env = await openEnvironment(program.opts());
        try {
          const target = await analystTarget(env);
          if (options.url) {
            process.stdout.write(`${target.url}\n`);
            return;
          }
          const psql = sql === undefined && options.psql ? findOnPath('psql') : undefined;
          if (psql) {
            process.exitCode = await runPsql(psql, target);
            return;
          }
          const client = await connectAnalyst(target);
          try {
            if (sql !== undefined) {
              const results = await runSql(client, sql);
              const last = results.at(-1);
              if (last)
                process.stdout.write(
                  `${last.kind === 'rows' ? formatResult(last.result, format) : last.tag}\n`,
                );
              return;
            }
            const summary = await runSqlShell(client, {
              input: process.stdin,
              write: (text) => process.stdout.write(text),
              prompt: process.stdin.isTTY === true,
              render: (result) => formatResult(result, format),
            });
            if (summary.errors > 0) process.exitCode = 1;
          } finally {
            await client.end();
          }
        } finally {
          await env.close();
        }
      },
    );
}

/** The embedded warehouse gets its analyst login; a configured one is used as its URL says. */
async function analystTarget(env: Environment): Promise<AnalystTarget> {
  if (env.config.warehouseUrl !== undefined) {
    return { url: env.warehouseUrl, shown: redact(env.warehouseUrl), configured: true };
  }
  const owner = await connectPg(env.warehouseUrl, 'warehouse');
  try {
    const access = await prepareLocalWarehouse({
      owner,
      ownerUrl: env.warehouseUrl,
      home: env.config.home,
      log: env.log,
      ...(env.config.totesysUrl === undefined ? { sourceUrl: env.sourceUrl } : {}),
    });
    return {
      url: access.analystUrlWithPassword,
      shown: access.analystUrl,
      passFile: access.passFile,
      configured: false,
    };
  } finally {
    await owner.end();
  }
}

async function connectAnalyst(target: AnalystTarget): Promise<Client> {
  const client = await connectPg(target.url, 'warehouse');
  // The analyst login is read-only by itself; a configured URL may be an owner's: guard it here.
  if (target.configured) await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  return client;
}

/** Hands the terminal to psql on the analyst's connection; resolves with psql's exit code. */
function runPsql(psql: string, target: AnalystTarget): Promise<number> {
  const url = new URL(target.url);
  const password = decodeURIComponent(url.password);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(target.passFile ? { PGPASSFILE: target.passFile } : { PGPASSWORD: password }),
    ...(target.configured ? { PGOPTIONS: '-c default_transaction_read_only=on' } : {}),
  };
  process.stderr.write(`psql on ${target.shown} (read-only)\n`);
  // Ctrl-C belongs to psql (it cancels the running query), not to this process.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    const child = spawn(psql, [withCredentials(target.url, decodeURIComponent(url.username))], {
      stdio: 'inherit',
      env,
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 1);
    });
  });
}

/** The path of an executable on PATH, if there is one. */
function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
