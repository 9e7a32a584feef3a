import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { type LocalS3Server, startLocalS3 } from '../../integration/lake/s3-server';
import { AwsGateway, type CallerIdentity, type GatewayCall } from './aws-gateway';
import { readSynthesizedStack, StackModel } from './cloud-assembly';
import { type FunctionSpec, type Invocation, LambdaSandbox } from './lambda-sandbox';
import { createLocalTls } from './local-tls';
import { StackAccess } from './stack-access';
import { type ExecutionResult, runStateMachine, StatesError, type TaskIntegration } from './state-machine';

/** Variables only Lambda may set; a template that sets one fails to deploy. */
const RESERVED_VARIABLES = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/** Lambda's unpacked code limit. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

/** One pipeline function as the harness runs it. */
export interface PipelineFunction {
  readonly spec: FunctionSpec;
  readonly identity: CallerIdentity;
  /** The template's own variables, resolved (what `Environment.Variables` says). */
  readonly templateEnv: Readonly<Record<string, string>>;
  readonly sandbox: LambdaSandbox;
}

/** One Lambda invocation made by a Task state. */
export interface InvocationRecord extends Invocation {
  readonly state: string;
  readonly function: string;
  readonly memoryMiB: number;
  readonly ephemeralMiB: number;
}

/** One state machine execution and everything it caused. */
export interface ExecutionReport extends ExecutionResult {
  readonly name: string;
  readonly ms: number;
  readonly invocations: readonly InvocationRecord[];
  /** Gateway calls IAM refused during the execution. */
  readonly denied: readonly GatewayCall[];
  /** Calls the harness had no stub for. */
  readonly unsupported: readonly GatewayCall[];
  /** What the execution published to SNS. */
  readonly notifications: readonly {
    readonly topic: string;
    readonly subject?: string;
    readonly message: string;
  }[];
  /** Refusals of the state machine's own calls (Lambda, SNS, KMS, Step Functions). */
  readonly stateMachineDenied: readonly {
    readonly action: string;
    readonly resource: string;
    readonly reason: string;
  }[];
}

/** Options of {@link BundleHarness.start}. */
export interface BundleHarnessOptions {
  readonly cdkOut: string;
  readonly workDir: string;
  /** A superuser URL of the PostgreSQL that plays RDS (its `postgres` database). */
  readonly postgresAdminUrl: string;
  /** Folder holding `bin/node` of the Lambda's Node.js version. */
  readonly nodeRoot: string;
  readonly stackName?: string;
  /** Host names the functions resolve to local addresses (their sandbox's /etc/hosts). */
  readonly hosts?: Readonly<Record<string, string>>;
}

/**
 * The synthesized stack, run locally: each `AWS::Lambda::Function` from its asset in
 * `cdk.out` in a {@link LambdaSandbox}, the state machine's definition interpreted with its
 * Task integrations, S3/Secrets Manager/Glue behind the {@link AwsGateway}, RDS played by a
 * real PostgreSQL with the credentials RDS would generate.
 */
export class BundleHarness {
  readonly functions = new Map<string, PipelineFunction>();
  readonly executions: ExecutionReport[] = [];
  /** Secret ARN → URL of the database RDS would have made for it (the harness's view). */
  readonly rdsDatabases = new Map<string, string>();
  private stateMachineCalls: { action: string; resource: string; reason: string }[] = [];
  private notifications: ExecutionReport['notifications'][number][] = [];
  private invocations: InvocationRecord[] = [];

  private constructor(
    readonly model: StackModel,
    readonly access: StackAccess,
    readonly s3: LocalS3Server,
    readonly gateway: AwsGateway,
    private readonly secretValues: Map<string, string>,
    private readonly options: BundleHarnessOptions,
  ) {}

