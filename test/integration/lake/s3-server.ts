import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

/** A local S3-compatible server (@20minutes/s3rver) on 127.0.0.1, in its own process. */
export interface LocalS3Server {
  readonly endpoint: string;
  /** A client with the server's fixed credentials, path-style, checksums only when required. */
  client(): S3Client;
  stop(): Promise<void>;
}

/**
 * The server's script. It runs in a child process because s3rver signs continuation tokens
 * with DES, which Node 20's OpenSSL 3 only offers with `--openssl-legacy-provider`: without
 * it every listing past the first page fails. `allowMismatchedSignatures`: s3rver
 * canonicalises a continuation token's query string differently from the SDK, so the
 * second page of a listing would be refused as badly signed (signing is not under test).
 */
const SERVER_SCRIPT = `
const S3rver = require(process.argv[1]);
const buckets = JSON.parse(process.argv[3]).map((name) => ({ name }));
new S3rver({ address: '127.0.0.1', port: 0, silent: true, allowMismatchedSignatures: true,
  directory: process.argv[2], configureBuckets: buckets })
  .run()
  .then((address) => process.stdout.write(JSON.stringify(address) + '\\n'))
  .catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

/** Starts the server with these buckets on a random port; `stop()` ends it and removes its files. */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'totes-s3-'));
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '-e',
      SERVER_SCRIPT,
      require.resolve('@20minutes/s3rver'),
      directory,
      JSON.stringify(buckets),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await listeningPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    client: () =>
      new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening: ${stderr}`)));
    child.stdout?.once('data', (chunk: Buffer) => {
      const address = JSON.parse(chunk.toString()) as { port: number };
      resolve(address.port);
    });
  });
}
