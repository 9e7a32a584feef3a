import { TotesError } from '../errors';

/** An operation on the lake failed; `context` names the key and the bucket (or folder). */
export class LakeStoreError extends TotesError {}

/**
 * A call to S3 failed (access denied, missing bucket, network, throttling past the SDK's
 * retries). `context.operation` is the S3 API call, `context.code` the S3 error code.
 */
export class S3LakeError extends LakeStoreError {}
