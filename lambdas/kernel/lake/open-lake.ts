import type { Config } from '../config';
import type { LakeStore } from './lake-store';
import { LocalLakeStore } from './local-lake-store';
import { RoutedLakeStore } from './routed-lake-store';

/** Options for reaching an S3 lake. */
export interface S3Options {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  /**
   * A separate home for the raw zone (`RAW_LAKE_URL`): keys under `raw/` go there, the rest
   * to the main lake URL. @default undefined — the raw zone is inside the main lake
   */
  readonly rawLakeUrl?: string | undefined;
}

/**
 * Opens the lake a `LAKE_URL` names: a local folder for `file://`, S3 for `s3://`; with a
 * `rawLakeUrl`, a {@link RoutedLakeStore} sending `raw/` keys there. The S3 store is loaded on
 * demand so the local path never pulls in the AWS SDK.
 */
export async function openLake(lakeUrl: string, s3: S3Options = {}): Promise<LakeStore> {
  const lake = await openOne(lakeUrl, s3);
  if (s3.rawLakeUrl === undefined) return lake;
  return new RoutedLakeStore(await openOne(s3.rawLakeUrl, s3), lake);
}

/** {@link openLake} with the lake settings of a loaded {@link Config}. */
export function openConfiguredLake(
  config: Pick<Config, 'lakeUrl' | 'rawLakeUrl' | 'awsRegion' | 's3Endpoint'>,
): Promise<LakeStore> {
  return openLake(config.lakeUrl, {
    region: config.awsRegion,
    endpoint: config.s3Endpoint,
    rawLakeUrl: config.rawLakeUrl,
  });
}

async function openOne(lakeUrl: string, s3: S3Options): Promise<LakeStore> {
  if (lakeUrl.startsWith('file://')) return new LocalLakeStore(lakeUrl.slice('file://'.length));
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeUrl);
  if (!match) throw new RangeError(`unsupported lake URL ${lakeUrl}`);
  const { S3LakeStore } = await import('./s3-lake-store');
  return S3LakeStore.fromOptions({
    bucket: match[1] ?? '',
    prefix: match[2] ?? '',
    region: s3.region,
    endpoint: s3.endpoint,
  });
}