  static async start(options: BundleHarnessOptions): Promise<BundleHarness> {
    const stack = readSynthesizedStack(options.cdkOut, options.stackName);
    const admin = new URL(options.postgresAdminUrl);
    const model = new StackModel(stack, {
      database: { host: admin.hostname, port: Number(admin.port || 5432) },
    });
    const access = new StackAccess(model);
    await mkdir(options.workDir, { recursive: true });
    const buckets = model.ofType('AWS::S3::Bucket').map(([id]) => model.ref(id));
    const s3 = await startLocalS3(buckets);
    const upstream = new URL(s3.endpoint);
    const tls = await createLocalTls(options.workDir);
    const identities = model.ofType('AWS::Lambda::Function').map(([id, r]): CallerIdentity => {
      const roleLogicalId = access.roleOf(r.Properties?.Role);
      return {
        caller: id,
        roleLogicalId,
        principal: access.principal(roleLogicalId, model.ref(id)),
        accessKeyId: `ASIA${createHash('sha256').update(id).digest('hex').slice(0, 16).toUpperCase()}`,
        sessionToken: randomBytes(24).toString('base64'),
      };
    });
    const secretValues = new Map<string, string>();
    const gateway = await AwsGateway.start({
      model,
      access,
      identities,
      s3Upstream: { host: upstream.hostname, port: Number(upstream.port) },
      secretValues,
      tls,
    });
    const harness = new BundleHarness(model, access, s3, gateway, secretValues, options);
    await harness.provisionDatabases();
    for (const identity of identities) {
      const fn = await harness.buildFunction(identity, tls.caBundlePath);
      harness.functions.set(identity.caller, fn);
    }
    return harness;
  }

  /** A client straight to the local S3 server (the harness's own view, outside IAM). */
  adminS3(): S3Client {
    return this.s3.client();
  }

  /** Physical name of a template bucket. */
  bucketName(logicalId: string): string {
    return this.model.ref(logicalId);
  }

  /** What a deployer does after deploy: put a secret's value (`aws secretsmanager put-secret-value`). */
  putSecretValue(secretArn: string, value: string): void {
    if (!this.access.secretLogicalId(secretArn)) throw new Error(`no secret ${secretArn} in the template`);
    this.secretValues.set(secretArn, value);
  }

  /** The value a secret holds now. */
  secretValue(secretArn: string): string | undefined {
    return this.secretValues.get(secretArn);
  }

  /** The function whose template environment sets `variable`. */
  functionWithVariable(variable: string): PipelineFunction {
    const found = [...this.functions.values()].filter((f) => f.templateEnv[variable] !== undefined);
    if (found.length !== 1 || !found[0])
      throw new Error(`expected one function with ${variable}, found ${found.length}`);
    return found[0];
  }

