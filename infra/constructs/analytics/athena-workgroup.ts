import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import { Construct } from 'constructs';
import type { AthenaWorkgroupProps } from './athena-workgroup-props';

/** One analyst query read from `athena-queries/`. */
export interface NamedQueryFile {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/**
 * The analysts' Athena workgroup: its configuration is enforced (clients cannot point results
 * elsewhere or turn encryption off), results are SSE-KMS encrypted in the results bucket, a
 * query that would scan more than the cutoff is cancelled, and every `athena-queries/*.sql`
 * is deployed as a named query.
 */
export class AthenaWorkgroup extends Construct {
  public readonly workgroup: athena.CfnWorkGroup;
  public readonly namedQueries: readonly athena.CfnNamedQuery[];
  public readonly workgroupName: string;

  constructor(scope: Construct, id: string, props: AthenaWorkgroupProps) {
    super(scope, id);
    this.workgroupName = props.name;
    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.name,
      description: 'totesys lake analysts: enforced settings, encrypted results, bytes-scanned cutoff',
      state: 'ENABLED',
      // Deleted with its named queries and query history: it holds no data (results live in the
      // retained results bucket), and a retained workgroup with its fixed name would make
      // redeploying a destroyed stage fail with "already exists".
      recursiveDeleteOption: (props.removalPolicy ?? RemovalPolicy.DESTROY) === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.resultsKey.keyArn },
        },
      },
    });
    this.workgroup.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);

    // `workGroup: ref` also orders creation: a named query needs its workgroup to exist.
    this.namedQueries = (props.queriesDir ? readNamedQueries(props.queriesDir) : []).map(
      (query) =>
        new athena.CfnNamedQuery(this, `Query-${query.name}`, {
          name: query.name,
          description: query.description,
          database: props.databaseName,
          queryString: query.sql,
          workGroup: this.workgroup.ref,
        }),
    );
  }
}

/** The `*.sql` files of `dir` in name order; a missing folder means no queries. */
export function readNamedQueries(dir: string): NamedQueryFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8').trim();
      const comment = /^--\s*(.+)$/m.exec(sql)?.[1]?.trim();
      const name = basename(file, '.sql');
      return { name, description: (comment ?? name).slice(0, 1024), sql };
    });
}
