/**
 * The list prices the cost model (bench/cost/model.ts) uses: us-east-1, on-demand, USD, as of `asOf`.
 * Every price names its source page and how it was checked: `checked` cites the stored copy of a page
 * that states it (its date when the page gives one); `unconfirmed` marks a known list price no stored
 * page confirmed, used as it stands. Prices change: re-check the sources and bump `asOf` together.
 * GB means 2^30 bytes throughout, as AWS bills.
 */

export interface Price {
  value: number;
  unit: string;
  source: string;
  checked?: string;
  unconfirmed?: true;
}

const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/';
const VPC = 'https://aws.amazon.com/vpc/pricing/';
const FIREHOSE = 'https://aws.amazon.com/firehose/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/';
const EC2_TRANSFER = 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer';
const SNOWFLAKE = 'https://www.snowflake.com/en/pricing-options/';
const SNOWFLAKE_CONSUMPTION = 'https://www.snowflake.com/legal-files/CreditConsumptionTable.pdf';

export const PRICES = {
  asOf: '2026-12-01',
  region: 'us-east-1',

  lambdaArmGbSecond: {
    value: 0.0000133334,
    unit: 'GB-second (arm64, first 7.5 billion GB-s a month)',
    source: LAMBDA,
    checked: 'https://cloudchipr.com/blog/aws-lambda-pricing (2024 guide, US East)',
  },
  lambdaRequest: {
    value: 0.2 / 1e6,
    unit: 'request',
    source: LAMBDA,
    checked:
      'https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/957e45b8adae23ce50b966346229585b5df18b4d/docs/lambdas-md/lambda-13-cost.md',
  },

  albHour: {
    value: 0.0225,
    unit: 'ALB-hour',
    source: ELB,
    checked: 'https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/ (2026-05-08)',
  },
  albLcuHour: {
    value: 0.008,
    unit: 'LCU-hour',
    source: ELB,
    checked: 'https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/ (2026-05-08)',
  },
  /** An LCU is the largest of these dimensions; processed bytes for Lambda targets is 0.4 GB an hour. */
  albLcuLambdaGbPerHour: {
    value: 0.4,
    unit: 'GB processed per LCU-hour (Lambda targets)',
    source: ELB,
    checked: 'https://handbook.vantage.sh/aws/services/elb-pricing',
  },
  albLcuNewConnectionsPerSecond: {
    value: 25,
    unit: 'new connections a second per LCU',
    source: ELB,
    checked: 'https://handbook.vantage.sh/aws/services/elb-pricing',
  },
  albLcuActiveConnectionsPerMinute: {
    value: 3000,
    unit: 'active connections a minute per LCU',
    source: ELB,
    checked: 'https://handbook.vantage.sh/aws/services/elb-pricing',
  },
  publicIpv4Hour: {
    value: 0.005,
    unit: 'public IPv4 address-hour (the ALB has one per zone)',
    source: VPC,
    unconfirmed: true,
  },

  firehoseIngestGb: {
    value: 0.029,
    unit: 'GB ingested (Direct PUT, first 500 TB a month), each record rounded up to 5 KB',
    source: FIREHOSE,
    unconfirmed: true,
  },
  firehoseBillingIncrementBytes: {
    value: 5 * 1024,
    unit: 'bytes: every record is billed rounded up to this',
    source: FIREHOSE,
    checked: 'https://aws.amazon.com/de/kinesis/data-firehose/pricing/ ("in 5-KB-Schritten")',
  },
  firehoseDynamicPartitioningGb: {
    value: 0.02,
    unit: 'GB delivered with dynamic partitioning',
    source: FIREHOSE,
    unconfirmed: true,
  },
  firehoseDynamicPartitioningObject: {
    value: 0.005 / 1000,
    unit: 'S3 object delivered with dynamic partitioning',
    source: FIREHOSE,
    unconfirmed: true,
  },
  firehoseJqHour: {
    value: 0.07,
    unit: 'JQ processing hour (partition keys by JQ)',
    source: FIREHOSE,
    unconfirmed: true,
  },

  s3StandardGbMonth: {
    value: 0.023,
    unit: 'GB-month, S3 Standard (first 50 TB)',
    source: S3,
    checked: 'https://go-cloud.io/?p=10624 (cites a September 2025 study)',
  },
  s3GlacierGbMonth: {
    value: 0.0036,
    unit: 'GB-month, S3 Glacier Flexible Retrieval',
    source: S3,
    unconfirmed: true,
  },
  s3Put: { value: 0.005 / 1000, unit: 'PUT request, S3 Standard', source: S3, unconfirmed: true },
  s3Get: { value: 0.0004 / 1000, unit: 'GET request, S3 Standard', source: S3, unconfirmed: true },
  s3GlacierTransition: {
    value: 0.03 / 1000,
    unit: 'lifecycle transition to Glacier Flexible Retrieval',
    source: S3,
    unconfirmed: true,
  },
  /** Per object archived: 32 KB billed at the Glacier rate and 8 KB at the Standard rate. */
  s3GlacierObjectOverheadKb: {
    value: 40,
    unit: 'KB of metadata per archived object (32 Glacier + 8 Standard)',
    source: S3,
    checked: 'https://www.demo.wlid.nl/s3-storage-classes.html (2021-12-02)',
  },

  dynamodbWriteUnit: {
    value: 0.625 / 1e6,
    unit: 'write request unit, on-demand (after the November 2024 cut)',
    source: DYNAMODB,
    checked: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (2025-07-21)',
  },
  dynamodbReadUnit: {
    value: 0.125 / 1e6,
    unit: 'read request unit, on-demand',
    source: DYNAMODB,
    checked: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (2025-07-21)',
  },
  dynamodbStorageGbMonth: {
    value: 0.25,
    unit: 'GB-month, Standard table class',
    source: DYNAMODB,
    unconfirmed: true,
  },
  dynamodbPitrGbMonth: {
    value: 0.2,
    unit: 'GB-month of continuous backup (PITR)',
    source: DYNAMODB,
    unconfirmed: true,
  },

  cloudwatchLogsIngestGb: {
    value: 0.5,
    unit: 'GB of logs ingested (Standard class)',
    source: CLOUDWATCH,
    unconfirmed: true,
  },
  cloudwatchLogsStorageGbMonth: {
    value: 0.03,
    unit: 'GB-month of logs stored (compressed)',
    source: CLOUDWATCH,
    unconfirmed: true,
  },
  cloudwatchMetricMonth: {
    value: 0.3,
    unit: 'custom metric-month (first 10,000)',
    source: CLOUDWATCH,
    unconfirmed: true,
  },
  cloudwatchAlarmMonth: {
    value: 0.1,
    unit: 'standard-resolution alarm-month',
    source: CLOUDWATCH,
    unconfirmed: true,
  },

  kmsKeyMonth: { value: 1, unit: 'customer-managed key-month', source: KMS, unconfirmed: true },
  secretMonth: { value: 0.4, unit: 'secret-month', source: SECRETS, unconfirmed: true },
  dataTransferOutGb: {
    value: 0.09,
    unit: 'GB out to the internet (after the first 100 GB a month, free)',
    source: EC2_TRANSFER,
    unconfirmed: true,
  },

  /** Masking policies, which the warehouse adapter creates, need Enterprise edition. */
  snowflakeCreditEnterprise: {
    value: 3,
    unit: 'credit, Enterprise edition on demand, AWS US East',
    source: SNOWFLAKE,
    checked: 'https://www.finout.io/blog/the-complete-guide-to-snowflake-pricing-2025',
  },
  snowpipeCreditsPerGb: {
    value: 0.0037,
    unit: 'credits per GB loaded by Snowpipe (text formats on their uncompressed size)',
    source: SNOWFLAKE_CONSUMPTION,
    checked: 'https://seemoredata.io/blog/snowflakes-new-snowpipe-pricing',
  },
  snowpipeLegacyCreditsPerFile: {
    value: 0.06 / 1000,
    unit: 'credits per file queued (the per-file charge of the older compute-based Snowpipe billing)',
    source: 'https://docs.snowflake.com/en/user-guide/data-load-snowpipe-billing',
    checked: 'https://docs.snowflake.net/manuals/user-guide/data-load-snowpipe-billing.html',
  },
  snowflakeXsCreditsPerHour: {
    value: 1,
    unit: 'credits an hour, X-Small warehouse (billed per second, 60 s minimum per resume)',
    source: SNOWFLAKE,
    checked: 'https://dwcost.com/snowflake-pricing (reviewed 2025-06)',
  },
  snowflakeStorageTbMonth: {
    value: 23,
    unit: 'TB-month of compressed table storage, AWS US East (capacity rate)',
    source: SNOWFLAKE,
    checked: 'https://specialoffers.com/snowflake/',
  },
} as const satisfies Record<string, Price | string>;

export type Prices = typeof PRICES;
export type PriceName = { [K in keyof Prices]: Prices[K] extends Price ? K : never }[keyof Prices];
