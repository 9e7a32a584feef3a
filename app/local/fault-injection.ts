/**
 * TEST SEAM — deterministic crash points for the fault-injection suite (`npm run test:faults`).
 *
 * Off unless the environment variable `TOTES_CRASH_AT` is set. When it is, the CLI wraps its
 * lake store and the PostgreSQL client so that the process kills itself with SIGKILL — no
 * `finally`, no flush, like a power cut — at the Nth operation of a kind:
 *
 * - `lake-write:N` — right before the Nth lake write (`put`, `putIf`, `upload`, `delete`);
 * - `lake-write-mid:N` — half-way through the Nth lake write: half its bytes are in the
 *   local lake's temp file beside the target when the process dies (a torn write);
 * - `pg:N` — right before the Nth statement sent to either database;
 * - `warehouse:N` — right before the Nth statement sent to the warehouse.
 *
 * Counting is per process, so one value kills a given run at the same point every time.
 * `TOTES_CRASH_TRACE=1` prints every counted operation on stderr (`totes-op lake 17 putIf
 * state/ingest.json`), so a test can choose crash points by what they interrupt. Nothing in
 * the pipeline logic knows about this module.
 */
import { writeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';

type Env = Readonly<Record<string, string | undefined>>;

/** Where to crash, parsed from `TOTES_CRASH_AT`. */
export interface CrashPoint {
  readonly kind: 'lake-write' | 'lake-write-mid' | 'pg' | 'warehouse';
  readonly n: number;
}

/** Operations counted so far in this process. */
export interface CrashCounts {
  lake: number;
  pg: number;
  warehouse: number;
}

const PATTERN = /^(lake-write|lake-write-mid|pg|warehouse):([1-9]\d*)$/;
/** Marks the torn temp file; the local lake never lists names containing `.tmp-`. */
const TORN_SUFFIX = '.tmp-torn';

/** The crash point of `TOTES_CRASH_AT`, or `undefined` when unset (the normal case). */
export function crashPointFromEnv(env: Env): CrashPoint | undefined {
  const value = env.TOTES_CRASH_AT?.trim();
  if (!value) return undefined;
  const match = PATTERN.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new RangeError(
      `TOTES_CRASH_AT must be lake-write:N, lake-write-mid:N, pg:N or warehouse:N (got ${value})`,
    );
  }
  return { kind: match[1] as CrashPoint['kind'], n: Number(match[2]) };
}

const counts: CrashCounts = { lake: 0, pg: 0, warehouse: 0 };
let tracing = false;

function trace(kind: string, n: number, what: string): void {
  // Synchronous, so the line is out before a SIGKILL that follows.
  if (tracing) writeSync(2, `totes-op ${kind} ${n} ${what.replace(/\s+/g, ' ').slice(0, 120)}\n`);
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not catchable and is delivered at once; this line only satisfies the types.
  throw new Error('unreachable');
}

/**
 * Installs the seam when `TOTES_CRASH_AT` or `TOTES_CRASH_COUNT` is set and returns the lake
 * to use (the given one, wrapped); a no-op returning `lake` otherwise.
 */
export function installFaultInjection(lake: LakeStore, env: Env = process.env): LakeStore {
  const point = crashPointFromEnv(env);
  tracing = env.TOTES_CRASH_TRACE === '1';
  if (point === undefined && !tracing) return lake;
  patchPgClient(point);
  return crashingLake(lake, point);
}

/** Wraps `lake` so that its writes count towards (and may trigger) the crash point. */
export function crashingLake(lake: LakeStore, point: CrashPoint | undefined): LakeStore {
  const write = async (op: string, key: string, bytes: () => Promise<Buffer>): Promise<void> => {
    counts.lake++;
    trace('lake', counts.lake, `${op} ${key}`);
    if (point?.n !== counts.lake) return;
    if (point.kind === 'lake-write') die();
    if (point.kind === 'lake-write-mid') {
      const local = lake.localPath(key);
      if (local !== undefined) {
        const body = await bytes();
        await mkdir(dirname(local), { recursive: true });
        await writeFile(`${local}${TORN_SUFFIX}`, body.subarray(0, Math.ceil(body.length / 2)));
      }
      die();
    }
  };
  return {
    url: lake.url,
    localPath: (key) => lake.localPath(key),
    get: (key) => lake.get(key),
    list: (prefix) => lake.list(prefix),
    download: (key, path) => lake.download(key, path),
    put: async (key, body) => {
      // A stream is read whole first, so the torn write can hold half of it.
      const buffered = body instanceof Readable ? await toBuffer(body) : body;
      await write('put', key, async () => Buffer.from(buffered));
      return lake.put(key, buffered);
    },
    putIf: async (key, body, condition) => {
      await write('putIf', key, async () => Buffer.from(body));
      return lake.putIf(key, body, condition);
    },
    upload: async (path, key) => {
      await write('upload', key, () => readFile(path));
      return lake.upload(path, key);
    },
    copy: async (from, to) => {
      await write('copy', to, async () => (await lake.get(from))?.body ?? Buffer.alloc(0));
      return lake.copy(from, to);
    },
    delete: async (key) => {
      await write('delete', key, async () => Buffer.alloc(0));
      return lake.delete(key);
    },
  };
}

/**
 * Makes every `pg` Client in the process count its statements (the CLI connects after the
 * environment is opened, so the prototype is the one place to hook). The warehouse client is
 * told apart by the application name `connectPg` gives it.
 */
function patchPgClient(point: CrashPoint | undefined): void {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: Client, ...args: unknown[]) {
    counts.pg++;
    const warehouse = isWarehouse(this);
    if (warehouse) counts.warehouse++;
    trace(
      'pg',
      counts.pg,
      `${warehouse ? `warehouse ${counts.warehouse}` : 'source'} ${statementText(args[0])}`,
    );
    if (point?.kind === 'pg' && counts.pg === point.n) die();
    if (point?.kind === 'warehouse' && warehouse && counts.warehouse === point.n) die();
    return original.apply(this, args);
  };
}

function isWarehouse(client: Client): boolean {
  // `connectionParameters` is internal to pg but stable; it is what the client connected with.
  const params = (client as unknown as { connectionParameters?: { application_name?: string } })
    .connectionParameters;
  return params?.application_name === 'totesys-lake-warehouse';
}

/** The SQL of a query argument: a string, a config object, or a Cursor / COPY stream. */
function statementText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { text?: unknown; sql?: unknown; constructor?: { name?: string } };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.sql === 'string') return o.sql;
    return `<${o.constructor?.name ?? 'query'}>`;
  }
  return String(arg);
}

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
