import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readNamedQueries } from '../../infra/constructs/analytics/athena-workgroup';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';
import { PIPELINE_STAGES, STAGE_ENVIRONMENT } from '../../lambdas/kernel/aws/lambda-env';
import { STAGE_METRICS } from '../../lambdas/kernel/aws/stage-metrics';
import {
  COMPACTION_INTENT_KEY,
  COMPACTION_STATE_KEY,
  compactedFactKey,
  compactionManifestKey,
  dimensionSnapshotPrefix,
  factKey,
  LEASE_KEY,
  quarantineKey,
  rawKey,
  TRANSFORM_STATE_KEY,
  transformManifestKey,
} from '../../lambdas/kernel/lake/layout';
import { factTables, sourceTables, warehouseTables } from '../../lambdas/kernel/schema';
import { keyArn, objectArn, RolePolicy } from './iam';
import { synthesize } from './synth';

let stack: TotesysLakeStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

const logicalId = (construct: IConstruct | undefined): string => {
  if (!construct) throw new Error('construct not found');
  return stack.getLogicalId(construct as CfnElement);
};
const ref = (construct: IConstruct | undefined) => ({ Ref: logicalId(construct) });
const arnOf = (construct: IConstruct | undefined) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const resource = (construct: IConstruct | undefined) => template.toJSON().Resources[logicalId(construct)];

/** The statements of the default policy of a stage function's role, as JSON text. */
function policyText(stage: 'ingest' | 'transform' | 'load' | 'compact'): string {
  const policy = stack.functions[stage].function.role?.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  return JSON.stringify(resource(policy).Properties.PolicyDocument.Statement);
}

describe('storage', () => {
  const dataBuckets = () => [
    stack.storage.rawBucket,
    stack.storage.curatedBucket,
    stack.storage.athenaResultsBucket,
  ];
  const allBuckets = () => [...dataBuckets(), stack.storage.accessLogsBucket];

  it('blocks every kind of public access on every bucket', () => {
    for (const bucket of allBuckets()) {
      expect(resource(bucket.node.defaultChild).Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it('denies plain-HTTP requests to every bucket', () => {
    for (const bucket of allBuckets()) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(bucket.node.defaultChild),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('encrypts the data buckets with the customer-managed key', () => {
    for (const bucket of dataBuckets()) {
      expect(
        resource(bucket.node.defaultChild).Properties.BucketEncryption.ServerSideEncryptionConfiguration,
      ).toEqual([
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: arnOf(stack.storage.key.node.defaultChild),
          },
        },
      ]);
    }
  });

  it('rotates the lake key', () => {
    expect(resource(stack.storage.key.node.defaultChild).Properties.EnableKeyRotation).toBe(true);
  });

  it('versions every bucket', () => {
    for (const bucket of allBuckets()) {
      expect(resource(bucket.node.defaultChild).Properties.VersioningConfiguration).toEqual({
        Status: 'Enabled',
      });
    }
  });

  it('aborts incomplete multipart uploads in every bucket after a day', () => {
    for (const bucket of allBuckets()) {
      expect(resource(bucket.node.defaultChild).Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        }),
      );
    }
  });

  it('expires Athena query results after 30 days', () => {
    expect(
      resource(stack.storage.athenaResultsBucket.node.defaultChild).Properties.LifecycleConfiguration.Rules,
    ).toContainEqual(expect.objectContaining({ ExpirationInDays: 30 }));
  });

  it('logs access to the data buckets into the access-log bucket', () => {
    for (const bucket of dataBuckets()) {
      expect(resource(bucket.node.defaultChild).Properties.LoggingConfiguration).toEqual(
        expect.objectContaining({
          DestinationBucketName: ref(stack.storage.accessLogsBucket.node.defaultChild),
        }),
      );
    }
  });

  it('retains buckets and keys when the stack is deleted', () => {
    for (const construct of [...allBuckets(), stack.storage.key]) {
      expect(resource(construct.node.defaultChild)).toEqual(
        expect.objectContaining({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' }),
      );
    }
  });
});

describe('network', () => {
  it('has no internet gateway and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('reaches S3 through a gateway endpoint and Secrets Manager through a private interface endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.eu-west-2.secretsmanager',
      PrivateDnsEnabled: true,
    });
  });

  it('admits the secret rotation function to the closed Secrets Manager endpoint', () => {
    const endpointGroup = stack.network.secretsEndpoint.connections.securityGroups[0];
    const rotationGroup = {
      'Fn::GetAtt': [logicalId(stack.warehouse.rotationSecurityGroup.node.defaultChild), 'GroupId'],
    };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(endpointGroup?.node.defaultChild), 'GroupId'] },
      SourceSecurityGroupId: rotationGroup,
      FromPort: 443,
      ToPort: 443,
    });
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({ vpcSecurityGroupIds: rotationGroup }),
    });
  });

  it('admits only the load and rotation functions to the Secrets Manager endpoint', () => {
    const endpointGroup = stack.network.secretsEndpoint.connections.securityGroups[0];
    const groupId = JSON.stringify({
      'Fn::GetAtt': [logicalId(endpointGroup?.node.defaultChild), 'GroupId'],
    });
    const sources = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId) === groupId)
      .map((r) => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0])
      .sort();
    const loadGroup = stack.functions.load.function.connections.securityGroups[0];
    expect(sources).toEqual(
      [
        logicalId(loadGroup?.node.defaultChild),
        logicalId(stack.warehouse.rotationSecurityGroup.node.defaultChild),
      ].sort(),
    );
  });

  it('logs every VPC flow', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });

  it('opens no security group to the internet', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress');
    const text = JSON.stringify([groups, ingress]);
    expect(text).not.toMatch(/0\.0\.0\.0\/0"[^}]*"IpProtocol":"tcp"[^}]*"FromPort"/);
    for (const group of Object.values(groups)) {
      for (const rule of group.Properties.SecurityGroupIngress ?? [])
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
    }
  });
});

