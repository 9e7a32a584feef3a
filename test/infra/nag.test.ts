import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synthesize } from './synth';

/** Unacknowledged AwsSolutions findings in `scope`, as "rule at path" lines. */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(scope).validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
  );
}

/** Every acknowledgement recorded in the tree: rule id and reason. */
function acknowledgements(scope: IConstruct): { id: string; reason: string }[] {
  return scope.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })),
        ),
    );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    const { stack } = synthesize();
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing unacknowledged in a production-shaped stack with QuickSight on arm64', () => {
    const { stack } = synthesize({
      stage: 'prod',
      warehouseMultiAz: true,
      architecture: 'arm64',
      quicksight: true,
      quicksightPrincipalArn: 'arn:aws:quicksight:eu-west-2:111122223333:group/default/analysts',
    });
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing unacknowledged in a disposable stack', () => {
    const { stack } = synthesize({ stage: 'pr-1', destroyData: true });
    expect(findings(stack)).toEqual([]);
  });

  it('gives every acknowledgement a written reason', () => {
    const { stack } = synthesize();
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const { id, reason } of acks) expect([id, reason.length >= 30]).toEqual([id, true]);
  });

  it('never acknowledges a whole rule where the rule reports individual findings', () => {
    const { stack } = synthesize();
    const bare = acknowledgements(stack).filter((a) => /AwsSolutions-IAM[45]$/.test(a.id));
    expect(bare).toEqual([]);
  });

  it('really runs: a deliberately insecure bucket in a throwaway app is reported', () => {
    const app = new App();
    const canary = new Stack(app, 'Canary', { env: { account: '111122223333', region: 'eu-west-2' } });
    new s3.Bucket(canary, 'Insecure', { encryption: s3.BucketEncryption.UNENCRYPTED, enforceSSL: false });

    const reported = findings(canary);

    expect(reported).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 at Canary/Insecure/Resource',
        'AwsSolutions-S10 at Canary/Insecure/Resource',
      ]),
    );
  });

  it('is registered on the app, so synth fails on an unacknowledged finding', () => {
    const { app, stack } = synthesize();
    new s3.Bucket(stack, 'CanaryBucket', { enforceSSL: false });

    expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-S10/);
  });
});
