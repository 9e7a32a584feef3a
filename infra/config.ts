import { z } from 'zod';
import type { PipelineStage } from '../lambdas/kernel/aws/lambda-env';
import { ConfigError } from '../lambdas/kernel/errors';

/** Lambda processor architecture. DuckDB's native binding must match it (see the compute construct). */
export type LambdaArchitecture = 'x86_64' | 'arm64';

/** Size of one pipeline Lambda. */
export interface FunctionSize {
  /** Memory in MiB (also buys CPU: 1769 MiB = one vCPU). */
  readonly memoryMiB: number;
  readonly timeoutMinutes: number;
  /** `/tmp` size in MiB: DuckDB spills and stages lake objects there. */
  readonly ephemeralStorageMiB: number;
}

/**
 * Every setting of one deployment, read once from CDK context (`cdk.json` or `-c key=value`)
 * and the environment. Nothing else in `infra/` calls `tryGetContext`.
 */
export interface InfraConfig {
  /** Stage name, part of every resource name (`dev`, `prod`…). Context `stage`, env `TOTES_STAGE`. */
  readonly stage: string;
  readonly account: string;
  readonly region: string;
  /** Two AZs named explicitly so synth needs no AZ lookup (and so no AWS credentials). */
  readonly availabilityZones: readonly string[];
  /** Where alarms are e-mailed; no subscription when unset (a synth warning says so). */
  readonly alertEmail: string | undefined;
  /** Minutes between scheduled pipeline runs. */
  readonly scheduleMinutes: number;
  /** Alarm when no load has succeeded for this many minutes (the freshness promised to analysts: 30 by default). */
  readonly freshnessMinutes: number;
  /**
   * True lets `cdk destroy` delete buckets, the warehouse, keys and their data. Never for
   * production; a synth warning is raised whenever it is on.
   */
  readonly destroyData: boolean;
  readonly architecture: LambdaArchitecture;
  readonly functions: Readonly<Record<PipelineStage, FunctionSize>>;
  readonly warehouse: {
    /** RDS instance class and size, e.g. `t4g.micro`. */
    readonly instanceType: string;
    readonly multiAz: boolean;
    readonly allocatedStorageGiB: number;
    readonly backupRetentionDays: number;
  };
  /** Athena per-query bytes-scanned cutoff. */
  readonly athenaBytesScannedCutoff: number;
  /** CloudWatch log retention in days (a value CloudWatch accepts, e.g. 30, 90, 365). */
  readonly logRetentionDays: number;
  /** QuickSight needs an account subscription, so it is off unless asked for. */
  readonly quicksight: { readonly enabled: boolean; readonly principalArn: string | undefined };
}

/** Where settings come from: CDK context lookups and the process environment. */
export interface ConfigSources {
  readonly context: (key: string) => unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Documented defaults: a small, cheap, data-keeping `dev` deployment in London. */
export const DEFAULTS = {
  stage: 'dev',
  region: 'eu-west-2',
  /** Placeholder so an offline synth has a concrete environment; `cdk deploy` supplies the real one. */
  account: '123456789012',
  scheduleMinutes: 5,
  freshnessMinutes: 30,
  architecture: 'x86_64',
  ingest: { memoryMiB: 1024, timeoutMinutes: 10, ephemeralStorageMiB: 2048 },
  transform: { memoryMiB: 4096, timeoutMinutes: 15, ephemeralStorageMiB: 10240 },
  load: { memoryMiB: 3072, timeoutMinutes: 15, ephemeralStorageMiB: 10240 },
  /** Rewrites at most a few partitions of loaded fact files per run with DuckDB. */
  compact: { memoryMiB: 2048, timeoutMinutes: 15, ephemeralStorageMiB: 4096 },
  warehouseInstanceType: 't4g.micro',
  allocatedStorageGiB: 20,
  backupRetentionDays: 7,
  athenaBytesScannedCutoff: 1024 ** 3,
  logRetentionDays: 30,
} as const;

const flag = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and "-", at most 20'),
  account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-2'),
  alertEmail: z.email().optional(),
  scheduleMinutes: positiveInt(1, 1440),
  freshnessMinutes: positiveInt(5, 10080),
  destroyData: flag,
  architecture: z.enum(['x86_64', 'arm64']),
  ingestMemoryMiB: positiveInt(128, 10240),
  transformMemoryMiB: positiveInt(128, 10240),
  loadMemoryMiB: positiveInt(128, 10240),
  compactMemoryMiB: positiveInt(128, 10240),
  warehouseInstanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'an instance type such as t4g.micro'),
  warehouseMultiAz: flag,
  allocatedStorageGiB: positiveInt(20, 65536),
  backupRetentionDays: positiveInt(1, 35),
  athenaBytesScannedCutoff: positiveInt(10 * 1024 ** 2, Number.MAX_SAFE_INTEGER),
  logRetentionDays: z.coerce
    .number()
    .refine((d) => [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653].includes(d)),
  quicksight: flag,
  quicksightPrincipalArn: z.string().startsWith('arn:').optional(),
});

