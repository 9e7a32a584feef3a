import { DEFAULTS, loadInfraConfig } from '../../infra/config';
import { ConfigError } from '../../lambdas/kernel/errors';

const load = (context: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
  loadInfraConfig({ context: (key) => context[key], env });

describe('loadInfraConfig', () => {
  it('defaults to a data-keeping dev stage that runs every 5 minutes', () => {
    const config = load();
    expect(config).toMatchObject({
      stage: 'dev',
      region: DEFAULTS.region,
      scheduleMinutes: 5,
      destroyData: false,
      architecture: 'x86_64',
      quicksight: { enabled: false },
    });
  });

  it('names two availability zones of the region so synth needs no lookup', () => {
    expect(load({ region: 'eu-west-1' }).availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('takes the account from the CDK environment and the region from AWS_REGION', () => {
    const config = load({}, { CDK_DEFAULT_ACCOUNT: '444455556666', AWS_REGION: 'eu-west-1' });
    expect([config.account, config.region]).toEqual(['444455556666', 'eu-west-1']);
  });

  it('targets eu-west-2 offline although the CDK CLI reports us-east-1 for an unconfigured region', () => {
    expect(load({}, { CDK_DEFAULT_REGION: 'us-east-1' }).region).toBe('eu-west-2');
  });

  it('prefers the region context over AWS_REGION', () => {
    expect(load({ region: 'eu-central-1' }, { AWS_REGION: 'eu-west-1' }).region).toBe('eu-central-1');
  });

  it('prefers context over the environment', () => {
    expect(load({ stage: 'prod' }, { TOTES_STAGE: 'staging' }).stage).toBe('prod');
  });

  it('reads string flags given on the command line', () => {
    expect(load({ destroyData: 'true', scheduleMinutes: '15' })).toMatchObject({
      destroyData: true,
      scheduleMinutes: 15,
    });
  });

  it('sizes transform and load for DuckDB by default', () => {
    const { functions } = load();
    expect(functions.transform).toEqual({ memoryMiB: 4096, timeoutMinutes: 15, ephemeralStorageMiB: 10240 });
    expect(functions.load.memoryMiB).toBeGreaterThanOrEqual(3072);
  });

  it('sizes the compaction function on its own setting', () => {
    expect(load().functions.compact).toEqual({
      memoryMiB: 2048,
      timeoutMinutes: 15,
      ephemeralStorageMiB: 4096,
    });
    expect(load({ compactMemoryMiB: '3008' }).functions.compact.memoryMiB).toBe(3008);
  });

  it('names the setting that is invalid and how to set it', () => {
    expect(() => load({ alertEmail: 'not-an-address' })).toThrow(
      /infra setting "alertEmail" is invalid .* -c alertEmail=<value>/,
    );
  });

  it('refuses a stage name that cannot be part of resource names', () => {
    expect(() => load({ stage: 'Prod_EU' })).toThrow(ConfigError);
  });

  it('requires a QuickSight principal when QuickSight is on', () => {
    expect(() => load({ quicksight: true })).toThrow(/quicksightPrincipalArn/);
  });

  it('refuses a log retention CloudWatch does not offer', () => {
    expect(() => load({ logRetentionDays: 31 })).toThrow(/logRetentionDays/);
  });
});
