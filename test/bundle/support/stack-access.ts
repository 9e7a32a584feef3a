import type { StackModel } from './cloud-assembly';
import {
  type AccessRequest,
  authorize,
  authorizeKms,
  type Decision,
  type NamedPolicy,
  type Principal,
  type Statement,
} from './iam-policy';

/**
 * AWS managed policies the stack attaches. Their documents are public and fixed by AWS;
 * they grant only CloudWatch Logs and VPC network-interface actions, which no stub serves.
 */
const AWS_MANAGED: Readonly<Record<string, readonly Statement[]>> = {
  'service-role/AWSLambdaBasicExecutionRole': [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: '*',
    },
  ],
  'service-role/AWSLambdaVPCAccessExecutionRole': [
    {
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    },
  ],
};

/** One authorisation the harness made, for the report. */
export interface AccessRecord {
  /** The caller: a function's logical id, or the state machine's. */
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly reason: string;
}

/** S3 default encryption of a bucket. */
export interface BucketEncryption {
  readonly algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | 'none';
  readonly keyArn?: string;
}

/**
 * Who may do what, from the synthesized template: role policies (inline, `AWS::IAM::Policy`,
 * managed), bucket policies and encryption, key policies, secret and topic policies. Every
 * decision is recorded.
 */
export class StackAccess {
  readonly records: AccessRecord[] = [];
  /** Managed policies the harness does not know; their statements are not evaluated. */
  readonly unknownManagedPolicies = new Set<string>();
  private readonly identityCache = new Map<string, NamedPolicy[]>();

  constructor(readonly model: StackModel) {}

  /** The principal of a role's session (what `sts:AssumeRole` by Lambda or Step Functions yields). */
  principal(roleLogicalId: string, session: string): Principal {
    const name = this.model.ref(roleLogicalId);
    const { account } = this.model.stack;
    return {
      roleArn: this.model.getAtt(roleLogicalId, 'Arn'),
      sessionArn: `arn:aws:sts::${account}:assumed-role/${name}/${session}`,
      account,
    };
  }

