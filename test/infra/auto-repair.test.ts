import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPAIRS_STOPPED_METRIC } from '../../functions/analyzer/handler.ts';
import { ANALYZER_TIMEOUT, OwnLogGroupSubscribedError } from '../../infra/auto-repair.ts';
import { AiOpsConfigError } from '../../infra/config.ts';
import {
  actionsOf,
  functionEnvironment,
  functionProperties,
  makeAutoRepairProps,
  renderArn,
  resourcesOf,
  roleStatements,
  synthAiOps,
} from './synth-ai-ops.ts';

const OWN_LOG_GROUPS = [
  '/ai-ops/ai-ops/detector',
  '/ai-ops/ai-ops/analyzer',
  '/ai-ops/ai-ops/webhook',
  '/ai-ops/ai-ops/webhook-access',
];

describe('AutoRepair template', () => {
  // Synthesized once: the assertions below only read it.
  const { template } = synthAiOps();

  it('subscribes each configured log group once with the error pattern, never ai-ops own log groups', () => {
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    for (const logGroupName of ['/aws/lambda/shop-api', '/ecs/billing']) {
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: logGroupName,
        FilterPattern:
          '?ERROR ?Error ?Exception ?Traceback ?panic ?FATAL ?Fatal ?CRITICAL ?errorType ?"Task timed out" ?timeout ?"No public method named" ?"syntax error" ?"PANIC RECOVER" ?"[error]" ?"Cannot allocate" ?"fatal error" ?UnhandledPromiseRejection ?"level=error" ?Uncaught ?"Bun v" ?"Node.js v" ?"Module not found" ?"not a dependency" ?":in " ?"Execution error" ?"Syntax error" ?"Unexpected error" ?SEVERE',
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Detector'), 'Arn'] },
      });
    }
    const filters = Object.values(template.findResources('AWS::Logs::SubscriptionFilter'));
    const subscribed = filters.map((filter) => filter.Properties.LogGroupName);
    for (const own of OWN_LOG_GROUPS) expect(subscribed).not.toContain(own);
  });

  it("subscribes a log group with its own filter pattern when it names one, and keeps it out of the detector's routing", () => {
    const pinoPattern = '{ ($.level = 50) || ($.level = 60) }';
    const { template: own } = synthAiOps({
      props: makeAutoRepairProps({
        logGroups: { '/aws/lambda/shop-api': {}, '/ecs/orders': { filterPattern: pinoPattern } },
      }),
    });
    own.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/ecs/orders',
      FilterPattern: pinoPattern,
    });
    own.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/lambda/shop-api',
      FilterPattern: Match.stringLikeRegexp('^\\?ERROR '),
    });
    const routing = JSON.parse(String(functionEnvironment(own, 'ai-ops-detector').REPOSITORIES)) as {
      logGroups: Record<string, Record<string, unknown>>;
    };
    expect(routing.logGroups['/ecs/orders']).toEqual({
      owner: 'acme',
      name: 'shop',
      baseBranch: 'main',
      pathPrefix: '',
    });
  });

  it('tells the detector which log groups are its own, and they exist with those names', () => {
    const env = functionEnvironment(template, 'ai-ops-detector');
    expect(String(env.OWN_LOG_GROUPS).split(',')).toEqual(OWN_LOG_GROUPS);
    for (const own of OWN_LOG_GROUPS)
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: own });
  });

  it('has a repair queue with SSE, a dead-letter queue after 5 receives, and an alarm on DLQ depth', () => {
    // repair queue, its DLQ, and the detector failure queue (test/infra/detector-failures.test.ts)
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetter'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetter'), 'QueueName'] } },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when the kill switch or the daily cap stops repairs, on the metric the analyzer emits', () => {
    const alarm = {
      Namespace: 'AiOps',
      MetricName: REPAIRS_STOPPED_METRIC,
      Dimensions: [{ Name: 'service', Value: 'ai-ops-analyzer' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...alarm, AlarmActions: Match.absent() });
    // the namespace and the dimension the analyzer's EMF line carries (functions/analyzer/handler.ts)
    const env = functionEnvironment(template, 'ai-ops-analyzer');
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(alarm.Namespace);
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('ai-ops-analyzer');

    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:ai-ops-alarms';
    const { template: alarmed } = synthAiOps({ props: makeAutoRepairProps({ alarmTopicArn: topicArn }) });
    alarmed.hasResourceProperties('AWS::CloudWatch::Alarm', { ...alarm, AlarmActions: [topicArn] });
    // dead letters, detector failures, repairs stopped: all three notify the topic
    const actions = Object.values(alarmed.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmActions,
    );
    expect(actions).toEqual([[topicArn], [topicArn], [topicArn]]);
  });

  it('denies non-TLS access to every queue', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('keeps a message invisible for at least 6x the analyzer timeout', () => {
    const analyzerTimeout = functionProperties(template, 'ai-ops-analyzer').Timeout as number;
    expect(analyzerTimeout).toBe(ANALYZER_TIMEOUT.toSeconds());
    const queues = Object.entries(
      template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }),
    )
      .filter(([id]) => !id.includes('DetectorFailureQueue'))
      .map(([, queue]) => queue);
    expect(queues).toHaveLength(1);
    expect(queues[0]?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * analyzerTimeout);
  });

  it('feeds the analyzer one job at a time with partial batch failures and a concurrency cap', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionName: { Ref: Match.stringLikeRegexp('Analyzer') },
    });
    expect(functionProperties(template, 'ai-ops-analyzer').ReservedConcurrentExecutions).toBe(2);
  });

  it('stores incidents on demand with PITR and TTL, keyed by incidentKey', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'incidentKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'incidentKey', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('runs every function on ARM64 and Node 24 with its own log group and retention', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(3);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const fn of functions) {
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(logGroups[logGroupId]?.Properties.RetentionInDays).toBe(30);
    }
  });

  it('leaves --enable-source-maps off where it costs the cold start its goal', () => {
    expect(functionEnvironment(template, 'ai-ops-detector')).not.toHaveProperty('NODE_OPTIONS');
    expect(functionEnvironment(template, 'ai-ops-analyzer')).not.toHaveProperty('NODE_OPTIONS');
  });

  it('sets exactly the environment agreed with the handlers', () => {
    const detectorEnv = functionEnvironment(template, 'ai-ops-detector');
    expect(Object.keys(detectorEnv).sort()).toEqual(
      [
        'INCIDENTS_TABLE_NAME',
        'INCIDENT_TTL_DAYS',
        'OWN_LOG_GROUPS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'REPAIR_QUEUE_URL',
        'REPOSITORIES',
      ].sort(),
    );
    expect(JSON.parse(String((detectorEnv as Record<string, unknown>).REPOSITORIES))).toEqual({
      default: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
      logGroups: {
        '/aws/lambda/shop-api': { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
        '/ecs/billing': {
          owner: 'acme',
          name: 'billing',
          baseBranch: 'develop',
          pathPrefix: 'services/billing',
        },
      },
    });
    const analyzerEnv = functionEnvironment(template, 'ai-ops-analyzer');
    expect(analyzerEnv).toMatchObject({
      MODEL_ID: 'claude-sonnet-4-6',
      SENDER_EMAIL: 'ai-ops@mail.acme.test',
      REVIEWER_EMAILS: 'oncall@acme.test,lead@acme.test',
      GITHUB_API_URL: 'https://api.github.com',
      DAILY_REPAIR_CAP: '10',
      REPAIRS_ENABLED: 'true',
      MAX_USD_PER_JOB: '2',
      POWERTOOLS_METRICS_NAMESPACE: 'AiOps',
    });
    expect(renderArn(analyzerEnv.GITHUB_TOKEN_SECRET_ARN)).toBe(
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/github-token',
    );
    expect(renderArn(analyzerEnv.ANTHROPIC_API_KEY_SECRET_ARN)).toBe(
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/anthropic-api-key',
    );
  });

  it('outputs the queue URL, the DLQ name and the table name', () => {
    template.hasOutput('RepairQueueUrl', {});
    template.hasOutput('DeadLetterQueueName', {});
    template.hasOutput('IncidentsTableName', {});
  });
});

