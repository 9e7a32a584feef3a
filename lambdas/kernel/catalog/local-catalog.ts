import { readCatalogPointer, switchCatalogPointer } from '../lake/documents/catalog-pointer';
import type { LakeStore } from '../lake/lake-store';
import type { Catalog } from './catalog';

/** Key of the pointer object of dimension `table` in a lake (kept here for existing callers). */
export { catalogPointerKey } from '../lake/layout';

/**
 * The catalog of a lake without AWS Glue: one small pointer object per dimension,
 * `catalog/<table>.json` (see `lambdas/kernel/lake/documents/catalog-pointer.ts`), replaced
 * whole (the lake store's writes are atomic), so a reader sees the old snapshot or the new
 * one, never a mix.
 */
export class LocalCatalog implements Catalog {
  constructor(
    private readonly lake: LakeStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async switchDimension(table: string, prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new RangeError(`snapshot prefix must end with "/" (got ${prefix})`);
    await switchCatalogPointer(this.lake, table, prefix, this.clock());
  }

  async currentDimension(table: string): Promise<string | undefined> {
    return readCatalogPointer(this.lake, table);
  }
}
