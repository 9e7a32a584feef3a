import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PreconditionFailedError } from '../errors';
import { LakeStoreError } from './errors';
import type { LakeStore, ObjectVersion, PutCondition } from './lake-store';

/** Suffix of in-flight temp files; never listed, so a half-written file is never read. */
const TEMP_MARK = '.tmp-';

/**
 * A lake in a local folder. Writes go to a temp file beside the target and are renamed
 * into place (atomic on POSIX), so readers never see a partial object. Every file-system
 * error is a {@link LakeStoreError} naming the file and what to do (Node's own messages for
 * `write`/`read` name no path: `ENOSPC: no space left on device, write`).
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
    const target = this.localPath(key);
    return io('write', key, target, () => this.conditionalWrite(key, target, body, condition));
  }

  private async conditionalWrite(
    key: string,
    target: string,
    body: Buffer | string,
    condition: PutCondition,
  ): Promise<ObjectVersion> {
    await mkdir(dirname(target), { recursive: true });
    const conflict = () =>
      new PreconditionFailedError(`${key} changed since it was read; another run may be active`, {
        context: { key },
      });
    if ('ifNoneMatch' in condition) {
      // link() fails if the target exists: an atomic create-if-absent across processes.
      const tmp = `${target}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
      await writeFile(tmp, body);
      try {
        await link(tmp, target);
      } catch (error) {
        if (hasCode(error, 'EEXIST')) throw conflict();
        throw error;
      } finally {
        await rm(tmp, { force: true });
      }
      return versionOf(Buffer.from(body));
    }
    return this.withLock(target, async () => {
      const current = await this.get(key);
      if (current?.version !== condition.ifMatch) throw conflict();
      await this.put(key, body);
      return versionOf(Buffer.from(body));
    });
  }

  /**
   * Runs `work` holding an exclusive lock file beside `target` (O_EXCL create), so a
   * compare-and-swap is atomic across processes. A lock left by a crashed process is broken
   * after {@link STALE_LOCK_MS}.
   */
  private async withLock<T>(target: string, work: () => Promise<T>): Promise<T> {
    const lock = `${target}${TEMP_MARK}lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw error;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await rm(lock, { force: true });
        else await new Promise((r) => setTimeout(r, Math.min(50, 2 ** attempt)));
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined> {
    const path = this.localPath(key);
    return io('read', key, path, async () => {
      try {
        const body = await readFile(path);
        return { body, version: versionOf(body) };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async download(key: string, localPath: string): Promise<void> {
    const path = this.localPath(key);
    await io(`copy to ${localPath}`, key, path, async () => {
      await mkdir(dirname(localPath), { recursive: true });
      await copyFile(path, localPath);
    });
  }

  async upload(localPath: string, key: string): Promise<void> {
    await this.atomicWrite(key, (tmp) => copyFile(localPath, tmp), `copy ${localPath} to`);
  }

  /**
   * A hard link to the source file, made under a temp name and renamed into place: no bytes
   * are copied, and replacing either key later (a rename over it) leaves the other intact. A
   * file system without hard links gets a byte copy.
   */
  async copy(from: string, to: string): Promise<void> {
    const source = this.localPath(from);
    await this.atomicWrite(
      to,
      async (tmp) => {
        try {
          await link(source, tmp);
        } catch (error) {
          if (!hasCode(error, 'EPERM') && !hasCode(error, 'ENOTSUP') && !hasCode(error, 'EXDEV')) throw error;
          await copyFile(source, tmp);
        }
      },
      `copy ${source} to`,
    );
  }

  async *list(prefix: string): AsyncIterable<string> {
    const keys: string[] = [];
    await io('list', prefix, this.root, () => this.walk(this.root, keys));
    for (const key of keys.filter((k) => k.startsWith(prefix)).sort()) yield key;
  }

  async delete(key: string): Promise<void> {
    const path = this.localPath(key);
    await io('delete', key, path, () => rm(path, { force: true }));
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

  private async atomicWrite(
    key: string,
    write: (tmp: string) => Promise<void>,
    operation = 'write',
  ): Promise<void> {
    const target = this.localPath(key);
    await io(operation, key, target, async () => {
      await mkdir(dirname(target), { recursive: true });
      const tmp = `${target}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
      try {
        await write(tmp);
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    });
  }
}

/** What to do about a file-system error, by its code. */
const NEXT_STEP: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk holding the lake is full: free space and run again (no partial object is left behind)',
  EDQUOT: 'the disk quota of this user is used up: free space and run again',
  EACCES: 'this user may not use that file: check the permissions of the lake folder',
  EPERM: 'this user may not use that file: check the permissions of the lake folder',
  EROFS: 'the lake folder is on a read-only file system: mount it writable or point LAKE_URL elsewhere',
  EISDIR: 'a folder stands where the lake expects a file: move it away',
  ENOTDIR: 'a file stands where the lake expects a folder: move it away',
  EMFILE: 'too many open files: raise the limit (ulimit -n) and run again',
  EIO: 'the disk reported an I/O error: check the disk',
};

/**
 * Runs one file-system operation on `path`, turning its failure into a {@link LakeStoreError}
 * that names the file, the error code and the next step. A lost compare-and-swap passes through.
 */
async function io<T>(operation: string, key: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PreconditionFailedError || error instanceof LakeStoreError) throw error;
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    // Duck-typed: errors from another realm (a test VM) are not `instanceof Error`.
    const reason =
      typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
    const next = NEXT_STEP[code];
    throw new LakeStoreError(`cannot ${operation} ${path}: ${reason}${next ? `; ${next}` : ''}`, {
      cause: error,
      context: { key, path, ...(code ? { code } : {}) },
    });
  }
}

const versionOf = (body: Buffer): string => createHash('sha256').update(body).digest('hex').slice(0, 32);

const hasCode = (error: unknown, code: string): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === code;

const isNotFound = (error: unknown): boolean => hasCode(error, 'ENOENT');

/** A compare-and-swap holds its lock for milliseconds; one older than this was left by a crash. */
const STALE_LOCK_MS = 30_000;
