import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_INDEX, catalogTableDefinition } from '../../api/adapters/dynamodb/table-definition.js';
import {
  CLOUDWATCH_NAMESPACE,
  CLOUDWATCH_SERVICE,
  COUNTER_METRICS,
  RESPONSE_METRICS,
} from '../../api/monitoring/cloudwatch-names.js';
import { buildApp } from '../../infra/app.js';
import { LAKE_PREFIXES, SNOWPIPE_EVENTS } from '../../infra/constructs/lake-bucket.js';
import type { TributaryStack } from '../../infra/stack.js';
import {
  TENANT_KEY_SECRET_ARN_PATTERN,
  TENANT_SECRET_PREFIX,
} from '../../api/domain/tenants/warehouse-binding.js';
import { fixtureWorkspace } from './fixtures/bundle-fixture.js';
import type { FixtureWorkspace } from './fixtures/bundle-fixture.js';

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  Condition?: string;
};
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

let workspace: FixtureWorkspace;
let stack: TributaryStack;
let template: Template;

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function policyStatementsOf(roleLogicalId: string): Statement[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
  ).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleLogicalId))),
  );
  return policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => asArray(s.Action)).sort();
}

beforeAll(async () => {
  workspace = await fixtureWorkspace();
  ({ stack } = buildApp({
    lambdaBundleDir: workspace.bundleDir,
    outdir: workspace.cdkOut,
    cloudFormationValidation: false,
    env: {
      AWS_REGION: 'eu-west-1',
      SNOWFLAKE_ACCOUNT: 'acme-xy12345',
      SNOWFLAKE_USER: 'TRIBUTARY_SVC',
      SNOWFLAKE_WAREHOUSE: 'INGEST_WH',
      SNOWFLAKE_DATABASE: 'TRIBUTARY',
      SNOWFLAKE_ROLE: 'TRIBUTARY_LOADER',
      TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
    },
  }));
  template = Template.fromStack(stack);
});

afterAll(async () => {
  await workspace?.cleanup();
});

describe('parameters', () => {
  it('takes the certificate, Snowpipe queue, Snowflake secret and external id as parameters', () => {
    template.hasParameter('CertificateArn', { Type: 'String' });
    template.hasParameter('SnowpipeQueueArn', { Type: 'String', Default: '' });
    template.hasParameter('SnowflakeKeySecretArn', { Type: 'String' });
    template.hasParameter('SnowflakeExternalId', { Type: 'String' });
    template.hasParameter('SnowflakeIamUserArn', { Type: 'String', Default: '' });
    template.hasParameter('AdminKey', { Type: 'String', NoEcho: true, MinLength: 24 });
  });

  it('takes an optional alarm email and an optional KMS key of the Snowflake secret, empty by default', () => {
    template.hasParameter('AlarmEmail', { Type: 'String', Default: '' });
    template.hasParameter('SnowflakeKeySecretKmsKeyArn', { Type: 'String', Default: '' });
    const params = template.toJSON() as { Parameters: Record<string, { AllowedPattern: string }> };
    const accepts = (name: string, value: string) =>
      new RegExp(params.Parameters[name].AllowedPattern).test(value);
    expect(accepts('AlarmEmail', '')).toBe(true);
    expect(accepts('AlarmEmail', 'oncall@example.com')).toBe(true);
    expect(accepts('AlarmEmail', 'oncall')).toBe(false);
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(accepts('SnowflakeKeySecretKmsKeyArn', '')).toBe(true);
    expect(accepts('SnowflakeKeySecretKmsKeyArn', keyArn)).toBe(true);
    expect(
      accepts('SnowflakeKeySecretKmsKeyArn', 'arn:aws:kms:eu-west-1:123456789012:key/mrk-0123abcd'),
    ).toBe(true);
    // kms:Decrypt is authorized against the key, so an alias ARN would grant nothing.
    expect(accepts('SnowflakeKeySecretKmsKeyArn', 'arn:aws:kms:eu-west-1:123456789012:alias/snowflake')).toBe(
      false,
    );
    expect(accepts('SnowflakeKeySecretKmsKeyArn', 'alias/aws/secretsmanager')).toBe(false);
    // The first deploy has no pipe and so no queue yet.
    expect(accepts('SnowpipeQueueArn', '')).toBe(true);
    expect(accepts('SnowpipeQueueArn', 'arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDA-abc_1')).toBe(
      true,
    );
    expect(accepts('SnowpipeQueueArn', 'sf-snowpipe-AIDA')).toBe(false);
  });

  it('makes the Glacier transition configurable with a default of 90 days', () => {
    template.hasParameter('GlacierTransitionDays', { Type: 'Number', Default: 90, MinValue: 1 });
  });

  it('lets the app override the Glacier default from the environment', async () => {
    const other = buildApp({
      lambdaBundleDir: workspace.bundleDir,
      outdir: `${workspace.cdkOut}-other`,
      cloudFormationValidation: false,
      env: { TRIBUTARY_GLACIER_TRANSITION_DAYS: '30' },
    });
    expect(other.stack.parameters.glacierTransitionDays.default).toBe(30);
    expect(() =>
      buildApp({ lambdaBundleDir: workspace.bundleDir, env: { TRIBUTARY_GLACIER_TRANSITION_DAYS: 'soon' } }),
    ).toThrow(/TRIBUTARY_GLACIER_TRANSITION_DAYS/);
  });
});

