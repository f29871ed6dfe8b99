import path from 'node:path';
import { Aws, CfnCondition, CfnOutput, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { catalogTableDefinition } from '../api/adapters/dynamodb/table-definition.js';
import { AccessLogsBucket } from './constructs/access-logs-bucket.js';
import { AlarmTopic } from './constructs/alarm-topic.js';
import { ServiceAlarms } from './constructs/alarms.js';
import { catalogTable } from './constructs/catalog-table.js';
import type { AlarmThresholds } from './constructs/alarms.js';
import { DeliveryStream } from './constructs/delivery-stream.js';
import { LAKE_PREFIXES, LakeBucket } from './constructs/lake-bucket.js';
import { LakeEventsTopic } from './constructs/lake-events-topic.js';
import { TenantAccounts } from './constructs/tenant-accounts.js';
import type { TenantAccountSettings } from './constructs/tenant-accounts.js';
import { LoadBalancer } from './constructs/load-balancer.js';
import { ServiceFunction } from './constructs/service-function.js';
import { SnowflakeStorageRole } from './constructs/snowflake-storage-role.js';
import { TENANT_SECRET_PREFIX } from '../api/domain/tenants/warehouse-binding.js';
import { acknowledge } from './nag.js';

/** Non-secret Snowflake connection settings, handed to the functions as SNOWFLAKE_* variables. */
export interface SnowflakeSettings {
  account?: string;
  user?: string;
  role?: string;
  warehouse?: string;
  database?: string;
  accessUrl?: string;
  /** Access URL of tenants' own accounts, `{account}` replaced by the binding's account. */
  tenantAccessUrl?: string;
  /** Name of the storage integration the external stage uses. */
  storageIntegration?: string;
}

export interface TributaryStackProps extends StackProps {
  /** Directory with the pre-built esbuild output (index.mjs + chunks); see infra/bundle.ts. */
  lambdaBundleDir: string;
  /** Default of the GlacierTransitionDays parameter. */
  glacierTransitionDays?: number;
  snowflake?: SnowflakeSettings;
  /** Extra variables for both functions (they win over the computed ones). */
  extraEnvironment?: Record<string, string>;
  firehoseBufferIntervalSeconds?: number;
  firehoseBufferSizeMiB?: number;
  lambdaMemoryMiB?: number;
  alarmThresholds?: Partial<AlarmThresholds>;
  /**
   * Tenants with Snowflake accounts of their own (PUT /v1/tenants/{t}/warehouse), each with its storage
   * integration's identity. When given (even empty), the lake publishes its events to an SNS topic every
   * account's pipes subscribe to, instead of to the one SnowpipeQueueArn.
   */
  tenantAccounts?: Record<string, TenantAccountSettings>;
}

/**
 * ALB / Lambda's request and response bodies are capped at 1 MB, so the app's own limit is lowered
 * to fit instead of letting the ALB answer 502.
 */
export const ALB_LAMBDA_MAX_BODY_BYTES = 1_000_000;

/**
 * What the DynamoDB adapters call (api/adapters/dynamodb, the Firehose receipt store): single-item
 * reads and conditional writes, queries, and DescribeTable for the health check. No scans, batches,
 * transactions, stream reads or table management.
 */
export const CATALOG_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
] as const;

/** Tributary in AWS mode: Hono on Lambda behind an ALB, Firehose → S3 → Snowpipe → Snowflake, catalog in DynamoDB. */
export class TributaryStack extends Stack {
  readonly table: dynamodb.Table;
  readonly lake: LakeBucket;
  readonly rawStream: DeliveryStream;
  readonly quarantineStream: DeliveryStream;
  readonly ingest: ServiceFunction;
  readonly api: ServiceFunction;
  readonly monitoringSchedule: events.Rule;
  readonly loadBalancer: LoadBalancer;
  readonly snowflakeStorage: SnowflakeStorageRole;
  readonly alarms: ServiceAlarms;
  readonly alarmTopic: AlarmTopic;
  /** The lake's event topic and the tenants' storage roles; only with tenant accounts. */
  readonly lakeEvents?: LakeEventsTopic;
  readonly tenantAccounts?: TenantAccounts;
  /** kms:Decrypt on SnowflakeKeySecretKmsKeyArn for the secret's readers; exists only when that is set. */
  readonly snowflakeKeyDecrypt: iam.Policy;
  /** Secrets tenants' own Snowflake keys live in (ARN pattern with a trailing wildcard). */
  readonly tenantKeySecretsArn: string;
  readonly parameters: {
    certificateArn: CfnParameter;
    /** Absent with tenant accounts: the pipes then subscribe to the lake's topic. */
    snowpipeQueueArn?: CfnParameter;
    glacierTransitionDays: CfnParameter;
    snowflakeKeySecretArn: CfnParameter;
    snowflakeKeySecretKmsKeyArn: CfnParameter;
    snowflakeExternalId: CfnParameter;
    snowflakeIamUserArn: CfnParameter;
    adminKey: CfnParameter;
    alarmEmail: CfnParameter;
  };

