import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface LakeEventsTopicProps {
  /**
   * Snowflake principals whose account's Snowpipe queue may subscribe: what SYSTEM$GET_AWS_SNS_IAM_POLICY
   * returns in each account (the account's STORAGE_AWS_IAM_USER_ARN). Tokens are allowed.
   */
  subscribers: string[];
}

/**
 * The lake's object-created events as an SNS topic, for when tenants have Snowflake accounts of their
 * own. S3 sends one prefix's events to one destination, so it cannot notify both the shared account's
 * queue for `raw/` and a tenant account's queue for `raw/tenant=<t>/`; every account's queue subscribes
 * here instead (a pipe created with AWS_SNS_TOPIC), and each pipe loads only its own tenant's path.
 */
export class LakeEventsTopic extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  /** The topic policy: the bucket's notification configuration must wait for it (S3 checks it can publish). */
  readonly policy: Construct;

  constructor(scope: Construct, id: string, props: LakeEventsTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Tributary lake event notifications encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Tributary lake object-created events',
      masterKey: this.key,
      enforceSSL: true,
    });

    // Only buckets of this account. The lake bucket's own ARN would be tighter, but the bucket's
    // notification configuration depends on this policy, so naming the bucket here would be a cycle.
    const fromOwnBuckets = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:s3:::*` },
    };
    const s3 = new iam.ServicePrincipal('s3.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowLakeBucketEvents',
        principals: [s3],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnBuckets,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowLakeBucketEventsToPublish',
        principals: [s3],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy "*" means this key.
        resources: ['*'],
        conditions: fromOwnBuckets,
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnowpipeQueues',
        principals: props.subscribers.map((arn) => new iam.ArnPrincipal(arn)),
        actions: ['sns:Subscribe'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'sns:Protocol': 'sqs' } },
      }),
    );
    this.policy = this.topic.node.findChild('Policy');
  }
}
