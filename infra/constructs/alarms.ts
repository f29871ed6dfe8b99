import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  CLOUDWATCH_NAMESPACE,
  CLOUDWATCH_SERVICE,
  COUNTER_METRICS,
  RESPONSE_METRICS,
} from '../../api/monitoring/cloudwatch-names.js';

export interface AlarmThresholds {
  /** Age in seconds of the oldest record not yet in S3. */
  firehoseDataFreshnessSeconds: number;
  albElb5xxPer5Min: number;
  albTarget5xxPer5Min: number;
  /** 503 answers (a dependency failed, nothing acknowledged) in 5 minutes: delivery is failing. */
  unavailablePer5Min: number;
  /** Share of received records rejected by validation, over three 5-minute periods in a row. */
  rejectedRatio: number;
  /** Records received in 5 minutes below which the rejected ratio is not judged (a few bad test posts). */
  rejectedRatioMinRecords: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  firehoseDataFreshnessSeconds: 900,
  albElb5xxPer5Min: 5,
  albTarget5xxPer5Min: 5,
  unavailablePer5Min: 5,
  rejectedRatio: 0.2,
  rejectedRatioMinRecords: 100,
};

export interface ServiceAlarmsProps {
  /** Delivery streams by label (`raw`, `quarantine`) → stream name. */
  deliveryStreams: Record<string, string>;
  functions: Record<string, lambda.IFunction>;
  loadBalancer: elbv2.IApplicationLoadBalancer & { metrics: elbv2.IApplicationLoadBalancerMetrics };
  thresholds?: Partial<AlarmThresholds>;
  /** Notified when any alarm fires and when it recovers. */
  topic: sns.ITopic;
}

const period = Duration.minutes(5);

/** The signals that mean records are not reaching the lake, or producers are getting errors. */
export class ServiceAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    this.action = new actions.SnsAction(props.topic);
    const t = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };

    for (const [label, streamName] of Object.entries(props.deliveryStreams)) {
      const firehoseMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Firehose',
          metricName,
          dimensionsMap: { DeliveryStreamName: streamName },
          statistic,
          period,
        });
      this.add(`${label}DataFreshness`, {
        alarmDescription: `Records in the ${label} delivery stream are older than ${t.firehoseDataFreshnessSeconds}s: delivery to S3 is stalled`,
        metric: firehoseMetric('DeliveryToS3.DataFreshness', 'Maximum'),
        threshold: t.firehoseDataFreshnessSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.add(`${label}DeliverySuccess`, {
        alarmDescription: `Some ${label} deliveries to S3 failed (DeliveryToS3.Success below 1)`,
        metric: firehoseMetric('DeliveryToS3.Success', 'Minimum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No deliveries means no traffic, not failure; staleness is caught by DataFreshness.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const [label, fn] of Object.entries(props.functions)) {
      this.add(`${label}Errors`, {
        alarmDescription: `The ${label} function raised errors`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.add(`${label}Throttles`, {
        alarmDescription: `The ${label} function was throttled`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // The functions' own metrics (EMF, api/monitoring/emf-metrics.ts): what producers and loads saw.
    const service = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: CLOUDWATCH_NAMESPACE,
        metricName,
        dimensionsMap: { service: CLOUDWATCH_SERVICE },
        statistic: 'Sum',
        period,
      });
    this.add('DeliveryUnavailable', {
      alarmDescription:
        'Producers got 503s: Firehose (or DynamoDB, Snowflake) kept failing past the retry budget, so nothing of those requests was acknowledged',
      metric: service(RESPONSE_METRICS.unavailable),
      threshold: t.unavailablePer5Min,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('ServerErrors', {
      alarmDescription:
        'The functions answered 500: a bug, or a deployment set up wrong (code misconfigured, e.g. a catalog table without the index this version queries; the log names it)',
      metric: service(RESPONSE_METRICS.serverError),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('LoadErrors', {
      alarmDescription: 'Snowpipe reported failed loads (COPY_HISTORY, read by the monitoring tick)',
      metric: service(COUNTER_METRICS.loadErrors.name),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('RejectedRatio', {
      alarmDescription: `More than ${t.rejectedRatio * 100}% of received records were rejected for 15 minutes (at least ${t.rejectedRatioMinRecords} records per 5 minutes): a producer or a schema changed`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(received >= ${t.rejectedRatioMinRecords}, rejected / received, 0)`,
        usingMetrics: {
          received: service(COUNTER_METRICS.received.name),
          rejected: service(COUNTER_METRICS.rejected.name),
        },
        label: 'Rejected share of received records',
        period,
      }),
      threshold: t.rejectedRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.add('AlbElb5xx', {
      alarmDescription:
        'The load balancer itself answered 5xx (no healthy target, Lambda failures surfaced as 502/503)',
      metric: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
        period,
        statistic: 'Sum',
      }),
      threshold: t.albElb5xxPer5Min,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('AlbTarget5xx', {
      alarmDescription: 'The functions answered 5xx',
      metric: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        period,
        statistic: 'Sum',
      }),
      threshold: t.albTarget5xxPer5Min,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private add(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, props);
    // OK too, so whoever was paged also learns that it is over.
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
