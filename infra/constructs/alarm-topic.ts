import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import type { CfnCondition } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * An address to notify, created only when `condition` holds (the address is usually a parameter
   * that may be left empty, and CloudFormation cannot skip a resource on a token otherwise).
   */
  email?: { address: string; condition: CfnCondition };
}

/**
 * Where the service alarms notify: an SNS topic encrypted with its own key, publishable only over TLS.
 * A dedicated key rather than the lake key, so that letting CloudWatch use it opens nothing else.
 */
export class AlarmTopic extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly emailSubscription?: sns.CfnSubscription;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Tributary alarm notifications encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Tributary alarms',
      masterKey: this.key,
      enforceSSL: true,
    });

    // CloudWatch publishes as its service principal, so the topic policy (which enforceSSL makes
    // explicit, replacing the default owner policy) and the key policy must both admit it; the
    // source conditions keep it to alarms of this account and region (no confused deputy).
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    };
    const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy "*" means this key.
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    if (props.email) {
      this.emailSubscription = new sns.CfnSubscription(this, 'EmailSubscription', {
        topicArn: this.topic.topicArn,
        protocol: 'email',
        endpoint: props.email.address,
      });
      this.emailSubscription.cfnOptions.condition = props.email.condition;
    }
  }
}
