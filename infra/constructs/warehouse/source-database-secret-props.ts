import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** Properties of {@link SourceDatabaseSecret}. */
export interface SourceDatabaseSecretProps {
  /**
   * Key that encrypts the secret.
   * @default a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What `cdk destroy` does to the secret.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