  /** The state machine of the template (there must be one). */
  stateMachine(): {
    logicalId: string;
    arn: string;
    roleLogicalId: string;
    definition: Parameters<typeof runStateMachine>[0];
  } {
    const [only, ...others] = this.model.ofType('AWS::StepFunctions::StateMachine');
    if (!only || others.length > 0)
      throw new Error('expected one AWS::StepFunctions::StateMachine in the template');
    const [logicalId, r] = only;
    const raw = r.Properties?.DefinitionString ?? r.Properties?.Definition;
    const resolved = this.model.resolve(raw);
    const definition = (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as Parameters<
      typeof runStateMachine
    >[0];
    return {
      logicalId,
      arn: this.model.ref(logicalId),
      roleLogicalId: this.access.roleOf(r.Properties?.RoleArn),
      definition,
    };
  }

  /** Runs one execution of the state machine, as its schedule would start it. */
  async execute(): Promise<ExecutionReport> {
    const machine = this.stateMachine();
    const name = `bundle-${this.executions.length + 1}-${randomUUID().slice(0, 8)}`;
    const executionArn = this.model.arn('states', `execution:${machine.arn.split(':').pop()}:${name}`);
    const callsBefore = this.gateway.calls.length;
    this.stateMachineCalls = [];
    this.notifications = [];
    this.invocations = [];
    const started = performance.now();
    const result = await runStateMachine(
      machine.definition,
      {},
      {
        integration: (resource) => this.integration(resource, machine, executionArn, name),
        context: {
          Execution: {
            Id: executionArn,
            Name: name,
            StartTime: new Date().toISOString(),
            Input: {},
            RoleArn: this.model.getAtt(machine.roleLogicalId, 'Arn'),
          },
          StateMachine: { Id: machine.arn, Name: machine.arn.split(':').pop() },
        },
      },
    );
    const calls = this.gateway.calls.slice(callsBefore);
    const report: ExecutionReport = {
      ...result,
      name,
      ms: performance.now() - started,
      invocations: this.invocations,
      denied: calls.filter((c) => c.denied),
      unsupported: calls.filter((c) => c.unsupported),
      notifications: this.notifications,
      stateMachineDenied: this.stateMachineCalls,
    };
    this.executions.push(report);
    return report;
  }

  async stop(): Promise<void> {
    for (const fn of this.functions.values()) await fn.sandbox.stop();
    await this.gateway.stop();
    await this.s3.stop();
  }

  private integration(
    resource: string,
    machine: ReturnType<BundleHarness['stateMachine']>,
    executionArn: string,
    executionName: string,
  ): TaskIntegration | undefined {
    const smPrincipal = this.access.principal(machine.roleLogicalId, executionName);
    const allow = (
      action: string,
      target: string,
      resourcePolicies: Parameters<StackAccess['check']>[3] = [],
    ) => {
      const decision = this.access.check(
        machine.logicalId,
        machine.roleLogicalId,
        { principal: smPrincipal, action, resource: target },
        resourcePolicies,
      );
      if (!decision.allowed)
        this.stateMachineCalls.push({ action, resource: target, reason: decision.reason });
      return decision;
    };
    const denied = (action: string, target: string, reason: string) =>
      `User: ${smPrincipal.sessionArn} is not authorized to perform: ${action} on resource: ${target} ${reason}`;
    const service = /^arn:aws:states:::(.+)$/.exec(resource)?.[1];
    if (service === 'lambda:invoke' || /^arn:aws:lambda:/.test(resource)) {
      const legacy = service === undefined;
      return async (parameters, state) => {
        const p = (legacy ? { FunctionName: resource, Payload: parameters } : parameters) as {
          FunctionName: string;
          Payload?: unknown;
        };
        const fn = this.functionByName(p.FunctionName);
        const decision = allow('lambda:InvokeFunction', fn.spec.arn);
        if (!decision.allowed)
          throw new StatesError(
            'Lambda.AWSLambdaException',
            denied('lambda:InvokeFunction', fn.spec.arn, decision.reason),
          );
        const invocation = await fn.sandbox.invoke(p.Payload ?? {});
        this.invocations.push({
          ...invocation,
          state,
          function: fn.identity.caller,
          memoryMiB: fn.spec.memoryMiB,
          ephemeralMiB: fn.spec.ephemeralMiB,
        });
        if (!invocation.ok) {
          const error = invocation.error ?? {
            errorType: 'Lambda.Unknown',
            errorMessage: 'no error reported',
          };
          throw new StatesError(
            error.errorType,
            JSON.stringify({
              errorType: error.errorType,
              errorMessage: error.errorMessage,
              trace: error.trace ?? [],
            }),
          );
        }
        if (legacy) return invocation.payload;
        return {
          ExecutedVersion: '$LATEST',
          Payload: invocation.payload,
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        };
      };
    }
    if (service === 'aws-sdk:sfn:listExecutions') {
      return async (parameters) => {
        const arn = String((parameters as { StateMachineArn?: unknown }).StateMachineArn);
        const decision = allow('states:ListExecutions', arn);
        if (!decision.allowed)
          throw new StatesError('Sfn.SfnException', denied('states:ListExecutions', arn, decision.reason));
        // The harness runs one execution at a time: this one is the only RUNNING execution.
        return {
          Executions: [
            {
              ExecutionArn: executionArn,
              Name: executionName,
              StateMachineArn: arn,
              Status: 'RUNNING',
              StartDate: new Date().toISOString(),
            },
          ],
        };
      };
    }
    if (service === 'sns:publish') {
      return async (parameters) => {
        const p = parameters as { TopicArn: string; Message: unknown; Subject?: string };
        const decision = allow('sns:Publish', p.TopicArn, this.access.topicPolicies(p.TopicArn));
        if (!decision.allowed)
          throw new StatesError(
            'SNS.AuthorizationErrorException',
            denied('sns:Publish', p.TopicArn, decision.reason),
          );
        const key = this.access.topicKey(p.TopicArn);
        if (key) {
          // SNS encrypts with the publisher's rights on the topic key.
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
            const kms = this.access.checkKms(machine.logicalId, machine.roleLogicalId, {
              principal: smPrincipal,
              action,
              resource: key,
              context: {
                'kms:ViaService': `sns.${this.model.stack.region}.amazonaws.com`,
                'kms:CallerAccount': smPrincipal.account,
              },
            });
            if (!kms.allowed) {
              this.stateMachineCalls.push({ action, resource: key, reason: kms.reason });
              throw new StatesError('SNS.KMSAccessDeniedException', denied(action, key, kms.reason));
            }
          }
        }
        this.notifications.push({
          topic: p.TopicArn,
          ...(p.Subject ? { subject: p.Subject } : {}),
          message: String(p.Message),
        });
        return { MessageId: randomUUID() };
      };
    }
    return undefined;
  }