describe('lambda functions', () => {
  it('runs both functions from the same bundle on Node.js 22, arm64', () => {
    const functions = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
    expect(Object.keys(functions).sort()).toEqual([idOf(stack.api.fn), idOf(stack.ingest.fn)].sort());
    const codes = new Set<string>();
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      codes.add(JSON.stringify(fn.Properties.Code));
    }
    expect(codes.size).toBe(1);
  });

  it('configures aws mode through the environment', () => {
    const expected = {
      TRIBUTARY_MODE: 'aws',
      TRIBUTARY_TABLE_NAME: ref(idOf(stack.table)),
      TRIBUTARY_FIREHOSE_STREAM: ref(idOf(stack.rawStream)),
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: ref(idOf(stack.quarantineStream)),
      TRIBUTARY_S3_BUCKET: ref(idOf(stack.lake.bucket)),
      TRIBUTARY_MAX_BODY_BYTES: '1000000',
      TRIBUTARY_ADMIN_KEY: ref('AdminKey'),
      SNOWFLAKE_ACCOUNT: 'acme-xy12345',
      SNOWFLAKE_USER: 'TRIBUTARY_SVC',
      SNOWFLAKE_WAREHOUSE: 'INGEST_WH',
      SNOWFLAKE_DATABASE: 'TRIBUTARY',
      SNOWFLAKE_ROLE: 'TRIBUTARY_LOADER',
      SNOWFLAKE_PRIVATE_KEY_SECRET_ARN: ref('SnowflakeKeySecretArn'),
      TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const fn of Object.values(
      template.findResources('AWS::Lambda::Function') as Record<string, Resource>,
    )) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars).toEqual(expected);
      // Lambda reserves AWS_REGION; an unset SNOWFLAKE_ACCESS_URL must not become an empty (invalid) URL.
      expect(vars).not.toHaveProperty('AWS_REGION');
      expect(vars).not.toHaveProperty('SNOWFLAKE_ACCESS_URL');
    }
  });

  it('writes to a dedicated log group per function instead of a managed policy', () => {
    for (const sf of [stack.ingest, stack.api]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: arnOf(idOf(sf.role)),
        LoggingConfig: { LogGroup: ref(idOf(sf.logGroup)) },
      });
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role') as Record<string, Resource>)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('load balancer', () => {
  it('is internet-facing with access logs and invalid headers dropped', () => {
    const alb = template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer')[
      idOf(stack.loadBalancer.alb)
    ] as Resource;
    const logsBucket = stack.node.findChild('AccessLogs').node.findChild('Bucket');
    expect(alb.Properties.Scheme).toBe('internet-facing');
    expect(alb.Properties.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: ref(idOf(logsBucket)) },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    );
  });

  it('terminates HTTPS with the certificate parameter and a TLS 1.3 policy, defaulting to the api function', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: ref('CertificateArn') }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: Match.anyValue() }],
    });
    const groups = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup') as Record<
      string,
      Resource
    >;
    const listener = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: 443 } }),
    )[0] as Resource;
    const defaultGroupId = (listener.Properties.DefaultActions as { TargetGroupArn: { Ref: string } }[])[0]
      .TargetGroupArn.Ref;
    expect(groups[defaultGroupId].Properties).toMatchObject({
      TargetType: 'lambda',
      Targets: [{ Id: arnOf(idOf(stack.api.fn)) }],
    });
  });

  it('redirects HTTP to HTTPS', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
  });

  it('routes POST records to the ingest function ahead of the default action', () => {
    const rules = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule') as Record<string, Resource>,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0].Properties;
    expect(rule.Priority).toBe(10);
    expect(rule.Conditions).toEqual([
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/v1/tenants/*/streams/*/records'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
    ]);
    const groupId = (rule.Actions as { TargetGroupArn: { Ref: string } }[])[0].TargetGroupArn.Ref;
    const group = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')[groupId] as Resource;
    expect(group.Properties).toMatchObject({
      TargetType: 'lambda',
      Targets: [{ Id: arnOf(idOf(stack.ingest.fn)) }],
    });
  });

  it('enables multi-value headers on both target groups, so repeated names reach the functions', () => {
    const groups = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup') as Record<string, Resource>,
    );
    expect(groups).toHaveLength(2);
    for (const group of groups)
      expect(group.Properties.TargetGroupAttributes).toEqual(
        expect.arrayContaining([{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }]),
      );
  });

  it('lets only the load balancer invoke the functions (and the monitoring schedule the api function)', () => {
    const all = Object.values(template.findResources('AWS::Lambda::Permission') as Record<string, Resource>);
    expect(all).toHaveLength(3);
    const scheduled = all.filter((p) => p.Properties.Principal === 'events.amazonaws.com');
    expect(scheduled).toHaveLength(1);
    expect(JSON.stringify(scheduled[0].Properties.FunctionName)).toBe(
      JSON.stringify(arnOf(idOf(stack.api.fn))),
    );
    expect(JSON.stringify(scheduled[0].Properties.SourceArn)).toContain(idOf(stack.monitoringSchedule));
    const permissions = all.filter((p) => p.Properties.Principal !== 'events.amazonaws.com');
    expect(permissions).toHaveLength(2);
    for (const p of permissions) {
      expect(p.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'elasticloadbalancing.amazonaws.com',
        SourceArn: {
          'Fn::Join': [
            '',
            ['arn:aws:elasticloadbalancing:eu-west-1:', ref('AWS::AccountId'), ':targetgroup/*'],
          ],
        },
      });
    }
    const functionNames = permissions.map((p) => JSON.stringify(p.Properties.FunctionName)).sort();
    expect(functionNames).toEqual(
      [arnOf(idOf(stack.api.fn)), arnOf(idOf(stack.ingest.fn))].map((a) => JSON.stringify(a)).sort(),
    );
  });

  it('invokes the api function every minute for the monitoring tick (COPY_HISTORY, alerts)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: arnOf(idOf(stack.api.fn)) })],
    });
  });

  it('runs in a VPC of public subnets without NAT gateways, with flow logs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3', ResourceType: 'VPC' });
  });
});

