import { LeaseHeldError, TotesError } from '../errors';

/** An operation on the lake failed; `context` names the key and the bucket (or folder). */
export class LakeStoreError extends TotesError {}

/**
 * A call to S3 failed (access denied, missing bucket, network, throttling past the SDK's
 * retries). `context.operation` is the S3 API call, `context.code` the S3 error code.
 */
export class S3LakeError extends LakeStoreError {}

/** A lake document (state, manifest, lease, record) is unreadable or does not match its contract. */
export class LakeDocumentError extends TotesError {}

/** The saved ingest state cannot be used (corrupt, or from a newer version of the pipeline). */
export class IngestStateError extends LakeDocumentError {}

/** The transform state object is unreadable or names objects that are gone. */
export class TransformStateError extends LakeDocumentError {}

/** The holder lost the pipeline lease while it worked (it could not renew in time and another run took it). */
export class LeaseLostError extends LeaseHeldError {}
