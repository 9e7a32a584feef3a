import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { StackModel } from './cloud-assembly';
import type { Decision, Principal } from './iam-policy';
import { deleteObjectsKeys, escapeXml, type S3Check, s3Operation } from './s3-operations';
import type { StackAccess } from './stack-access';

/** A caller the gateway knows by its access key id: one function (or the harness itself). */
export interface CallerIdentity {
  /** The function's logical id, e.g. `IngestFunctionB02ED0EB`. */
  readonly caller: string;
  readonly roleLogicalId: string;
  readonly principal: Principal;
  readonly accessKeyId: string;
  readonly sessionToken: string;
}

/** One call that reached the gateway. */
export interface GatewayCall {
  readonly caller: string;
  readonly service: string;
  readonly operation: string;
  /** Bucket/key, secret or table. */
  readonly target: string;
  readonly status: number;
  /** Set when IAM refused it. */
  readonly denied?: { readonly action: string; readonly resource: string; readonly reason: string };
  /** Set when the harness has no stub for it. */
  readonly unsupported?: string;
}

/** Options of {@link AwsGateway.start}. */
export interface AwsGatewayOptions {
  readonly model: StackModel;
  readonly access: StackAccess;
  readonly identities: readonly CallerIdentity[];
  /** The local S3 server the gateway forwards allowed S3 calls to. */
  readonly s3Upstream: { readonly host: string; readonly port: number };
  /** Secret ARN → its current SecretString. */
  readonly secretValues: ReadonlyMap<string, string>;
  readonly tls: { readonly key: string; readonly cert: string };
}

interface GlueTable {
  databaseName: string;
  catalogId: string;
  versionId: number;
  createTime: number;
  updateTime: number;
  input: Record<string, unknown>;
}

/**
 * One HTTPS endpoint standing in for AWS: S3 (forwarded to the local S3 server), Secrets
 * Manager and Glue (small stubs). The service comes from the SigV4 credential scope and the
 * caller from the access key id; every call is authorised against the caller's role in the
 * synthesized template, and a refused one gets the error AWS would send (S3 `AccessDenied`
 * XML, `AccessDeniedException` JSON). KMS checks are made where the service would call KMS
 * on the caller's behalf (S3 SSE-KMS, secrets encrypted with a customer key).
 */
export class AwsGateway {
  readonly calls: GatewayCall[] = [];
  /** Glue tables by `database.table`, seeded from the template's `AWS::Glue::Table`s. */
  readonly glueTables = new Map<string, GlueTable>();
  private readonly byKeyId: Map<string, CallerIdentity>;
  private readonly objectKeys = new Map<string, string>();
  private readonly locks = new Map<string, Promise<void>>();
  private servers: Server[] = [];

  private constructor(private readonly options: AwsGatewayOptions) {
    this.byKeyId = new Map(options.identities.map((i) => [i.accessKeyId, i]));
    const { model } = options;
    const now = Math.floor(Date.now() / 1000);
    for (const [id] of model.ofType('AWS::Glue::Table')) {
      const input = model.prop(id, 'TableInput') as Record<string, unknown>;
      const databaseName = model.str(model.resource(id).Properties?.DatabaseName);
      const catalogId = String(model.prop(id, 'CatalogId') ?? model.stack.account);
      this.glueTables.set(`${databaseName}.${String(input.Name)}`, {
        databaseName,
        catalogId,
        versionId: 0,
        createTime: now,
        updateTime: now,
        input,
      });
    }
  }

