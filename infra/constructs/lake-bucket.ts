import { Aws, type CfnCondition, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** S3 key prefixes Snowpipe loads from; Firehose writes under these and only these. */
export const LAKE_PREFIXES = ['raw', 'quarantine'] as const;
export type LakePrefix = (typeof LAKE_PREFIXES)[number];

/** The events Snowpipe auto-ingest needs: every way an object can be created. */
export const SNOWPIPE_EVENTS = [
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
] as const;

/**
 * Where object-created events go: the Snowflake-owned SQS queue of the one account's pipes (SHOW PIPES →
 * notification_channel), or a topic every account's queue subscribes to (accounts per tenant).
 */
export type LakeNotifications =
  | {
      queueArn: string;
      /**
       * True when the queue ARN is set. The queue exists only once the first pipe does, so the first
       * deploy has none; until then the bucket sends no notifications.
       */
      hasQueue: CfnCondition;
    }
  | {
      topicArn: string;
      /** The topic's policy, which must exist before S3 checks it may publish. */ policy: IConstruct;
    };

export interface LakeBucketProps {
  accessLogsBucket: s3.IBucket;
  notifications: LakeNotifications;
  /** Days before `raw/` objects move to Glacier; may be a parameter token. */
  glacierTransitionDays: number;
}

/** The data lake: KMS-encrypted, versioned, TLS-only, and wired to Snowpipe through S3 event notifications. */
export class LakeBucket extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Tributary lake bucket encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of per object keeps KMS request costs flat as ingest grows.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 's3-access/lake/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'raw-to-glacier',
          prefix: 'raw/',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(props.glacierTransitionDays),
            },
          ],
        },
        {
          id: 'expire-superseded-versions',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // A native NotificationConfiguration instead of addEventNotification: the queue belongs to
    // Snowflake (its policy already admits S3), and this avoids the notifications custom-resource
    // Lambda that addEventNotification would deploy.
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    const n = props.notifications;
    if ('queueArn' in n) {
      // Inside Fn::If the values reach the template as written, so they use CloudFormation's casing.
      const queueConfigurations = LAKE_PREFIXES.flatMap((prefix) =>
        SNOWPIPE_EVENTS.map((event) => ({
          Event: event,
          Queue: n.queueArn,
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: `${prefix}/` }] } },
        })),
      );
      cfnBucket.notificationConfiguration = {
        queueConfigurations: Fn.conditionIf(
          n.hasQueue.logicalId,
          queueConfigurations,
          Aws.NO_VALUE,
        ) as unknown as s3.CfnBucket.QueueConfigurationProperty[],
      };
    } else {
      // The topic exists from the first deploy (this stack makes it), so it needs no condition.
      cfnBucket.notificationConfiguration = {
        topicConfigurations: LAKE_PREFIXES.flatMap((prefix) =>
          SNOWPIPE_EVENTS.map((event) => ({
            event,
            topic: n.topicArn,
            filter: { s3Key: { rules: [{ name: 'prefix', value: `${prefix}/` }] } },
          })),
        ),
      };
      this.bucket.node.addDependency(n.policy);
    }
  }

  /** ARN pattern for the objects under one lake prefix. */
  objectsArn(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}/*`);
  }
}
