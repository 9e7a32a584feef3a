'use strict';
/**
 * The harness's stand-in for the Lambda Node.js runtime, run inside the sandbox as
 * /var/runtime/bootstrap.cjs: loads `_HANDLER` from LAMBDA_TASK_ROOT once (the init phase),
 * then runs one invocation per line read from stdin, as a warm container does. Results go to
 * stdout after the invocation's own log lines, as one line starting with U+001E, so the
 * harness can tell which log lines belong to which invocation (a pipe keeps their order).
 */
const { existsSync, readFileSync, statfsSync } = require('node:fs');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const tls = require('node:tls');

// The harness's AWS endpoint has a local certificate; in AWS the endpoints' certificates chain
// to public roots Node already trusts. Adding it to the default store leaves the environment
// (NODE_EXTRA_CA_CERTS included) exactly as the template sets it.
const GATEWAY_CA = '/var/runtime/harness-gateway-ca.pem';
if (existsSync(GATEWAY_CA)) {
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), readFileSync(GATEWAY_CA, 'utf8')]);
}

const MARK = '\u001e';
const emit = (message) => process.stdout.write(`\n${MARK}${JSON.stringify(message)}\n`);
const errorShape = (e) => ({
  errorType: e?.name || 'Error',
  errorMessage: e?.message || String(e),
  trace: String(e?.stack || '').split('\n'),
});
const tmpUsed = () => {
  const s = statfsSync('/tmp');
  return (s.blocks - s.bfree) * s.bsize;
};
const rssKb = () => process.resourceUsage().maxRSS;

process.on('unhandledRejection', (reason) => {
  emit({ type: 'crash', error: { ...errorShape(reason), errorType: 'Runtime.UnhandledPromiseRejection' } });
  process.exit(128);
});
process.on('uncaughtException', (error) => {
  emit({ type: 'crash', error: { ...errorShape(error), errorType: 'Runtime.UncaughtException' } });
  process.exit(129);
});

const spec = process.env._HANDLER || '';
const dot = spec.lastIndexOf('.');
const moduleName = spec.slice(0, dot);
const exportName = spec.slice(dot + 1);
let handler;
const initStarted = performance.now();
try {
  const loaded = require(join(process.env.LAMBDA_TASK_ROOT || '/var/task', moduleName));
  handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  emit({ type: 'ready', initMs: performance.now() - initStarted, maxRssKb: rssKb() });
} catch (error) {
  emit({ type: 'init-error', error: errorShape(error), initMs: performance.now() - initStarted });
  process.exit(1);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  process.env._X_AMZN_TRACE_ID = request.traceId;
  const deadline = Date.now() + request.timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: request.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: request.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let peakTmp = tmpUsed();
  const sampler = setInterval(() => {
    peakTmp = Math.max(peakTmp, tmpUsed());
  }, 100);
  const started = performance.now();
  let outcome;
  try {
    const result = await handler(request.event, context);
    outcome = { ok: true, payload: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    outcome = { ok: false, error: errorShape(error) };
  }
  clearInterval(sampler);
  const durationMs = performance.now() - started;
  peakTmp = Math.max(peakTmp, tmpUsed());
  emit({
    type: 'result',
    id: request.requestId,
    ...outcome,
    durationMs,
    maxRssKb: rssKb(),
    peakTmpBytes: peakTmp,
    tmpBytesAfter: tmpUsed(),
  });
});
