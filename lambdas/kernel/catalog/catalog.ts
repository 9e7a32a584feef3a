/**
 * The table catalog the curated zone is published through: AWS Glue in the cloud, a pointer
 * file per table in the local lake. Dimensions are written as complete immutable snapshots;
 * switching a table to a new snapshot is one atomic catalog update.
 */
export interface Catalog {
  /** Points dimension `table` at the snapshot folder `prefix` (a lake key ending in `/`). */
  switchDimension(table: string, prefix: string): Promise<void>;
  /** The snapshot folder `table` currently points at, or `undefined` before the first. */
  currentDimension(table: string): Promise<string | undefined>;
}