describe('AutoRepair permissions', () => {
  const { template } = synthAiOps();
  const detector = roleStatements(template, 'ai-ops-detector');
  const analyzer = roleStatements(template, 'ai-ops-analyzer');

  it('attaches no managed policies to either role', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('never lets the detector near a secret', () => {
    expect(detector.flatMap(actionsOf).filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets the analyzer read exactly the three named secrets', () => {
    const secretStatements = analyzer.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );
    expect(secretStatements.flatMap(actionsOf)).toContain('secretsmanager:GetSecretValue');
    expect(secretStatements.flatMap(actionsOf).every((action) => !action.includes('*'))).toBe(true);
    expect(secretStatements.flatMap(resourcesOf).sort()).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/anthropic-api-key-??????',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/github-token-??????',
      // to sign the incident-page links it emails
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/link-signing-key-??????',
    ]);
  });

  it('reads logs only from the watched log groups, and only the detector does', () => {
    const logReads = detector.filter((statement) => actionsOf(statement).includes('logs:GetLogEvents'));
    expect(
      logReads
        .flatMap(actionsOf)
        .every((action) => ['logs:GetLogEvents', 'logs:FilterLogEvents'].includes(action)),
    ).toBe(true);
    const groups = new Set(
      logReads.flatMap(resourcesOf).map((arn) => arn.replace(/:\*$/, '').split(':log-group:')[1]),
    );
    expect([...groups].sort()).toEqual(['/aws/lambda/shop-api', '/ecs/billing']);
    expect(analyzer.flatMap(actionsOf)).not.toContain('logs:GetLogEvents');
  });

  it('gives the detector conditional writes on the table and SendMessage on the queue, nothing broader', () => {
    const actions = detector.flatMap(actionsOf);
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions).not.toContain('ses:SendEmail');
  });

  it('lets the analyzer time the retry of a job it received (ChangeMessageVisibility on the repair queue)', () => {
    const timing = analyzer.filter((statement) =>
      actionsOf(statement).includes('sqs:ChangeMessageVisibility'),
    );
    expect(timing.length).toBeGreaterThan(0);
    expect(timing.flatMap(resourcesOf).every((arn) => /RepairQueue/.test(arn))).toBe(true);
  });

  it('lets only the analyzer send mail, and only as the sender identity', () => {
    const mail = analyzer.filter((statement) => actionsOf(statement).includes('ses:SendEmail'));
    expect(mail.flatMap(actionsOf).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    expect(mail.flatMap(resourcesOf)).toEqual([
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/mail.acme.test',
    ]);
  });
});