  /** Logical id of the role a `RoleArn`-style property (`Fn::GetAtt [Role, Arn]`) names. */
  roleOf(roleArnProperty: unknown): string {
    const getAtt = (roleArnProperty as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    if (!getAtt?.[0])
      throw new Error(`expected Fn::GetAtt [<role>, Arn], got ${JSON.stringify(roleArnProperty)}`);
    return getAtt[0];
  }

  /** Every identity policy of a role. */
  identityPolicies(roleLogicalId: string): NamedPolicy[] {
    const cached = this.identityCache.get(roleLogicalId);
    if (cached) return cached;
    const policies: NamedPolicy[] = [];
    const role = this.model.resource(roleLogicalId);
    for (const inline of (role.Properties?.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ??
      []) {
      policies.push(this.named(`inline policy ${inline.PolicyName}`, inline.PolicyDocument));
    }
    for (const [id, r] of [
      ...this.model.ofType('AWS::IAM::Policy'),
      ...this.model.ofType('AWS::IAM::ManagedPolicy'),
    ]) {
      const roles = (r.Properties?.Roles as unknown[] | undefined) ?? [];
      if (roles.some((ref) => (ref as { Ref?: string }).Ref === roleLogicalId)) {
        policies.push(this.named(`identity policy ${id}`, r.Properties?.PolicyDocument));
      }
    }
    for (const arn of (this.model.resolve(role.Properties?.ManagedPolicyArns) as string[] | undefined) ??
      []) {
      const awsManaged = /^arn:aws:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
      const statements = awsManaged ? AWS_MANAGED[awsManaged] : undefined;
      if (statements) policies.push({ name: `AWS managed policy ${awsManaged}`, statements });
      else this.unknownManagedPolicies.add(arn);
    }
    this.identityCache.set(roleLogicalId, policies);
    return policies;
  }

  /** Bucket name → its logical id. */
  bucketLogicalId(bucket: string): string | undefined {
    return this.model.ofType('AWS::S3::Bucket').find(([id]) => this.model.ref(id) === bucket)?.[0];
  }

  bucketPolicies(bucket: string): NamedPolicy[] {
    const id = this.bucketLogicalId(bucket);
    return this.model
      .ofType('AWS::S3::BucketPolicy')
      .filter(([, r]) => (r.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === id)
      .map(([pid, r]) => this.named(`bucket policy ${pid}`, r.Properties?.PolicyDocument));
  }

  bucketEncryption(bucket: string): BucketEncryption {
    const id = this.bucketLogicalId(bucket);
    if (!id) return { algorithm: 'none' };
    const config = this.model.prop(id, 'BucketEncryption') as
      | { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: Record<string, string> }[] }
      | undefined;
    const rule = config?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
    // S3 encrypts every new object with SSE-S3 when a bucket names nothing (since January 2023).
    if (!rule) return { algorithm: 'AES256' };
    const algorithm = rule.SSEAlgorithm as BucketEncryption['algorithm'];
    if (algorithm === 'AES256') return { algorithm };
    return { algorithm, keyArn: this.keyArn(rule.KMSMasterKeyID) };
  }

  /** A key's ARN from a key id, key ARN or `undefined` (the AWS managed key). */
  keyArn(idOrArn: string | undefined): string | undefined {
    if (!idOrArn) return undefined;
    return idOrArn.startsWith('arn:') ? idOrArn : this.model.arn('kms', `key/${idOrArn}`);
  }

  keyPolicy(keyArn: string): NamedPolicy | undefined {
    const found = this.model.ofType('AWS::KMS::Key').find(([id]) => this.model.getAtt(id, 'Arn') === keyArn);
    return found ? this.named(`key policy of ${found[0]}`, found[1].Properties?.KeyPolicy) : undefined;
  }

  /** Logical id of the secret with this ARN (or name). */
  secretLogicalId(idOrArn: string): string | undefined {
    return this.model
      .ofType('AWS::SecretsManager::Secret')
      .find(([id]) => this.model.ref(id) === idOrArn || this.model.ref(id).startsWith(`${idOrArn}-`))?.[0];
  }

  secretPolicies(secretArn: string): NamedPolicy[] {
    return this.model
      .ofType('AWS::SecretsManager::ResourcePolicy')
      .filter(([, r]) => this.model.resolve(r.Properties?.SecretId) === secretArn)
      .map(([id, r]) => this.named(`resource policy ${id}`, r.Properties?.ResourcePolicy));
  }

  topicPolicies(topicArn: string): NamedPolicy[] {
    return this.model
      .ofType('AWS::SNS::TopicPolicy')
      .filter(([, r]) => ((this.model.resolve(r.Properties?.Topics) as string[]) ?? []).includes(topicArn))
      .map(([id, r]) => this.named(`topic policy ${id}`, r.Properties?.PolicyDocument));
  }

  /** The KMS key of an SNS topic, if it is encrypted. */
  topicKey(topicArn: string): string | undefined {
    const found = this.model.ofType('AWS::SNS::Topic').find(([id]) => this.model.ref(id) === topicArn);
    return found
      ? this.keyArn(this.model.resolve(found[1].Properties?.KmsMasterKeyId) as string | undefined)
      : undefined;
  }

  /** Authorises and records a request against the role's policies and the resource's own. */
  check(
    caller: string,
    roleLogicalId: string,
    req: AccessRequest,
    resourcePolicies: readonly NamedPolicy[],
  ): Decision {
    const decision = authorize(req, this.identityPolicies(roleLogicalId), resourcePolicies);
    this.records.push({ caller, action: req.action, resource: req.resource, ...decision });
    return decision;
  }

  /** Authorises and records a KMS request (key policy plus, when it delegates, IAM). */
  checkKms(caller: string, roleLogicalId: string, req: AccessRequest): Decision {
    const keyPolicy = this.keyPolicy(req.resource);
    const decision = keyPolicy
      ? authorizeKms(req, this.identityPolicies(roleLogicalId), keyPolicy)
      : { allowed: false, reason: `because the key ${req.resource} is not in the template` };
    this.records.push({ caller, action: req.action, resource: req.resource, ...decision });
    return decision;
  }

  private named(name: string, document: unknown): NamedPolicy {
    const resolved = this.model.resolve(document) as { Statement?: Statement | Statement[] } | undefined;
    const st = resolved?.Statement;
    return { name, statements: st === undefined ? [] : Array.isArray(st) ? st : [st] };
  }
}
