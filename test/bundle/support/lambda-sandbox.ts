import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The Lambda settings of one function, read from the template. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly handler: string;
  readonly runtime: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly ephemeralMiB: number;
  /** Folder of the function's code in the cloud assembly. */
  readonly assetDir: string;
  /** Every variable the function's process sees (the template's plus Lambda's own). */
  readonly env: Readonly<Record<string, string>>;
}

/** How one invocation went. */
export interface Invocation {
  readonly ok: boolean;
  readonly payload?: unknown;
  readonly error?: {
    readonly errorType: string;
    readonly errorMessage: string;
    readonly trace?: readonly string[];
  };
  readonly durationMs: number;
  /** Set on a cold start: the init phase. */
  readonly initMs?: number;
  readonly maxRssMiB: number;
  readonly peakTmpMiB: number;
  readonly tmpMiBAfter: number;
  /** JSON log lines at level ERROR (or CRITICAL) the function wrote during this invocation. */
  readonly errorLogs: readonly string[];
  /** stderr lines (warnings of the runtime) during this invocation. */
  readonly stderr: readonly string[];
}

/** Where the sandbox gets its parts. */
export interface SandboxParts {
  /** The folder holding `bin/node` (mounted as /var/lang). */
  readonly nodeRoot: string;
  /** Folder with bootstrap.cjs and probe.cjs (copied to /var/runtime with the CA bundle). */
  readonly runtimeDir: string;
  /** PEM bundle installed as /var/runtime/ca-cert.pem (Lambda's CA file, RDS CAs included). */
  readonly caBundle: string;
  /** PEM of the harness's AWS endpoint, trusted by the runtime stand-in (not through the environment). */
  readonly gatewayCertificate: string;
  /** Scratch folder of the harness (code copies, passwd files, logs). */
  readonly workDir: string;
  /**
   * The longest the harness waits for one invocation, below the function's own timeout, so a
   * hung function fails the suite readably before the CI job's limit. @default 300
   */
  readonly invokeLimitSeconds?: number;
  /** Names the sandbox's /etc/hosts adds (name → address), as a VPC's DNS would answer. @default none */
  readonly hosts?: Readonly<Record<string, string>>;
}

/** Lambda's sandbox user (`sbx_user1051`). */
const SANDBOX_UID = 993;
const SANDBOX_GID = 990;

/**
 * Builds the mount namespace of one execution environment, then runs `entry` in it as the
 * sandbox user: a fresh tmpfs for /var holding the read-only code at /var/task, the runtime
 * at /var/runtime and Node at /var/lang; the rest of the file system read-only; a fresh,
 * empty tmpfs of the function's ephemeral size at /tmp; a passwd entry for the user (as
 * Lambda has), no HOME.
 */
const SETUP = `
set -eu
code=$1; node_root=$2; runtime=$3; tmp_mib=$4; entry=$5; etc=$6; drop=$7
mount -t tmpfs -o mode=0755,size=64m lambda-var /var
mkdir -p /var/task /var/runtime /var/lang
mount --bind "$code" /var/task
mount -o remount,bind,ro /var/task
mount --bind "$node_root" /var/lang
mount -o remount,bind,ro /var/lang
cp "$runtime"/* /var/runtime/
mount -o remount,ro /var
mount --bind "$etc/hosts" /etc/hosts
if [ "$drop" = yes ]; then
  mount --bind "$etc/passwd" /etc/passwd
  mount --bind "$etc/group" /etc/group
fi
# Everything but /tmp is read-only in Lambda (bind remounts: the host's mounts stay as they are).
mount -o remount,bind,ro / || [ "$drop" = no ]
mount -o remount,bind,ro /dev/shm 2>/dev/null || true
mount -t tmpfs -o mode=1777,size="$tmp_mib"m lambda-tmp /tmp
cd /var/task
unset OLDPWD PWD
if [ "$drop" = yes ]; then
  exec /usr/bin/setpriv --reuid=${SANDBOX_UID} --regid=${SANDBOX_GID} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs /var/lang/bin/node "/var/runtime/$entry"
fi
exec /var/lang/bin/node "/var/runtime/$entry"
`;

const MARK = '\u001e';

/** What to do when the namespace cannot be made. */
const SANDBOX_NEEDS =
  ' — the bundle test needs mount namespaces (unshare, mount and setpriv from util-linux): run it as root, or where unprivileged user namespaces are allowed';

/**
 * One Lambda execution environment of a function: its code copied out of the cloud assembly,
 * a mount namespace around it, one warm Node.js process that runs invocation after invocation
 * (a new one after a crash or a timeout, as Lambda starts a new environment).
 */