describe('warehouse', () => {
  const instance = () => resource(stack.warehouse.instance.node.defaultChild).Properties;

  it('is PostgreSQL, encrypted with a customer key and not publicly accessible', () => {
    expect(instance()).toEqual(
      expect.objectContaining({
        Engine: 'postgres',
        StorageEncrypted: true,
        KmsKeyId: expect.anything(),
        PubliclyAccessible: false,
      }),
    );
  });

  it('forces TLS through its parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: Match.stringLikeRegexp('^postgres'),
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('keeps backups for a week and is protected against deletion', () => {
    expect(instance()).toEqual(
      expect.objectContaining({ BackupRetentionPeriod: 7, DeletionProtection: true }),
    );
  });

  it('keeps its credentials in a KMS-encrypted secret that rotates every 30 days', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: Match.anyValue(),
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"totes_admin"}' }),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('runs in the isolated subnets', () => {
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: stack.network.vpc.isolatedSubnets.map((s) => ref(s.node.defaultChild)),
    });
  });

  it('accepts connections from security groups only, never from an address range', () => {
    const sg = stack.warehouse.instance.connections.securityGroups[0];
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) =>
        JSON.stringify(r.Properties.GroupId) ===
        JSON.stringify({ 'Fn::GetAtt': [logicalId(sg?.node.defaultChild), 'GroupId'] }),
    );
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
      expect(rule.Properties.CidrIp).toBeUndefined();
    }
  });

  it('creates the source credentials secret encrypted with a customer key', () => {
    expect(resource(stack.source.secret.node.defaultChild).Properties.KmsKeyId).toEqual(
      arnOf(stack.source.key.node.defaultChild),
    );
  });
});

