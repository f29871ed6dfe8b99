import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, wildcardResourceFinding } from '../nag.js';
import { Construct } from 'constructs';

/** Dynamic partitioning refuses smaller buffers. */
export const MIN_DYNAMIC_PARTITIONING_BUFFER_MIB = 64;

export interface DeliveryStreamProps {
  bucket: s3.IBucket;
  key: kms.IKey;
  /** Top-level lake prefix: `raw` or `quarantine`. */
  prefix: string;
  bufferIntervalSeconds?: number;
  bufferSizeMiB?: number;
}

export function partitionedPrefix(prefix: string): string {
  return `${prefix}/tenant=!{partitionKeyFromQuery:tenant}/stream=!{partitionKeyFromQuery:stream}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;
}

/** Failed records land outside the Snowpipe prefixes so a bad batch never reaches the warehouse. */
export function errorOutputPrefix(prefix: string): string {
  return `errors/${prefix}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;
}

/**
 * A DirectPut Firehose stream that partitions NDJSON records by their `_tenant` / `_stream`
 * fields into the lake, with its own role that can write only under its prefixes.
 */
export class DeliveryStream extends Construct {
  readonly stream: firehose.CfnDeliveryStream;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DeliveryStreamProps) {
    super(scope, id);
    const bufferSizeMiB = props.bufferSizeMiB ?? MIN_DYNAMIC_PARTITIONING_BUFFER_MIB;
    const bufferIntervalSeconds = props.bufferIntervalSeconds ?? 60;
    if (bufferSizeMiB < MIN_DYNAMIC_PARTITIONING_BUFFER_MIB) {
      throw new Error(
        `Firehose buffer size ${bufferSizeMiB} MiB is below the ${MIN_DYNAMIC_PARTITIONING_BUFFER_MIB} MiB dynamic partitioning requires`,
      );
    }
    if (bufferIntervalSeconds < 60 || bufferIntervalSeconds > 900) {
      throw new Error(
        `Firehose buffer interval ${bufferIntervalSeconds}s must be within 60..900 with dynamic partitioning`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStream = new logs.LogStream(this, 'S3Delivery', {
      logGroup: this.logGroup,
      logStreamName: 'S3Delivery',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      description: `Firehose delivery into the ${props.prefix}/ lake prefix`,
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } },
      }),
    });
    const objectArns = [
      props.bucket.arnForObjects(`${props.prefix}/*`),
      props.bucket.arnForObjects(`errors/${props.prefix}/*`),
    ];
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'BucketLevel',
          actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          resources: [props.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'WriteOwnPrefixes',
          actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          resources: objectArns,
        }),
        new iam.PolicyStatement({
          sid: 'EncryptThroughS3',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'DeliveryErrorLogs',
          actions: ['logs:PutLogEvents'],
          resources: [
            Stack.of(this).formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    const bucketResource = props.bucket.node.defaultChild as CfnElement;
    for (const suffix of [`/${props.prefix}/*`, `/errors/${props.prefix}/*`]) {
      acknowledge(
        policy,
        wildcardResourceFinding(bucketResource, suffix),
        "Firehose names objects itself (partition path + random suffix), so writes are granted on the object keys under this stream's own prefix and its error prefix only.",
      );
    }

    this.stream = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: partitionedPrefix(props.prefix),
        errorOutputPrefix: errorOutputPrefix(props.prefix),
        compressionFormat: 'GZIP',
        bufferingHints: { intervalInSeconds: bufferIntervalSeconds, sizeInMBs: bufferSizeMiB },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            // Producers batch several NDJSON records into one Firehose record; split them back so
            // each record is routed to its own tenant/stream partition.
            {
              type: 'RecordDeAggregation',
              parameters: [{ parameterName: 'SubRecordType', parameterValue: 'JSON' }],
            },
            {
              type: 'MetadataExtraction',
              parameters: [
                {
                  parameterName: 'MetadataExtractionQuery',
                  parameterValue: '{tenant: ._tenant, stream: ._stream}',
                },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            // De-aggregation strips the separators; put the newline back so objects stay NDJSON.
            { type: 'AppendDelimiterToRecord', parameters: [] },
          ],
        },
      },
    });
    // The role's policy must exist before Firehose validates access to the bucket.
    this.stream.node.addDependency(policy);
  }

  get streamName(): string {
    return this.stream.ref;
  }

  get streamArn(): string {
    return this.stream.attrArn;
  }
}
