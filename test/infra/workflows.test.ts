import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const workflow = (name: string) =>
  readFileSync(join(__dirname, '..', '..', '.github', 'workflows', name), 'utf8');
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
});
