import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  findFunctionId,
  makeAutoRepairProps,
  roleStatements,
  synthAiOps,
} from './synth-ai-ops.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const SERVICES = ['ai-ops-detector', 'ai-ops-analyzer', 'ai-ops-webhook'];

describe('the detector failure queue', () => {
  const { template } = synthAiOps();
  const detectorId = findFunctionId(template, 'ai-ops-detector');
  const queues = template.findResources('AWS::SQS::Queue') as Resources;
  const failureQueueId = Object.keys(queues).find((id) => id.includes('DetectorFailureQueue'));

  it('exists once, with SSE and 14 days of retention', () => {
    expect(failureQueueId).toBeDefined();
    expect(queues[failureQueueId ?? '']?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it("is the detector's async on-failure destination, after 2 retries", () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: detectorId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [failureQueueId, 'Arn'] } },
      },
    });
  });

  it('denies non-TLS access', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy') as Resources);
    const own = policies.filter((policy) =>
      (policy.Properties.Queues as unknown[]).some(
        (queue) => JSON.stringify(queue) === JSON.stringify({ Ref: failureQueueId }),
      ),
    );
    expect(own).toHaveLength(1);
    const document = own[0]?.Properties.PolicyDocument as { Statement: unknown[] } | undefined;
    expect(document?.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('may be sent to by the detector role only', () => {
    const sendersOf = (service: string) =>
      roleStatements(template, service).filter(
        (statement) =>
          actionsOf(statement).includes('sqs:SendMessage') &&
          JSON.stringify(statement.Resource).includes(failureQueueId ?? '?'),
      );
    expect(sendersOf('ai-ops-detector')).toHaveLength(1);
    for (const other of SERVICES.filter((service) => service !== 'ai-ops-detector'))
      expect(sendersOf(other)).toEqual([]);
  });

  it('has an alarm on its depth and a stack output with its name', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [failureQueueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: Match.absent(),
    });
    template.hasOutput('DetectorFailureQueueName', {
      Value: { 'Fn::GetAtt': [failureQueueId, 'QueueName'] },
    });
  });

  it('notifies the alarm topic when one is configured', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:ai-ops-alarms';
    const { template: alarmed } = synthAiOps({ props: makeAutoRepairProps({ alarmTopicArn: topicArn }) });
    const alarms = Object.values(alarmed.findResources('AWS::CloudWatch::Alarm') as Resources);
    const failureAlarm = alarms.find((alarm) =>
      JSON.stringify(alarm.Properties.Dimensions).includes('DetectorFailureQueue'),
    );
    expect(failureAlarm?.Properties.AlarmActions).toEqual([topicArn]);
  });
});
