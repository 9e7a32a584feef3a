import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { openDuck, sqlString } from '../../../lambdas/kernel/duckdb/duckdb';

/** A Glue table as the catalog holds it now (after the functions' `UpdateTable` calls). */
export interface CatalogTable {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** What the check found for one table. */
export interface TableSchemaCheck {
  readonly table: string;
  readonly location: string;
  readonly format: 'parquet' | 'json' | 'view' | 'other';
  readonly files: number;
  /** Empty when every file matches the table. */
  readonly problems: readonly string[];
}

interface GlueColumn {
  readonly Name: string;
  readonly Type: string;
}

/** One row of DuckDB's `parquet_schema()`. */
interface ParquetField {
  readonly file: string;
  readonly name: string;
  readonly type: string | null;
  readonly convertedType: string | null;
  readonly logicalType: string | null;
  readonly scale: number | null;
  readonly precision: number | null;
  readonly children: number | null;
}

/**
 * The Hive/Athena type Athena reads a Parquet leaf column as (physical type plus logical or
 * converted annotation), so it can be compared with a Glue column type.
 */
export function athenaTypeOf(f: Omit<ParquetField, 'file' | 'name' | 'children'>): string {
  const logical = f.logicalType ?? '';
  const converted = f.convertedType ?? '';
  if (converted === 'DECIMAL' || logical.startsWith('DecimalType'))
    return `decimal(${f.precision},${f.scale})`;
  switch (f.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      if (converted === 'DATE' || logical.startsWith('DateType')) return 'date';
      if (converted === 'INT_8') return 'tinyint';
      if (converted === 'INT_16') return 'smallint';
      if (converted.startsWith('TIME') || logical.startsWith('TimeType'))
        return 'time (unreadable by Athena)';
      return 'int';
    case 'INT64':
      if (converted.startsWith('TIMESTAMP') || logical.startsWith('TimestampType')) return 'timestamp';
      if (converted.startsWith('TIME') || logical.startsWith('TimeType'))
        return 'time (unreadable by Athena)';
      if (converted === 'UINT_64') return 'decimal(20,0)';
      return 'bigint';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      if (['UTF8', 'ENUM', 'JSON'].includes(converted) || /^(String|Enum|Json)Type/.test(logical))
        return 'string';
      return 'binary';
    default:
      return `${f.type ?? 'group'} (unmapped)`;
  }
}

/** Whether a JSON value can be read as Glue type `type` by the OpenX JSON SerDe. */
function jsonFits(type: string, value: unknown): boolean {
  if (value === null) return true;
  if (/^(tinyint|smallint|int|integer|bigint)$/.test(type))
    return typeof value === 'number' && Number.isInteger(value);
  if (/^(double|float)$/.test(type) || type.startsWith('decimal'))
    return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'string' || type === 'date' || type === 'timestamp')
    return typeof value === 'string' || typeof value === 'number';
  return false;
}

/**
 * Checks every catalog table against the data files under its location: for Parquet, that
 * each file's `parquet_schema()` has exactly the table's columns, in order, with the same
 * types; for JSON lines, that the records' fields are the table's columns and their values
 * fit the types. Partition keys come from the path, so files must not hold them.
 */
