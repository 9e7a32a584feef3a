import { join } from 'node:path';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  PIPELINE_STAGES,
  type PipelineStage,
  type StageEnvironment,
  stageServiceName,
} from '../../lambdas/kernel/aws/lambda-env';
import { METRICS_NAMESPACE, STAGE_METRICS } from '../../lambdas/kernel/aws/stage-metrics';
import { glueDatabaseName } from '../../lambdas/kernel/catalog/definitions';
import {
  COMPACTION_INTENT_KEY,
  COMPACTION_STATE_KEY,
  compactedFactKey,
  compactionManifestKey,
  LEASE_KEY,
} from '../../lambdas/kernel/lake/layout';
import { factTables } from '../../lambdas/kernel/schema';
import type { InfraConfig } from '../config';
import { AthenaWorkgroup } from '../constructs/analytics/athena-workgroup';
import { LakeCatalog } from '../constructs/catalog/lake-catalog';
import { PipelineFunction } from '../constructs/compute/pipeline-function';
import type { PipelineFunctionProps } from '../constructs/compute/pipeline-function-props';
import { PipelineMonitoring } from '../constructs/monitoring/pipeline-monitoring';
import { LakeNetwork } from '../constructs/network/lake-network';
import { PipelineStateMachine } from '../constructs/orchestration/pipeline-state-machine';
import { WarehouseDataSource } from '../constructs/quicksight/warehouse-data-source';
import { LakeStorage } from '../constructs/storage/lake-storage';
import { SourceDatabaseSecret } from '../constructs/warehouse/source-database-secret';
import { WarehouseDatabase } from '../constructs/warehouse/warehouse-database';
import { acknowledgeNagFindings } from './nag-acknowledgements';

/** Properties of {@link TotesysLakeStack}. */
export interface TotesysLakeStackProps extends StackProps {
  readonly config: InfraConfig;
  /**
   * Repository root (lambdas/, athena-queries/, node_modules/).
   * @default the folder above infra/
   */
  readonly projectRoot?: string;
}

/**
 * The whole deployment of one stage: network, lake buckets, warehouse, the three stage
 * functions, the scheduled state machine, the Glue catalog, the Athena workgroup, alarms and
 * (behind a flag) QuickSight.
 */
export class TotesysLakeStack extends Stack {
  public readonly config: InfraConfig;
  public readonly source: SourceDatabaseSecret;
  public readonly storage: LakeStorage;
  public readonly network: LakeNetwork;
  public readonly warehouse: WarehouseDatabase;
  public readonly catalog: LakeCatalog;
  public readonly pipeline: PipelineStateMachine;
  public readonly monitoring: PipelineMonitoring;
  public readonly functions: { readonly [S in PipelineStage]: PipelineFunction<S> };
  private readonly zones: readonly string[];

