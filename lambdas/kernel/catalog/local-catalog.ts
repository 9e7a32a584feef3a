import type { LakeStore } from '../lake/lake-store';
import type { Catalog } from './catalog';

/** Key of the pointer object of dimension `table` in a lake. */
export const catalogPointerKey = (table: string): string => `catalog/${table}.json`;

/** What a pointer object holds. */
interface Pointer {
  readonly table: string;
  /** The snapshot folder, a lake key ending in `/`. */
  readonly location: string;
  readonly switchedAt: string;
}

/**
 * The catalog of a lake without AWS Glue: one small pointer object per dimension,
 * `catalog/<table>.json`, replaced whole (the lake store's writes are atomic), so a reader
 * sees the old snapshot or the new one, never a mix.
 */
export class LocalCatalog implements Catalog {
  constructor(
    private readonly lake: LakeStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async switchDimension(table: string, prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new RangeError(`snapshot prefix must end with "/" (got ${prefix})`);
    const pointer: Pointer = { table, location: prefix, switchedAt: this.clock().toISOString() };
    await this.lake.put(catalogPointerKey(table), `${JSON.stringify(pointer)}\n`);
  }

  async currentDimension(table: string): Promise<string | undefined> {
    const object = await this.lake.get(catalogPointerKey(table));
    if (!object) return undefined;
    return (JSON.parse(object.body.toString('utf8')) as Pointer).location;
  }
}
