import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's headless-capable Chromium (`apt-get install chromium`). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Flags for a hermetic headless run: no sandbox (root in CI), no GPU, no network chatter. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Runs Chromium on a file with a fresh profile; returns stdout. */
async function chromium(args: readonly string[]): Promise<string> {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install -y chromium');
  const profile = await mkdtemp(join(tmpdir(), 'totes-chromium-'));
  try {
    const { stdout } = await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], {
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The DOM after the page loaded and its scripts ran, serialised. */
export const dumpDom = (file: string): Promise<string> => chromium(['--dump-dom', `file://${file}`]);

/** A PNG screenshot of the page at the given window size. */
export const screenshot = (file: string, png: string, width = 1000, height = 3000): Promise<string> =>
  chromium([
    `--screenshot=${png}`,
    `--window-size=${width},${height}`,
    '--hide-scrollbars',
    `file://${file}`,
  ]);
