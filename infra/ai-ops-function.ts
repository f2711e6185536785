import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AI_OPS_BUNDLING, nodeOptions, splitBundleHooks } from './bundling.ts';

/** The newest GA Node.js runtime aws-cdk-lib 2.276 offers; the tests pin every function to it. */
export const AI_OPS_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface AiOpsFunctionProps {
  /** Path to the handler's TypeScript file (exports `handler`). */
  entry: string;
  description: string;
  /** Explicit name of the function's own log group, so the detector can refuse to subscribe to it. */
  logGroupName: string;
  logRetentionDays: logs.RetentionDays;
  timeout: Duration;
  memorySize: number;
  /** Powertools service name (`ai-ops-detector`, `ai-ops-analyzer`). */
  serviceName: string;
  logLevel: string;
  environment?: Record<string, string>;
  reservedConcurrentExecutions?: number;
  /** `--enable-source-maps`: readable traces in the logs for a slower cold start (bundling.ts) */
  sourceMapsInTraces: boolean;
  /** esbuild code splitting: modules loaded with `import()` go to chunks read on first use (bundling.ts) */
  codeSplitting: boolean;
}

/**
 * One place for the defaults every ai-ops function shares: ARM64, the current Node runtime,
 * local esbuild bundling to minified ESM with source maps (without the sources in them: the
 * maps are parsed at cold start), and an explicit log group with retention.
 */
export class AiOpsFunction extends NodejsFunction {
  readonly ownLogGroup: logs.LogGroup;
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: AiOpsFunctionProps) {
    // Named explicitly (not /aws/lambda/<generated>) so the name is known at synth time.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      logGroupName: props.logGroupName,
      retention: props.logRetentionDays,
      // A retained, explicitly named log group would make the next deploy fail with "already exists".
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Instead of the managed AWSLambdaBasicExecutionRole (logs:* on every log group): write to
    // this function's own log group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: execution role`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: AI_OPS_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        ...(props.sourceMapsInTraces ? { NODE_OPTIONS: nodeOptions(true) } : {}),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'AiOps',
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: [...AI_OPS_BUNDLING.mainFields],
        banner: AI_OPS_BUNDLING.banner,
        minify: AI_OPS_BUNDLING.minify,
        sourceMap: AI_OPS_BUNDLING.sourceMap,
        sourcesContent: AI_OPS_BUNDLING.sourcesContent,
        target: AI_OPS_BUNDLING.target,
        // Bundle the AWS SDK too: the versions the tests ran are the versions that run.
        externalModules: [],
        ...(props.codeSplitting ? { commandHooks: splitBundleHooks(props.entry) } : {}),
      },
    });
    this.ownLogGroup = logGroup;
    this.executionRole = role;
  }
}