export class LambdaSandbox {
  /** Every line the function wrote, for the report and failures. */
  readonly log: string[] = [];
  private child?: ChildProcessWithoutNullStreams;
  private pending?: {
    resolve: (m: Record<string, unknown>) => void;
    errorLogs: string[];
    stderr: string[];
  };
  private ready?: Promise<Record<string, unknown>>;
  private codeDir = '';
  private etcDir = '';
  private runtimeDir = '';
  coldStarts = 0;

  private constructor(
    readonly spec: FunctionSpec,
    private readonly parts: SandboxParts,
  ) {}

  /** Copies the function's code (as Lambda unpacks the zip) and prepares the namespace's files. */
  static async create(spec: FunctionSpec, parts: SandboxParts): Promise<LambdaSandbox> {
    const sandbox = new LambdaSandbox(spec, parts);
    sandbox.codeDir = join(parts.workDir, 'code', spec.logicalId);
    await cp(spec.assetDir, sandbox.codeDir, { recursive: true, dereference: true });
    await makeReadable(sandbox.codeDir);
    sandbox.runtimeDir = join(parts.workDir, 'runtime', spec.logicalId);
    await cp(parts.runtimeDir, sandbox.runtimeDir, { recursive: true });
    await cp(parts.caBundle, join(sandbox.runtimeDir, 'ca-cert.pem'));
    await writeFile(join(sandbox.runtimeDir, 'harness-gateway-ca.pem'), parts.gatewayCertificate);
    await makeReadable(sandbox.runtimeDir);
    sandbox.etcDir = join(parts.workDir, 'etc', spec.logicalId);
    await mkdir(sandbox.etcDir, { recursive: true });
    const passwd = await readFile('/etc/passwd', 'utf8');
    const group = await readFile('/etc/group', 'utf8');
    const hosts = await readFile('/etc/hosts', 'utf8');
    const extra = Object.entries(parts.hosts ?? {}).map(([name, address]) => `${address} ${name}`);
    await writeFile(join(sandbox.etcDir, 'hosts'), `${[hosts.trimEnd(), ...extra].join('\n')}\n`);
    await writeFile(
      join(sandbox.etcDir, 'passwd'),
      `${passwd.trimEnd()}\nsbx_user1051:x:${SANDBOX_UID}:${SANDBOX_GID}::/home/sbx_user1051:/sbin/nologin\n`,
    );
    await writeFile(join(sandbox.etcDir, 'group'), `${group.trimEnd()}\nsbx_user1051:x:${SANDBOX_GID}:\n`);
    return sandbox;
  }

  /** Bytes of the unpacked code (Lambda allows 250 MB unzipped). */
  async codeBytes(): Promise<number> {
    return folderBytes(this.codeDir);
  }

  /** Runs the probe instead of the handler, in an identical sandbox: what the code would see. */
  async probe(): Promise<Record<string, unknown>> {
    const child = this.spawn('probe.cjs');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = Buffer.concat(out)
      .toString('utf8')
      .split('\n')
      .find((l) => l.startsWith(MARK));
    if (!line) {
      throw new Error(
        `the sandbox probe of ${this.spec.logicalId} failed (exit ${code}): ${Buffer.concat(err).toString('utf8')}${SANDBOX_NEEDS}`,
      );
    }
    return JSON.parse(line.slice(1)) as Record<string, unknown>;
  }

