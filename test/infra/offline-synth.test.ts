import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'totes-offline-synth-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

// `cdk synth` exactly as a newcomer runs it: no AWS configuration at all (an empty home, no
// AWS_* variables). The CDK CLI then tells the app CDK_DEFAULT_REGION=us-east-1.
describe('an offline cdk synth', () => {
  it('targets eu-west-2, the region the deploy guide promises', async () => {
    const out = join(home, 'cdk.out');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, CI: 'true' };
    await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', out],
      { cwd: root, env, timeout: 280_000, maxBuffer: 32 * 1024 * 1024 },
    );
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map((s) => s.environment)).toEqual(['aws://123456789012/eu-west-2']);
    const template = await readFile(join(out, 'TotesysLake-dev.template.json'), 'utf8');
    expect(template).toContain('com.amazonaws.eu-west-2.secretsmanager');
    // The one us-east-1 name allowed: the AWS-published secret rotation application lives there.
    const elsewhere = template.replaceAll('arn:aws:serverlessrepo:us-east-1:', '');
    expect(elsewhere).not.toContain('us-east-1');
  }, 300_000);
});
