import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AiOpsFunction } from './ai-ops-function.ts';
import { CODE_SPLITTING, SOURCE_MAPS_IN_TRACES } from './bundling.ts';
import {
  type AiOpsConfig,
  AiOpsConfigError,
  type AiOpsConfigInput,
  parseAiOpsConfig,
  resolveRepositoryRouting,
} from './config.ts';

/** Long enough for a clone, a bounded Claude conversation, a push and an email. */
export const ANALYZER_TIMEOUT = Duration.minutes(5);

/**
 * AWS recommends a visibility timeout of at least six times the function timeout for SQS event
 * sources, so a message being retried by the poller is not handed to a second analyzer meanwhile.
 */
export const REPAIR_QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(ANALYZER_TIMEOUT.toSeconds() * 6);

const DETECTOR_ENTRY = fileURLToPath(new URL('../functions/detector/handler.ts', import.meta.url));
const ANALYZER_SERVICE_NAME = 'ai-ops-analyzer';
/** The POWERTOOLS_METRICS_NAMESPACE AiOpsFunction gives every function (a template test checks both agree). */
const METRICS_NAMESPACE = 'AiOps';
/** Must match `REPAIRS_STOPPED_METRIC` in functions/analyzer/handler.ts (not imported: its SDK clients stay out of synth). */
const REPAIRS_STOPPED_METRIC = 'RepairsStopped';
const ANALYZER_ENTRY = fileURLToPath(new URL('../functions/analyzer/handler.ts', import.meta.url));
const WEBHOOK_ENTRY = fileURLToPath(new URL('../functions/webhook/handler.ts', import.meta.url));

/** GitHub gives a webhook 10 s to answer; the handler only verifies, de-duplicates and enqueues. */
export const WEBHOOK_TIMEOUT = Duration.seconds(10);

/** Props are the same settings as the `ai-ops` context block in cdk.json; all are validated. */
export type AutoRepairProps = AiOpsConfigInput;

/**
 * The whole ai-ops pipeline: subscription filters on existing log groups → detector Lambda →
 * SQS (with DLQ + alarm) → analyzer Lambda, an incidents table, and secrets passed by reference.
 */
export class AutoRepair extends Construct {
  readonly config: AiOpsConfig;
  readonly detector: AiOpsFunction;
  readonly analyzer: AiOpsFunction;
  readonly repairQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** detector invocations that failed all async retries (see the replay note where it is created) */
  readonly detectorFailureQueue: sqs.Queue;
  readonly detectorFailureAlarm: cloudwatch.Alarm;
  /** the kill switch or the daily cap stopped a repair (the analyzer's RepairsStopped metric) */
  readonly repairsStoppedAlarm: cloudwatch.Alarm;
  /** runs the analyzer's sweep (post-merge check, drafts without CI) every `sweepIntervalMinutes` */
  readonly sweepRule: events.Rule;
  readonly incidentsTable: dynamodb.Table;
  /** GitHub webhooks (`POST /webhook`) and the signed incident pages (`/incidents/{key}`) */
  readonly webhook: AiOpsFunction;
  readonly httpApi: apigwv2.HttpApi;
  /** the Payload URL to configure in GitHub */
  readonly webhookUrl: string;
  /** what emailed incident links start with */
  readonly incidentPageBaseUrl: string;
  /** Names of ai-ops's own log groups; never subscribed, so ai-ops cannot feed on its own errors. */
  readonly ownLogGroupNames: readonly string[];