describe('compute', () => {
  const props = (stage: (typeof PIPELINE_STAGES)[number]) =>
    resource(stack.functions[stage].function.node.defaultChild).Properties;

  it.each(PIPELINE_STAGES)('runs %s on Node.js 22 with X-Ray tracing', (stage) => {
    expect(props(stage)).toEqual(
      expect.objectContaining({
        Runtime: 'nodejs22.x',
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      }),
    );
  });

  it.each(['transform', 'load'] as const)(
    'sizes %s for DuckDB: ≥3 GB, 15 minutes, 10 GB of /tmp',
    (stage) => {
      expect(props(stage).MemorySize).toBeGreaterThanOrEqual(3072);
      expect(props(stage).Timeout).toBe(900);
      expect(props(stage).EphemeralStorage).toEqual({ Size: 10240 });
    },
  );

  it('places only the load function in the VPC', () => {
    expect(props('load').VpcConfig.SubnetIds).toEqual(
      stack.network.vpc.isolatedSubnets.map((s) => ref(s.node.defaultChild)),
    );
    expect(props('ingest').VpcConfig).toBeUndefined();
    expect(props('transform').VpcConfig).toBeUndefined();
    expect(props('compact').VpcConfig).toBeUndefined();
  });

  it.each(PIPELINE_STAGES)('sets exactly the variables of the %s environment contract', (stage) => {
    const contract = new Set<string>(Object.values(STAGE_ENVIRONMENT).flat());
    const set = Object.keys(props(stage).Environment.Variables).filter((name) => contract.has(name));
    expect(set.sort()).toEqual([...STAGE_ENVIRONMENT[stage]].sort());
  });

  it.each(PIPELINE_STAGES)('names the %s function service totesys-<stage> for its metrics', (stage) => {
    expect(props(stage).Environment.Variables).toEqual(
      expect.objectContaining({
        POWERTOOLS_SERVICE_NAME: `totesys-${stage}`,
        POWERTOOLS_METRICS_NAMESPACE: 'TotesysLake',
      }),
    );
  });

  it.each(PIPELINE_STAGES)('gives %s the curated lake and the raw lake URLs', (stage) => {
    const env = props(stage).Environment.Variables;
    expect(JSON.stringify(env.LAKE_URL)).toContain(logicalId(stack.storage.curatedBucket.node.defaultChild));
    expect(JSON.stringify(env.RAW_LAKE_URL)).toContain(logicalId(stack.storage.rawBucket.node.defaultChild));
  });

  it('tells the load function where its bundled migrations are', () => {
    expect(props('load').Environment.Variables.MIGRATIONS_DIR).toBe('/var/task/warehouse-sql');
  });

  it('logs each function to its own group with a retention', () => {
    for (const stage of PIPELINE_STAGES) {
      expect(props(stage).LoggingConfig.LogGroup).toEqual(
        ref(stack.functions[stage].logGroup.node.defaultChild),
      );
      expect(resource(stack.functions[stage].logGroup.node.defaultChild).Properties.RetentionInDays).toBe(30);
    }
  });
});

describe('least privilege', () => {
  const sourceSecret = () => logicalId(stack.source.secret.node.defaultChild);
  const warehouseSecret = () => logicalId(stack.warehouse.secret.node.defaultChild);

  it('lets only ingest read the source credentials', () => {
    expect(policyText('ingest')).toContain(sourceSecret());
    expect(policyText('transform')).not.toContain(sourceSecret());
    expect(policyText('load')).not.toContain(sourceSecret());
  });

  it('lets only load read the warehouse credentials', () => {
    expect(policyText('load')).toContain(warehouseSecret());
    expect(policyText('ingest')).not.toContain(warehouseSecret());
    expect(policyText('transform')).not.toContain(warehouseSecret());
  });

  it('lets ingest write raw objects but no curated data outside state/', () => {
    const text = policyText('ingest');
    expect(text).toContain('/raw/*');
    expect(text).not.toMatch(/CuratedBucket[^"]*","Arn"\]\},"\/\*"/);
  });

  it('does not let load write raw objects', () => {
    expect(policyText('load')).not.toContain(logicalId(stack.storage.rawBucket.node.defaultChild));
  });

  it('lets only transform update Glue tables, and only the dimensions', () => {
    expect(policyText('ingest')).not.toContain('glue:');
    expect(policyText('load')).not.toContain('glue:');
    expect(policyText('compact')).not.toContain('glue:');
    const text = policyText('transform');
    expect(text).toContain('glue:UpdateTable');
    for (const table of warehouseTables) {
      const granted = text.includes(`/${table.name}"`);
      expect([table.name, granted]).toEqual([table.name, table.kind === 'dimension']);
    }
  });
});

