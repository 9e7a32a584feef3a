import { execFile } from 'node:child_process';
import { closeSync, constants, createReadStream, openSync, type ReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Where a CSV copy failed: DuckDB rendering the CSV, or PostgreSQL taking it. */
export type CsvCopyFailure = { readonly side: 'render' | 'copy'; readonly error: unknown };

/** Thrown by {@link PendingCsv.copyInto}; `failure.side` says which engine failed first. */
export class CsvCopyError extends Error {
  constructor(readonly failure: CsvCopyFailure) {
    super(failure.error instanceof Error ? failure.error.message : String(failure.error), {
      cause: failure.error,
    });
  }
}

/** A CSV DuckDB renders, to be fed to PostgreSQL's `COPY FROM STDIN`. */
export interface CsvRender {
  readonly duckdb: DuckDBConnection;
  /** DuckDB `COPY … TO <path> (FORMAT csv …)` for a given target path. */
  readonly render: (path: string) => string;
  /** Path of the CSV (or the named pipe standing in for it); must not exist yet. */
  readonly path: string;
  /** Stream through a named pipe when the platform has one. @default true */
  readonly pipe?: boolean;
}

/** A CSV whose rendering has started (see {@link startCsv}). */
export interface PendingCsv {
  /** Streams the CSV into `copy` (`COPY … FROM STDIN (FORMAT csv)`); returns the rows COPY took. */
  copyInto(warehouse: Client, copy: string): Promise<number>;
  /** Ends a CSV nobody will COPY (the batch failed first): DuckDB is stopped, nothing is left waiting. */
  abandon(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts DuckDB rendering a CSV for a later COPY. Through a named pipe where `mkfifo` exists:
 * PostgreSQL then parses rows while DuckDB is still writing them (the two engines run on the
 * two cores instead of one after the other, and no CSV lands on disk), and DuckDB can read and
 * sort the next table while PostgreSQL finishes the previous one (its indexes and foreign
 * keys). Without a pipe, through a file.
 *
 * Renders on one DuckDB connection must not overlap: start the next once the previous COPY
 * is done (DuckDB has then written its last row).
 */
export async function startCsv(job: CsvRender): Promise<PendingCsv> {
  if ((job.pipe ?? true) && (await makePipe(job.path))) return new PipedCsv(job);
  const rendered = settle(job.duckdb.run(job.render(job.path)), 'render');
  return {
    copyInto: async (warehouse, copy) => {
      const failure = await rendered;
      if (failure) throw new CsvCopyError(failure);
      const stream = warehouse.query(copyFrom(copy));
      await pipeline(createReadStream(job.path), stream).catch((error: unknown) => {
        throw new CsvCopyError({ side: 'copy', error });
      });
      return stream.rowCount;
    },
    abandon: async () => {
      job.duckdb.interrupt();
      await rendered;
    },
  };
}

async function makePipe(path: string): Promise<boolean> {
  try {
    await run('mkfifo', ['-m', '600', path]);
    return true;
  } catch {
    return false; // no mkfifo here: render to a file instead
  }
}

const settle = (work: Promise<unknown>, side: CsvCopyFailure['side']): Promise<CsvCopyFailure | undefined> =>
  work.then(
    () => undefined,
    (error: unknown) => ({ side, error }),
  );

/**
 * The pipe protocol. This process opens a write end of its own (`keeper`) and then the read
 * end, both at once, before DuckDB starts: so no open() blocks, DuckDB can open the pipe and
 * fill its buffer before COPY starts, and the reader sees no end of file before DuckDB has
 * even opened it. The keeper is closed once DuckDB is done, and the reader then ends with
 * DuckDB's last byte.
 *
 * The read end is never closed while DuckDB may still open or write the pipe (it would block
 * for ever): if COPY fails, or nobody COPYs, DuckDB is interrupted and the rest of its output
 * drained. Whichever side failed first is the error reported: the other one only saw the
 * consequence.
 */
class PipedCsv implements PendingCsv {
  private readonly keeper: number;
  private keeperOpen = true;
  private readonly reader: ReadStream;
  private readonly drained: Promise<void>;
  private readonly rendered: Promise<void>;
  private first: CsvCopyFailure | undefined;

  constructor(private readonly job: CsvRender) {
    // O_RDWR on a FIFO opens at once on Linux, with or without a reader.
    this.keeper = openSync(job.path, constants.O_RDWR);
    this.reader = createReadStream(job.path, { fd: openSync(job.path, constants.O_RDONLY) });
    this.drained = new Promise((resolve) => this.reader.on('close', resolve));
    this.rendered = settle(job.duckdb.run(job.render(job.path)), 'render').then((failure) => {
      if (failure) this.fail(failure);
      this.closeKeeper();
    });
  }

  async copyInto(warehouse: Client, sql: string): Promise<number> {
    const copy = warehouse.query(copyFrom(sql));
    const copied = new Promise<void>((resolve) => {
      copy.on('finish', resolve);
      copy.on('error', (error: unknown) => {
        this.fail({ side: 'copy', error });
        this.reader.unpipe(copy);
        this.stopRender();
        resolve();
      });
      this.reader.on('error', (error: unknown) => {
        this.fail({ side: 'copy', error });
        this.job.duckdb.interrupt();
        this.closeKeeper(); // with no reader left, DuckDB's next write fails (EPIPE)
        copy.destroy(error instanceof Error ? error : new Error(String(error)));
        resolve();
      });
    });
    this.reader.pipe(copy);
    try {
      await this.rendered;
      await copied;
      await this.drained;
      if (this.first) throw new CsvCopyError(this.first);
      return copy.rowCount;
    } finally {
      this.closeKeeper();
      this.reader.destroy();
    }
  }

  async abandon(): Promise<void> {
    this.stopRender();
    await this.rendered;
    await this.drained;
    this.reader.destroy();
  }

  /** Interrupts DuckDB and drains what it still writes, so it can finish. */
  private stopRender(): void {
    this.reader.resume();
    this.job.duckdb.interrupt();
  }

  private fail(failure: CsvCopyFailure): void {
    this.first ??= failure;
  }

  private closeKeeper(): void {
    if (this.keeperOpen) closeSync(this.keeper);
    this.keeperOpen = false;
  }
}