/**
 * Reads the deployment configuration. Context wins over the environment, which wins over
 * {@link DEFAULTS}; an invalid value fails synth with a message naming the setting.
 *
 * @example
 * const config = loadInfraConfig({ context: (k) => app.node.tryGetContext(k) });
 */
export function loadInfraConfig(sources: ConfigSources): InfraConfig {
  const env = sources.env ?? process.env;
  const pick = (key: string, ...envNames: string[]): unknown => {
    const fromContext = sources.context(key);
    if (fromContext !== undefined && fromContext !== '') return fromContext;
    for (const name of envNames) {
      const fromEnv = env[name]?.trim();
      if (fromEnv) return fromEnv;
    }
    return undefined;
  };
  const raw = {
    stage: pick('stage', 'TOTES_STAGE') ?? DEFAULTS.stage,
    account: pick('account', 'CDK_DEFAULT_ACCOUNT') ?? DEFAULTS.account,
    // Not CDK_DEFAULT_REGION: the CDK CLI fills it with us-east-1 when no region is configured,
    // so an offline synth would silently target another region than the deploy.
    region: pick('region', 'AWS_REGION', 'AWS_DEFAULT_REGION') ?? DEFAULTS.region,
    alertEmail: pick('alertEmail', 'TOTES_ALERT_EMAIL'),
    scheduleMinutes: pick('scheduleMinutes') ?? DEFAULTS.scheduleMinutes,
    freshnessMinutes: pick('freshnessMinutes') ?? DEFAULTS.freshnessMinutes,
    destroyData: pick('destroyData') ?? false,
    architecture: pick('architecture') ?? DEFAULTS.architecture,
    ingestMemoryMiB: pick('ingestMemoryMiB') ?? DEFAULTS.ingest.memoryMiB,
    transformMemoryMiB: pick('transformMemoryMiB') ?? DEFAULTS.transform.memoryMiB,
    loadMemoryMiB: pick('loadMemoryMiB') ?? DEFAULTS.load.memoryMiB,
    compactMemoryMiB: pick('compactMemoryMiB') ?? DEFAULTS.compact.memoryMiB,
    warehouseInstanceType: pick('warehouseInstanceType') ?? DEFAULTS.warehouseInstanceType,
    warehouseMultiAz: pick('warehouseMultiAz') ?? false,
    allocatedStorageGiB: pick('allocatedStorageGiB') ?? DEFAULTS.allocatedStorageGiB,
    backupRetentionDays: pick('backupRetentionDays') ?? DEFAULTS.backupRetentionDays,
    athenaBytesScannedCutoff: pick('athenaBytesScannedCutoff') ?? DEFAULTS.athenaBytesScannedCutoff,
    logRetentionDays: pick('logRetentionDays') ?? DEFAULTS.logRetentionDays,
    quicksight: pick('quicksight') ?? false,
    quicksightPrincipalArn: pick('quicksightPrincipalArn', 'TOTES_QUICKSIGHT_PRINCIPAL_ARN'),
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config');
    throw new ConfigError(
      `infra setting "${key}" is invalid (${issue?.message}); set it with -c ${key}=<value> or in cdk.json "context"`,
      { context: { setting: key } },
    );
  }
  const c = parsed.data;
  if (c.quicksight && !c.quicksightPrincipalArn) {
    throw new ConfigError(
      'quicksight=true needs quicksightPrincipalArn (the QuickSight user or group ARN that owns the data source)',
      { context: { setting: 'quicksightPrincipalArn' } },
    );
  }
  return {
    stage: c.stage,
    account: c.account,
    region: c.region,
    availabilityZones: [`${c.region}a`, `${c.region}b`],
    alertEmail: c.alertEmail,
    scheduleMinutes: c.scheduleMinutes,
    freshnessMinutes: c.freshnessMinutes,
    destroyData: c.destroyData,
    architecture: c.architecture,
    functions: {
      ingest: { ...DEFAULTS.ingest, memoryMiB: c.ingestMemoryMiB },
      transform: { ...DEFAULTS.transform, memoryMiB: c.transformMemoryMiB },
      load: { ...DEFAULTS.load, memoryMiB: c.loadMemoryMiB },
      compact: { ...DEFAULTS.compact, memoryMiB: c.compactMemoryMiB },
    },
    warehouse: {
      instanceType: c.warehouseInstanceType,
      multiAz: c.warehouseMultiAz,
      allocatedStorageGiB: c.allocatedStorageGiB,
      backupRetentionDays: c.backupRetentionDays,
    },
    athenaBytesScannedCutoff: c.athenaBytesScannedCutoff,
    logRetentionDays: c.logRetentionDays,
    quicksight: { enabled: c.quicksight, principalArn: c.quicksightPrincipalArn },
  };
}
