import { type CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PIPELINE_STAGES, type PipelineStage } from '../../lambdas/kernel/aws/lambda-env';
import { compactedFactKey, compactionManifestKey } from '../../lambdas/kernel/lake/layout';
import { factTables } from '../../lambdas/kernel/schema';
import type { TotesysLakeStack } from './totesys-lake-stack';

/** One accepted cdk-nag finding: its exact id (with the finding suffix) and why it is accepted. */
export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

const XRAY =
  'Resource::* is required by X-Ray (xray:PutTraceSegments/PutTelemetryRecords support no resource scoping)';
const GRANT_ACTIONS =
  'Wildcard actions come from aws-cdk-lib grant*() helpers (object versions, multipart parts, KMS data keys); the resources they apply to are limited to this stage’s buckets, prefixes and key';

/**
 * Acknowledges, on the narrowest construct that raises it, every cdk-nag AwsSolutions finding
 * this design accepts, each with its reason. Anything not listed here fails synth (and the
 * nag test), so a new finding forces a decision.
 */
export function acknowledgeNagFindings(stack: TotesysLakeStack): void {
  const rawBucket = arnRef(stack, stack.storage.rawBucket.node.defaultChild);
  const curatedBucket = arnRef(stack, stack.storage.curatedBucket.node.defaultChild);
  const kms = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((a) => `Action::${a}`);

  const stageFindings: Record<PipelineStage, string[]> = {
    ingest: [
      'Action::s3:Abort*',
      `Resource::${rawBucket}/raw/*`,
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      `Resource::${curatedBucket}/state/*`,
      ...kms,
    ],
    transform: [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      `Resource::${rawBucket}/raw/*`,
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::${curatedBucket}/*`,
      ...kms,
    ],
    load: [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::${curatedBucket}/*`,
      `Resource::${curatedBucket}/state/*`,
      ...kms,
    ],
    compact: [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::${curatedBucket}/state/*`,
      `Resource::${curatedBucket}/${compactionManifestKey(0).replace(/[^/]+$/, '*')}`,
      ...factTables.flatMap((fact) => [
        `Resource::${curatedBucket}/curated/${fact.name}/dt=*`,
        `Resource::${curatedBucket}/${compactedFactKey(fact.name, '*', '*')}`,
      ]),
      ...kms,
    ],
  };

  for (const [stage, findings] of Object.entries(stageFindings) as [keyof typeof stageFindings, string[]][]) {
    const fn = stack.functions[stage].function;
    acknowledge(fn, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the runtime the code, its native DuckDB binding and CI are tested on (test/bundle runs the bundles on Node 22); moving to 24 is a tested upgrade, not a flag',
      },
    ]);
    const role = fn.role?.node;
    if (!role) continue;
    acknowledge(role.defaultChild, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-maintained minimal policy for writing the function’s own logs',
      },
      ...(stage === 'load'
        ? [
            {
              id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
              reason:
                'The AWS-maintained minimal policy a VPC function needs to manage its network interfaces',
            },
          ]
        : []),
    ]);
    const policy = role.tryFindChild('DefaultPolicy')?.node.defaultChild;
    acknowledge(policy, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: XRAY },
      ...findings.map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: GRANT_ACTIONS })),
    ]);
  }

  const machineRole = stack.pipeline.stateMachine.role.node;
  acknowledge(machineRole.tryFindChild('DefaultPolicy')?.node.defaultChild, [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery…) support no resource scoping',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alerts topic needs data keys of its key; topic.grantPublish scopes it to that one key',
    },
    ...PIPELINE_STAGES.map((stage) => ({
      id: `AwsSolutions-IAM5[Resource::${arnRef(stack, stack.functions[stage].function.node.defaultChild)}:*]`,
      reason: `Invoking the ${stage} function by any of its versions, as the LambdaInvoke task's grant does; only that function`,
    })),
  ]);

  const instance = stack.warehouse.instance.node.defaultChild;
  acknowledge(instance, [
    {
      id: 'AwsSolutions-RDS11',
      reason:
        'The port is reachable only from the load function, rotation and QuickSight security groups; a non-default port adds no protection',
    },
  ]);
  if (!stack.config.warehouse.multiAz) {
    acknowledge(instance, [
      {
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ by configuration (warehouseMultiAz=false) for non-production stages; the warehouse can be rebuilt from the lake',
      },
    ]);
  }
  if (stack.config.destroyData) {
    acknowledge(instance, [
      {
        id: 'AwsSolutions-RDS10',
        reason: 'destroyData=true: this stage is disposable by explicit configuration',
      },
    ]);
  }
  acknowledge(stack.source.secret.node.defaultChild, [
    {
      id: 'AwsSolutions-SMG4',
      reason: 'Credentials of the external totesys database: its owner rotates them and updates this secret',
    },
  ]);
  const quicksightRole = stack.node.tryFindChild('QuickSight')?.node.tryFindChild('VpcConnectionRole');
  if (quicksightRole) {
    acknowledge(quicksightRole, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'QuickSight VPC connections need EC2 network-interface actions that support no resource scoping at creation',
      },
    ]);
  }
}

/** The `<LogicalId.Arn>` token text cdk-nag prints for a resource's ARN. */
function arnRef(stack: Stack, resource: IConstruct | undefined): string {
  return `<${stack.getLogicalId(resource as CfnResource)}.Arn>`;
}

function acknowledge(scope: IConstruct | undefined, acknowledgements: readonly NagAcknowledgement[]): void {
  if (!scope) throw new Error('cdk-nag acknowledgement target not found: the stack layout changed');
  for (const a of acknowledgements) Validations.of(scope).acknowledge(a);
}
