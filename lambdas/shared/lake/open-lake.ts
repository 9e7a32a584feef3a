import type { LakeStore } from './lake-store';
import { LocalLakeStore } from './local-lake-store';

/** Options for reaching an S3 lake. */
export interface S3Options {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
}

/**
 * Opens the lake a `LAKE_URL` names: a local folder for `file://`, S3 for `s3://`.
 * The S3 store is loaded on demand so the local path never pulls in the AWS SDK.
 */
export async function openLake(lakeUrl: string, s3: S3Options = {}): Promise<LakeStore> {
  if (lakeUrl.startsWith('file://')) return new LocalLakeStore(lakeUrl.slice('file://'.length));
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeUrl);
  if (!match) throw new RangeError(`unsupported lake URL ${lakeUrl}`);
  const { S3LakeStore } = await import('./s3-lake-store');
  return S3LakeStore.fromOptions({ bucket: match[1] ?? '', prefix: match[2] ?? '', ...s3 });
}
