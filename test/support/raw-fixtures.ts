import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IngestManifest, RawObject } from '../../lambdas/kernel/lake/documents/manifests';
import { INGEST_STATE_KEY, ingestManifestKey, newRunId, rawKey } from '../../lambdas/kernel/lake/layout';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import { type ChangeOp, sourceTable } from '../../lambdas/kernel/schema';

/** A source row with the raw contract's values (decimal strings, millisecond timestamps). */
export type SourceRow = Record<string, unknown>;

/** One change of one row, as an ingest run would capture it. */
export interface RawChange {
  readonly op: ChangeOp;
  /** The whole row for c/u; at least the primary key for d (only the key is written). */
  readonly row: SourceRow;
  /** Overrides of raw values exactly as written (e.g. a bad date text), bypassing conversion. */
  readonly raw?: SourceRow;
}

/**
 * Converts a row as a snapshot export or the generator writes it (money as floats or text,
 * timestamps with a space or `T` and up to 6 fractional digits) to the raw contract: money as
 * exact 2-place decimal strings, timestamps `YYYY-MM-DDTHH:MM:SS.mmm`.
 */
export function toRawContract(table: string, row: SourceRow): SourceRow {
  const def = sourceTable(table);
  const out: SourceRow = {};
  for (const column of def.columns) {
    const value = row[column.name];
    if (value === undefined || value === null) {
      out[column.name] = null;
    } else if (column.type === 'money') {
      out[column.name] = typeof value === 'number' ? value.toFixed(2) : String(value);
    } else if (column.type === 'timestamp') {
      out[column.name] = millis(String(value));
    } else {
      out[column.name] = value;
    }
  }
  return out;
}

function millis(text: string): string {
  const [date, time = '00:00:00'] = text.replace(' ', 'T').split('T');
  const [hms, fraction = ''] = time.split('.');
  return `${date}T${hms}.${fraction.padEnd(3, '0').slice(0, 3)}`;
}

/**
 * Builds a raw zone the way the ingest stage does: each `commitRun` writes one gzip JSON
 * Lines object per table, the run manifest, then `state/ingest.json` with the new seq.
 */
export class RawFixture {
  private seq = 0;

  private constructor(
    readonly dir: string,
    readonly lake: LocalLakeStore,
  ) {}

  /** A fixture over an empty lake in a fresh temp folder. */
  static async create(): Promise<RawFixture> {
    const dir = await mkdtemp(join(tmpdir(), 'totes-raw-'));
    return new RawFixture(dir, new LocalLakeStore(join(dir, 'lake')));
  }

  /** Commits one ingest run with `changes` by table; returns its seq. */
  async commitRun(changes: Readonly<Record<string, readonly RawChange[]>>, at = new Date()): Promise<number> {
    const seq = this.seq + 1;
    const runId = newRunId(at);
    const extractedAt = at.toISOString().replace('Z', '');
    const objects: RawObject[] = [];
    for (const [table, list] of Object.entries(changes)) {
      if (list.length === 0) continue;
      const pk = sourceTable(table).primaryKey;
      const lines = list.map((change) => {
        const values = change.op === 'd' ? { [pk]: change.row[pk] } : toRawContract(table, change.row);
        return JSON.stringify({
          _op: change.op,
          _run_id: runId,
          _extracted_at: extractedAt,
          ...values,
          ...change.raw,
        });
      });
      const key = rawKey(table, extractedAt.slice(0, 10), runId);
      await this.lake.put(key, gzipSync(`${lines.join('\n')}\n`));
      const ops = { c: 0, u: 0, d: 0 };
      for (const change of list) ops[change.op]++;
      objects.push({ table, key, rows: list.length, ops });
    }
    const manifest: IngestManifest = { seq, runId, extractedAt: at.toISOString(), objects };
    await this.lake.put(ingestManifestKey(seq), JSON.stringify(manifest));
    await this.lake.put(INGEST_STATE_KEY, JSON.stringify({ seq }));
    this.seq = seq;
    return seq;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Changes that insert every given row. */
export const inserts = (rows: readonly SourceRow[]): RawChange[] => rows.map((row) => ({ op: 'c', row }));