  /** Invokes the handler with `event`, starting the environment first when it is not warm. */
  async invoke(event: unknown): Promise<Invocation> {
    let initMs: number | undefined;
    if (!this.ready) {
      this.coldStarts += 1;
      const first = await this.start();
      if (first?.type !== 'ready') {
        this.ready = undefined;
        const error = (first?.error as Invocation['error']) ?? {
          errorType: 'Runtime.ExitError',
          errorMessage: String(first?.reason),
        };
        return {
          ok: false,
          error: { ...error, errorType: `Runtime.InitError: ${error.errorType}` },
          durationMs: 0,
          maxRssMiB: 0,
          peakTmpMiB: 0,
          tmpMiBAfter: 0,
          errorLogs: [],
          stderr: [],
        };
      }
      initMs = Number(first.initMs);
    }
    const requestId = randomUUID();
    const errorLogs: string[] = [];
    const stderr: string[] = [];
    const outcome = new Promise<Record<string, unknown>>((resolve) => {
      this.pending = { resolve, errorLogs, stderr };
    });
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const limitMs = Math.min(timeoutMs, (this.parts.invokeLimitSeconds ?? 300) * 1000);
    const timer = setTimeout(() => {
      this.pending?.resolve({ type: limitMs < timeoutMs ? 'limit' : 'timeout' });
      this.kill();
    }, limitMs);
    this.child?.stdin.write(
      `${JSON.stringify({ event, requestId, timeoutMs, functionArn: this.spec.arn, traceId: `Root=1-${Date.now().toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)};Sampled=1` })}\n`,
    );
    const m = await outcome;
    clearTimeout(timer);
    this.pending = undefined;
    const mib = (bytes: unknown) => Number(bytes ?? 0) / 1024 / 1024;
    const common = { errorLogs, stderr, ...(initMs !== undefined ? { initMs } : {}) };
    if (m.type === 'result') {
      return {
        ok: m.ok === true,
        ...(m.ok ? { payload: m.payload } : { error: m.error as Invocation['error'] }),
        durationMs: Number(m.durationMs),
        maxRssMiB: Number(m.maxRssKb) / 1024,
        peakTmpMiB: mib(m.peakTmpBytes),
        tmpMiBAfter: mib(m.tmpBytesAfter),
        ...common,
      };
    }
    this.ready = undefined;
    const error = this.endedWithout(m, limitMs);
    return { ok: false, error, durationMs: 0, maxRssMiB: 0, peakTmpMiB: 0, tmpMiBAfter: 0, ...common };
  }

  /** The error of an invocation that produced no result: a timeout, the harness limit, a crash. */
  private endedWithout(m: Record<string, unknown>, limitMs: number): NonNullable<Invocation['error']> {
    if (m.type === 'timeout') {
      return {
        errorType: 'Sandbox.Timedout',
        errorMessage: `Task timed out after ${this.spec.timeoutSeconds}.00 seconds`,
      };
    }
    if (m.type === 'limit') {
      return {
        errorType: 'Harness.InvokeLimit',
        errorMessage: `no answer within ${limitMs / 1000} s (the harness limit; the function's own timeout is ${this.spec.timeoutSeconds} s): killed`,
      };
    }
    if (m.type === 'crash') return m.error as NonNullable<Invocation['error']>;
    return { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${String(m.reason)}` };
  }

  /** Ends the environment (Lambda reclaims it). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGKILL');
    await closed;
  }

  private kill(): void {
    this.child?.kill('SIGKILL');
  }

  private spawn(entry: string): ChildProcessWithoutNullStreams {
    const root = process.getuid?.() === 0;
    // Without root, a user namespace lends the mount rights; the uid cannot then be dropped.
    const unshare = root
      ? ['--mount', '--propagation', 'private']
      : ['--user', '--map-root-user', '--mount', '--propagation', 'private'];
    return spawn(
      '/usr/bin/unshare',
      [
        ...unshare,
        '--',
        '/bin/sh',
        '-c',
        SETUP,
        'lambda-sandbox',
        this.codeDir,
        this.parts.nodeRoot,
        this.runtimeDir,
        String(this.spec.ephemeralMiB),
        entry,
        this.etcDir,
        root ? 'yes' : 'no',
      ],
      { env: { ...this.spec.env }, stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' },
    );
  }

  private start(): Promise<Record<string, unknown>> {
    const child = this.spawn('bootstrap.cjs');
    this.child = child;
    let readyResolve: (m: Record<string, unknown>) => void = () => undefined;
    this.ready = new Promise((resolve) => {
      readyResolve = resolve;
    });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        if (line.startsWith(MARK)) {
          const message = JSON.parse(line.slice(1)) as Record<string, unknown>;
          if (message.type === 'ready' || message.type === 'init-error') readyResolve(message);
          else this.pending?.resolve(message);
          continue;
        }
        if (!line.trim()) continue;
        this.log.push(line);
        if (isErrorLog(line)) this.pending?.errorLogs.push(line);
      }
    });
    let errBuffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errBuffered += chunk.toString('utf8');
      const lines = errBuffered.split('\n');
      errBuffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        this.log.push(`stderr: ${line}`);
        this.pending?.stderr.push(line);
      }
    });
    child.on('close', (code, signal) => {
      const reason = signal ? `signal: ${signal}` : `exit status ${code}`;
      readyResolve({ type: 'exit', reason: `${reason}${errBuffered ? `: ${errBuffered}` : ''}` });
      this.pending?.resolve({ type: 'exit', reason });
      if (this.child === child) this.ready = undefined;
    });
    return this.ready;
  }
}

/** A JSON log record at level ERROR or above (Powertools and Lambda's JSON format). */
function isErrorLog(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const record = JSON.parse(line) as { level?: unknown };
    return typeof record.level === 'string' && /^(ERROR|CRITICAL|FATAL)$/i.test(record.level);
  } catch {
    return false;
  }
}

async function makeReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeReadable(path);
    else if (entry.isFile()) await chmod(path, (await stat(path)).mode & 0o111 ? 0o755 : 0o644);
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(path) : (await stat(path)).size;
  }
  return total;
}
