import type { Command } from 'commander';
import { Client } from 'pg';
import { withCredentials } from '../../app/analytics/warehouse/analyst-login';
import {
  type LocalWarehouseAccess,
  prepareLocalWarehouse,
  SERVICES,
} from '../../app/analytics/warehouse/local-access';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { redact } from '../../lambdas/kernel/redact';
import { type Environment, openEnvironment } from '../environment';
import { emit } from '../output';

/** How often `totes up` checks that the server it shows is still there. */
const WATCH_MS = 5_000;

/** What `totes up` prints (also as `--json`). */
interface UpInfo {
  readonly dataDir: string;
  readonly passFile: string;
  readonly serviceFile: string;
  readonly warehouse: { readonly analyst: string; readonly owner: string };
  readonly totesys: string;
  readonly psql: string;
}

/** `totes up`: start the embedded databases, print how to reach them, keep them up until Ctrl-C. */
export function register(program: Command): void {
  program
    .command('up')
    .description(
      'start the embedded PostgreSQL (warehouse and totesys), print their URLs and keep them running until Ctrl-C, for psql, DBeaver or any PostgreSQL tool',
    )
    .option('--json', 'print the URLs as JSON (then keep running)')
    .action(async (options: { json?: boolean }) => {
      const open = () => openEnvironment(program.opts());
      let env = await open();
      try {
        if (env.config.warehouseUrl !== undefined && env.config.totesysUrl !== undefined) {
          emit(
            options.json,
            { warehouse: redact(env.warehouseUrl), totesys: redact(env.sourceUrl), embedded: false },
            () =>
              `nothing to start: WAREHOUSE_URL (${redact(env.warehouseUrl)}) and TOTESYS_URL (${redact(env.sourceUrl)}) name servers of your own`,
          );
          return;
        }
        const info = await describe(env);
        emit(options.json, info, () => render(info));
        const stopped = untilSignal();
        // The server may belong to another totes process that ends first: then start ours.
        for (;;) {
          const outcome = await Promise.race([stopped, sleep(WATCH_MS).then(() => 'tick' as const)]);
          if (outcome !== 'tick') break;
          if (await answers(env.warehouseUrl)) continue;
          process.stderr.write('totes up: the embedded PostgreSQL went away; starting it again\n');
          await env.close();
          env = await open();
          const again = await describe(env);
          if (!options.json) process.stdout.write(`${render(again)}\n`);
        }
        process.stderr.write('totes up: stopping the embedded PostgreSQL\n');
      } finally {
        await env.close();
      }
    });
}

async function describe(env: Environment): Promise<UpInfo> {
  const owner = await connectPg(env.warehouseUrl, 'warehouse');
  let access: LocalWarehouseAccess;
  try {
    access = await prepareLocalWarehouse({
      owner,
      ownerUrl: env.warehouseUrl,
      home: env.config.home,
      log: env.log,
    });
  } finally {
    await owner.end();
  }
  const user = decodeURIComponent(new URL(env.sourceUrl).username);
  return {
    dataDir: `${env.config.home}/pg`,
    passFile: access.passFile,
    serviceFile: access.serviceFile,
    warehouse: { analyst: access.analystUrl, owner: access.ownerUrl },
    totesys:
      env.config.totesysUrl === undefined ? withCredentials(env.sourceUrl, user) : redact(env.sourceUrl),
    psql: `PGSERVICEFILE=${access.serviceFile} psql service=${SERVICES.warehouse}`,
  };
}

function render(info: UpInfo): string {
  return [
    `The embedded PostgreSQL is running (data in ${info.dataDir}).`,
    '',
    `  warehouse, read-only analyst  ${info.warehouse.analyst}`,
    `  warehouse, owner              ${info.warehouse.owner}`,
    `  totesys source                ${info.totesys}`,
    '',
    `Passwords: in ${info.passFile} (libpq's password file: export PGPASSFILE=${info.passFile}).`,
    `Services: in ${info.serviceFile}, so psql needs no host, port or password:`,
    `  export PGSERVICEFILE=${info.serviceFile}`,
    `  psql service=${SERVICES.warehouse}        (read-only analyst; ${SERVICES.warehouseOwner}, ${SERVICES.totesys} too)`,
    '`totes sql` opens a SQL shell as the analyst; `totes sql --url` prints the analyst URL with its',
    'password, for DBeaver and other tools.',
    '',
    'Other totes commands use this server while it runs. Ctrl-C stops it.',
  ].join('\n');
}

/** Resolves on Ctrl-C or a termination request; a timer keeps the process alive until then. */
function untilSignal(): Promise<'signal'> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const done = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve('signal');
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Whether a server answers at `url` (one quick connection attempt, no retries). */
async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