describe('catalog table', () => {
  it('is on-demand, recoverable, protected from deletion and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('has exactly the keys, attributes, indexes and TTL of the adapter’s table definition', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>);
    const p = table.Properties;
    const byName = (list: unknown) =>
      [...(list as { AttributeName: string }[])].sort((a, b) =>
        a.AttributeName.localeCompare(b.AttributeName),
      );
    expect(p.KeySchema).toEqual(catalogTableDefinition.keySchema);
    expect(byName(p.AttributeDefinitions)).toEqual(byName(catalogTableDefinition.attributeDefinitions));
    expect(p.GlobalSecondaryIndexes).toEqual(catalogTableDefinition.globalSecondaryIndexes);
    expect(p.BillingMode).toBe(catalogTableDefinition.billingMode);
    expect(p.TimeToLiveSpecification).toEqual({
      AttributeName: catalogTableDefinition.timeToLiveAttribute,
      Enabled: true,
    });
    // The index DynamoCatalog.listKeys queries is among them (its absence made every key listing fail).
    expect((p.GlobalSecondaryIndexes as { IndexName: string }[]).map((g) => g.IndexName)).toContain(
      KEYS_INDEX,
    );
  });
});

describe('delivery streams', () => {
  const cases = [
    { label: 'raw', get: () => stack.rawStream },
    { label: 'quarantine', get: () => stack.quarantineStream },
  ];

  it.each(cases)('$label stream partitions NDJSON by tenant and stream into its prefix', ({ label, get }) => {
    const delivery = get();
    const resource = template.findResources('AWS::KinesisFirehose::DeliveryStream')[
      idOf(delivery)
    ] as Resource;
    expect(resource.Properties.DeliveryStreamType).toBe('DirectPut');
    expect(resource.Properties.DeliveryStreamEncryptionConfigurationInput).toEqual({
      KeyType: 'AWS_OWNED_CMK',
    });
    const s3 = resource.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(s3).toMatchObject({
      BucketARN: arnOf(idOf(stack.lake.bucket)),
      RoleARN: arnOf(idOf(delivery.role)),
      Prefix: `${label}/tenant=!{partitionKeyFromQuery:tenant}/stream=!{partitionKeyFromQuery:stream}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
      ErrorOutputPrefix: `errors/${label}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
      CompressionFormat: 'GZIP',
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      DynamicPartitioningConfiguration: { Enabled: true },
      EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: arnOf(idOf(stack.lake.key)) } },
      CloudWatchLoggingOptions: { Enabled: true, LogGroupName: ref(idOf(delivery.logGroup)) },
    });
    const processing = s3.ProcessingConfiguration as {
      Enabled: boolean;
      Processors: { Type: string; Parameters: unknown[] }[];
    };
    expect(processing.Enabled).toBe(true);
    expect(processing.Processors.map((p) => p.Type)).toEqual([
      'RecordDeAggregation',
      'MetadataExtraction',
      'AppendDelimiterToRecord',
    ]);
    expect(processing.Processors[0].Parameters).toEqual([
      { ParameterName: 'SubRecordType', ParameterValue: 'JSON' },
    ]);
    expect(processing.Processors[1].Parameters).toEqual([
      { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{tenant: ._tenant, stream: ._stream}' },
      { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
    ]);
  });

  it.each(cases)('$label stream has its own role, writing only under its own prefixes', ({ label, get }) => {
    const delivery = get();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': ref('AWS::AccountId') } },
          },
        ],
      },
    });
    const statements = policyStatementsOf(idOf(delivery.role));
    const bucketArn = arnOf(idOf(stack.lake.bucket));
    const objects = statements.find((s) => s.Sid === 'WriteOwnPrefixes');
    expect(objects?.Resource).toEqual([
      { 'Fn::Join': ['', [bucketArn, `/errors/${label}/*`]] },
      { 'Fn::Join': ['', [bucketArn, `/${label}/*`]] },
    ]);
    expect(asArray(objects?.Action ?? [])).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:PutObject',
    ]);
    const kms = statements.find((s) => s.Sid === 'EncryptThroughS3');
    expect(kms?.Resource).toEqual(arnOf(idOf(stack.lake.key)));
    expect(kms?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', ref('AWS::Region'), '.amazonaws.com']] } },
    });
    const logs = statements.find((s) => s.Sid === 'DeliveryErrorLogs');
    expect(JSON.stringify(logs?.Resource)).toContain(idOf(delivery.logGroup));
    expect(actionsOf(statements)).not.toContain('s3:DeleteObject');
  });

  it('rejects buffers too small for dynamic partitioning', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { DeliveryStream } = await import('../../infra/constructs/delivery-stream.js');
    const scratch = new Stack(new App(), 'Scratch');
    expect(
      () =>
        new DeliveryStream(scratch, 'Small', {
          bucket: stack.lake.bucket,
          key: stack.lake.key,
          prefix: 'raw',
          bufferSizeMiB: 5,
        }),
    ).toThrow(/64 MiB/);
  });
});

