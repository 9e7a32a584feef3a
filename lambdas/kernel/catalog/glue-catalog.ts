import {
  ConcurrentModificationException,
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  type Table,
  type TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { type AwsTimeouts, awsRequestHandler } from '../aws/http-timeouts';
import { dimensionSnapshotPrefix } from '../lake/layout';
import type { Catalog } from './catalog';
import { UNPUBLISHED_SNAPSHOT } from './definitions';
import { CatalogConflictError, CatalogError } from './errors';

/** Where the curated tables live in Glue and in S3. */
export interface GlueCatalogOptions {
  /** Glue database holding the curated tables (see `glueDatabaseName`). */
  readonly database: string;
  /** Bucket of the curated zone (the bucket of `LAKE_URL`). */
  readonly bucket: string;
  /**
   * Lake root inside the bucket, the prefix of `LAKE_URL`, so lake keys map to S3 keys.
   * @default '' (the bucket root)
   */
  readonly prefix?: string;
  /** Glue catalog id (account). @default the caller's account */
  readonly catalogId?: string;
}

/** The narrow part of the Glue client this catalog uses, so tests can pass a mock. */
export type GlueSend = Pick<GlueClient, 'send'>;

/**
 * {@link Catalog} over AWS Glue. A dimension is switched to a new snapshot by rewriting its
 * table's storage location in one `UpdateTable` call — atomic for Athena readers — guarded by
 * the table's version id, so a concurrent writer makes the call fail instead of being lost.
 *
 * @example
 * const catalog = GlueCatalog.fromOptions({ database: 'totesys_lake_prod', bucket: 'curated-bucket' });
 * await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=20241115T144010188Z-3f9a1c/');
 */
export class GlueCatalog implements Catalog {
  private readonly root: string;

  constructor(
    private readonly glue: GlueSend,
    private readonly options: GlueCatalogOptions,
  ) {
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.root = `s3://${options.bucket}/${prefix ? `${prefix}/` : ''}`;
  }

  /**
   * A catalog with its own Glue client for `region` (the Lambda's region by default), every call
   * bounded by `timeouts`; `endpoint` reaches a Glue-compatible service (tests).
   */
  static fromOptions(
    options: GlueCatalogOptions & { region?: string; endpoint?: string; timeouts?: AwsTimeouts },
  ): GlueCatalog {
    const { region, endpoint, timeouts, ...rest } = options;
    const client = new GlueClient({
      requestHandler: awsRequestHandler(timeouts),
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
    });
    return new GlueCatalog(client, rest);
  }

  async switchDimension(table: string, prefix: string): Promise<void> {
    if (!prefix.endsWith('/') || prefix.startsWith('/')) {
      throw new CatalogError(`snapshot prefix "${prefix}" must be a lake key folder ending in "/"`, {
        context: { table, key: prefix },
      });
    }
    const current = await this.getTable(table);
    const location = `${this.root}${prefix}`;
    if (current.StorageDescriptor?.Location === location) return;
    try {
      await this.glue.send(
        new UpdateTableCommand({
          DatabaseName: this.options.database,
          ...this.catalogId(),
          TableInput: {
            ...tableInput(current),
            StorageDescriptor: { ...current.StorageDescriptor, Location: location },
          },
          // Optimistic concurrency: fail rather than overwrite a switch made since our read.
          ...(current.VersionId ? { VersionId: current.VersionId } : {}),
          // Each switch would otherwise archive a table version; Glue caps versions per table.
          SkipArchive: true,
        }),
      );
    } catch (error) {
      if (error instanceof ConcurrentModificationException) {
        throw new CatalogConflictError(
          `Glue table ${this.options.database}.${table} changed while switching it to ${prefix}; rerun the transform, which retries the switch`,
          { cause: error, context: { table, key: prefix } },
        );
      }
      throw this.callFailed('update', table, error);
    }
  }

  async currentDimension(table: string): Promise<string | undefined> {
    const location = (await this.getTable(table)).StorageDescriptor?.Location;
    if (location === undefined || !location.startsWith(this.root)) {
      throw new CatalogError(
        `Glue table ${this.options.database}.${table} points at ${location ?? 'no location'}, outside the lake ${this.root}; redeploy the stack to restore it`,
        { context: { table } },
      );
    }
    const prefix = location.slice(this.root.length);
    const normalised = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return normalised === dimensionSnapshotPrefix(table, UNPUBLISHED_SNAPSHOT) ? undefined : normalised;
  }

  private async getTable(table: string): Promise<Table> {
    try {
      const { Table: found } = await this.glue.send(
        new GetTableCommand({ DatabaseName: this.options.database, Name: table, ...this.catalogId() }),
      );
      if (found) return found;
    } catch (error) {
      if (!(error instanceof EntityNotFoundException)) throw this.callFailed('read', table, error);
    }
    throw new CatalogError(
      `Glue table ${this.options.database}.${table} does not exist; deploy the stack, which creates every table from the schema`,
      { context: { table } },
    );
  }

  private catalogId(): { CatalogId?: string } {
    return this.options.catalogId ? { CatalogId: this.options.catalogId } : {};
  }

  private callFailed(action: 'read' | 'update', table: string, error: unknown): CatalogError {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new CatalogError(
      `cannot ${action} Glue table ${this.options.database}.${table} (${reason}); check the function's Glue permissions`,
      { cause: error, context: { table } },
    );
  }
}

/**
 * The `TableInput` that reproduces `table`: `GetTable` returns read-only fields (create time,
 * version, database…) that `UpdateTable` rejects, so only the writable ones are copied.
 */
export function tableInput(table: Table): TableInput {
  const input: TableInput = {
    Name: table.Name,
    Description: table.Description,
    Owner: table.Owner,
    Retention: table.Retention,
    StorageDescriptor: table.StorageDescriptor,
    PartitionKeys: table.PartitionKeys,
    TableType: table.TableType,
    Parameters: table.Parameters,
    ViewOriginalText: table.ViewOriginalText,
    ViewExpandedText: table.ViewExpandedText,
    TargetTable: table.TargetTable,
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TableInput;
}
