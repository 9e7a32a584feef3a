/**
 * The catalog pointer of one dimension in a lake without AWS Glue (`catalog/<dim>.json`): the
 * snapshot folder readers of that dimension see. It is derived from the transform state, so a
 * damaged one can be deleted: the next transform points it at the committed snapshot again.
 */
import { z } from 'zod';
import type { LakeStore } from '../lake-store';
import { catalogPointerKey } from '../layout';
import { type DocumentSpec, readDocument, updateDocument } from './document';

/** What a pointer object holds. */
export interface CatalogPointer {
  readonly table: string;
  /** The snapshot folder, a lake key ending in `/`. */
  readonly location: string;
  readonly switchedAt: string;
}

/** The contract of `catalog/<dim>.json`. */
export const CATALOG_POINTER: DocumentSpec<CatalogPointer> = {
  what: 'the catalog pointer',
  schema: z.object({
    table: z.string().min(1),
    location: z.string().regex(/^[^/].*\/$/, 'a lake key folder ending in "/"'),
    switchedAt: z.string().min(1),
  }),
  repair: (at) =>
    `delete ${at.where}; the next ${at.kind === 'folder' ? 'totes transform (or totes run)' : 'transform'} points it at the committed snapshot again`,
};

/** The snapshot folder dimension `table` points at, or `undefined` before the first switch. */
export async function readCatalogPointer(lake: LakeStore, table: string): Promise<string | undefined> {
  return (await readDocument(lake, catalogPointerKey(table), CATALOG_POINTER))?.value.location;
}

/**
 * Points dimension `table` at `location`, unless it already does. A read then a conditional
 * write, so a concurrent switch is never silently overwritten by a stale one (the later
 * writer reads again and decides again).
 */
export async function switchCatalogPointer(
  lake: LakeStore,
  table: string,
  location: string,
  now: Date,
): Promise<void> {
  await updateDocument(lake, catalogPointerKey(table), CATALOG_POINTER, (current) =>
    current?.value.location === location ? undefined : { table, location, switchedAt: now.toISOString() },
  );
}