  constructor(scope: Construct, id: string, props: AutoRepairProps) {
    super(scope, id);
    const config = parseAiOpsConfig(props);
    this.config = config;
    const routing = resolveRepositoryRouting(config);
    assertRoutingFitsEnvironment(JSON.stringify(routing));
    const stack = Stack.of(this);

    const detectorLogGroupName = `/ai-ops/${config.instanceName}/detector`;
    const analyzerLogGroupName = `/ai-ops/${config.instanceName}/analyzer`;
    const webhookLogGroupName = `/ai-ops/${config.instanceName}/webhook`;
    const apiAccessLogGroupName = `/ai-ops/${config.instanceName}/webhook-access`;
    this.ownLogGroupNames = [
      detectorLogGroupName,
      analyzerLogGroupName,
      webhookLogGroupName,
      apiAccessLogGroupName,
    ];
    assertNoOwnLogGroupSubscribed(Object.keys(config.logGroups), this.ownLogGroupNames);

    this.incidentsTable = new dynamodb.Table(this, 'Incidents', {
      partitionKey: { name: 'incidentKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: config.retainIncidentsTable ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'RepairDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the repair queue.',
    });

    // A failed job comes back (timed to its backoff) once per attempt: the queue must not park it
    // before the attempts run out, and a crash or a duplicate delivery may take a receive or two.
    const repairReceives = Math.max(5, config.maxRepairAttempts + 2);
    this.repairQueue = new sqs.Queue(this, 'RepairQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: REPAIR_QUEUE_VISIBILITY_TIMEOUT,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: repairReceives },
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'RepairDeadLetterAlarm', {
      alarmDescription: `ai-ops: repair jobs received ${repairReceives} times without settling landed in the dead-letter queue`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // CloudWatch Logs invokes the detector asynchronously: after Lambda's retries a failed batch
    // is dropped unless it has an on-failure destination. This queue keeps it, 14 days.
    // Replay: each message is an invocation record whose `requestPayload` is the original
    // `{awslogs:{data}}` event and whose `requestContext.functionArn` is the detector, so
    //   Q=$(aws sqs get-queue-url --queue-name <DetectorFailureQueueName> --query QueueUrl --output text)
    //   M=$(aws sqs receive-message --queue-url "$Q" --query 'Messages[0]')
    //   echo "$M" | jq -r .Body | jq -c .requestPayload > payload.json &&
    //   aws lambda invoke --invocation-type Event --cli-binary-format raw-in-base64-out \
    //     --function-name "$(echo "$M" | jq -r .Body | jq -r .requestContext.functionArn)" \
    //     --payload file://payload.json /dev/null &&
    //   aws sqs delete-message --queue-url "$Q" --receipt-handle "$(echo "$M" | jq -r .ReceiptHandle)"
    // replays one; an Event replay that fails again comes back here. Incidents are keyed by
    // fingerprint, so replaying a batch that half-succeeded opens no second incident (its
    // occurrences may be counted twice).
    this.detectorFailureQueue = new sqs.Queue(this, 'DetectorFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Only a replay that keeps receiving a record without deleting it gets here: it is parked
      // beside the failed repair jobs (alarmed too); a console redrive returns it to this queue.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.detectorFailureAlarm = new cloudwatch.Alarm(this, 'DetectorFailureAlarm', {
      alarmDescription:
        'ai-ops: the detector failed on a batch of log events 3 times; replay it from the detector failure queue',
      metric: this.detectorFailureQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new CfnOutput(this, 'DetectorFailureQueueName', {
      description: 'Detector invocations that failed 3 times (replay: see infra/auto-repair.ts)',
      value: this.detectorFailureQueue.queueName,
    }).overrideLogicalId('DetectorFailureQueueName');

    // The analyzer writes one EMF line per stopped repair (functions/analyzer/handler.ts); the
    // reviewers get a once-a-day email, this tells whoever watches the account.
    this.repairsStoppedAlarm = new cloudwatch.Alarm(this, 'RepairsStoppedAlarm', {
      alarmDescription:
        'ai-ops: the kill switch or the daily repair cap stopped a repair; errors are still recorded, no fix is attempted until the cap resets (next UTC day) or repairs are switched back on',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: REPAIRS_STOPPED_METRIC,
        dimensionsMap: { service: ANALYZER_SERVICE_NAME },
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (config.alarmTopicArn) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
      this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      this.detectorFailureAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      this.repairsStoppedAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    }

    const retention = config.logRetentionDays as logs.RetentionDays;

    this.detector = new AiOpsFunction(this, 'Detector', {
      sourceMapsInTraces: SOURCE_MAPS_IN_TRACES.detector,
      codeSplitting: CODE_SPLITTING.detector,
      entry: DETECTOR_ENTRY,
      description: 'ai-ops: turns error log events into incidents and repair jobs',
      logGroupName: detectorLogGroupName,
      logRetentionDays: retention,
      timeout: Duration.seconds(60),
      memorySize: 512,
      serviceName: 'ai-ops-detector',
      logLevel: config.logLevel,
      environment: {
        REPOSITORIES: JSON.stringify(routing),
        OWN_LOG_GROUPS: this.ownLogGroupNames.join(','),
        INCIDENT_TTL_DAYS: String(config.incidentTtlDays),
      },
    });

    this.analyzer = new AiOpsFunction(this, 'Analyzer', {
      sourceMapsInTraces: SOURCE_MAPS_IN_TRACES.analyzer,
      codeSplitting: CODE_SPLITTING.analyzer,
      entry: ANALYZER_ENTRY,
      description: 'ai-ops: asks Claude for a fix, opens a draft pull request, emails reviewers',
      logGroupName: analyzerLogGroupName,
      logRetentionDays: retention,
      timeout: ANALYZER_TIMEOUT,
      // The repository is cloned into memory (memfs), so memory is the working disk.
      memorySize: 2048,
      serviceName: ANALYZER_SERVICE_NAME,
      logLevel: config.logLevel,
      // The spend cap: at most this many Claude conversations run at once.
      reservedConcurrentExecutions: config.analyzerReservedConcurrency,
      environment: {
        MODEL_ID: config.modelId,
        ...(config.modelPrices ? { MODEL_PRICES: JSON.stringify(config.modelPrices) } : {}),
        SENDER_EMAIL: config.senderEmail,
        REVIEWER_EMAILS: config.reviewerEmails.join(','),
        GITHUB_API_URL: config.githubApiUrl,
        DAILY_REPAIR_CAP: String(config.dailyRepairCapPerRepository),
        REPAIRS_ENABLED: String(config.repairsEnabled),
        MAX_USD_PER_JOB: String(config.maxUsdPerJob),
        // A claim outlives no invocation: once the timeout passed, its worker is surely gone.
        REPAIR_LEASE_SECONDS: String(ANALYZER_TIMEOUT.toSeconds()),
        // read by the scheduled sweep (functions/analyzer/sweep-config.ts)
        NO_CI_POLICY: config.noCiPolicy,
        NO_CI_AFTER_MINUTES: String(config.noCiAfterMinutes),
        // read by the sweep and, for a failed job SQS sends back, by the repair itself
        MAX_REPAIR_ATTEMPTS: String(config.maxRepairAttempts),
      },
    });

    // Detector: one conditional UpdateItem per fingerprint (new? else count++) and a GetItem; no secrets.
    bindTable({
      fn: this.detector,
      table: this.incidentsTable,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    });
    bindQueueSender({ fn: this.detector, queue: this.repairQueue });
    // SqsDestination grants sqs:SendMessage on the failure queue to the detector's role only.
    this.detector.configureAsyncInvoke({
      onFailure: new SqsDestination(this.detectorFailureQueue),
      retryAttempts: 2,
      // Lambda's maximum: a batch held back by throttling is still worth detecting hours later.
      maxEventAge: Duration.hours(6),
    });

    bindTable({
      fn: this.analyzer,
      table: this.incidentsTable,
      // Scan: the sweep lists incidents by status (an hourly, bounded read of a small table).
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:Scan',
      ],
    });
    // The analyzer enqueues follow-up jobs (revise, ci_failed) on the same queue.
    bindQueueSender({ fn: this.analyzer, queue: this.repairQueue });
    // Only the secret of the chosen GitHub authentication is readable by the analyzer.
    this.analyzer.addEnvironment('GITHUB_AUTH', config.githubAuth);
    if (config.githubAuth === 'app') {
      bindSecret({
        fn: this.analyzer,
        envName: 'GITHUB_APP_SECRET_ARN',
        secret: secretsmanager.Secret.fromSecretNameV2(this, 'GithubApp', config.githubAppSecretName),
      });
    } else {
      bindSecret({
        fn: this.analyzer,
        envName: 'GITHUB_TOKEN_SECRET_ARN',
        secret: secretsmanager.Secret.fromSecretNameV2(this, 'GithubToken', config.githubTokenSecretName),
      });
    }
    bindSecret({
      fn: this.analyzer,
      envName: 'ANTHROPIC_API_KEY_SECRET_ARN',
      secret: secretsmanager.Secret.fromSecretNameV2(
        this,
        'AnthropicApiKey',
        config.anthropicApiKeySecretName,
      ),
    });
    const senderIdentity = config.senderIdentity ?? config.senderEmail.split('@')[1] ?? config.senderEmail;
    this.analyzer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [
          stack.formatArn({
            service: 'ses',
            resource: 'identity',
            resourceName: senderIdentity,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );

    const linkSigningKey = secretsmanager.Secret.fromSecretNameV2(
      this,
      'LinkSigningKey',
      config.linkSigningSecretName,
    );
    this.webhook = new AiOpsFunction(this, 'Webhook', {
      sourceMapsInTraces: SOURCE_MAPS_IN_TRACES.webhook,
      codeSplitting: CODE_SPLITTING.webhook,
      entry: WEBHOOK_ENTRY,
      description: 'ai-ops: GitHub webhooks (CI results, /ai-ops comments, merges) and the incident pages',
      logGroupName: webhookLogGroupName,
      logRetentionDays: retention,
      timeout: WEBHOOK_TIMEOUT,
      memorySize: 256,
      serviceName: 'ai-ops-webhook',
      logLevel: config.logLevel,
    });
    // Incidents are read; delivery ids and branch links are put (and a failed delivery's id
    // deleted); the page's snooze/ignore is one conditional UpdateItem. No Query, no Scan.
    bindTable({
      fn: this.webhook,
      table: this.incidentsTable,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    });
    bindQueueSender({ fn: this.webhook, queue: this.repairQueue });
    bindSecret({
      fn: this.webhook,
      envName: 'WEBHOOK_SECRET_ARN',
      secret: secretsmanager.Secret.fromSecretNameV2(
        this,
        'GithubWebhookSecret',
        config.githubWebhookSecretName,
      ),
    });
    bindSecret({ fn: this.webhook, envName: 'LINK_SIGNING_SECRET_ARN', secret: linkSigningKey });

    this.httpApi = new apigwv2.HttpApi(this, 'WebhookApi', {
      description: 'ai-ops: GitHub webhooks and incident pages',
      createDefaultStage: false,
    });
    const apiAccessLog = new logs.LogGroup(this, 'WebhookApiAccessLog', {
      logGroupName: apiAccessLogGroupName,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigwv2.HttpStage(this, 'WebhookApiStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      // GitHub sends a handful of deliveries a minute; this only bounds what a flood can cost.
      throttle: { rateLimit: 20, burstLimit: 40 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(apiAccessLog),
        // No path or query string: incident links carry their signature in the query.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            length: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('WebhookIntegration', this.webhook);
    const routes = [
      ...this.httpApi.addRoutes({ path: '/webhook', methods: [apigwv2.HttpMethod.POST], integration }),
      ...this.httpApi.addRoutes({ path: '/incidents/{key}', methods: [apigwv2.HttpMethod.GET], integration }),
      ...this.httpApi.addRoutes({
        path: '/incidents/{key}/{action}',
        methods: [apigwv2.HttpMethod.POST],
        integration,
      }),
    ];
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'GitHub cannot sign in to API Gateway: /webhook verifies the HMAC-SHA256 X-Hub-Signature-256 over the raw body, and /incidents/* verify an HMAC-signed, expiring link, both in the function.',
      });
    }
    // The default stage serves at the root of the API's endpoint.
    this.incidentPageBaseUrl = `${this.httpApi.apiEndpoint}/`;
    this.webhookUrl = `${this.httpApi.apiEndpoint}/webhook`;
    this.webhook.addEnvironment('INCIDENT_PAGE_BASE_URL', this.incidentPageBaseUrl);
    // The analyzer signs the incident links it emails.
    this.analyzer.addEnvironment('INCIDENT_PAGE_BASE_URL', this.incidentPageBaseUrl);
    bindSecret({ fn: this.analyzer, envName: 'LINK_SIGNING_SECRET_ARN', secret: linkSigningKey });
    // Fixed ids, so `cdk deploy --outputs-file` and the README name them the same in every stack.
    new CfnOutput(this, 'WebhookUrl', {
      description: 'GitHub webhook Payload URL (content type application/json)',
      value: this.webhookUrl,
    }).overrideLogicalId('WebhookUrl');
    new CfnOutput(this, 'IncidentPageBaseUrl', {
      description: 'Base URL of the signed incident pages linked from ai-ops emails',
      value: this.incidentPageBaseUrl,
    }).overrideLogicalId('IncidentPageBaseUrl');

    this.analyzer.addEventSource(
      new SqsEventSource(this.repairQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: config.analyzerMaxConcurrency,
      }),
    );

    // The same function on a schedule: it tells the EventBridge event from an SQS batch by its
    // shape, and uses the table, queue and secrets it already holds (no grant of its own).
    this.sweepRule = new events.Rule(this, 'SweepSchedule', {
      description: 'ai-ops: resolve quiet merged fixes, reopen regressions, act on drafts without CI',
      schedule: events.Schedule.rate(Duration.minutes(config.sweepIntervalMinutes)),
      targets: [
        // A missed run is caught up by the next one; every step of the sweep is conditional.
        new eventsTargets.LambdaFunction(this.analyzer, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });

    for (const [index, [logGroupName, target]] of Object.entries(config.logGroups).entries()) {
      const watched = logs.LogGroup.fromLogGroupName(this, `Watched${index}`, logGroupName);
      new logs.SubscriptionFilter(this, `ErrorFilter${index}`, {
        logGroup: watched,
        destination: new LambdaDestination(this.detector),
        filterPattern: logs.FilterPattern.literal(target.filterPattern ?? config.filterPattern),
        filterName: `${config.instanceName}-errors`,
      });
      // To fetch the rest of a stack trace the filter only delivered the first line of.
      watched.grant(this.detector, 'logs:GetLogEvents', 'logs:FilterLogEvents');
    }

    acknowledgeScopedWildcards(this);
  }
}

/** Thrown at synth when ai-ops would subscribe to its own output and feed on its own errors. */
export class OwnLogGroupSubscribedError extends AiOpsConfigError {
  constructor(names: string[]) {
    super(
      names.map(
        (name) =>
          `logGroups.${name}: is one of ai-ops's own log groups; subscribing it would turn every ai-ops error into a new incident. Remove it from "logGroups".`,
      ),
    );
    this.name = 'OwnLogGroupSubscribedError';
  }
}

function assertNoOwnLogGroupSubscribed(configured: string[], own: readonly string[]): void {
  const clashes = configured.filter((name) => own.includes(name));
  if (clashes.length > 0) throw new OwnLogGroupSubscribedError(clashes);
}

/** Lambda caps all environment variables of a function at 4 KB together. */
const MAX_REPOSITORIES_ENV_BYTES = 3_000;

function assertRoutingFitsEnvironment(routingJson: string): void {
  const bytes = Buffer.byteLength(routingJson, 'utf8');
  if (bytes > MAX_REPOSITORIES_ENV_BYTES) {
    throw new AiOpsConfigError([
      `logGroups: the log group → repository map is ${bytes} bytes, over the ${MAX_REPOSITORIES_ENV_BYTES} bytes that fit in the detector's environment (Lambda allows 4 KB in all). Map fewer log groups explicitly and rely on defaultRepository, or deploy a second AutoRepair with another instanceName.`,
    ]);
  }
}

/** Grants the given table actions and sets INCIDENTS_TABLE_NAME together, so they cannot drift apart. */
function bindTable({
  fn,
  table,
  actions,
}: {
  fn: lambda.Function;
  table: dynamodb.ITable;
  actions: string[];
}) {
  table.grant(fn, ...actions);
  fn.addEnvironment('INCIDENTS_TABLE_NAME', table.tableName);
}

/** Grants sqs:SendMessage and sets REPAIR_QUEUE_URL together. */
function bindQueueSender({ fn, queue }: { fn: lambda.Function; queue: sqs.IQueue }) {
  queue.grantSendMessages(fn);
  fn.addEnvironment('REPAIR_QUEUE_URL', queue.queueUrl);
}

/** Grants read on one secret and passes only its ARN: the value is fetched at run time, never stored. */
function bindSecret({
  fn,
  envName,
  secret,
}: {
  fn: lambda.Function;
  envName: string;
  secret: secretsmanager.ISecret;
}) {
  secret.grantRead(fn);
  fn.addEnvironment(envName, secret.secretArn);
}

/**
 * cdk-nag flags every `*` in a resource. The remaining ones here are already scoped to one named
 * resource: CloudWatch Logs needs `log-group:<name>:*` to reach the group's streams.
 */
function acknowledgeScopedWildcards(autoRepair: AutoRepair): void {
  for (const name of Object.keys(autoRepair.config.logGroups)) {
    Validations.of(autoRepair.detector.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${name}:*]`,
      reason: `GetLogEvents/FilterLogEvents need the streams of the watched log group ${name}; scoped to that group only.`,
    });
  }
}
