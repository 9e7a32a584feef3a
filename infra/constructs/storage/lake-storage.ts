import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { LakeStorageProps } from './lake-storage-props';

/**
 * The lake's buckets: raw (immutable change records), curated (star schema, pipeline state),
 * Athena results, and the server access logs of the other three. Every bucket blocks public
 * access, refuses plain HTTP and is versioned; the data buckets are encrypted with one
 * customer-managed, rotating KMS key. Data is retained unless `removalPolicy` says otherwise.
 */
export class LakeStorage extends Construct {
  /** The customer-managed key of the raw, curated and Athena-results buckets. */
  public readonly key: kms.Key;
  public readonly rawBucket: s3.Bucket;
  public readonly curatedBucket: s3.Bucket;
  public readonly athenaResultsBucket: s3.Bucket;
  /** Target of server access logging; SSE-S3 because S3 log delivery cannot write SSE-KMS. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeStorageProps = {}) {
    super(scope, id);
    // Log delivery is granted by bucket policy, not the legacy ACL that ownership enforcement forbids.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const noncurrentVersionExpiration = Duration.days(props.noncurrentVersionExpiryDays ?? 90);
    const abortIncompleteMultipartUploadAfter = Duration.days(1);

    this.key = new kms.Key(this, 'Key', {
      description: 'totesys lake data: raw, curated and Athena results buckets',
      enableKeyRotation: true,
      removalPolicy,
      ...(destroy ? { pendingWindow: Duration.days(7) } : {}),
    });

    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: destroy,
    };

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'expire-logs',
          expiration: Duration.days(props.accessLogExpiryDays ?? 365),
          noncurrentVersionExpiration,
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter },
      ],
    });

    const dataBucket = (id: string, prefix: string, lifecycleRules: s3.LifecycleRule[]): s3.Bucket =>
      new s3.Bucket(this, id, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        // One data key per bucket instead of per object: fewer KMS calls, same protection.
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: prefix,
        lifecycleRules: [
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter },
          { id: 'expire-replaced-versions', noncurrentVersionExpiration },
          ...lifecycleRules,
        ],
      });

    this.rawBucket = dataBucket('RawBucket', 'raw/', [
      {
        id: 'tier-raw',
        transitions: [
          {
            storageClass: s3.StorageClass.INTELLIGENT_TIERING,
            transitionAfter: Duration.days(props.rawTieringDays ?? 30),
          },
        ],
      },
    ]);
    this.curatedBucket = dataBucket('CuratedBucket', 'curated/', []);
    this.athenaResultsBucket = dataBucket('AthenaResultsBucket', 'athena-results/', [
      { id: 'expire-results', expiration: Duration.days(props.athenaResultsExpiryDays ?? 30) },
    ]);
  }
}
