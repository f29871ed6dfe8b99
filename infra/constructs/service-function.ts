import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { acknowledge } from '../nag.js';
import { Construct } from 'constructs';

export interface ServiceFunctionProps {
  /** One code asset shared by every function: the pre-built esbuild output. */
  code: lambda.Code;
  description: string;
  environment: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
}

/**
 * One entry point of the Hono app as a Lambda function: Node.js 22 on arm64, with its own role and
 * log group so each function is granted exactly what its routes need and nothing from managed policies.
 */
export class ServiceFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      description: props.description,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const logPolicy = new iam.Policy(this, 'LogsPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });

    this.fn = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      memorySize: props.memorySize ?? 1024,
      // The ALB waits at most its idle timeout (60 s); give up well before it does.
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
    });
    this.fn.node.addDependency(logPolicy);
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Node.js 22 is pinned deliberately: the esbuild bundle targets node22 and the runtime moves only together with that target.',
    );
  }

  addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPolicy(statement);
  }
}