  /** Starts the gateway on a free loopback port. */
  static async start(options: AwsGatewayOptions): Promise<AwsGateway> {
    const gateway = new AwsGateway(options);
    const listen = async (catchAll: boolean): Promise<Server> => {
      const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
        gateway.handle(req, res, catchAll).catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`bundle gateway failed: ${error instanceof Error ? error.stack : String(error)}`);
        });
      });
      server.keepAliveTimeout = 30_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    };
    gateway.servers = [await listen(false), await listen(true)];
    return gateway;
  }

  /** Where the services the gateway serves are (`AWS_ENDPOINT_URL_<SERVICE>`). */
  get url(): string {
    return this.endpoint(0);
  }

  /**
   * The catch-all endpoint (`AWS_ENDPOINT_URL`): a call arriving here went to a service the
   * harness gives no endpoint of its own, or the SDK ignored the service-specific variable.
   */
  get catchAllUrl(): string {
    return this.endpoint(1);
  }

  private endpoint(index: number): string {
    const address = this.servers[index]?.address() as AddressInfo | undefined;
    if (!address) throw new Error('the gateway is not listening');
    return `https://127.0.0.1:${address.port}`;
  }

  /** The gateway's self-signed certificate (a client outside the sandbox must trust it). */
  get certificate(): string {
    return this.options.tls.cert;
  }

  async stop(): Promise<void> {
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.servers = [];
  }

  /** Calls IAM refused. */
  get denials(): GatewayCall[] {
    return this.calls.filter((c) => c.denied);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, catchAll: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://gateway');
    const scope =
      /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '') ??
      /^([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/.exec(url.searchParams.get('X-Amz-Credential') ?? '');
    const service = scope?.[3] ?? 'unsigned';
    const identity = scope?.[1] ? this.byKeyId.get(scope[1]) : undefined;
    const token = req.headers['x-amz-security-token'] ?? url.searchParams.get('X-Amz-Security-Token');
    if (!identity || token !== identity.sessionToken) {
      const code = service === 's3' ? 'InvalidAccessKeyId' : 'UnrecognizedClientException';
      this.calls.push({
        caller: scope?.[1] ?? 'anonymous',
        service,
        operation: '?',
        target: url.pathname,
        status: 403,
      });
      req.resume();
      if (service === 's3')
        return sendS3Error(
          res,
          403,
          code,
          'The AWS Access Key Id you provided does not exist in our records.',
          req.method,
        );
      return sendJsonError(res, 400, code, 'The security token included in the request is invalid.');
    }
    if (catchAll && ['s3', 'secretsmanager', 'glue'].includes(service)) {
      // Served all the same, but the variable meant for it did not reach the SDK.
      this.calls.push({
        caller: identity.caller,
        service,
        operation: String(req.headers['x-amz-target'] ?? req.method),
        target: url.pathname,
        status: 0,
        unsupported: 'reached the catch-all AWS_ENDPOINT_URL, not its service’s own endpoint variable',
      });
    }
    if (service === 's3') return this.s3(identity, req, res, url);
    const body = (await readBody(req)).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? '';
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (service === 'secretsmanager') return this.secrets(identity, operation, input, res);
    if (service === 'glue') return this.glue(identity, operation, input, res);
    this.calls.push({
      caller: identity.caller,
      service,
      operation: operation || req.method || '?',
      target: url.pathname,
      status: 400,
      unsupported: `the bundle harness stubs no ${service} API (a call the function would make in AWS)`,
    });
    sendJsonError(res, 400, 'UnknownOperationException', `the bundle harness stubs no ${service} API`);
  }

  // ---------------------------------------------------------------- S3

  private async s3(
    identity: CallerIdentity,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const op = s3Operation(method, url.pathname, url.searchParams, req.headers);
    const target = op.key === undefined ? op.bucket : `${op.bucket}/${op.key}`;
    const record = (status: number, denied?: GatewayCall['denied']) =>
      this.calls.push({
        caller: identity.caller,
        service: 's3',
        operation: op.operation,
        target,
        status,
        ...(denied ? { denied } : {}),
      });
    const socket = req.socket as TLSSocket;
    const context = {
      'aws:SecureTransport': 'true',
      's3:TlsVersion': (socket.getProtocol?.() ?? 'TLSv1.2').replace('TLSv', ''),
      'aws:SourceIp': '127.0.0.1',
      's3:authType': 'REST-HEADER',
      's3:signatureversion': 'AWS4-HMAC-SHA256',
    };
    let body: Buffer | undefined;
    let checks: readonly S3Check[] = op.checks;
    if (op.operation === 'DeleteObjects') {
      // One s3:DeleteObject check per key. A refused key refuses the whole call here, where S3
      // would list it as an error inside a 200: stricter, and the lake deletes key by key anyway.
      body = await readBody(req);
      checks = deleteObjectsKeys(body.toString('utf8')).map((k) => ({
        action: 's3:DeleteObject',
        resource: `arn:aws:s3:::${op.bucket}/${k}`,
      }));
    }
    for (const check of checks) {
      const decision = this.authorize(
        identity,
        check.action,
        check.resource,
        { ...context, ...check.context },
        this.options.access.bucketPolicies(op.bucket),
      );
      if (!decision.allowed) {
        req.resume();
        record(403, { action: check.action, resource: check.resource, reason: decision.reason });
        return sendS3Error(
          res,
          403,
          'AccessDenied',
          deniedMessage(identity, check.action, check.resource, decision),
          method,
        );
      }
    }
    const kms = this.kmsFor(op.bucket, op.key, req.headers);
    if (kms && op.kms !== 'none') {
      const actions =
        op.kms === 'encrypt'
          ? ['kms:GenerateDataKey']
          : op.kms === 'decrypt'
            ? ['kms:Decrypt']
            : ['kms:GenerateDataKey', 'kms:Decrypt'];
      for (const action of actions) {
        const decision = this.options.access.checkKms(identity.caller, identity.roleLogicalId, {
          principal: identity.principal,
          action,
          resource: kms,
          context: {
            'kms:ViaService': `s3.${this.options.model.stack.region}.amazonaws.com`,
            'kms:CallerAccount': identity.principal.account,
            'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${op.bucket}`,
          },
        });
        if (!decision.allowed) {
          req.resume();
          record(403, { action, resource: kms, reason: decision.reason });
          return sendS3Error(
            res,
            403,
            'AccessDenied',
            deniedMessage(identity, action, kms, decision),
            method,
          );
        }
      }
    }
    const conditional =
      method === 'PUT' && op.key !== undefined && (req.headers['if-none-match'] || req.headers['if-match']);
    const forward = async (): Promise<void> => {
      if (conditional && op.key !== undefined) {
        const failed = await this.preconditionFails(op.bucket, op.key, req.headers);
        if (failed) {
          req.resume();
          record(failed.status);
          return sendS3Error(res, failed.status, failed.code, failed.message, method);
        }
      }
      const status = await this.forwardS3(req, res, url, body, op.operation, identity, kms);
      record(status);
      if (
        status < 300 &&
        kms &&
        op.key !== undefined &&
        ['PutObject', 'CompleteMultipartUpload'].includes(op.operation)
      ) {
        this.objectKeys.set(`${op.bucket}/${op.key}`, kms);
      }
    };
    if (conditional && op.key !== undefined) await this.serialised(`${op.bucket}/${op.key}`, forward);
    else await forward();
  }

  /** The key S3 would use for this object: the request's, the object's own, the bucket default. */
  private kmsFor(
    bucket: string,
    key: string | undefined,
    headers: IncomingMessage['headers'],
  ): string | undefined {
    const access = this.options.access;
    const requested = headers['x-amz-server-side-encryption'];
    if (requested === 'aws:kms')
      return (
        access.keyArn(String(headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? '')) ??
        access.model.arn('kms', 'alias/aws/s3')
      );
    if (requested === 'AES256') return undefined;
    const written = key === undefined ? undefined : this.objectKeys.get(`${bucket}/${key}`);
    if (written) return written;
    const enc = access.bucketEncryption(bucket);
    return enc.algorithm.startsWith('aws:kms')
      ? (enc.keyArn ?? access.model.arn('kms', 'alias/aws/s3'))
      : undefined;
  }

  private authorize(
    identity: CallerIdentity,
    action: string,
    resource: string,
    context: Record<string, string>,
    resourcePolicies: ReturnType<StackAccess['bucketPolicies']>,
  ): Decision {
    return this.options.access.check(
      identity.caller,
      identity.roleLogicalId,
      { principal: identity.principal, action, resource, context },
      resourcePolicies,
    );
  }

  /** S3's conditional writes, which the local server ignores: `If-None-Match: *` and `If-Match`. */
  private async preconditionFails(
    bucket: string,
    key: string,
    headers: IncomingMessage['headers'],
  ): Promise<{ status: number; code: string; message: string } | undefined> {
    const etag = await this.upstreamEtag(bucket, key);
    const noneMatch = headers['if-none-match'];
    const match = headers['if-match'];
    if (noneMatch === '*' && etag !== undefined) {
      return {
        status: 412,
        code: 'PreconditionFailed',
        message: 'At least one of the pre-conditions you specified did not hold',
      };
    }
    if (match !== undefined) {
      if (etag === undefined)
        return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
      if (match !== etag && match !== '*') {
        return {
          status: 412,
          code: 'PreconditionFailed',
          message: 'At least one of the pre-conditions you specified did not hold',
        };
      }
    }
    return undefined;
  }

  private upstreamEtag(bucket: string, key: string): Promise<string | undefined> {
    const path = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    return new Promise((resolve, reject) => {
      const r = httpRequest({ ...this.options.s3Upstream, method: 'HEAD', path }, (up) => {
        up.resume();
        resolve(up.statusCode === 200 ? String(up.headers.etag) : undefined);
      });
      r.on('error', reject);
      r.end();
    });
  }

  /** Runs `work` after every earlier conditional write of the same key finished. */
  private async serialised(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const mine = previous.then(work, work);
    this.locks.set(
      key,
      mine.catch(() => undefined),
    );
    await mine;
  }

  private forwardS3(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    buffered: Buffer | undefined,
    operation: string,
    identity: CallerIdentity,
    kms: string | undefined,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (
          value === undefined ||
          ['authorization', 'x-amz-security-token', 'host', 'connection', 'expect'].includes(name)
        )
          continue;
        headers[name] = value;
      }
      const send = (body: Buffer | undefined) => {
        if (body !== undefined) {
          headers['content-length'] = String(body.length);
          delete headers['transfer-encoding'];
        }
        const up = httpRequest(
          { ...this.options.s3Upstream, method: req.method, path: url.pathname + url.search, headers },
          (upstream) => {
            const status = upstream.statusCode ?? 502;
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(upstream.headers))
              if (value !== undefined && name !== 'connection') out[name] = value;
            if (
              kms &&
              status < 300 &&
              ['PutObject', 'GetObject', 'HeadObject', 'CompleteMultipartUpload', 'UploadPart'].includes(
                operation,
              )
            ) {
              out['x-amz-server-side-encryption'] = 'aws:kms';
              out['x-amz-server-side-encryption-aws-kms-key-id'] = kms;
            }
            if (
              (operation === 'GetObject' || operation === 'HeadObject') &&
              status === 404 &&
              !this.mayList(identity, url)
            ) {
              // Without s3:ListBucket S3 hides whether a key exists: 403, not 404.
              upstream.resume();
              const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
              const resource = `arn:aws:s3:::${bucket}/${decodeURIComponent(url.pathname.split('/').slice(2).join('/'))}`;
              const reason =
                'because no identity-based policy allows the s3:ListBucket action (a missing key reads as AccessDenied)';
              this.options.access.records.push({
                caller: identity.caller,
                action: 's3:ListBucket',
                resource: `arn:aws:s3:::${bucket}`,
                allowed: false,
                reason,
              });
              sendS3Error(
                res,
                403,
                'AccessDenied',
                deniedMessage(identity, 's3:GetObject', resource, { allowed: false, reason }),
                req.method,
              );
              resolve(403);
              return;
            }
            res.writeHead(status, out);
            upstream.pipe(res);
            upstream.on('end', () => resolve(status));
            upstream.on('error', reject);
          },
        );
        up.on('error', reject);
        if (body !== undefined) up.end(body);
        else req.pipe(up);
      };
      const chunked =
        String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
        String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
      if (buffered !== undefined) send(buffered);
      else if (chunked) {
        readBody(req).then((raw) => {
          headers['content-encoding'] = String(headers['content-encoding'] ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s && s !== 'aws-chunked')
            .join(',');
          if (!headers['content-encoding']) delete headers['content-encoding'];
          delete headers['x-amz-decoded-content-length'];
          delete headers['x-amz-trailer'];
          headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
          send(decodeAwsChunked(raw));
        }, reject);
      } else send(undefined);
    });
  }

  private mayList(identity: CallerIdentity, url: URL): boolean {
    const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    const { access } = this.options;
    const decision = access.check(
      identity.caller,
      identity.roleLogicalId,
      {
        principal: identity.principal,
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket}`,
        context: { 's3:prefix': key, 'aws:SecureTransport': 'true' },
      },
      access.bucketPolicies(bucket),
    );
    // The probe is S3's internal check, not a call: only a refusal stays in the record.
    if (decision.allowed) access.records.pop();
    return decision.allowed;
  }

  // ---------------------------------------------------------------- Secrets Manager

  private secrets(
    identity: CallerIdentity,
    operation: string,
    input: Record<string, unknown>,
    res: ServerResponse,
  ): void {
    const { access, model, secretValues } = this.options;
    const secretId = String(input.SecretId ?? '');
    const record = (status: number, extra: Partial<GatewayCall> = {}) =>
      this.calls.push({
        caller: identity.caller,
        service: 'secretsmanager',
        operation,
        target: secretId,
        status,
        ...extra,
      });
    if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret') {
      record(400, { unsupported: `the Secrets Manager stub has no ${operation}` });
      sendJsonError(res, 400, 'UnknownOperationException', `the Secrets Manager stub has no ${operation}`);
      return;
    }
    const logicalId = access.secretLogicalId(secretId);
    const action = `secretsmanager:${operation}`;
    const arn = logicalId ? model.ref(logicalId) : secretId;
    const decision = access.check(
      identity.caller,
      identity.roleLogicalId,
      { principal: identity.principal, action, resource: arn },
      access.secretPolicies(arn),
    );
    if (!decision.allowed) {
      record(400, { denied: { action, resource: arn, reason: decision.reason } });
      sendJsonError(res, 400, 'AccessDeniedException', deniedMessage(identity, action, arn, decision));
      return;
    }
    if (!logicalId) {
      record(400);
      sendJsonError(
        res,
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
      return;
    }
    const name =
      arn
        .split(':')
        .pop()
        ?.replace(/-[a-z0-9]{6}$/, '') ?? logicalId;
    if (operation === 'DescribeSecret') {
      record(200);
      sendJson(res, { ARN: arn, Name: name });
      return;
    }
    const keyArn = access.keyArn(model.prop(logicalId, 'KmsKeyId') as string | undefined);
    if (keyArn) {
      const kms = access.checkKms(identity.caller, identity.roleLogicalId, {
        principal: identity.principal,
        action: 'kms:Decrypt',
        resource: keyArn,
        context: {
          'kms:ViaService': `secretsmanager.${model.stack.region}.amazonaws.com`,
          'kms:CallerAccount': identity.principal.account,
          'kms:EncryptionContext:SecretARN': arn,
        },
      });
      if (!kms.allowed) {
        record(400, { denied: { action: 'kms:Decrypt', resource: keyArn, reason: kms.reason } });
        sendJsonError(
          res,
          400,
          'AccessDeniedException',
          `Access to KMS is not allowed (${deniedMessage(identity, 'kms:Decrypt', keyArn, kms)})`,
        );
        return;
      }
    }
    const value = secretValues.get(arn);
    if (value === undefined) {
      record(400);
      sendJsonError(
        res,
        400,
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: AWSCURRENT`,
      );
      return;
    }
    record(200);
    sendJson(res, {
      ARN: arn,
      Name: name,
      SecretString: value,
      VersionId: randomUUID(),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  }

  // ---------------------------------------------------------------- Glue

  private glue(
    identity: CallerIdentity,
    operation: string,
    input: Record<string, unknown>,
    res: ServerResponse,
  ): void {
    const { access, model } = this.options;
    const database = String(input.DatabaseName ?? '');
    const tableInput = input.TableInput as Record<string, unknown> | undefined;
    const tableName = String(input.Name ?? tableInput?.Name ?? '');
    const target = `${database}.${tableName}`;
    const record = (status: number, extra: Partial<GatewayCall> = {}) =>
      this.calls.push({ caller: identity.caller, service: 'glue', operation, target, status, ...extra });
    if (operation !== 'GetTable' && operation !== 'UpdateTable') {
      record(400, { unsupported: `the Glue stub has no ${operation}` });
      sendJsonError(res, 400, 'UnknownOperationException', `the Glue stub has no ${operation}`);
      return;
    }
    const action = `glue:${operation}`;
    // Glue authorises table calls on the catalog, the database and the table.
    for (const resource of [
      model.arn('glue', 'catalog'),
      model.arn('glue', `database/${database}`),
      model.arn('glue', `table/${database}/${tableName}`),
    ]) {
      const decision = access.check(
        identity.caller,
        identity.roleLogicalId,
        { principal: identity.principal, action, resource },
        [],
      );
      if (!decision.allowed) {
        record(400, { denied: { action, resource, reason: decision.reason } });
        sendJsonError(res, 400, 'AccessDeniedException', deniedMessage(identity, action, resource, decision));
        return;
      }
    }
    const table = this.glueTables.get(target);
    if (!table) {
      record(400);
      sendJsonError(res, 400, 'EntityNotFoundException', `Table ${tableName} not found.`);
      return;
    }
    if (operation === 'GetTable') {
      record(200);
      sendJson(res, {
        Table: {
          ...table.input,
          DatabaseName: table.databaseName,
          CatalogId: table.catalogId,
          CreateTime: table.createTime,
          UpdateTime: table.updateTime,
          VersionId: String(table.versionId),
          IsRegisteredWithLakeFormation: false,
        },
      });
      return;
    }
    if (input.VersionId !== undefined && String(input.VersionId) !== String(table.versionId)) {
      record(400);
      sendJsonError(
        res,
        400,
        'ConcurrentModificationException',
        `Table ${tableName} was modified: version ${String(input.VersionId)} is not current`,
      );
      return;
    }
    table.input = tableInput ?? table.input;
    table.versionId += 1;
    table.updateTime = Math.floor(Date.now() / 1000);
    record(200);
    sendJson(res, {});
  }
}

/** AWS's wording: who, what, on which resource, and why not. */
export function deniedMessage(
  identity: CallerIdentity,
  action: string,
  resource: string,
  decision: Decision,
): string {
  return `User: ${identity.principal.sessionArn} is not authorized to perform: ${action} on resource: ${resource} ${decision.reason}`;
}

function sendS3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  method?: string,
): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId><HostId>bundle-gateway</HostId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId,
    'content-length': Buffer.byteLength(xml),
  });
  res.end(method === 'HEAD' ? undefined : xml);
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(text);
}

function sendJsonError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(JSON.stringify({ __type: type, Message: message, message }));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The payload of an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n`…, then trailers. */
export function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
