import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One resource of a CloudFormation template, as `cdk synth` wrote it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The parts of a synthesized template the harness reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** A synthesized stack: its template and the environment it targets. */
export interface SynthesizedStack {
  /** The cloud assembly folder (`cdk.out`). */
  readonly dir: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
  readonly displayName?: string;
}

/**
 * Reads the one CloudFormation stack of a cloud assembly (`cdk.out/manifest.json`). With
 * several stacks, `stackName` picks one.
 */
export function readSynthesizedStack(dir: string, stackName?: string): SynthesizedStack {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(
      `no cloud assembly at ${dir} (manifest.json missing): run \`npm run synth\` first, or \`npm run test:bundle\`, which synthesizes`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, ManifestArtifact>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(
    ([id, a]) => a.type === 'aws:cloudformation:stack' && (!stackName || id === stackName),
  );
  const [only, ...others] = stacks;
  if (!only || others.length > 0) {
    throw new Error(
      `expected one stack in ${manifestPath}, found ${stacks.map(([id]) => id).join(', ') || 'none'}; set TOTES_BUNDLE_STACK`,
    );
  }
  const [id, artifact] = only;
  const env = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/.exec(artifact.environment ?? '');
  if (!env?.[1] || !env[2]) {
    throw new Error(
      `stack ${id} has no concrete environment (${artifact.environment}); synth with an account and region`,
    );
  }
  const templateFile = artifact.properties?.templateFile ?? `${id}.template.json`;
  return {
    dir,
    stackName: artifact.properties?.stackName ?? id,
    account: env[1],
    region: env[2],
    template: JSON.parse(readFileSync(join(dir, templateFile), 'utf8')) as CfnTemplate,
  };
}

/** Local stand-ins for values only a deployment would know. */
export interface LocalWorld {
  /** Host and port of the PostgreSQL that plays an `AWS::RDS::DBInstance`. */
  readonly database: { readonly host: string; readonly port: number };
}

/**
 * The template with its intrinsic functions resolved the way CloudFormation would in this
 * account and region, with deterministic physical names: a bucket's `Ref` is the local
 * bucket the harness creates, a role's `Arn` is the principal the gateway sees. Resolution is
 * lazy (only what the harness reads), and anything it cannot resolve fails naming the
 * resource, so a new construct type is an explicit error, not a silent wrong value.
 */
export class StackModel {
  readonly partition = 'aws';

  constructor(
    readonly stack: SynthesizedStack,
    private readonly world: LocalWorld,
  ) {}

  get resources(): Record<string, CfnResource> {
    return this.stack.template.Resources;
  }

  /** `[logicalId, resource]` of every resource of `type`. */
  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  resource(logicalId: string): CfnResource {
    const found = this.resources[logicalId];
    if (!found) throw new Error(`the template has no resource ${logicalId}`);
    return found;
  }

  /** A resource property, resolved. */
  prop(logicalId: string, name: string): unknown {
    return this.resolve(this.resource(logicalId).Properties?.[name]);
  }

  /** Resolves every intrinsic function in `value`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** {@link resolve} for a value that must be a string. */
  str(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  /** Physical id (`Ref`) of a resource or pseudo parameter. */
  ref(name: string): string {
    switch (name) {
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::Region':
        return this.stack.region;
      case 'AWS::AccountId':
        return this.stack.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stack.stackName;
      case 'AWS::StackId':
        return this.arn(
          'cloudformation',
          `stack/${this.stack.stackName}/00000000-0000-0000-0000-000000000000`,
        );
    }
    const r = this.resource(name);
    const p = r.Properties ?? {};
    const named = (key: string): string | undefined => {
      const v = this.resolve(p[key]);
      return typeof v === 'string' ? v : undefined;
    };
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return named('BucketName') ?? this.physicalName(name, 63).toLowerCase();
      case 'AWS::KMS::Key':
        return this.keyId(name);
      case 'AWS::SecretsManager::Secret':
        return this.arn('secretsmanager', `secret:${named('Name') ?? name}-${suffix6(name)}`);
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return this.str(p.SecretId);
      case 'AWS::IAM::Role':
        return named('RoleName') ?? this.physicalName(name, 64);
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? this.physicalName(name, 64);
      case 'AWS::SNS::Topic':
        return this.arn('sns', named('TopicName') ?? this.physicalName(name, 256));
      case 'AWS::Glue::Database':
        return this.str((p.DatabaseInput as Record<string, unknown> | undefined)?.Name);
      case 'AWS::Glue::Table':
        return this.str((p.TableInput as Record<string, unknown> | undefined)?.Name);
      case 'AWS::StepFunctions::StateMachine':
        return this.arn('states', `stateMachine:${named('StateMachineName') ?? this.physicalName(name, 80)}`);
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? this.physicalName(name, 512);
      case 'AWS::RDS::DBInstance':
        return named('DBInstanceIdentifier') ?? this.physicalName(name, 63).toLowerCase();
      default:
        // Network ids and the like: opaque and only compared for equality.
        return `${r.Type.split('::')[2]?.toLowerCase() ?? 'res'}-${name}`;
    }
  }

  /** `Fn::GetAtt` of a resource. */
  getAtt(name: string, attribute: string): string {
    const r = this.resource(name);
    const id = this.ref(name);
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:${this.partition}:s3:::${id}`;
      case 'AWS::KMS::Key.Arn':
        return this.arn('kms', `key/${id}`);
      case 'AWS::KMS::Key.KeyId':
        return id;
      case 'AWS::IAM::Role.Arn':
        return `arn:${this.partition}:iam::${this.stack.account}:role/${id}`;
      case 'AWS::Lambda::Function.Arn':
        return this.arn('lambda', `function:${id}`);
      case 'AWS::SNS::Topic.TopicArn':
        return id;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return id;
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn('logs', `log-group:${id}:*`);
      case 'AWS::RDS::DBInstance.Endpoint.Address':
        return this.world.database.host;
      case 'AWS::RDS::DBInstance.Endpoint.Port':
        return String(this.world.database.port);
      case 'AWS::SecretsManager::Secret.Id':
        return id;
      default:
        return `${id}.${attribute}`;
    }
  }

  /** `arn:aws:<service>:<region>:<account>:<resource>`. */
  arn(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.stack.region}:${this.stack.account}:${resource}`;
  }

  /** What CloudFormation would name a resource without an explicit name: stack-logicalId. */
  private physicalName(logicalId: string, max: number): string {
    return `${this.stack.stackName}-${logicalId}`.slice(0, max);
  }

  private keyId(logicalId: string): string {
    const hex = Buffer.from(logicalId).toString('hex').padEnd(32, '0').slice(0, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [name, ...attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.getAtt(String(name), attribute.join('.'));
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map((p) => String(p)).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return this.str(text).split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg)
          ? (arg as [string, Record<string, unknown>])
          : [String(arg), {}];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
          if (name in vars) return this.str(vars[name]);
          const [res, ...att] = name.split('.');
          return att.length > 0 ? this.getAtt(String(res), att.join('.')) : this.ref(name);
        });
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((v) => this.str(v));
        return this.stack.template.Mappings?.[String(map)]?.[String(top)]?.[String(second)];
      }
      case 'Fn::GetAZs':
        return [`${this.stack.region}a`, `${this.stack.region}b`];
      default:
        throw new Error(`the bundle harness cannot resolve ${fn} (${JSON.stringify(arg).slice(0, 200)})`);
    }
  }
}

/** Six stable characters, like the random suffix Secrets Manager adds to a secret's ARN. */
function suffix6(text: string): string {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(6, 'a').slice(-6);
}
