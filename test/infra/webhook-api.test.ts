import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_TIMEOUT } from '../../infra/auto-repair.ts';
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

const SECRET_ARN = 'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:';

describe('webhook HTTP API', () => {
  const { template } = synthAiOps();
  const webhookEnv = functionEnvironment(template, 'ai-ops-webhook');

  it('is one HTTP API with the webhook and incident-page routes on one Lambda', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey as string,
    );
    expect(routes.sort()).toEqual([
      'GET /incidents/{key}',
      'POST /incidents/{key}/{action}',
      'POST /webhook',
    ]);
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    expect(renderArn(integrations[0]?.Properties.IntegrationUri)).toContain('Webhook');
  });

  it('throttles and access-logs the default stage, without query strings (they hold link signatures)', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const stage = stages[0]?.Properties ?? {};
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    const format = (stage.AccessLogSettings as { Format: string }).Format;
    expect(format).toContain('$context.requestId');
    expect(format).not.toMatch(/querystring|\$context\.path/i);
  });

  it('runs the webhook Lambda within GitHub’s 10 s on ARM64 with its own log group', () => {
    const fn = functionProperties(template, 'ai-ops-webhook');
    expect(fn.Timeout).toBe(WEBHOOK_TIMEOUT.toSeconds());
    expect(WEBHOOK_TIMEOUT.toSeconds()).toBeLessThanOrEqual(10);
    expect(fn.Architectures).toEqual(['arm64']);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/ai-ops/ai-ops/webhook' });
  });

  it('passes the secrets by ARN and the page base URL, never a value', () => {
    expect(Object.keys(webhookEnv).sort()).toEqual(
      [
        'INCIDENTS_TABLE_NAME',
        'INCIDENT_PAGE_BASE_URL',
        'LINK_SIGNING_SECRET_ARN',
        'NODE_OPTIONS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'REPAIR_QUEUE_URL',
        'WEBHOOK_SECRET_ARN',
      ].sort(),
    );
    expect(renderArn(webhookEnv.WEBHOOK_SECRET_ARN)).toBe(`${SECRET_ARN}ai-ops/github-webhook-secret`);
    expect(renderArn(webhookEnv.LINK_SIGNING_SECRET_ARN)).toBe(`${SECRET_ARN}ai-ops/link-signing-key`);
    expect(renderArn(webhookEnv.INCIDENT_PAGE_BASE_URL)).toMatch(
      /^<AutoRepairWebhookApi\w+\.ApiEndpoint>\/$/,
    );
  });

  it('gives the analyzer the page base URL and the link-signing key, so emails can link the page', () => {
    const analyzerEnv = functionEnvironment(template, 'ai-ops-analyzer');
    expect(renderArn(analyzerEnv.INCIDENT_PAGE_BASE_URL)).toBe(renderArn(webhookEnv.INCIDENT_PAGE_BASE_URL));
    expect(renderArn(analyzerEnv.LINK_SIGNING_SECRET_ARN)).toBe(`${SECRET_ARN}ai-ops/link-signing-key`);
  });

  it('takes other secret names from props', () => {
    const { template: renamed } = synthAiOps({
      props: {
        ...makeAutoRepairProps(),
        githubWebhookSecretName: 'acme/hook',
        linkSigningSecretName: 'acme/links',
      },
    });
    const env = functionEnvironment(renamed, 'ai-ops-webhook');
    expect(renderArn(env.WEBHOOK_SECRET_ARN)).toBe(`${SECRET_ARN}acme/hook`);
    expect(renderArn(env.LINK_SIGNING_SECRET_ARN)).toBe(`${SECRET_ARN}acme/links`);
  });

  it('outputs WebhookUrl and IncidentPageBaseUrl', () => {
    const outputs = template.findOutputs('*');
    expect(renderArn(outputs.WebhookUrl?.Value)).toMatch(/^<AutoRepairWebhookApi\w+\.ApiEndpoint>\/webhook$/);
    expect(renderArn(outputs.IncidentPageBaseUrl?.Value)).toMatch(
      /^<AutoRepairWebhookApi\w+\.ApiEndpoint>\/$/,
    );
  });
});

describe('webhook permissions', () => {
  const { template } = synthAiOps();
  const statements = roleStatements(template, 'ai-ops-webhook');
  const actions = statements.flatMap(actionsOf);

  it('reads and writes single items of the incidents table, no Query or Scan', () => {
    const table = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(table.flatMap(actionsOf).sort()).toEqual(
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
    );
    expect(table.flatMap(resourcesOf).every((r) => r.includes('<AutoRepairIncidents'))).toBe(true);
  });

  it('sends to the repair queue and receives nothing', () => {
    expect(actions.filter((a) => a.startsWith('sqs:')).sort()).toEqual(
      ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort(),
    );
  });

  it('reads exactly the webhook secret and the link-signing key: not the GitHub token, not the Anthropic key', () => {
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(resourcesOf).sort()).toEqual([
      `${SECRET_ARN}ai-ops/github-webhook-secret-??????`,
      `${SECRET_ARN}ai-ops/link-signing-key-??????`,
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/github-token|anthropic/);
  });

  it('has no logs, SES or wildcard actions beyond its own log group', () => {
    expect(actions.some((a) => a.startsWith('ses:') || a === '*' || a.endsWith(':*'))).toBe(false);
  });
});

describe('cdk-nag with the API', () => {
  it('reports no unacknowledged finding', () => {
    const { app } = synthAiOps();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.description}`)).toEqual([]);
  });
});