  /** The configured AZs: answering here is what keeps synth free of AZ lookups (and credentials). */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }

  constructor(scope: Construct, id: string, props: TotesysLakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.zones = config.availabilityZones;
    const projectRoot = props.projectRoot ?? join(__dirname, '..', '..');
    const removalPolicy = config.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    if (config.destroyData) {
      Annotations.of(this).addWarningV2(
        'totes:destroy-data',
        `destroyData is on: cdk destroy deletes the lake buckets, the warehouse and their data (stage ${config.stage})`,
      );
    }

    this.network = new LakeNetwork(this, 'Network', {
      availabilityZones: config.availabilityZones,
      flowLogRetention: logRetention,
      removalPolicy,
    });
    this.storage = new LakeStorage(this, 'Storage', { removalPolicy });
    this.warehouse = new WarehouseDatabase(this, 'Warehouse', {
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      instanceIdentifier: `totesys-lake-${config.stage}-warehouse`,
      secretsEndpoint: this.network.secretsEndpoint,
      logRetention,
      instanceType: new ec2.InstanceType(config.warehouse.instanceType),
      multiAz: config.warehouse.multiAz,
      allocatedStorageGiB: config.warehouse.allocatedStorageGiB,
      backupRetentionDays: config.warehouse.backupRetentionDays,
      removalPolicy: config.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
    });
    const source = new SourceDatabaseSecret(this, 'Source', { removalPolicy });
    this.source = source;
    const databaseName = glueDatabaseName(config.stage);
    this.catalog = new LakeCatalog(this, 'Catalog', {
      databaseName,
      rawBucket: this.storage.rawBucket,
      curatedBucket: this.storage.curatedBucket,
    });

    const lake = {
      LAKE_URL: `s3://${this.storage.curatedBucket.bucketName}/`,
      RAW_LAKE_URL: `s3://${this.storage.rawBucket.bucketName}/`,
    };
    const architecture =
      config.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
    const fn = <S extends PipelineStage>(
      stage: S,
      description: string,
      environment: StageEnvironment<S>,
      placement: Partial<Pick<PipelineFunctionProps<S>, 'vpc' | 'vpcSubnets' | 'assetFolders'>> = {},
    ) =>
      new PipelineFunction<S>(this, `${stage[0]?.toUpperCase()}${stage.slice(1)}`, {
        stage,
        projectRoot,
        description,
        architecture,
        memoryMiB: config.functions[stage].memoryMiB,
        timeout: Duration.minutes(config.functions[stage].timeoutMinutes),
        ephemeralStorageMiB: config.functions[stage].ephemeralStorageMiB,
        withDuckDb: stage !== 'ingest',
        logRetention,
        removalPolicy,
        metricsNamespace: METRICS_NAMESPACE,
        environment,
        ...placement,
      });
    this.functions = {
      // Outside the VPC: the source database is external, and a NAT gateway only for it costs more than it protects.
      ingest: fn('ingest', 'Captures totesys changes into the raw zone', {
        ...lake,
        SOURCE_SECRET_ARN: source.secret.secretArn,
      }),
      // Outside the VPC: it talks only to S3 and Glue, over TLS with IAM.
      transform: fn('transform', 'Builds the curated star schema from raw changes', {
        ...lake,
        GLUE_DATABASE: databaseName,
      }),
      load: fn(
        'load',
        'Applies curated batches to the warehouse',
        {
          ...lake,
          WAREHOUSE_SECRET_ARN: this.warehouse.secret.secretArn,
          MIGRATIONS_DIR: '/var/task/warehouse-sql',
        },
        { vpc: this.network.vpc, vpcSubnets: this.network.privateSubnets, assetFolders: ['warehouse-sql'] },
      ),
      // Outside the VPC: it talks only to S3.
      compact: fn('compact', 'Merges the small fact files of loaded batches', { ...lake }),
    };
    this.grantStages(source);

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      ...(config.alertEmail ? { alertEmail: config.alertEmail } : {}),
      removalPolicy,
    });
    if (!config.alertEmail) {
      Annotations.of(this).addWarningV2(
        'totes:no-alert-email',
        'no alertEmail set: alarms publish to the alerts topic but nobody is subscribed (-c alertEmail=ops@example.com)',
      );
    }
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', {
      stateMachineName: `totesys-lake-${config.stage}`,
      ingest: this.functions.ingest.function,
      transform: this.functions.transform.function,
      load: this.functions.load.function,
      compact: this.functions.compact.function,
      alertTopic: this.monitoring.topic,
      scheduleMinutes: config.scheduleMinutes,
      logRetention,
      removalPolicy,
    });
    this.monitoring.watchPipeline({
      functions: Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage, this.functions[stage].function])),
      stateMachine: this.pipeline.stateMachine,
      metricsNamespace: METRICS_NAMESPACE,
      loadService: stageServiceName('load'),
      freshness: Duration.minutes(config.freshnessMinutes),
      stageMetrics: [
        {
          id: 'tables-skipped',
          description:
            'A source table could not be read and was skipped (the others went on); its changes wait until it is readable',
          metricName: STAGE_METRICS.tablesFailed,
          service: stageServiceName('ingest'),
        },
        {
          id: 'rows-quarantined',
          description: 'The transform quarantined source rows (quarantine/<table>/<batch>.jsonl says why)',
          metricName: STAGE_METRICS.rowsQuarantined,
          service: stageServiceName('transform'),
        },
        {
          id: 'compaction-failed',
          description: 'Fact compaction failed; the next run cleans up and retries',
          metricName: STAGE_METRICS.compactionFailed,
          service: stageServiceName('compact'),
        },
      ],
    });

    const athena = new AthenaWorkgroup(this, 'Athena', {
      name: `totesys-lake-${config.stage}`,
      databaseName: this.catalog.database.databaseName,
      resultsBucket: this.storage.athenaResultsBucket,
      resultsKey: this.storage.key,
      bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoff,
      queriesDir: join(projectRoot, 'athena-queries'),
    });

    if (config.quicksight.enabled && config.quicksight.principalArn) {
      new WarehouseDataSource(this, 'QuickSight', {
        vpc: this.network.vpc,
        subnets: this.network.privateSubnets,
        warehouse: this.warehouse,
        principalArn: config.quicksight.principalArn,
        namePrefix: `totesys-lake-${config.stage}`,
      });
    }

    acknowledgeNagFindings(this);
    new CfnOutput(this, 'RawBucketName', { value: this.storage.rawBucket.bucketName });
    new CfnOutput(this, 'CuratedBucketName', { value: this.storage.curatedBucket.bucketName });
    new CfnOutput(this, 'SourceSecretArn', {
      value: source.secret.secretArn,
      description: 'Put the totesys read-only credentials here (docs/deploy.md)',
    });
    new CfnOutput(this, 'WarehouseSecretArn', { value: this.warehouse.secret.secretArn });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AthenaWorkgroup', { value: athena.workgroupName });
    new CfnOutput(this, 'GlueDatabase', { value: databaseName });
  }

  /** Least privilege per stage: each reads and writes only what its step of the flow needs. */
  private grantStages(source: SourceDatabaseSecret): void {
    const { ingest, transform, load, compact } = this.functions;
    const { rawBucket, curatedBucket } = this.storage;
    // Ingest writes raw objects and keeps its state (cursors, key sets, manifests, the lease) in the curated bucket.
    rawBucket.grantPut(ingest.function, 'raw/*');
    curatedBucket.grantReadWrite(ingest.function, 'state/*');
    source.secret.grantRead(ingest.function);
    // Transform reads raw, writes curated/quarantine/state and switches dimension snapshots.
    rawBucket.grantRead(transform.function, 'raw/*');
    curatedBucket.grantReadWrite(transform.function);
    this.catalog.grantSwitchDimensions(transform.function);
    // Load reads curated batches, records its progress (and the lease) in state/ and connects to the warehouse.
    curatedBucket.grantRead(load.function);
    curatedBucket.grantReadWrite(load.function, 'state/*');
    this.warehouse.secret.grantRead(load.function);
    this.warehouse.allowConnectionsFrom(load.function, 'load function to the warehouse');
    this.network.secretsEndpoint.connections.allowDefaultPortFrom(
      load.function,
      'load function to Secrets Manager',
    );
    this.grantCompaction(compact.function);
  }

  /**
   * What `compactFacts` (lambdas/compact/compact.ts) touches, no more: it reads the state
   * documents (transform state and manifests, its own state, the lease), reads and deletes the
   * fact files of loaded partitions, writes only new `compacted-*.parquet` files, and writes
   * only its own state documents and the lease. Dimensions, raw and quarantine stay out of reach.
   */
  private grantCompaction(compact: lambda.IFunction): void {
    const { curatedBucket } = this.storage;
    curatedBucket.grantRead(compact, 'state/*');
    const manifests = compactionManifestKey(0).replace(/[^/]+$/, '*');
    for (const key of [COMPACTION_STATE_KEY, COMPACTION_INTENT_KEY, manifests, LEASE_KEY]) {
      curatedBucket.grantPut(compact, key);
    }
    // Releasing the lease deletes it as a last resort when a write keeps failing.
    curatedBucket.grantDelete(compact, LEASE_KEY);
    for (const fact of factTables) {
      const partitions = `curated/${fact.name}/dt=*`;
      curatedBucket.grantRead(compact, partitions);
      curatedBucket.grantDelete(compact, partitions);
      curatedBucket.grantPut(compact, compactedFactKey(fact.name, '*', '*'));
    }
  }
}