describe('least privilege of compaction', () => {
  const policy = (stage: 'compact' | 'load') =>
    RolePolicy.of(stack, template, stack.functions[stage].function.role);
  const curated = (key: string) => objectArn(stack, stack.storage.curatedBucket, key);
  const fact = factTables[0]?.name ?? 'fact_sales_order';
  const replaced = () => curated(factKey(fact, '2024-11-15', '20241115T144010188Z-3f9a1c', 0));
  const written = () => curated(compactedFactKey(fact, '2024-11-15', '20241116T000000000Z-abcdef'));

  it.each(factTables.map((t) => t.name))(
    'lets compaction read and delete the files of %s partitions and write only compacted ones',
    (name) => {
      const file = curated(factKey(name, '2023-01-31', 'b', 3));
      const compacted = curated(compactedFactKey(name, '2023-01-31', 'c'));
      expect(policy('compact').allows('s3:GetObject', file)).toBe(true);
      expect(policy('compact').allows('s3:DeleteObject', file)).toBe(true);
      expect(policy('compact').allows('s3:PutObject', compacted)).toBe(true);
      expect(policy('compact').allows('s3:PutObject', file)).toBe(false);
    },
  );

  it('lets compaction commit its own state, record and intent, and take the lease', () => {
    for (const key of [COMPACTION_STATE_KEY, COMPACTION_INTENT_KEY, compactionManifestKey(7), LEASE_KEY]) {
      expect([key, policy('compact').allows('s3:PutObject', curated(key))]).toEqual([key, true]);
      expect([key, policy('compact').allows('s3:GetObject', curated(key))]).toEqual([key, true]);
    }
  });

  it('lets compaction read what it plans from: the transform state and its batch manifests', () => {
    for (const key of [TRANSFORM_STATE_KEY, transformManifestKey(3), 'state/transform-intent.json']) {
      expect([key, policy('compact').allows('s3:GetObject', curated(key))]).toEqual([key, true]);
    }
    expect(
      policy('compact').allows(
        's3:ListBucket',
        `arn:aws:s3:::${logicalId(stack.storage.curatedBucket.node.defaultChild)}`,
      ),
    ).toBe(true);
  });

  it('keeps compaction away from the other stages’ state, dimensions, quarantine, raw and secrets', () => {
    for (const key of [
      TRANSFORM_STATE_KEY,
      transformManifestKey(3),
      `${dimensionSnapshotPrefix('dim_staff', 'b')}part-0.parquet`,
      quarantineKey('sales_order', 'b'),
    ]) {
      expect([key, policy('compact').allows('s3:PutObject', curated(key))]).toEqual([key, false]);
      expect([key, policy('compact').allows('s3:DeleteObject', curated(key))]).toEqual([key, false]);
    }
    const raw = objectArn(stack, stack.storage.rawBucket, rawKey('sales_order', '2024-11-15', 'r'));
    expect(policy('compact').allows('s3:GetObject', raw)).toBe(false);
    expect(policyText('compact')).not.toContain(logicalId(stack.warehouse.secret.node.defaultChild));
    expect(policyText('compact')).not.toContain('secretsmanager:');
  });

  it('encrypts and decrypts compacted files with the lake key', () => {
    const key = keyArn(stack, stack.storage.key);
    expect(policy('compact').allows('kms:GenerateDataKey', key)).toBe(true);
    expect(policy('compact').allows('kms:Decrypt', key)).toBe(true);
  });

  it.each(PIPELINE_STAGES)('lets %s take, renew and release the pipeline lease', (stage) => {
    const lease = RolePolicy.of(stack, template, stack.functions[stage].function.role);
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect([action, lease.allows(action, curated(LEASE_KEY))]).toEqual([action, true]);
    }
  });

  it('leaves fact files to compaction: the load may neither write nor delete them', () => {
    expect(policy('load').allows('s3:PutObject', written())).toBe(false);
    expect(policy('load').allows('s3:DeleteObject', replaced())).toBe(false);
  });
});