describe('lake bucket', () => {
  it('is encrypted with a rotating customer-managed key', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: arnOf(idOf(stack.lake.key)),
            },
          },
        ],
      },
    });
  });

  it('blocks public access, is versioned and logs access', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[idOf(stack.lake.bucket)] as Resource;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: expect.anything(), LogFilePrefix: 's3-access/lake/' },
    });
  });

  it('denies every request not made over TLS, on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy') as Record<string, Resource>;
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
    template.hasResourceProperties('AWS::S3::BucketPolicy', { Bucket: ref(idOf(stack.lake.bucket)) });
  });

  it('moves raw/ to Glacier after the configured number of days', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[idOf(stack.lake.bucket)] as Resource;
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual({
      Id: 'raw-to-glacier',
      Prefix: 'raw/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: ref('GlacierTransitionDays') }],
    });
  });

  it('notifies the Snowpipe queue of every object created under raw/ and quarantine/, once it is set', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[idOf(stack.lake.bucket)] as Resource;
    const conditional = (
      bucket.Properties.NotificationConfiguration as { QueueConfigurations: { 'Fn::If': unknown[] } }
    ).QueueConfigurations['Fn::If'];
    expect(conditional[0]).toBe('HasSnowpipeQueue');
    expect(conditional[2]).toEqual({ Ref: 'AWS::NoValue' });
    template.hasCondition('HasSnowpipeQueue', {
      'Fn::Not': [{ 'Fn::Equals': [ref('SnowpipeQueueArn'), ''] }],
    });
    const queues = conditional[1] as unknown[];
    const expected = LAKE_PREFIXES.flatMap((prefix) =>
      SNOWPIPE_EVENTS.map((event) => ({
        Event: event,
        Queue: ref('SnowpipeQueueArn'),
        Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: `${prefix}/` }] } },
      })),
    );
    expect(queues).toHaveLength(8);
    expect(queues).toEqual(expect.arrayContaining(expected));
    expect([...SNOWPIPE_EVENTS]).toEqual([
      's3:ObjectCreated:Put',
      's3:ObjectCreated:Post',
      's3:ObjectCreated:Copy',
      's3:ObjectCreated:CompleteMultipartUpload',
    ]);
  });

  it('leaves the Snowflake-owned queue alone: no queue policy, no notification custom resource', () => {
    template.resourceCountIs('AWS::SQS::QueuePolicy', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });
});

