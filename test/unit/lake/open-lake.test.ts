import { join } from 'node:path';
import { loadConfig } from '../../../lambdas/kernel/config';
import { ConfigError } from '../../../lambdas/kernel/errors';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { openConfiguredLake, openLake } from '../../../lambdas/kernel/lake/open-lake';
import { RoutedLakeStore } from '../../../lambdas/kernel/lake/routed-lake-store';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';

describe('RAW_LAKE_URL', () => {
  it('is unset by default, leaving the raw zone inside LAKE_URL', () => {
    const config = loadConfig({ LAKE_URL: 'file:///var/lake/' }, '/work');

    expect(config.lakeUrl).toBe('file:///var/lake');
    expect(config.rawLakeUrl).toBeUndefined();
  });

  it('accepts the same forms as LAKE_URL, normalised the same way', () => {
    expect(loadConfig({ RAW_LAKE_URL: 's3://totes-raw/lake/' }).rawLakeUrl).toBe('s3://totes-raw/lake');
    expect(loadConfig({ RAW_LAKE_URL: 'file:///data/raw/' }).rawLakeUrl).toBe('file:///data/raw');
  });

  it.each([
    ['file://relative/raw', /RAW_LAKE_URL must be an absolute file URL/],
    ['https://bucket/raw', /RAW_LAKE_URL must be file:\/\/\/absolute\/path or s3:\/\/bucket\/prefix/],
    ['s3://A_Bad_Bucket', /RAW_LAKE_URL must be/],
  ])('rejects %s with a message naming RAW_LAKE_URL', (value, message) => {
    const attempt = () => loadConfig({ RAW_LAKE_URL: value });

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});

describe('openLake', () => {
  it('opens a plain local lake when only LAKE_URL is given', async () => {
    const lake = await openLake('file:///tmp/lake');

    expect(lake).toBeInstanceOf(LocalLakeStore);
    expect(lake.localPath('raw/t/1.gz')).toBe(join('/tmp/lake', 'raw', 't', '1.gz'));
  });

  it('routes raw/ to RAW_LAKE_URL and the rest to LAKE_URL', async () => {
    const lake = await openConfiguredLake(
      loadConfig({
        LAKE_URL: 's3://totes-curated/lake',
        RAW_LAKE_URL: 's3://totes-raw',
        AWS_REGION: 'eu-west-2',
      }),
    );

    expect(lake).toBeInstanceOf(RoutedLakeStore);
    const routed = lake as RoutedLakeStore;
    expect(routed.raw).toBeInstanceOf(S3LakeStore);
    expect(routed.raw.url).toBe('s3://totes-raw');
    expect(routed.rest.url).toBe('s3://totes-curated/lake');
  });
});
