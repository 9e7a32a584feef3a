import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SourceDatabaseSecretProps } from './source-database-secret-props';

/**
 * The read-only credentials of the external `totesys` source database. The stack creates
 * the secret with placeholders; an operator puts the real values once (docs/deploy.md):
 * `{"host","port","dbname","username","password"}`, the RDS secret layout, or `{"url"}`.
 * The source's owner rotates that password, not this stack.
 */
export class SourceDatabaseSecret extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: SourceDatabaseSecretProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'totesys lake: source database credentials',
        enableKeyRotation: true,
        removalPolicy,
      });
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Read-only credentials of the totesys source database (put the real values after deploy)',
      encryptionKey: this.key,
      removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          host: 'replace-me',
          port: 5432,
          dbname: 'totesys',
          username: 'replace-me',
        }),
        generateStringKey: 'password',
      },
    });
  }
}
