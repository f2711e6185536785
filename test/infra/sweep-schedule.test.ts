import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseAiOpsConfig } from '../../infra/config.ts';
import {
  actionsOf,
  configProblems,
  findFunctionId,
  makeAutoRepairProps,
  roleStatements,
  synthAiOps,
} from './synth-ai-ops.ts';

describe('the sweep schedule', () => {
  const { template } = synthAiOps();
  const analyzerId = findFunctionId(template, 'ai-ops-analyzer');

  it('invokes the analyzer every hour from one EventBridge rule', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [analyzerId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
  });

  it('lets only that rule invoke the analyzer through EventBridge', () => {
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'events.amazonaws.com' },
      }),
    );
    expect(permissions).toHaveLength(1);
    const rules = Object.keys(template.findResources('AWS::Events::Rule'));
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [analyzerId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [rules[0], 'Arn'] },
    });
  });

  it('takes its interval from sweepIntervalMinutes', () => {
    const { template: often } = synthAiOps({ props: makeAutoRepairProps({ sweepIntervalMinutes: 15 }) });
    often.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  it('gives the analyzer Scan on the incidents table (the sweep lists by status) and no other new action', () => {
    const table = roleStatements(template, 'ai-ops-analyzer').filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(table.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
  });
});

describe('infra config: sweep and webhook secret keys', () => {
  it('defaults the sweep to hourly and the webhook secrets to their documented names', () => {
    const config = parseAiOpsConfig(makeAutoRepairProps());
    expect(config).toMatchObject({
      sweepIntervalMinutes: 60,
      githubWebhookSecretName: 'ai-ops/github-webhook-secret',
      linkSigningSecretName: 'ai-ops/link-signing-key',
    });
  });

  it('rejects an interval EventBridge cannot schedule and an empty secret name, naming both', () => {
    const problems = configProblems(
      makeAutoRepairProps({ sweepIntervalMinutes: 0, linkSigningSecretName: '' }),
    );
    expect(problems).toMatch(/sweepIntervalMinutes/);
    expect(problems).toMatch(/linkSigningSecretName/);
  });
});