describe('AutoRepair secrets', () => {
  it('puts no secret value in the template, even when the deployer has them in its environment', () => {
    // Built by concatenation so secret scanners do not flag the test itself.
    const fakeGithubToken = ['ghp', 'FAKEfakeFAKEfake0123456789abcdefABCD'].join('_');
    const fakeAnthropicKey = ['sk', 'ant', 'api03', 'FAKE-not-a-real-key-000000'].join('-');
    const saved = {
      GITHUB_TOKEN: process.env.GITHUB_TOKEN,
      ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY,
    };
    process.env.GITHUB_TOKEN = fakeGithubToken;
    process.env.ANTHROPIC_API_KEY = fakeAnthropicKey;
    try {
      const json = JSON.stringify(synthAiOps().template.toJSON());
      expect(json).not.toContain(fakeGithubToken);
      expect(json).not.toContain(fakeAnthropicKey);
      expect(json).not.toContain('SecretString');
      expect(json).not.toContain('{{resolve:secretsmanager');
      expect(json).not.toContain('AWS::SecretsManager::Secret');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('AutoRepair configuration errors', () => {
  it('refuses to subscribe one of its own log groups', () => {
    const props = makeAutoRepairProps({
      logGroups: { '/aws/lambda/shop-api': {}, '/ai-ops/ai-ops/analyzer': {} },
    });
    expect(() => synthAiOps({ props })).toThrow(OwnLogGroupSubscribedError);
    expect(() => synthAiOps({ props })).toThrow(
      /\/ai-ops\/ai-ops\/analyzer: is one of ai-ops's own log groups/,
    );
  });

  it('refuses the own log groups of a renamed instance too', () => {
    const props = makeAutoRepairProps({ instanceName: 'blue', logGroups: { '/ai-ops/blue/detector': {} } });
    expect(() => synthAiOps({ props })).toThrow(OwnLogGroupSubscribedError);
  });

  it('lists every problem at once: a log group without repository and a bad owner/name', () => {
    const props = makeAutoRepairProps({
      defaultRepository: null,
      logGroups: { '/aws/lambda/orphan': {}, '/aws/lambda/typo': { repository: 'acme-shop' } },
    });
    let caught: unknown;
    try {
      synthAiOps({ props });
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AiOpsConfigError);
    const problems = (caught as AiOpsConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^logGroups\.\/aws\/lambda\/typo\.repository: must be "owner\/name"/),
        expect.stringMatching(/^logGroups\.\/aws\/lambda\/orphan\.repository: .*no defaultRepository/),
      ]),
    );
    expect((caught as AiOpsConfigError).code).toBe('AI_OPS_CONFIG_INVALID');
  });

  it('rejects an event-source concurrency above the reserved concurrency', () => {
    const props = makeAutoRepairProps({ analyzerReservedConcurrency: 2, analyzerMaxConcurrency: 5 });
    expect(() => synthAiOps({ props })).toThrow(
      /analyzerMaxConcurrency: must not exceed analyzerReservedConcurrency/,
    );
  });
});