  private functionByName(nameOrArn: string): PipelineFunction {
    // A qualified ARN (`…:function:<name>:<version or alias>`) names the same function.
    const bare = nameOrArn.split(':').length > 7 ? nameOrArn.split(':').slice(0, 7).join(':') : nameOrArn;
    for (const fn of this.functions.values()) if (fn.spec.arn === bare || fn.spec.name === bare) return fn;
    throw new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${nameOrArn}`);
  }

  /**
   * Plays RDS for every secret attached to an `AWS::RDS::DBInstance`: generates the master
   * password as the template asks, creates the master user (not a superuser, as on RDS) and
   * the instance's database on the local PostgreSQL, and fills the secret the way the
   * attachment does (`engine`, `host`, `port`, `dbname`, `dbInstanceIdentifier`).
   */
  private async provisionDatabases(): Promise<void> {
    const admin = new Client({ connectionString: this.options.postgresAdminUrl });
    await admin.connect();
    try {
      for (const [, attachment] of this.model.ofType('AWS::SecretsManager::SecretTargetAttachment')) {
        const p = attachment.Properties ?? {};
        if (p.TargetType !== 'AWS::RDS::DBInstance') continue;
        const secretId = (p.SecretId as { Ref?: string }).Ref;
        const instanceId = (p.TargetId as { Ref?: string }).Ref;
        if (!secretId || !instanceId) continue;
        const generate = this.model.prop(secretId, 'GenerateSecretString') as {
          SecretStringTemplate?: string;
          GenerateStringKey?: string;
          PasswordLength?: number;
          ExcludeCharacters?: string;
        };
        const base = JSON.parse(generate.SecretStringTemplate ?? '{}') as Record<string, unknown>;
        const password = generatePassword(generate.PasswordLength ?? 32, generate.ExcludeCharacters ?? '');
        const username = String(base.username ?? this.model.prop(instanceId, 'MasterUsername'));
        const dbname = this.model.prop(instanceId, 'DBName') as string | undefined;
        const world = new URL(this.options.postgresAdminUrl);
        if (!/^[a-z_][a-z0-9_]*$/.test(username) || (dbname && !/^[a-z_][a-z0-9_]*$/.test(dbname))) {
          throw new Error(`the harness cannot create user ${username} / database ${dbname}`);
        }
        await admin.query(
          `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${username}') THEN CREATE ROLE "${username}" LOGIN NOSUPERUSER CREATEDB CREATEROLE; END IF; END $$`,
        );
        await admin.query(`ALTER ROLE "${username}" PASSWORD '${password.replace(/'/g, "''")}'`);
        const database = dbname ?? 'postgres';
        if (dbname) {
          await admin.query(`DROP DATABASE IF EXISTS "${dbname}" WITH (FORCE)`);
          await admin.query(`CREATE DATABASE "${dbname}" OWNER "${username}"`);
        }
        const value = {
          ...base,
          [generate.GenerateStringKey ?? 'password']: password,
          engine: String(this.model.prop(instanceId, 'Engine') ?? 'postgres'),
          host: this.model.getAtt(instanceId, 'Endpoint.Address'),
          port: Number(this.model.getAtt(instanceId, 'Endpoint.Port')),
          dbInstanceIdentifier: this.model.ref(instanceId),
          ...(dbname ? { dbname } : {}),
        };
        this.secretValues.set(this.model.ref(secretId), JSON.stringify(value));
        this.rdsDatabases.set(
          this.model.ref(secretId),
          `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${world.host}/${database}`,
        );
      }
    } finally {
      await admin.end();
    }
  }

  private async buildFunction(identity: CallerIdentity, caBundle: string): Promise<PipelineFunction> {
    const { model } = this;
    const id = identity.caller;
    const r = model.resource(id);
    const p = r.Properties ?? {};
    const assetPath = r.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string')
      throw new Error(`function ${id} has no bundled asset in ${this.options.cdkOut}`);
    const templateEnv = Object.fromEntries(
      Object.entries(
        (model.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables) as Record<
          string,
          unknown
        >) ?? {},
      ).map(([k, v]) => [k, String(v)]),
    );
    const reserved = Object.keys(templateEnv).filter((k) => RESERVED_VARIABLES.includes(k));
    if (reserved.length > 0)
      throw new Error(
        `function ${id} sets reserved variables ${reserved.join(', ')}: Lambda refuses the deployment`,
      );
    const name = model.ref(id);
    const runtime = String(p.Runtime);
    const memoryMiB = Number(p.MemorySize ?? 128);
    const logging = (p.LoggingConfig ?? {}) as {
      LogFormat?: string;
      LogGroup?: unknown;
      ApplicationLogLevel?: string;
    };
    const logGroup = logging.LogGroup ? model.str(logging.LogGroup) : `/aws/lambda/${name}`;
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const env: Record<string, string> = {
      ...templateEnv,
      AWS_REGION: model.stack.region,
      AWS_DEFAULT_REGION: model.stack.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMiB),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: String(p.Handler),
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
      LD_LIBRARY_PATH:
        '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
      NODE_PATH:
        '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
      AWS_ACCESS_KEY_ID: identity.accessKeyId,
      AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
      AWS_SESSION_TOKEN: identity.sessionToken,
      ...(logging.LogFormat === 'JSON'
        ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel ?? 'INFO' }
        : {}),
      ...((p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active'
        ? {
            AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
            AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
            _AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129',
            _AWS_XRAY_DAEMON_PORT: '2000',
          }
        : {}),
      // The harness's only additions: where "AWS" is (the SDK's service-specific endpoint variables).
      ...this.endpointVariables(),
    };
    const spec: FunctionSpec = {
      logicalId: id,
      name,
      arn: model.getAtt(id, 'Arn'),
      handler: String(p.Handler),
      runtime,
      memoryMiB,
      timeoutSeconds: Number(p.Timeout ?? 3),
      ephemeralMiB: Number((p.EphemeralStorage as { Size?: number } | undefined)?.Size ?? 512),
      assetDir: join(this.options.cdkOut, assetPath),
      env,
    };
    const sandbox = await LambdaSandbox.create(spec, {
      nodeRoot: this.options.nodeRoot,
      runtimeDir: join(__dirname, 'runtime'),
      caBundle,
      gatewayCertificate: this.gateway.certificate,
      ...(this.options.hosts ? { hosts: this.options.hosts } : {}),
      workDir: this.options.workDir,
    });
    return { spec, identity, templateEnv, sandbox };
  }

  /** `AWS_ENDPOINT_URL_<SERVICE>` for the services the gateway serves, and a catch-all for the rest. */
  endpointVariables(): Record<string, string> {
    const url = this.gateway.url;
    return {
      AWS_ENDPOINT_URL_S3: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_ENDPOINT_URL_GLUE: url,
      AWS_ENDPOINT_URL: this.gateway.catchAllUrl,
    };
  }
}

/** A password like Secrets Manager generates: `length` characters, none of `exclude`. */
function generatePassword(length: number, exclude: string): string {
  const alphabet = [
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?@[]^_{|}~',
  ].filter((c) => !exclude.includes(c));
  const bytes = randomBytes(length);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}
