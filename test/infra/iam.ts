import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';

/** One statement of an identity policy, with its tokens resolved to plain ARNs. */
interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/**
 * A small evaluator of the identity policy the template gives a role: may it do `action` on
 * `arn`? Bucket and key ARNs are rendered as `arn:aws:s3:::<logical id>` and
 * `arn:kms:<logical id>`, so tests ask in terms of the stack's own constructs. Explicit denies
 * win, wildcards follow IAM (`*` any run of characters, `?` one).
 */
export class RolePolicy {
  private constructor(private readonly statements: readonly Statement[]) {}

  /** The default policy of `role` (a function's or the state machine's) in `template`. */
  static of(stack: TotesysLakeStack, template: Template, role: IConstruct | undefined): RolePolicy {
    const policy = role?.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
    if (!policy) throw new Error('role has no default policy');
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: never }>;
    const types = (id: string) => resources[id]?.Type ?? 'unknown';
    const resource = resources[stack.getLogicalId(policy as CfnElement)] as unknown as {
      Properties: { PolicyDocument: { Statement: unknown } };
    };
    const raw = resource.Properties.PolicyDocument.Statement as {
      Effect: string;
      Action: string | string[];
      Resource: unknown;
    }[];
    return new RolePolicy(
      raw.map((s) => ({
        effect: s.Effect,
        actions: ([] as string[]).concat(s.Action),
        resources: ([] as unknown[]).concat(s.Resource).map((r) => render(r, types)),
      })),
    );
  }

  /** True when an Allow covers `action` on `arn` and no Deny does. */
  allows(action: string, arn: string): boolean {
    const matching = this.statements.filter(
      (s) => s.actions.some((a) => glob(a, action)) && s.resources.some((r) => glob(r, arn)),
    );
    return matching.some((s) => s.effect === 'Allow') && !matching.some((s) => s.effect === 'Deny');
  }

  /** Every resource pattern an Allow grants `action` on. */
  resourcesFor(action: string): string[] {
    return this.statements
      .filter((s) => s.effect === 'Allow' && s.actions.some((a) => glob(a, action)))
      .flatMap((s) => s.resources);
  }
}

/** `arn:aws:s3:::<logical id of bucket>/key`: how {@link RolePolicy} names an object. */
export const objectArn = (stack: TotesysLakeStack, bucket: IConstruct, key: string): string =>
  `arn:aws:s3:::${stack.getLogicalId(bucket.node.defaultChild as CfnElement)}/${key}`;

/** How {@link RolePolicy} names a KMS key. */
export const keyArn = (stack: TotesysLakeStack, key: IConstruct): string =>
  `arn:kms:${stack.getLogicalId(key.node.defaultChild as CfnElement)}`;

/** A resource as text: an ARN attribute by the type of its resource, other tokens as `<…>`. */
function render(value: unknown, typeOf: (logicalId: string) => string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => render(p, typeOf)).join(separator);
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute !== 'Arn') return `<${id}.${attribute}>`;
    const type = typeOf(id);
    if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${id}`;
    if (type === 'AWS::KMS::Key') return `arn:kms:${id}`;
    return `arn:${type}:${id}`;
  }
  if (typeof v.Ref === 'string') return `<${v.Ref}>`;
  return JSON.stringify(value);
}

function glob(pattern: string, text: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(text);
}
