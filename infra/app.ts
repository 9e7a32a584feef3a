/**
 * The CDK app (`cdk.json` → `npx tsx infra/app.ts`): one {@link TotesysLakeStack} per stage,
 * checked by cdk-nag's AwsSolutions pack at synth. Synth needs no AWS credentials: account and
 * region come from the environment or the documented defaults, and nothing is looked up.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig } from './config';
import { TotesysLakeStack } from './stacks/totesys-lake-stack';

/** Builds the app; tests call it with their own context instead of running this file. */
export function buildApp(app = new App()): { app: App; stack: TotesysLakeStack } {
  const config = loadInfraConfig({ context: (key) => app.node.tryGetContext(key) });
  const stack = new TotesysLakeStack(app, `TotesysLake-${config.stage}`, {
    config,
    env: { account: config.account, region: config.region },
    description: `totesys lake (${config.stage}): CDC from totesys into an S3 data lake and a PostgreSQL warehouse`,
    tags: { project: 'totesys-lake', stage: config.stage },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (require.main === module) {
  buildApp().app.synth();
}
