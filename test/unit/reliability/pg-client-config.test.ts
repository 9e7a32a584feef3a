import { pgClientConfig } from '../../../lambdas/kernel/db/connect';
import { redact } from '../../../lambdas/kernel/redact';

describe('pgClientConfig TLS defaults', () => {
  it('verifies certificates over TLS for a remote host when the URL says nothing', () => {
    expect(pgClientConfig('postgres://u:p@warehouse.example.com:5432/wh').ssl).toEqual(
      expect.objectContaining({ rejectUnauthorized: true }),
    );
  });

  it.each(['localhost', '127.0.0.1', '[::1]'])('connects to %s in plain text by default', (host) => {
    expect(pgClientConfig(`postgres://u:p@${host}:5432/wh`).ssl).toBe(false);
  });

  it.each(['disable', 'require', 'verify-full'])('decides sslmode=%s itself, not through pg', (mode) => {
    const config = pgClientConfig(`postgres://u:p@db.example.com/wh?sslmode=${mode}`);
    expect(config.ssl === false).toBe(mode === 'disable');
    expect(config.connectionString).not.toContain('sslmode');
  });

  it('names the application so the warehouse can tell the pipeline apart', () => {
    expect(pgClientConfig('postgres://u:p@localhost/wh', 'totesys-lake-warehouse').application_name).toBe(
      'totesys-lake-warehouse',
    );
  });
});

describe('redact', () => {
  it.each([
    ['postgres://user:s3cr3t@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['postgresql://user:p%40ss@host/db?sslmode=require', 'postgresql://user:***@host/db?sslmode=require'],
    [
      'error at postgres://a:b@h/d and s3://k:v@bucket/x',
      'error at postgres://a:***@h/d and s3://k:***@bucket/x',
    ],
  ])('hides the password of %s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('leaves a URL without a password alone', () => {
    expect(redact('postgres://user@host/db')).toBe('postgres://user@host/db');
  });
});
