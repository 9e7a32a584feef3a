import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Runs the project's own layer rules over `tree` (a folder laid out like the repository). */
function cruise(tree: string, folders: string[]): { code: number; output: string } {
  try {
    const output = execFileSync(DEPCRUISE, [...folders, '--config', join(tree, '.dependency-cruiser.cjs')], {
      cwd: tree,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe('the layer rules (.dependency-cruiser.cjs)', () => {
  let tree: string;
  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'totes-layers-'));
    cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(tree, '.dependency-cruiser.cjs'));
    writeFileSync(
      join(tree, 'tsconfig.json'),
      '{"compilerOptions":{"module":"preserve","moduleResolution":"bundler"}}',
    );
    const file = (path: string, text: string) => {
      mkdirSync(join(tree, path, '..'), { recursive: true });
      writeFileSync(join(tree, path), text);
    };
    file('lambdas/kernel/schema/index.ts', 'export const tables = [];\n');
    file(
      'lambdas/ingest/ingest.ts',
      "import { tables } from '../kernel/schema';\nexport const ingest = tables;\n",
    );
    file(
      'lambdas/transform/transform.ts',
      "import { ingest } from '../ingest/ingest';\nexport const t = ingest;\n",
    );
    file(
      'lambdas/kernel/lake/layout.ts',
      "import { ingest } from '../../ingest/ingest';\nexport const k = ingest;\n",
    );
    file(
      'app/pipeline/run.ts',
      "import { ingest } from '../../lambdas/ingest/ingest';\nexport const r = ingest;\n",
    );
    file('lambdas/load/load.ts', "import { r } from '../../app/pipeline/run';\nexport const l = r;\n");
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('holds on the repository as it is', () => {
    const result = cruise(ROOT, ['lambdas', 'app', 'bin', 'infra', 'bench']);
    expect(result.output).toContain('no dependency violations');
    expect(result.code).toBe(0);
  });

  it('rejects a kernel that imports a stage, a stage that imports another, and a Lambda that imports the app', () => {
    const result = cruise(tree, ['lambdas', 'app']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /kernel-knows-no-stage: lambdas\/kernel\/lake\/layout\.ts → lambdas\/ingest\/ingest\.ts/,
    );
    expect(result.output).toMatch(
      /stage-knows-no-other-stage: lambdas\/transform\/transform\.ts → lambdas\/ingest\/ingest\.ts/,
    );
    expect(result.output).toMatch(
      /runtime-has-no-app-or-cli: lambdas\/load\/load\.ts → app\/pipeline\/run\.ts/,
    );
    // The app layer running a stage is the intended direction.
    expect(result.output).not.toMatch(/app\/pipeline\/run\.ts → lambdas\/ingest/);
  });
});
