import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../nag.js';
import { Construct } from 'constructs';

/** The ingest hot path; everything else (catalog, admin, queries, UI) goes to the api function. */
export const INGEST_PATH_PATTERN = '/v1/tenants/*/streams/*/records';
export const INGEST_RULE_PRIORITY = 10;
/** Target-group attribute: events carry multiValueHeaders / multiValueQueryStringParameters. */
export const MULTI_VALUE_HEADERS_ATTRIBUTE = 'lambda.multi_value_headers.enabled';

export interface LoadBalancerProps {
  vpc: ec2.IVpc;
  certificateArn: string;
  accessLogsBucket: s3.IBucket;
  ingestFunction: lambda.IFunction;
  apiFunction: lambda.IFunction;
}

/**
 * Like elbv2-targets' LambdaTarget, but the invoke permission names a source: CDK's grants
 * elasticloadbalancing.amazonaws.com without one. The exact target-group ARN would be a cycle
 * (the group registers the function only after the permission exists), so the permission admits
 * target groups of this account and region.
 */
class ScopedLambdaTarget implements elbv2.IApplicationLoadBalancerTarget {
  constructor(
    private readonly scope: Construct,
    private readonly id: string,
    private readonly fn: lambda.IFunction,
  ) {}

  attachToApplicationTargetGroup(targetGroup: elbv2.IApplicationTargetGroup): elbv2.LoadBalancerTargetProps {
    const permission = new lambda.CfnPermission(this.scope, this.id, {
      action: 'lambda:InvokeFunction',
      functionName: this.fn.functionArn,
      principal: 'elasticloadbalancing.amazonaws.com',
      sourceArn: Stack.of(this.scope).formatArn({
        service: 'elasticloadbalancing',
        resource: 'targetgroup',
        resourceName: '*',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    });
    // The ALB checks the permission when the function is registered as a target.
    targetGroup.node.addDependency(permission);
    return { targetType: elbv2.TargetType.LAMBDA, targetJson: { id: this.fn.functionArn } };
  }
}

/** Internet-facing ALB: HTTPS only (HTTP redirects), POST records → ingest, the rest → api. */
export class LoadBalancer extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });
    this.alb.logAccessLogs(props.accessLogsBucket, 'alb');

    this.httpsListener = this.alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: true,
    });
    const api = this.httpsListener.addTargets('Api', {
      targets: [new ScopedLambdaTarget(this, 'ApiInvokePermission', props.apiFunction)],
    });
    const ingest = this.httpsListener.addTargets('Ingest', {
      priority: INGEST_RULE_PRIORITY,
      conditions: [
        elbv2.ListenerCondition.pathPatterns([INGEST_PATH_PATTERN]),
        elbv2.ListenerCondition.httpRequestMethods(['POST']),
      ],
      targets: [new ScopedLambdaTarget(this, 'IngestInvokePermission', props.ingestFunction)],
    });
    // Without multi-value headers the load balancer passes only the last value of a repeated header or
    // query parameter, so the app could not refuse an ambiguous request (it answers 400 naming the
    // parameter) and would act on a value the client may not have meant.
    for (const group of [api, ingest]) group.setAttribute(MULTI_VALUE_HEADERS_ATTRIBUTE, 'true');
    this.alb.addRedirect({
      sourcePort: 80,
      sourceProtocol: elbv2.ApplicationProtocol.HTTP,
      targetPort: 443,
      targetProtocol: elbv2.ApplicationProtocol.HTTPS,
    });

    for (const securityGroup of this.alb.connections.securityGroups) {
      acknowledge(
        securityGroup,
        'AwsSolutions-EC23',
        'Public ingestion endpoint: producers connect from anywhere on 443 (and 80, which only redirects to 443); authentication is per-tenant API keys.',
      );
    }
  }
}
