import { execFile } from 'node:child_process';
import { closeSync, constants, createReadStream, openSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Where a {@link copyCsv} failed: DuckDB rendering the CSV, or PostgreSQL taking it. */
export type CsvCopyFailure = { readonly side: 'render' | 'copy'; readonly error: unknown };

/** Thrown by {@link copyCsv}; `side` says which engine failed, `cause` is its error. */
export class CsvCopyError extends Error {
  constructor(readonly failure: CsvCopyFailure) {
    super(failure.error instanceof Error ? failure.error.message : String(failure.error), {
      cause: failure.error,
    });
  }
}

/** What {@link copyCsv} needs: the two engines and the statements they run. */
export interface CsvCopy {
  readonly duckdb: DuckDBConnection;
  readonly warehouse: Client;
  /** DuckDB `COPY … TO <path> (FORMAT csv …)` for a given target path. */
  readonly render: (path: string) => string;
  /** PostgreSQL `COPY … FROM STDIN (FORMAT csv)`. */
  readonly copy: string;
  /** Path of the CSV (or the named pipe standing in for it); must not exist yet. */
  readonly path: string;
  /** Stream through a named pipe when the platform has one. @default true */
  readonly pipe?: boolean;
}

const run = promisify(execFile);

/**
 * Renders CSV with DuckDB and feeds it to PostgreSQL's `COPY FROM STDIN`; returns the rows
 * COPY took. Through a named pipe where `mkfifo` exists, so PostgreSQL parses rows while
 * DuckDB is still writing them (the two run on the two cores instead of one after the other,
 * and no CSV lands on disk); otherwise through a file, one after the other.
 */
export async function copyCsv(job: CsvCopy): Promise<number> {
  if ((job.pipe ?? true) && (await makePipe(job.path))) return copyThroughPipe(job);
  await job.duckdb.run(job.render(job.path)).catch((error: unknown) => {
    throw new CsvCopyError({ side: 'render', error });
  });
  const copy = job.warehouse.query(copyFrom(job.copy));
  await pipeline(createReadStream(job.path), copy).catch((error: unknown) => {
    throw new CsvCopyError({ side: 'copy', error });
  });
  return copy.rowCount;
}

async function makePipe(path: string): Promise<boolean> {
  try {
    await run('mkfifo', ['-m', '600', path]);
    return true;
  } catch {
    return false; // no mkfifo here: render to a file instead
  }
}

/**
 * The pipe protocol. This process opens a write end of its own (`keeper`) and then the read
 * end, both at once, before DuckDB starts: so no open() blocks, and the reader sees no end of
 * file before DuckDB has even opened the pipe. The keeper is closed once DuckDB is done, and
 * the reader then ends with DuckDB's last byte.
 *
 * The read end is never closed while DuckDB may still open or write the pipe (it would block
 * for ever): if COPY fails, DuckDB is interrupted and the rest of its output drained. Whichever
 * side failed first is the error reported: the other one only saw the consequence.
 */
async function copyThroughPipe(job: CsvCopy): Promise<number> {
  // O_RDWR on a FIFO opens at once on Linux, with or without a reader.
  const keeper = openSync(job.path, constants.O_RDWR);
  let keeperOpen = true;
  const closeKeeper = () => {
    if (keeperOpen) closeSync(keeper);
    keeperOpen = false;
  };
  const reader = createReadStream(job.path, { fd: openSync(job.path, constants.O_RDONLY) });
  const drained = new Promise<void>((resolve) => reader.on('close', resolve));
  let first: CsvCopyFailure | undefined;
  const fail = (failure: CsvCopyFailure) => {
    first ??= failure;
  };
  const copy = job.warehouse.query(copyFrom(job.copy));
  const copied = new Promise<void>((resolve) => {
    copy.on('finish', resolve);
    copy.on('error', (error: unknown) => {
      fail({ side: 'copy', error });
      reader.unpipe(copy);
      reader.resume(); // drain: DuckDB must be able to finish
      job.duckdb.interrupt();
      resolve();
    });
    reader.on('error', (error: unknown) => {
      fail({ side: 'copy', error });
      job.duckdb.interrupt();
      closeKeeper(); // with no reader left, DuckDB's next write fails (EPIPE)
      copy.destroy(error instanceof Error ? error : new Error(String(error)));
      resolve();
    });
  });
  reader.pipe(copy);
  try {
    await job.duckdb.run(job.render(job.path)).catch((error: unknown) => fail({ side: 'render', error }));
    closeKeeper();
    await copied;
    await drained;
    if (first) throw new CsvCopyError(first);
    return copy.rowCount;
  } finally {
    closeKeeper();
    reader.destroy();
  }
}
