import { describe, expect, it } from 'vitest';
import { ConfigError, loadDetectorConfig, makeRepositoryResolver } from '../../functions/detector/config.ts';

const shop = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const billing = { owner: 'acme', name: 'billing', baseBranch: 'trunk', pathPrefix: 'services/billing' };
const ENV = {
  INCIDENTS_TABLE_NAME: 'ai-ops-incidents',
  REPAIR_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ai-ops-repair',
  REPOSITORIES: JSON.stringify({ default: shop, logGroups: { '/aws/lambda/billing': billing } }),
  OWN_LOG_GROUPS: '/aws/lambda/ai-ops-detector, /aws/lambda/ai-ops-analyzer',
  POWERTOOLS_SERVICE_NAME: 'ai-ops-detector',
  POWERTOOLS_METRICS_NAMESPACE: 'AiOps',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadDetectorConfig(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadDetectorConfig', () => {
  it('reads the agreed variables, with defaults, frozen', () => {
    const config = loadDetectorConfig(ENV);
    expect(config).toEqual({
      incidentsTableName: 'ai-ops-incidents',
      repairQueueUrl: ENV.REPAIR_QUEUE_URL,
      repositories: { default: shop, logGroups: { '/aws/lambda/billing': billing } },
      ownLogGroups: ['/aws/lambda/ai-ops-detector', '/aws/lambda/ai-ops-analyzer'],
      incidentTtlDays: 90,
      serviceName: 'ai-ops-detector',
      metricsNamespace: 'AiOps',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes INCIDENT_TTL_DAYS and a null default repository', () => {
    const config = loadDetectorConfig({
      ...ENV,
      INCIDENT_TTL_DAYS: '30',
      REPOSITORIES: JSON.stringify({ default: null, logGroups: {} }),
    });
    expect(config.incidentTtlDays).toBe(30);
    expect(config.repositories.default).toBeNull();
  });

  it('lists every missing variable at once', () => {
    const error = configError({});
    expect(error.code).toBe('invalid_config');
    for (const name of [
      'INCIDENTS_TABLE_NAME',
      'REPAIR_QUEUE_URL',
      'REPOSITORIES',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
    ]) {
      expect(error.issues).toContain(`${name} is missing`);
    }
  });

  it('names malformed values', () => {
    const error = configError({
      ...ENV,
      REPOSITORIES: '{not json',
      INCIDENT_TTL_DAYS: '-1',
      REPAIR_QUEUE_URL: 'queue',
    });
    expect(error.issues.map((i) => i.split(':')[0])).toEqual(
      expect.arrayContaining(['REPOSITORIES', 'INCIDENT_TTL_DAYS', 'REPAIR_QUEUE_URL']),
    );
    expect(error.message).toContain('REPOSITORIES');
  });

  it('rejects a repository without an owner', () => {
    const error = configError({
      ...ENV,
      REPOSITORIES: JSON.stringify({ default: { name: 'shop', baseBranch: 'main' } }),
    });
    expect(error.issues.join('\n')).toMatch(/REPOSITORIES\.default\.owner/);
  });
});

describe('makeRepositoryResolver', () => {
  it('routes an explicit log group first, then the default, else nothing', () => {
    const resolve = makeRepositoryResolver({ default: shop, logGroups: { '/aws/lambda/billing': billing } });
    expect(resolve('/aws/lambda/billing')).toEqual(billing);
    expect(resolve('/aws/lambda/other')).toEqual(shop);
    expect(makeRepositoryResolver({ default: null, logGroups: {} })('/aws/lambda/other')).toBeUndefined();
  });
});