describe('orchestration', () => {
  const definition = () =>
    JSON.stringify(resource(stack.pipeline.stateMachine.node.defaultChild).Properties.DefinitionString);
  /** The state machine definition as an object, each CloudFormation token as "<token>". */
  const states = (): Record<string, Record<string, unknown>> => {
    const body = resource(stack.pipeline.stateMachine.node.defaultChild).Properties.DefinitionString;
    const parts = body['Fn::Join'][1] as unknown[];
    const text = parts.map((p) => (typeof p === 'string' ? p : '<token>')).join('');
    return JSON.parse(text).States;
  };

  it('compacts after the last load, over the batches that load reported loaded', () => {
    const { MoreToLoad, Compact, Load } = states();
    expect((MoreToLoad as { Default: string }).Default).toBe('Compact');
    expect(Load?.ResultSelector).toEqual(
      expect.objectContaining({ 'lastLoadedSeq.$': '$.Payload.lastLoadedSeq' }),
    );
    expect(Compact?.Parameters).toEqual(
      expect.objectContaining({
        FunctionName: '<token>',
        Payload: { 'executionId.$': '$$.Execution.Id', 'loadedSeq.$': '$.load.lastLoadedSeq' },
      }),
    );
    expect(Compact?.Next).toBe('RunComplete');
    expect(
      JSON.stringify(resource(stack.pipeline.stateMachine.node.defaultChild).Properties.DefinitionString),
    ).toContain(logicalId(stack.functions.compact.function.node.defaultChild));
  });

  it('fails the execution, after retries and an alert, when compaction fails', () => {
    const { Compact, NotifyFailure } = states();
    expect(Compact?.Retry).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], BackoffRate: 2, JitterStrategy: 'FULL' }),
      ]),
    );
    expect(Compact?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' },
    ]);
    expect(NotifyFailure?.Next).toBe('RunFailed');
    expect(states().RunFailed?.Type).toBe('Fail');
  });

  it('may encrypt with the alerts topic key, so its own failure message is delivered', () => {
    const policy = RolePolicy.of(stack, template, stack.pipeline.stateMachine.role);
    const topicKey = keyArn(stack, stack.monitoring.key);
    expect(policy.allows('kms:GenerateDataKey', topicKey)).toBe(true);
    expect(policy.allows('kms:Decrypt', topicKey)).toBe(true);
    expect(policy.resourcesFor('sns:Publish')).toEqual([expect.stringContaining('<')]);
  });

  it('starts with a check for another running execution that ends the run early', () => {
    expect(definition()).toContain(':states:::aws-sdk:sfn:listExecutions');
    expect(definition()).toContain('SkipOverlappingRun');
    expect(definition()).toContain('\\"StatusFilter\\":\\"RUNNING\\"');
  });

  it('may list only its own executions', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'states:ListExecutions',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([':states:eu-west-2:111122223333:stateMachine:totesys-lake-test']),
              ],
            },
          }),
        ]),
      },
    });
  });

  it('loops on transform and on load while they answer more', () => {
    expect(definition()).toContain('MoreToTransform');
    expect(definition()).toContain('\\"Variable\\":\\"$.transform.more\\"');
    expect(definition()).toContain('\\"Variable\\":\\"$.load.more\\"');
  });

  it('retries every stage with exponential backoff and jitter', () => {
    const all = states();
    for (const id of ['Ingest', 'Transform', 'Load', 'Compact']) {
      expect([id, all[id]?.Retry]).toEqual([
        id,
        expect.arrayContaining([
          expect.objectContaining({
            ErrorEquals: ['States.ALL'],
            BackoffRate: 2,
            MaxDelaySeconds: 300,
            JitterStrategy: 'FULL',
          }),
        ]),
      ]);
    }
  });

  it('reports a failed run to the alerts topic', () => {
    expect(definition()).toContain(':states:::sns:publish');
    expect(definition()).toContain(logicalId(stack.monitoring.topic.node.defaultChild));
  });

  it('traces and logs every execution event', () => {
    expect(resource(stack.pipeline.stateMachine.node.defaultChild).Properties).toEqual(
      expect.objectContaining({
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: expect.objectContaining({ Level: 'ALL' }),
      }),
    );
  });

  it('runs every 5 minutes on an EventBridge schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: ref(stack.pipeline.stateMachine.node.defaultChild) })],
    });
  });
});