describe('IAM', () => {
  it('never grants on "*"', () => {
    for (const policy of Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
    )) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        expect(asArray(statement.Resource)).not.toContain('*');
        for (const action of asArray(statement.Action)) expect(action).not.toMatch(/\*/);
      }
    }
  });

  it('lets ingest put to the two delivery streams and use the catalog, nothing else', () => {
    const statements = policyStatementsOf(idOf(stack.ingest.role));
    const firehose = statements.find((s) => s.Sid === 'PutToDeliveryStreams');
    expect(asArray(firehose?.Action ?? []).sort()).toEqual(['firehose:PutRecord', 'firehose:PutRecordBatch']);
    expect(
      asArray(firehose?.Resource)
        .map((r) => JSON.stringify(r))
        .sort(),
    ).toEqual(
      [arnOf(idOf(stack.rawStream)), arnOf(idOf(stack.quarantineStream))]
        .map((r) => JSON.stringify(r))
        .sort(),
    );
    const catalog = statements.find((s) => s.Sid === 'Catalog');
    expect(catalog?.Resource).toEqual(arnOf(idOf(stack.table)));
    expect(asArray(catalog?.Action ?? []).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const services = new Set(actionsOf(statements).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'firehose', 'logs']);
  });

  it('lets api use the catalog and read only the Snowflake key secrets: the shared one and tenants’ by prefix', () => {
    const statements = policyStatementsOf(idOf(stack.api.role));
    const secret = statements.find((s) => s.Sid === 'ReadSnowflakeKey');
    expect(secret?.Action).toBe('secretsmanager:GetSecretValue');
    expect(secret?.Resource).toEqual(ref('SnowflakeKeySecretArn'));
    const tenants = statements.find((s) => s.Sid === 'ReadTenantSnowflakeKeys');
    expect(tenants?.Action).toBe('secretsmanager:GetSecretValue');
    expect(tenants?.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          ref('AWS::Partition'),
          ':secretsmanager:',
          ref('AWS::Region'),
          ':',
          ref('AWS::AccountId'),
          `:secret:${TENANT_SECRET_PREFIX}*`,
        ],
      ],
    });
    // The prefix the API holds bindings to is the one granted: a secret it accepts is always readable.
    expect(
      TENANT_KEY_SECRET_ARN_PATTERN.test(
        `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${TENANT_SECRET_PREFIX}acme-AbCdEf`,
      ),
    ).toBe(true);
    expect(
      TENANT_KEY_SECRET_ARN_PATTERN.test(
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tributary/other-AbCdEf',
      ),
    ).toBe(false);
    expect(statements.find((s) => s.Sid === 'Catalog')?.Resource).toEqual(arnOf(idOf(stack.table)));
    const services = new Set(actionsOf(statements).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 'secretsmanager']);
    // kms only for the secret's customer-managed key (next test).
    expect(actionsOf(statements).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt']);
  });

  it('lets every reader of the secret decrypt its customer-managed key through Secrets Manager, only when one is given', () => {
    const readers = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) =>
        (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((s) =>
          asArray(s.Action).includes('secretsmanager:GetSecretValue'),
        ),
      )
      .flatMap((p) => (p.Properties.Roles as unknown[]).map((r) => JSON.stringify(r)));
    expect(readers).toEqual([JSON.stringify(ref(idOf(stack.api.role)))]);

    const policy = template.findResources('AWS::IAM::Policy')[idOf(stack.snowflakeKeyDecrypt)] as Resource;
    expect(policy.Condition).toBe('HasSnowflakeKeySecretKmsKey');
    expect((policy.Properties.Roles as unknown[]).map((r) => JSON.stringify(r))).toEqual(readers);
    expect((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Sid: 'DecryptSnowflakeKeySecret',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: ref('SnowflakeKeySecretKmsKeyArn'),
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', ref('AWS::Region'), '.amazonaws.com']] },
          },
        },
      },
    ]);
    template.hasCondition('HasSnowflakeKeySecretKmsKey', {
      'Fn::Not': [{ 'Fn::Equals': [ref('SnowflakeKeySecretKmsKeyArn'), ''] }],
    });
    // Nothing else in the stack carries kms:Decrypt on the parameter unconditionally.
    const unconditional = Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
    )
      .filter((p) => p.Condition === undefined)
      .map((p) => JSON.stringify(p.Properties.PolicyDocument));
    for (const doc of unconditional) expect(doc).not.toContain('SnowflakeKeySecretKmsKeyArn');
  });

  it('gives Snowflake a read-only role trusted through the external id', () => {
    const role = template.findResources('AWS::IAM::Role')[idOf(stack.snowflakeStorage.role)] as Resource;
    const trust = (
      role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] & { Principal: unknown }[] }
    ).Statement[0];
    expect(trust).toMatchObject({
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': ref('SnowflakeExternalId') } },
      Principal: {
        AWS: { 'Fn::If': ['HasSnowflakeIamUser', ref('SnowflakeIamUserArn'), expect.anything()] },
      },
    });
    const statements = policyStatementsOf(idOf(stack.snowflakeStorage.role));
    const bucketArn = arnOf(idOf(stack.lake.bucket));
    expect(statements.find((s) => s.Sid === 'ReadLakeObjects')).toMatchObject({
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: [
        { 'Fn::Join': ['', [bucketArn, '/quarantine/*']] },
        { 'Fn::Join': ['', [bucketArn, '/raw/*']] },
      ],
    });
    expect(statements.find((s) => s.Sid === 'ListLakePrefixes')).toMatchObject({
      Action: 's3:ListBucket',
      Resource: bucketArn,
    });
    expect(statements.find((s) => s.Sid === 'DecryptLakeObjects')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: arnOf(idOf(stack.lake.key)),
    });
    expect(actionsOf(statements).filter((a) => !/^(s3:Get|s3:List|kms:Decrypt$)/.test(a))).toEqual([]);
  });
});

