import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { WarehouseDatabaseProps } from './warehouse-database-props';

/**
 * The PostgreSQL star-schema warehouse on RDS: in isolated subnets, storage encrypted with a
 * customer key, TLS forced by the parameter group (`rds.force_ssl`), administrator
 * credentials generated into Secrets Manager and rotated, automated backups. The load stage
 * applies `warehouse-sql/` migrations itself, so the schema ships with the code that uses it.
 */
export class WarehouseDatabase extends Construct {
  public readonly instance: rds.DatabaseInstance;
  /** Administrator credentials (RDS secret JSON: host, port, dbname, username, password). */
  public readonly secret: secretsmanager.ISecret;
  public readonly key: kms.IKey;
  public readonly databaseName: string;
  /** The secret-rotation function's group: it reaches the warehouse and the Secrets Manager endpoint. */
  public readonly rotationSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: WarehouseDatabaseProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    this.databaseName = props.databaseName ?? 'warehouse';
    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'totesys lake warehouse: RDS storage, snapshots and credentials',
        enableKeyRotation: true,
        removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });

    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'totesys lake warehouse: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });

    // Created before the instance so RDS exports into a group that has a retention. Its name is
    // fixed by RDS, so it goes with the stack: a retained group would make the next deploy of a
    // destroyed stage fail with "already exists" (the final snapshot keeps the data).
    const logGroup = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/postgresql`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      parameterGroup,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      multiAz: props.multiAz ?? false,
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: this.key,
      publiclyAccessible: false,
      databaseName: this.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret('totes_admin', { encryptionKey: this.key }),
      iamAuthentication: true,
      backupRetention: Duration.days(props.backupRetentionDays ?? 7),
      deleteAutomatedBackups: false,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: false,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
    });
    this.instance.node.addDependency(logGroup);
    if (!this.instance.secret) throw new Error('the warehouse instance was created without a secret');
    this.secret = this.instance.secret;

    // Its own group, so that the closed Secrets Manager endpoint can admit it: the rotation
    // function runs in subnets without internet and reaches Secrets Manager only there.
    this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: 'totesys lake warehouse secret rotation',
    });
    props.secretsEndpoint.connections.allowDefaultPortFrom(
      this.rotationSecurityGroup,
      'secret rotation to Secrets Manager',
    );
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(props.rotationDays ?? 30),
      vpcSubnets: props.subnets,
      endpoint: props.secretsEndpoint,
      securityGroup: this.rotationSecurityGroup,
    });
  }

  /** Lets `peer` open connections to the warehouse port. */
  allowConnectionsFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }
}
