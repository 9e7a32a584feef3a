import { openCatalog } from '../../../bin/environment';
import { GlueCatalog } from '../../../lambdas/kernel/catalog/glue-catalog';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';

/** Where `totes transform` publishes dimension snapshots (no call is made: only the choice). */
describe('the catalog of a CLI command', () => {
  const lake = {} as LakeStore;

  it('is AWS Glue on an S3 lake when GLUE_DATABASE names the database, as on AWS', async () => {
    const catalog = await openCatalog({ lakeUrl: 's3://curated/lake', awsRegion: 'eu-west-2' }, lake, {
      GLUE_DATABASE: 'totesys_lake_prod',
    });
    expect(catalog).toBeInstanceOf(GlueCatalog);
  });

  it('is the pointer objects of the lake otherwise', async () => {
    expect(
      await openCatalog({ lakeUrl: 's3://curated/lake', awsRegion: undefined }, lake, {}),
    ).toBeInstanceOf(LocalCatalog);
    expect(
      await openCatalog({ lakeUrl: 'file:///tmp/lake', awsRegion: undefined }, lake, { GLUE_DATABASE: 'x' }),
    ).toBeInstanceOf(LocalCatalog);
  });
});