describe('catalog', () => {
  const table = (name: string) =>
    Object.values(template.findResources('AWS::Glue::Table')).find(
      (t) => t.Properties.TableInput.Name === name,
    )?.Properties.TableInput;

  it('declares one raw and one curated table per schema table and no crawler', () => {
    // Plus one Athena view per fact (test/infra/current-views.test.ts).
    template.resourceCountIs(
      'AWS::Glue::Table',
      sourceTables.length + warehouseTables.length + warehouseTables.filter((t) => t.kind === 'fact').length,
    );
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('projects fact partitions by year from 2022-01-01 to now', () => {
    expect(table('fact_sales_order')?.PartitionKeys).toEqual([
      expect.objectContaining({ Name: 'dt', Type: 'date' }),
    ]);
    expect(table('fact_sales_order')?.Parameters).toEqual(
      expect.objectContaining({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2022-01-01,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'YEARS',
      }),
    );
  });

  it('stores curated tables as Parquet with the schema types', () => {
    const sales = table('fact_sales_order');
    expect(sales?.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(sales?.StorageDescriptor.Columns).toContainEqual(
      expect.objectContaining({ Name: 'unit_price', Type: 'decimal(10,2)' }),
    );
  });

  it('reads raw tables as JSON partitioned by ingest date', () => {
    const raw = table('raw_sales_order');
    expect(raw?.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(raw?.PartitionKeys).toEqual([expect.objectContaining({ Name: 'ingest_date', Type: 'date' })]);
    expect(JSON.stringify(raw?.StorageDescriptor.Location)).toContain('/raw/sales_order/');
  });

  it('points unpartitioned dimensions at their snapshot folder', () => {
    const staff = table('dim_staff');
    expect(staff?.PartitionKeys ?? []).toEqual([]);
    expect(JSON.stringify(staff?.StorageDescriptor.Location)).toContain(
      '/curated/dim_staff/snapshot=unpublished/',
    );
  });
});

describe('removable definitions with fixed names', () => {
  it('deletes every resource with a fixed name on destroy, so the stage can be deployed again', () => {
    const named = [
      'BucketName',
      'LogGroupName',
      'SecretName',
      'Name',
      'StateMachineName',
      'AliasName',
      'TopicName',
      'FunctionName',
    ];
    const kept = Object.entries(
      template.toJSON().Resources as Record<
        string,
        { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }
      >,
    )
      .filter(
        ([, r]) =>
          named.some((p) => typeof r.Properties?.[p] === 'string') || r.Type === 'AWS::Glue::Database',
      )
      .filter(([, r]) => r.Type !== 'AWS::Athena::NamedQuery' && (r.DeletionPolicy ?? 'Delete') !== 'Delete')
      .map(([id, r]) => `${r.Type} ${id}`);
    expect(kept).toEqual([]);
  });

  it('ends the warehouse instance, whose identifier is fixed, with a final snapshot', () => {
    expect(resource(stack.warehouse.instance.node.defaultChild).DeletionPolicy).toBe('Snapshot');
  });

  it('deletes the Glue database on destroy, even when the data is kept: it holds none', () => {
    const [database] = Object.values(template.findResources('AWS::Glue::Database'));
    expect(database?.DeletionPolicy).toBe('Delete');
    expect(database?.Properties.DatabaseInput.Name).toBe('totesys_lake_test');
  });

  it('deletes the Athena workgroup with its named queries on destroy (results stay in their bucket)', () => {
    const [workgroup] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    expect(workgroup?.DeletionPolicy).toBe('Delete');
    expect(workgroup?.Properties.RecursiveDeleteOption).toBe(true);
    expect(resource(stack.storage.athenaResultsBucket.node.defaultChild).DeletionPolicy).toBe('Retain');
  });
});

describe('athena', () => {
  it('enforces its configuration with a bytes-scanned cutoff and KMS-encrypted results', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: arnOf(stack.storage.key.node.defaultChild),
          },
        },
      }),
    });
  });

  it('describes each named query with the first comment of its file', () => {
    const [first] = readNamedQueries(join(__dirname, '..', '..', 'athena-queries'));
    expect(first?.description).not.toMatch(/^--/);
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: first?.name,
      Description: first?.description,
      WorkGroup: ref(stack.node.findChild('Athena').node.findChild('WorkGroup')),
    });
  });

  it('deploys every athena-queries/*.sql file as a named query', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'athena-queries')).filter((f) =>
      f.endsWith('.sql'),
    );
    template.resourceCountIs('AWS::Athena::NamedQuery', files.length);
    for (const file of files) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', { Name: file.replace(/\.sql$/, '') });
    }
  });
});

describe('monitoring', () => {
  it('encrypts the alerts topic and e-mails the configured address', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('lets CloudWatch alarms of this account use the topic key, so encrypted alerts are delivered', () => {
    expect(resource(stack.monitoring.key.node.defaultChild).Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
      }),
    );
  });

  it('refuses plain-HTTP publishing to the topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each([
    [STAGE_METRICS.tablesFailed, 'totesys-ingest'],
    [STAGE_METRICS.rowsQuarantined, 'totesys-transform'],
    [STAGE_METRICS.compactionFailed, 'totesys-compact'],
  ])('alarms as soon as %s of %s counts one', (metric, service) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metric,
      Namespace: 'TotesysLake',
      Dimensions: [{ Name: 'service', Value: service }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on the errors of each stage function', () => {
    for (const stage of PIPELINE_STAGES) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack.functions[stage].function.node.defaultChild) }],
      });
    }
  });

  it('alarms on failed and timed-out executions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsTimedOut' });
  });

  it('alarms when no load has succeeded for 30 minutes, counting silence as stale', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LoadSucceeded',
      Namespace: 'TotesysLake',
      Dimensions: [{ Name: 'service', Value: 'totesys-load' }],
      Period: 1800,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('sends every alarm to the alerts topic', () => {
    const topic = ref(stack.monitoring.topic.node.defaultChild);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
    }
  });
});

describe('quicksight', () => {
  it('is left out unless the quicksight flag is on', () => {
    template.resourceCountIs('AWS::QuickSight::DataSource', 0);
  });
});
