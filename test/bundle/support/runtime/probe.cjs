'use strict';
/**
 * Run in the sandbox instead of the bootstrap: reports what the sandbox really is, so the
 * harness measures its isolation rather than assuming it.
 */
const fs = require('node:fs');
const os = require('node:os');

const canWrite = (dir) => {
  const file = `${dir}/.bundle-probe-${process.pid}`;
  try {
    fs.writeFileSync(file, 'x');
    fs.rmSync(file);
    return 'writable';
  } catch (error) {
    return error.code || String(error);
  }
};
let homedir;
try {
  homedir = os.homedir();
} catch (error) {
  homedir = `throws ${error.code || error}`;
}
const report = {
  uid: process.getuid(),
  gid: process.getgid(),
  groups: process.getgroups(),
  user: (() => {
    try {
      return os.userInfo().username;
    } catch (error) {
      return `unknown (${error.code || error})`;
    }
  })(),
  cwd: process.cwd(),
  execPath: process.execPath,
  nodeVersion: process.version,
  env: process.env,
  homedir,
  tmpEntries: fs.readdirSync('/tmp'),
  tmpSizeBytes: (() => {
    const s = fs.statfsSync('/tmp');
    return s.blocks * s.bsize;
  })(),
  write: {
    '/var/task': canWrite('/var/task'),
    '/var/runtime': canWrite('/var/runtime'),
    '/tmp': canWrite('/tmp'),
    '/': canWrite(''),
    '/etc': canWrite('/etc'),
    '/dev/shm': canWrite('/dev/shm'),
  },
  caBundle: process.env.NODE_EXTRA_CA_CERTS ? fs.existsSync(process.env.NODE_EXTRA_CA_CERTS) : 'not set',
};
process.stdout.write(`\u001e${JSON.stringify(report)}\n`);
