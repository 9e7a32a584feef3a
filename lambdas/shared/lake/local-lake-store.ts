import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PreconditionFailedError } from '../errors';
import type { LakeStore, ObjectVersion, PutCondition } from './lake-store';

/** Suffix of in-flight temp files; never listed, so a half-written file is never read. */
const TEMP_MARK = '.tmp-';

/**
 * A lake in a local folder. Writes go to a temp file beside the target and are renamed
 * into place (atomic on POSIX), so readers never see a partial object.
 */
export class LocalLakeStore implements LakeStore {
  readonly url: string;

  constructor(readonly root: string) {
    this.url = `file://${root}`;
  }

  localPath(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) {
      throw new RangeError(`invalid lake key "${key}"`);
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer | string | Readable): Promise<void> {
    await this.atomicWrite(key, async (tmp) => {
      if (body instanceof Readable) await pipeline(body, createWriteStream(tmp));
      else await writeFile(tmp, body);
    });
  }

  async putIf(key: string, body: Buffer | string, condition: PutCondition): Promise<ObjectVersion> {
    // Check-then-rename is not atomic across processes; the pipeline lease serialises the
    // writers of state objects, and this check still catches a stale reader's write.
    const current = await this.get(key);
    if ('ifNoneMatch' in condition ? current !== undefined : current?.version !== condition.ifMatch) {
      throw new PreconditionFailedError(`${key} changed since it was read; another run may be active`, {
        context: { key },
      });
    }
    await this.put(key, body);
    return versionOf(Buffer.from(body));
  }

  async get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined> {
    try {
      const body = await readFile(this.localPath(key));
      return { body, version: versionOf(body) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async download(key: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(this.localPath(key), localPath);
  }

  async upload(localPath: string, key: string): Promise<void> {
    await this.atomicWrite(key, (tmp) => copyFile(localPath, tmp));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const keys: string[] = [];
    await this.walk(this.root, keys);
    for (const key of keys.filter((k) => k.startsWith(prefix)).sort()) yield key;
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  private async walk(dir: string, into: string[]): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(path, into);
      else if (!entry.name.includes(TEMP_MARK)) into.push(relative(this.root, path).split(sep).join('/'));
    }
  }

  private async atomicWrite(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.localPath(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}

const versionOf = (body: Buffer): string => createHash('sha256').update(body).digest('hex').slice(0, 32);

const isNotFound = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