describe('alarms', () => {
  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>).map(
      (a) => a.Properties,
    );

  it.each([
    ['raw', () => stack.rawStream],
    ['quarantine', () => stack.quarantineStream],
  ] as const)('watches freshness and delivery success of the %s stream', (_label, get) => {
    const dims = [{ Name: 'DeliveryStreamName', Value: ref(idOf(get())) }];
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Dimensions: dims,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 900,
      }),
    );
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.Success',
        Dimensions: dims,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
      }),
    );
  });

  it.each([
    ['ingest', () => stack.ingest],
    ['api', () => stack.api],
  ] as const)('watches errors and throttles of the %s function', (_label, get) => {
    const dims = [{ Name: 'FunctionName', Value: ref(idOf(get().fn)) }];
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarms()).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: dims,
          Statistic: 'Sum',
          Threshold: 1,
        }),
      );
    }
  });

  it('watches 5xx answered by the load balancer and by the functions', () => {
    for (const metric of ['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']) {
      expect(alarms()).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/ApplicationELB',
          MetricName: metric,
          Dimensions: [
            {
              Name: 'LoadBalancer',
              Value: { 'Fn::GetAtt': [idOf(stack.loadBalancer.alb), 'LoadBalancerFullName'] },
            },
          ],
        }),
      );
    }
    expect(alarms()).toHaveLength(14);
  });

  it('watches the 503s and 500s the functions answered, and Snowpipe load errors (their EMF metrics)', () => {
    const service = [{ Name: 'service', Value: CLOUDWATCH_SERVICE }];
    for (const [metric, threshold] of [
      [RESPONSE_METRICS.unavailable, 5],
      [RESPONSE_METRICS.serverError, 1],
      [COUNTER_METRICS.loadErrors.name, 1],
    ] as const) {
      expect(alarms()).toContainEqual(
        expect.objectContaining({
          Namespace: CLOUDWATCH_NAMESPACE,
          MetricName: metric,
          Dimensions: service,
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: threshold,
        }),
      );
    }
  });

  it('watches the rejected share of received records, judged only with enough volume', () => {
    const ratio = alarms().find((a) =>
      (a.Metrics as { Expression?: string }[] | undefined)?.some((m) => m.Expression?.includes('rejected')),
    );
    expect(ratio).toMatchObject({
      Threshold: 0.2,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const queries = ratio!.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown }; Stat: string };
    }[];
    expect(queries.find((q) => q.Expression)?.Expression).toBe('IF(received >= 100, rejected / received, 0)');
    const stats = Object.fromEntries(
      queries.filter((q) => q.MetricStat).map((q) => [q.Id, q.MetricStat!.Metric.MetricName]),
    );
    expect(stats).toEqual({
      received: COUNTER_METRICS.received.name,
      rejected: COUNTER_METRICS.rejected.name,
    });
    for (const q of queries.filter((x) => x.MetricStat)) {
      expect(q.MetricStat!.Metric.Namespace).toBe(CLOUDWATCH_NAMESPACE);
      expect(q.MetricStat!.Stat).toBe('Sum');
    }
  });

  it('notifies the alarm topic when any alarm fires and when it recovers', () => {
    const topic = [ref(idOf(stack.alarmTopic.topic))];
    expect(alarms()).toHaveLength(14);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual(topic);
      expect(alarm.OKActions).toEqual(topic);
    }
  });

  it('encrypts the topic with its own rotating customer-managed key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const keyId = idOf(stack.alarmTopic.key);
    expect(keyId).not.toBe(idOf(stack.lake.key));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(keyId) });
    const key = template.findResources('AWS::KMS::Key')[keyId] as Resource;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  const fromOwnAlarms = {
    StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
    ArnLike: {
      'aws:SourceArn': {
        'Fn::Join': [
          '',
          [
            'arn:',
            ref('AWS::Partition'),
            ':cloudwatch:',
            ref('AWS::Region'),
            ':',
            ref('AWS::AccountId'),
            ':alarm:*',
          ],
        ],
      },
    },
  };

  it('accepts publishing only over TLS, and from CloudWatch only for alarms of this account', () => {
    const policies = Object.values(
      template.findResources('AWS::SNS::TopicPolicy') as Record<string, Resource>,
    );
    expect(policies).toHaveLength(1);
    const topic = ref(idOf(stack.alarmTopic.topic));
    expect(policies[0].Properties.Topics).toEqual([topic]);
    const statements = (policies[0].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topic,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: fromOwnAlarms,
      }),
    ]);
  });

  it('lets CloudWatch use the topic key for alarms of this account (it cannot publish otherwise)', () => {
    const key = template.findResources('AWS::KMS::Key')[idOf(stack.alarmTopic.key)] as Resource;
    const statements = (key.Properties.KeyPolicy as { Statement: (Statement & { Principal: unknown })[] })
      .Statement;
    const cloudwatch = statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(cloudwatch).toHaveLength(1);
    expect(asArray(cloudwatch[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cloudwatch[0].Condition).toEqual(fromOwnAlarms);
  });

  it('subscribes the AlarmEmail address, only when one is given', () => {
    const subscriptions = Object.values(
      template.findResources('AWS::SNS::Subscription') as Record<string, Resource>,
    );
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).toMatchObject({
      Condition: 'HasAlarmEmail',
      Properties: {
        Protocol: 'email',
        Endpoint: ref('AlarmEmail'),
        TopicArn: ref(idOf(stack.alarmTopic.topic)),
      },
    });
    template.hasCondition('HasAlarmEmail', { 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmEmail'), ''] }] });
  });
});

describe('outputs', () => {
  it('exposes what operators and the Snowflake setup need', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'LoadBalancerDnsName',
        'CatalogTableName',
        'LakeBucketName',
        'RawDeliveryStreamName',
        'QuarantineDeliveryStreamName',
        'SnowflakeStorageRoleArn',
        'AlarmTopicArn',
      ]),
    );
    template.hasOutput('AlarmTopicArn', { Value: ref(idOf(stack.alarmTopic.topic)) });
  });
});

