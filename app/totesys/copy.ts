import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ident } from '../../lambdas/kernel/schema';

/** Size at which COPY text is handed to the socket: big enough to keep per-chunk overhead negligible. */
const CHUNK_CHARS = 256 * 1024;

/**
 * Streams COPY text lines into `table` (`COPY … FROM STDIN`, text format) and returns the
 * number of rows PostgreSQL accepted. Lines are grouped into large chunks; nothing beyond one
 * chunk is held in memory, so any number of rows loads in bounded memory.
 */
export async function copyLines(
  client: Client,
  table: string,
  columns: readonly string[],
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<number> {
  const sql = `COPY ${ident(table)} (${columns.map(ident).join(', ')}) FROM STDIN`;
  const sink = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunked(lines), { objectMode: false }), sink);
  return sink.rowCount;
}

async function* chunked(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string> {
  let parts: string[] = [];
  let size = 0;
  for await (const line of lines) {
    parts.push(line);
    size += line.length;
    if (size >= CHUNK_CHARS) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
