import { gunzipSync } from 'node:zlib';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';

/** A raw-zone row as the tests read it back. */
export type RawRow = Record<string, unknown> & { _op: string; _run_id: string; _extracted_at: string };

/** Every row of every raw object of `table`, in key order. */
export async function readRaw(lake: LakeStore, table: string): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const key of lake.list(`raw/${table}/`)) {
    const object = await lake.get(key);
    if (!object) continue;
    for (const line of gunzipSync(object.body).toString('utf8').split('\n')) {
      if (line) rows.push(JSON.parse(line) as RawRow);
    }
  }
  return rows;
}
