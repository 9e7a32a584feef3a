import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import { Construct } from 'constructs';
import {
  factTables,
  ident,
  type LogicalType,
  type WarehouseTableDef,
  warehouseTable,
} from '../../../lambdas/kernel/schema';
import type { WarehouseDataSourceProps } from './warehouse-data-source-props';

/** QuickSight column type of a warehouse column as the dataset SQL returns it. */
const quicksightTypes: Record<LogicalType, string> = {
  int: 'INTEGER',
  serial: 'INTEGER',
  text: 'STRING',
  enum: 'STRING',
  date_text: 'STRING',
  // QuickSight has no time-of-day type: the SQL renders it as text.
  time: 'STRING',
  money: 'DECIMAL',
  timestamp: 'DATETIME',
  date: 'DATETIME',
  boolean: 'BOOLEAN',
};

/** One column of a star dataset: its SQL expression, output name and QuickSight type. */
interface StarColumn {
  readonly expression: string;
  readonly name: string;
  readonly type: string;
}

/**
 * The SQL of one star: every column of the fact (history included) plus the descriptive
 * columns of each dimension it references, named `<reference>_<column>`. Generated from the
 * schema module, like every other table shape.
 */
export function starDataset(
  fact: WarehouseTableDef,
  schemaName = 'public',
): { sql: string; columns: StarColumn[] } {
  const q = (table: string) => `${ident(schemaName)}.${ident(table)}`;
  const col = (alias: string, name: string, type: LogicalType): string =>
    type === 'time' ? `${alias}.${ident(name)}::text` : `${alias}.${ident(name)}`;
  const columns: StarColumn[] = [];
  const joins: string[] = [];
  if (fact.surrogateKey)
    columns.push({ expression: `f.${ident(fact.surrogateKey)}`, name: fact.surrogateKey, type: 'INTEGER' });
  for (const c of fact.columns)
    columns.push({ expression: col('f', c.name, c.type), name: c.name, type: quicksightTypes[c.type] });
  fact.columns
    .filter((c) => c.references && c.references.table !== 'dim_date')
    .forEach((c, i) => {
      const ref = c.references;
      if (!ref) return;
      const dim = warehouseTable(ref.table);
      const alias = `d${i}`;
      const prefix = c.name.replace(/_id$/, '');
      joins.push(`LEFT JOIN ${q(dim.name)} ${alias} ON ${alias}.${ident(ref.column)} = f.${ident(c.name)}`);
      for (const d of dim.columns.filter((d) => d.name !== ref.column)) {
        columns.push({
          expression: col(alias, d.name, d.type),
          name: `${prefix}_${d.name}`,
          type: quicksightTypes[d.type],
        });
      }
    });
  const select = columns.map((c) => `${c.expression} AS ${ident(c.name)}`).join(',\n  ');
  return { sql: `SELECT\n  ${select}\nFROM ${q(fact.name)} f\n${joins.join('\n')}`, columns };
}

/**
 * QuickSight on the warehouse (behind the `quicksight` context flag: it needs an account
 * subscription): a VPC connection into the private subnets, a PostgreSQL data source using the
 * warehouse secret over TLS, and one direct-query dataset per star (fact + its dimensions).
 * QuickSight must be allowed to read the secret (QuickSight console → Security & permissions).
 */
export class WarehouseDataSource extends Construct {
  public readonly vpcConnection: quicksight.CfnVPCConnection;
  public readonly dataSource: quicksight.CfnDataSource;
  public readonly dataSets: readonly quicksight.CfnDataSet[];
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: WarehouseDataSourceProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'QuickSight network interfaces to the warehouse',
      allowAllOutbound: false,
    });
    props.warehouse.allowConnectionsFrom(this.securityGroup, 'QuickSight to the warehouse');
    const warehouseSg = props.warehouse.instance.connections.securityGroups[0];
    if (warehouseSg) {
      this.securityGroup.addEgressRule(warehouseSg, ec2.Port.tcp(5432), 'QuickSight to the warehouse');
      // QuickSight interfaces are not stateful: replies from the database must be let in.
      this.securityGroup.addIngressRule(warehouseSg, ec2.Port.allTcp(), 'warehouse replies to QuickSight');
    }

    const role = new iam.Role(this, 'VpcConnectionRole', {
      assumedBy: new iam.ServicePrincipal('quicksight.amazonaws.com'),
      description: 'Lets QuickSight manage its network interfaces in the warehouse subnets',
      inlinePolicies: {
        eni: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: [
                'ec2:CreateNetworkInterface',
                'ec2:ModifyNetworkInterfaceAttribute',
                'ec2:DeleteNetworkInterface',
                'ec2:DescribeSubnets',
                'ec2:DescribeSecurityGroups',
              ],
              // EC2 network-interface actions do not support resource-level scoping at creation.
              resources: ['*'],
            }),
          ],
        }),
      },
    });

    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    this.vpcConnection = new quicksight.CfnVPCConnection(this, 'VpcConnection', {
      awsAccountId: account,
      vpcConnectionId: `${props.namePrefix}-warehouse`,
      name: `${props.namePrefix} warehouse`,
      roleArn: role.roleArn,
      subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });

    const owner = (actions: string[]) => [{ principal: props.principalArn, actions }];
    this.dataSource = new quicksight.CfnDataSource(this, 'DataSource', {
      awsAccountId: account,
      dataSourceId: `${props.namePrefix}-warehouse`,
      name: `${props.namePrefix} warehouse`,
      type: 'POSTGRESQL',
      dataSourceParameters: {
        postgreSqlParameters: {
          host: props.warehouse.instance.dbInstanceEndpointAddress,
          port: 5432,
          database: props.warehouse.databaseName,
        },
      },
      credentials: { secretArn: props.warehouse.secret.secretArn },
      sslProperties: { disableSsl: false },
      vpcConnectionProperties: { vpcConnectionArn: this.vpcConnection.attrArn },
      permissions: owner([
        'quicksight:DescribeDataSource',
        'quicksight:DescribeDataSourcePermissions',
        'quicksight:PassDataSource',
        'quicksight:UpdateDataSource',
        'quicksight:DeleteDataSource',
        'quicksight:UpdateDataSourcePermissions',
      ]),
    });

    this.dataSets = factTables.map((fact) => {
      const star = starDataset(fact, props.schemaName);
      return new quicksight.CfnDataSet(this, `DataSet-${fact.name}`, {
        awsAccountId: account,
        dataSetId: `${props.namePrefix}-${fact.name}`,
        name: `${props.namePrefix} ${fact.name.replace(/^fact_/, '').replace(/_/g, ' ')} star`,
        importMode: 'DIRECT_QUERY',
        physicalTableMap: {
          [fact.name.replace(/_/g, '-')]: {
            customSql: {
              dataSourceArn: this.dataSource.attrArn,
              name: fact.name,
              sqlQuery: star.sql,
              columns: star.columns.map((c) => ({ name: c.name, type: c.type })),
            },
          },
        },
        permissions: owner([
          'quicksight:DescribeDataSet',
          'quicksight:DescribeDataSetPermissions',
          'quicksight:PassDataSet',
          'quicksight:DescribeIngestion',
          'quicksight:ListIngestions',
          'quicksight:UpdateDataSet',
          'quicksight:DeleteDataSet',
          'quicksight:CreateIngestion',
          'quicksight:CancelIngestion',
          'quicksight:UpdateDataSetPermissions',
        ]),
      });
    });
  }
}