describe('tenant accounts: the lake publishes to a topic every account subscribes to', () => {
  const GLOBEX_USER = 'arn:aws:iam::999999999999:user/globex-sf';
  let tstack: TributaryStack;
  let t: Template;
  const tid = (construct: { node: { defaultChild?: unknown } }) =>
    tstack.getLogicalId(construct.node.defaultChild as CfnElement);
  const statementsOf = (roleId: string) =>
    Object.values(t.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) =>
        (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
      )
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

  beforeAll(() => {
    ({ stack: tstack } = buildApp({
      lambdaBundleDir: workspace.bundleDir,
      outdir: `${workspace.cdkOut}-tenants`,
      cloudFormationValidation: false,
      env: {
        AWS_REGION: 'eu-west-1',
        SNOWFLAKE_TENANT_ACCESS_URL: 'https://{account}.privatelink.snowflakecomputing.com',
        TRIBUTARY_TENANT_ACCOUNTS: JSON.stringify({
          globex: { externalId: 'GLOBEX_SFCRole=2_abc', snowflakeIamUserArn: GLOBEX_USER },
          initech: { externalId: 'INITECH_SFCRole=2_def' },
        }),
      },
    }));
    t = Template.fromStack(tstack);
  });

  it('sends raw/ and quarantine/ events to the topic, not to a queue, once its policy exists', () => {
    const bucket = t.findResources('AWS::S3::Bucket')[tid(tstack.lake.bucket)] as Resource & {
      DependsOn?: string[];
    };
    const config = bucket.Properties.NotificationConfiguration as Record<string, unknown[]>;
    expect(config.QueueConfigurations).toBeUndefined();
    const topic = ref(tid(tstack.lakeEvents!.topic));
    expect(config.TopicConfigurations).toEqual(
      LAKE_PREFIXES.flatMap((prefix) =>
        SNOWPIPE_EVENTS.map((event) => ({
          Event: event,
          Topic: topic,
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: `${prefix}/` }] } },
        })),
      ),
    );
    const policyId = tstack.getLogicalId(tstack.lakeEvents!.policy.node.defaultChild as CfnElement);
    expect(bucket.DependsOn).toContain(policyId);
    expect(t.toJSON().Parameters).not.toHaveProperty('SnowpipeQueueArn');
    t.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('lets S3 of this account publish, and each account’s Snowflake principal subscribe an SQS queue', () => {
    const policy = Object.values(t.findResources('AWS::SNS::TopicPolicy') as Record<string, Resource>).find(
      (p) => JSON.stringify(p.Properties.Topics).includes(tid(tstack.lakeEvents!.topic)),
    )!;
    const statements = (
      policy.Properties.PolicyDocument as { Statement: (Statement & { Principal: unknown })[] }
    ).Statement;
    expect(statements.find((s) => s.Sid === 'AllowLakeBucketEvents')).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
    });
    const subscribe = statements.find((s) => s.Sid === 'AllowSnowpipeQueues')!;
    expect(subscribe).toMatchObject({
      Action: 'sns:Subscribe',
      Condition: { StringEquals: { 'sns:Protocol': 'sqs' } },
    });
    const principals = JSON.stringify(subscribe.Principal);
    expect(principals).toContain(GLOBEX_USER);
    expect(principals).toContain('HasSnowflakeIamUser');
    // initech's integration is not known yet: it cannot subscribe until its user ARN is set.
    expect(principals.match(/arn:aws:iam::/g)).toHaveLength(1);
    expect(statements.find((s) => s.Effect === 'Deny')).toMatchObject({
      Action: 'sns:Publish',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(tid(tstack.lakeEvents!.key)),
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowLakeBucketEventsToPublish',
            Principal: { Service: 's3.amazonaws.com' },
          }),
        ]),
      }),
    });
  });

  it('tells the functions the topic, so every pipe is created with AWS_SNS_TOPIC', () => {
    for (const fn of [tstack.api, tstack.ingest]) {
      const props = (t.findResources('AWS::Lambda::Function')[tid(fn.fn)] as Resource).Properties as {
        Environment: { Variables: Record<string, unknown> };
      };
      expect(props.Environment.Variables.TRIBUTARY_LAKE_EVENTS_TOPIC_ARN).toEqual(
        ref(tid(tstack.lakeEvents!.topic)),
      );
    }
  });

  it('passes the tenant accounts’ access URL from the shell, {account} left for the API to fill', () => {
    for (const fn of [tstack.api, tstack.ingest]) {
      const props = (t.findResources('AWS::Lambda::Function')[tid(fn.fn)] as Resource).Properties as {
        Environment: { Variables: Record<string, unknown> };
      };
      expect(props.Environment.Variables.SNOWFLAKE_TENANT_ACCESS_URL).toBe(
        'https://{account}.privatelink.snowflakecomputing.com',
      );
    }
  });

  it('gives each tenant account a role trusted by its integration that reads only its own prefixes', () => {
    const bucketArn = arnOf(tid(tstack.lake.bucket));
    for (const [tenant, principal] of [
      ['globex', GLOBEX_USER],
      [
        'initech',
        { 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':iam::', ref('AWS::AccountId'), ':root']] },
      ],
    ] as const) {
      const role = tstack.tenantAccounts!.roles[tenant].role;
      const trust = (
        (t.findResources('AWS::IAM::Role')[tid(role)] as Resource).Properties.AssumeRolePolicyDocument as {
          Statement: (Statement & { Principal: unknown })[];
        }
      ).Statement[0];
      expect(trust.Principal).toEqual({ AWS: principal });
      expect(trust.Condition).toEqual({
        StringEquals: {
          'sts:ExternalId': tenant === 'globex' ? 'GLOBEX_SFCRole=2_abc' : 'INITECH_SFCRole=2_def',
        },
      });
      const statements = statementsOf(tid(role));
      expect(statements.find((s) => s.Sid === 'ReadLakeObjects')?.Resource).toEqual(
        ['raw', 'quarantine']
          .map((p) => ({ 'Fn::Join': ['', [bucketArn, `/${p}/tenant=${tenant}/*`]] }))
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      );
      expect(statements.find((s) => s.Sid === 'ListLakePrefixes')?.Condition).toEqual({
        StringLike: {
          's3:prefix': ['raw', 'quarantine'].flatMap((p) => [
            `${p}/tenant=${tenant}/`,
            `${p}/tenant=${tenant}/*`,
          ]),
        },
      });
    }
    const outputs = Object.values(t.findOutputs('*')) as { Description?: string; Value: unknown }[];
    for (const tenant of ['globex', 'initech'])
      expect(outputs.find((o) => o.Description?.includes(`tenant ${tenant}'s`))?.Value).toEqual(
        arnOf(tid(tstack.tenantAccounts!.roles[tenant].role)),
      );
    t.hasOutput('LakeEventsTopicArn', { Value: ref(tid(tstack.lakeEvents!.topic)) });
  });

  it('refuses a tenant map it cannot trust, naming what is wrong', () => {
    const build = (value: string) => () =>
      buildApp({ lambdaBundleDir: workspace.bundleDir, env: { TRIBUTARY_TENANT_ACCOUNTS: value } });
    expect(build('not json')).toThrow(/TRIBUTARY_TENANT_ACCOUNTS: must be JSON/);
    expect(build('{"Acme": {"externalId": "x1"}}')).toThrow(/tenant "Acme" must match/);
    expect(build('{"acme": {}}')).toThrow(/acme.externalId/);
    expect(build('{"acme": {"externalId": "x1", "snowflakeIamUserArn": "arn:aws:iam::1:role/x"}}')).toThrow(
      /acme.snowflakeIamUserArn/,
    );
  });
});