  constructor(scope: Construct, id: string, props: TributaryStackProps) {
    super(scope, id, props);

    this.parameters = {
      certificateArn: new CfnParameter(this, 'CertificateArn', {
        type: 'String',
        description: 'ACM certificate for the HTTPS listener',
        allowedPattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$',
      }),
      ...(props.tenantAccounts
        ? {}
        : {
            snowpipeQueueArn: new CfnParameter(this, 'SnowpipeQueueArn', {
              type: 'String',
              description:
                'Snowflake-owned SQS queue of the pipes (SHOW PIPES → notification_channel). Leave empty on the first deploy: the queue exists once the first stream does; until set, the lake sends no notifications.',
              allowedPattern: '^(|arn:aws[a-z-]*:sqs:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]+)$',
              default: '',
            }),
          }),
      glacierTransitionDays: new CfnParameter(this, 'GlacierTransitionDays', {
        type: 'Number',
        description: 'Days before raw/ objects move to Glacier',
        default: props.glacierTransitionDays ?? 90,
        minValue: 1,
      }),
      snowflakeKeySecretArn: new CfnParameter(this, 'SnowflakeKeySecretArn', {
        type: 'String',
        description: 'Secrets Manager secret holding the Snowflake key-pair private key (PEM)',
        allowedPattern: '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+$',
      }),
      snowflakeKeySecretKmsKeyArn: new CfnParameter(this, 'SnowflakeKeySecretKmsKeyArn', {
        type: 'String',
        description:
          'Customer-managed KMS key (key ARN, not alias) encrypting the Snowflake key secret. Leave empty when the secret uses the AWS-managed aws/secretsmanager key.',
        default: '',
        allowedPattern: '^(|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+)$',
      }),
      snowflakeExternalId: new CfnParameter(this, 'SnowflakeExternalId', {
        type: 'String',
        description: 'STORAGE_AWS_EXTERNAL_ID of the Snowflake storage integration',
        minLength: 2,
      }),
      snowflakeIamUserArn: new CfnParameter(this, 'SnowflakeIamUserArn', {
        type: 'String',
        description:
          'STORAGE_AWS_IAM_USER_ARN of the storage integration. Leave empty on the first deploy (the integration needs the role ARN first); the role then trusts only this account until it is set.',
        default: '',
        allowedPattern: '^(|arn:aws[a-z-]*:iam::\\d{12}:user/.+)$',
      }),
      adminKey: new CfnParameter(this, 'AdminKey', {
        type: 'String',
        description: 'Platform admin key (TRIBUTARY_ADMIN_KEY), at least 24 characters',
        noEcho: true,
        minLength: 24,
      }),
      alarmEmail: new CfnParameter(this, 'AlarmEmail', {
        type: 'String',
        description:
          'Address subscribed to alarm notifications (it must confirm the subscription). Leave empty to subscribe nobody.',
        default: '',
        allowedPattern: '^(|[^@\\s]+@[^@\\s]+\\.[^@\\s]+)$',
      }),
    };
    const p = this.parameters;

    const logs = new AccessLogsBucket(this, 'AccessLogs');

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // The functions run outside the VPC (they reach DynamoDB, Firehose and Snowflake over AWS
      // endpoints), so the VPC only hosts the ALB: public subnets, no NAT gateways to pay for.
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Restricting the default SG needs a custom-resource Lambda; nothing in this VPC uses it.
      restrictDefaultSecurityGroup: false,
    });
    vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toS3(logs.bucket, 'vpc-flow-logs/'),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.table = catalogTable(this, 'Catalog', catalogTableDefinition);

    const hasSnowflakeUser = new CfnCondition(this, 'HasSnowflakeIamUser', {
      expression: Fn.conditionNot(Fn.conditionEquals(p.snowflakeIamUserArn.valueAsString, '')),
    });
    const sharedSnowflakePrincipal = Fn.conditionIf(
      hasSnowflakeUser.logicalId,
      p.snowflakeIamUserArn.valueAsString,
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`,
    ).toString();
    const tenantPrincipals = Object.values(props.tenantAccounts ?? {}).flatMap((t) =>
      t.snowflakeIamUserArn ? [t.snowflakeIamUserArn] : [],
    );
    if (props.tenantAccounts) {
      this.lakeEvents = new LakeEventsTopic(this, 'LakeEvents', {
        subscribers: [sharedSnowflakePrincipal, ...new Set(tenantPrincipals)],
      });
    }
    this.lake = new LakeBucket(this, 'Lake', {
      accessLogsBucket: logs.bucket,
      notifications: this.lakeEvents
        ? { topicArn: this.lakeEvents.topic.topicArn, policy: this.lakeEvents.policy }
        : {
            queueArn: p.snowpipeQueueArn!.valueAsString,
            hasQueue: new CfnCondition(this, 'HasSnowpipeQueue', {
              expression: Fn.conditionNot(Fn.conditionEquals(p.snowpipeQueueArn!.valueAsString, '')),
            }),
          },
      glacierTransitionDays: p.glacierTransitionDays.valueAsNumber,
    });

    const streamProps = {
      bucket: this.lake.bucket,
      key: this.lake.key,
      bufferIntervalSeconds: props.firehoseBufferIntervalSeconds,
      bufferSizeMiB: props.firehoseBufferSizeMiB,
    };
    this.rawStream = new DeliveryStream(this, 'RawDelivery', { ...streamProps, prefix: 'raw' });
    this.quarantineStream = new DeliveryStream(this, 'QuarantineDelivery', {
      ...streamProps,
      prefix: 'quarantine',
    });

    const environment = {
      TRIBUTARY_MODE: 'aws',
      TRIBUTARY_TABLE_NAME: this.table.tableName,
      TRIBUTARY_FIREHOSE_STREAM: this.rawStream.streamName,
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: this.quarantineStream.streamName,
      TRIBUTARY_S3_BUCKET: this.lake.bucket.bucketName,
      ...(this.lakeEvents ? { TRIBUTARY_LAKE_EVENTS_TOPIC_ARN: this.lakeEvents.topic.topicArn } : {}),
      TRIBUTARY_MAX_BODY_BYTES: String(ALB_LAMBDA_MAX_BODY_BYTES),
      // NoEcho keeps it out of describe-stacks; anyone allowed lambda:GetFunctionConfiguration still sees it.
      TRIBUTARY_ADMIN_KEY: p.adminKey.valueAsString,
      SNOWFLAKE_PRIVATE_KEY_SECRET_ARN: p.snowflakeKeySecretArn.valueAsString,
      ...snowflakeEnvironment(props.snowflake),
      NODE_OPTIONS: '--enable-source-maps',
      ...props.extraEnvironment,
    };

    // Both functions run the same bundle; the ALB decides which one a request reaches.
    const code = lambda.Code.fromAsset(path.resolve(props.lambdaBundleDir), { exclude: ['metafile.json'] });
    this.ingest = new ServiceFunction(this, 'Ingest', {
      code,
      description: 'Tributary ingest: POST /v1/tenants/{tenant}/streams/{stream}/records',
      environment,
      memorySize: props.lambdaMemoryMiB,
    });
    this.api = new ServiceFunction(this, 'Api', {
      code,
      description: 'Tributary API: catalog, administration, queries and UI',
      environment,
      memorySize: props.lambdaMemoryMiB,
    });

    this.ingest.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutToDeliveryStreams',
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.rawStream.streamArn, this.quarantineStream.streamArn],
      }),
    );
    for (const fn of [this.ingest, this.api]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'Catalog',
          actions: [...CATALOG_ACTIONS],
          resources: [this.table.tableArn],
        }),
      );
    }
    const snowflakeSecretReaders = [this.api];
    // Tenants bound to accounts of their own name their key by ARN (PUT /v1/tenants/{t}/warehouse); the
    // API accepts only names under this prefix, so granting the prefix grants exactly those.
    this.tenantKeySecretsArn = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${TENANT_SECRET_PREFIX}*`;
    for (const fn of snowflakeSecretReaders) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadSnowflakeKey',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [p.snowflakeKeySecretArn.valueAsString],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadTenantSnowflakeKeys',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.tenantKeySecretsArn],
        }),
      );
      acknowledge(
        fn.role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${TENANT_SECRET_PREFIX}*]`,
        'Tenant key secrets are created as tenants are bound, so they are granted by name prefix; the API refuses a binding whose secret lies outside it.',
      );
    }
    // A secret under a customer-managed key needs kms:Decrypt on that key too (the AWS-managed key
    // grants it implicitly). A separate policy so that a condition can leave it out entirely.
    const hasSecretKmsKey = new CfnCondition(this, 'HasSnowflakeKeySecretKmsKey', {
      expression: Fn.conditionNot(Fn.conditionEquals(p.snowflakeKeySecretKmsKeyArn.valueAsString, '')),
    });
    this.snowflakeKeyDecrypt = new iam.Policy(this, 'SnowflakeKeyDecrypt', {
      roles: snowflakeSecretReaders.map((fn) => fn.role),
      statements: [
        new iam.PolicyStatement({
          sid: 'DecryptSnowflakeKeySecret',
          actions: ['kms:Decrypt'],
          resources: [p.snowflakeKeySecretKmsKeyArn.valueAsString],
          // Only as Secrets Manager decrypting the secret, not for direct use of the key.
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          },
        }),
      ],
    });
    (this.snowflakeKeyDecrypt.node.defaultChild as iam.CfnPolicy).cfnOptions.condition = hasSecretKmsKey;

    // Lambda timers don't run while frozen: every minute the API function reads Snowpipe's COPY_HISTORY
    // into the load counters and evaluates freshness alerts (api/lambda.ts, scheduled events).
    this.monitoringSchedule = new events.Rule(this, 'MonitoringTick', {
      description: 'Tributary: load history and freshness alerts',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.api.fn, { retryAttempts: 0 })],
    });

    this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      vpc,
      certificateArn: p.certificateArn.valueAsString,
      accessLogsBucket: logs.bucket,
      ingestFunction: this.ingest.fn,
      apiFunction: this.api.fn,
    });

    this.snowflakeStorage = new SnowflakeStorageRole(this, 'SnowflakeStorage', {
      bucket: this.lake.bucket,
      key: this.lake.key,
      prefixes: LAKE_PREFIXES,
      snowflakePrincipalArn: sharedSnowflakePrincipal,
      externalId: p.snowflakeExternalId.valueAsString,
    });
    if (props.tenantAccounts) {
      this.tenantAccounts = new TenantAccounts(this, 'TenantAccounts', {
        bucket: this.lake.bucket,
        key: this.lake.key,
        tenants: props.tenantAccounts,
      });
    }

    const hasAlarmEmail = new CfnCondition(this, 'HasAlarmEmail', {
      expression: Fn.conditionNot(Fn.conditionEquals(p.alarmEmail.valueAsString, '')),
    });
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      email: { address: p.alarmEmail.valueAsString, condition: hasAlarmEmail },
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      topic: this.alarmTopic.topic,
      deliveryStreams: { Raw: this.rawStream.streamName, Quarantine: this.quarantineStream.streamName },
      functions: { Ingest: this.ingest.fn, Api: this.api.fn },
      loadBalancer: this.loadBalancer.alb,
      thresholds: props.alarmThresholds,
    });

    acknowledge(
      this,
      'CloudFormation-Validate::W2509',
      'SnowflakeKeySecretArn is the ARN of the secret, not the secret: echoing it is harmless and NoEcho would only hide it from operators.',
    );

    new CfnOutput(this, 'LoadBalancerDnsName', { value: this.loadBalancer.alb.loadBalancerDnsName });
    new CfnOutput(this, 'CatalogTableName', { value: this.table.tableName });
    new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
    new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
    new CfnOutput(this, 'RawDeliveryStreamName', { value: this.rawStream.streamName });
    new CfnOutput(this, 'QuarantineDeliveryStreamName', { value: this.quarantineStream.streamName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topic.topicArn,
      description: 'SNS topic every alarm notifies (ALARM and OK); subscribe more endpoints here',
    });
    if (this.lakeEvents) {
      new CfnOutput(this, 'LakeEventsTopicArn', {
        value: this.lakeEvents.topic.topicArn,
        description:
          "AWS_SNS_TOPIC of every pipe; each account's SYSTEM$GET_AWS_SNS_IAM_POLICY principal must be allowed to subscribe",
      });
    }
    new CfnOutput(this, 'SnowflakeStorageRoleArn', {
      value: this.snowflakeStorage.role.roleArn,
      description: 'STORAGE_AWS_ROLE_ARN for CREATE STORAGE INTEGRATION',
    });
  }
}

/** Only settings that are present: an empty SNOWFLAKE_ACCESS_URL would fail the app's URL validation. */
export function snowflakeEnvironment(settings: SnowflakeSettings = {}): Record<string, string> {
  const entries: [string, string | undefined][] = [
    ['SNOWFLAKE_ACCOUNT', settings.account],
    ['SNOWFLAKE_USER', settings.user],
    ['SNOWFLAKE_ROLE', settings.role],
    ['SNOWFLAKE_WAREHOUSE', settings.warehouse],
    ['SNOWFLAKE_DATABASE', settings.database],
    ['SNOWFLAKE_ACCESS_URL', settings.accessUrl],
    ['SNOWFLAKE_TENANT_ACCESS_URL', settings.tenantAccessUrl],
    ['TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION', settings.storageIntegration],
  ];
  return Object.fromEntries(
    entries.filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0),
  );
}