export async function checkCatalogAgainstFiles(
  tables: readonly CatalogTable[],
  s3: S3Client,
  workDir: string,
): Promise<TableSchemaCheck[]> {
  const checks: TableSchemaCheck[] = [];
  const duck = await openDuck({ memoryLimit: '512MB', threads: 1 });
  try {
    for (const table of tables) {
      if (table.input.TableType === 'VIRTUAL_VIEW') {
        checks.push(checkView(table, tables));
        continue;
      }
      const sd = (table.input.StorageDescriptor ?? {}) as {
        Location?: string;
        Columns?: GlueColumn[];
        InputFormat?: string;
      };
      const location = String(sd.Location ?? '');
      const columns = sd.Columns ?? [];
      const partitionKeys = ((table.input.PartitionKeys as GlueColumn[] | undefined) ?? []).map(
        (c) => c.Name,
      );
      const format = /parquet/i.test(sd.InputFormat ?? '')
        ? 'parquet'
        : /TextInputFormat/.test(sd.InputFormat ?? '')
          ? 'json'
          : 'other';
      const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
      if (!match?.[1]) {
        checks.push({
          table: table.name,
          location,
          format,
          files: 0,
          problems: [`location ${location} is not an s3:// URL`],
        });
        continue;
      }
      const keys = await listKeys(s3, match[1], match[2] ?? '');
      const dataKeys = keys.filter((k) =>
        format === 'parquet'
          ? k.endsWith('.parquet')
          : format === 'json'
            ? /\.jsonl?(\.gz)?$/.test(k)
            : false,
      );
      const problems: string[] = [];
      if (dataKeys.length === 0)
        problems.push(`no ${format} files under ${location} (Athena would read nothing)`);
      if (format === 'parquet' && dataKeys.length > 0) {
        const dir = join(workDir, table.name);
        await mkdir(dir, { recursive: true });
        const files: string[] = [];
        for (const [i, key] of dataKeys.entries()) {
          const file = join(dir, `${i}.parquet`);
          await writeFile(file, await getBytes(s3, match[1], key));
          files.push(file);
        }
        const result = await duck.all(
          `SELECT file_name, name, type, converted_type, logical_type, scale, precision, num_children FROM parquet_schema([${files.map(sqlString).join(', ')}])`,
        );
        const byFile = new Map<string, ParquetField[]>();
        for (const r of result.rows) {
          const f: ParquetField = {
            file: String(r[0]),
            name: String(r[1]),
            type: r[2] === null ? null : String(r[2]),
            convertedType: r[3] === null ? null : String(r[3]),
            logicalType: r[4] === null ? null : String(r[4]),
            scale: r[5] === null ? null : Number(r[5]),
            precision: r[6] === null ? null : Number(r[6]),
            children: r[7] === null ? null : Number(r[7]),
          };
          byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
        }
        const signatures = new Map<string, number>();
        for (const fields of byFile.values()) {
          // The first field is the schema root; nested groups would have children.
          const leaves = fields.slice(1);
          const sig = leaves.map((l) => `${l.name} ${l.children ? 'group' : athenaTypeOf(l)}`).join(', ');
          signatures.set(sig, (signatures.get(sig) ?? 0) + 1);
        }
        const expected = columns.map((c) => `${c.Name} ${c.Type.toLowerCase()}`).join(', ');
        for (const [sig, count] of signatures) {
          if (sig === expected) continue;
          const got = sig.split(', ');
          const want = expected.split(', ');
          const diff = [
            ...want.filter((w) => !got.includes(w)).map((w) => `Glue has ${w}`),
            ...got.filter((g) => !want.includes(g)).map((g) => `files have ${g}`),
          ];
          const order = diff.length === 0 ? ['same columns in another order'] : [];
          const partitions = got
            .filter((g) => partitionKeys.includes(g.split(' ')[0] ?? ''))
            .map((g) => `files hold the partition key ${g}`);
          problems.push(
            `${count} of ${byFile.size} files differ: ${[...diff, ...order, ...partitions].join('; ')}`,
          );
        }
      }
      if (format === 'json' && dataKeys.length > 0) {
        const names = columns.map((c) => c.Name);
        const seen = new Set<string>();
        const misfits = new Set<string>();
        for (const key of dataKeys.slice(0, 3)) {
          const raw = await getBytes(s3, match[1], key);
          const text = (key.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
          for (const line of text.split('\n').slice(0, 500)) {
            if (!line.trim()) continue;
            const record = JSON.parse(line) as Record<string, unknown>;
            for (const [field, value] of Object.entries(record)) {
              seen.add(field);
              const column = columns.find((c) => c.Name === field);
              if (column && !jsonFits(column.Type.toLowerCase(), value))
                misfits.add(`${field} (${column.Type}) holds ${JSON.stringify(value)}`);
            }
          }
        }
        const extra = [...seen].filter((f) => !names.includes(f));
        const missing = names.filter((n) => !seen.has(n));
        if (extra.length) problems.push(`records have fields the table lacks: ${extra.join(', ')}`);
        if (missing.length) problems.push(`the table has columns no record holds: ${missing.join(', ')}`);
        if (misfits.size)
          problems.push(`values that do not fit their column type: ${[...misfits].slice(0, 5).join('; ')}`);
      }
      checks.push({ table: table.name, location, format, files: dataKeys.length, problems });
    }
  } finally {
    duck.close();
  }
  return checks;
}

const PRESTO_TO_HIVE: Readonly<Record<string, string>> = { integer: 'int', varchar: 'string' };

/**
 * An Athena view: its Presto definition's columns must be the Glue columns, and a column it
 * takes from the table it reads must keep that table's type (checked against files above).
 */
function checkView(view: CatalogTable, tables: readonly CatalogTable[]): TableSchemaCheck {
  const problems: string[] = [];
  const text = String(view.input.ViewOriginalText ?? '');
  const encoded = /\/\* Presto View: (\S+) \*\//.exec(text)?.[1];
  const glueColumns = (
    (view.input.StorageDescriptor as { Columns?: GlueColumn[] } | undefined)?.Columns ?? []
  ).map((c) => `${c.Name} ${c.Type.toLowerCase()}`);
  if (!encoded)
    return {
      table: view.name,
      location: '(view)',
      format: 'view',
      files: 0,
      problems: ['ViewOriginalText is not a Presto view'],
    };
  const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
    originalSql: string;
    columns: { name: string; type: string }[];
  };
  const prestoColumns = presto.columns.map((c) => `${c.name} ${PRESTO_TO_HIVE[c.type] ?? c.type}`);
  if (prestoColumns.join(', ') !== glueColumns.join(', ')) {
    problems.push(
      `the Presto definition has ${prestoColumns.join(', ')} but Glue has ${glueColumns.join(', ')}`,
    );
  }
  const from = [...presto.originalSql.matchAll(/FROM\s+"?([a-z_][a-z0-9_]*)"?/gi)]
    .map((m) => m[1])
    .find((n) => tables.some((t) => t.name === n));
  const base = tables.find((t) => t.name === from);
  if (!base) problems.push(`reads no table of the catalog (${presto.originalSql.slice(0, 80)}…)`);
  else {
    const baseColumns = new Map(
      ((base.input.StorageDescriptor as { Columns?: GlueColumn[] }).Columns ?? []).map((c) => [
        c.Name,
        c.Type.toLowerCase(),
      ]),
    );
    for (const column of glueColumns) {
      const [name = '', type] = column.split(' ');
      const baseType = baseColumns.get(name);
      if (baseType !== undefined && baseType !== type)
        problems.push(`${name} is ${type} in the view but ${baseType} in ${base.name}`);
    }
  }
  return { table: view.name, location: `(view of ${from ?? '?'})`, format: 'view', files: 0, problems };
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
  }
  return keys;
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}
