import { type RepoRef, RepoRefSchema } from '../core/contracts.ts';
import { EnvConfigError } from '../core/env-config-error.ts';

export interface Repositories {
  default: RepoRef | null;
  logGroups: Record<string, RepoRef>;
}

export interface DetectorConfig {
  readonly incidentsTableName: string;
  readonly repairQueueUrl: string;
  readonly repositories: Repositories;
  readonly ownLogGroups: readonly string[];
  readonly incidentTtlDays: number;
  readonly serviceName: string;
  readonly metricsNamespace: string;
}

/** The detector's environment is incomplete or malformed; `issues` names every variable at fault. */
export class ConfigError extends EnvConfigError {
  override readonly name = 'ConfigError';
  constructor(issues: string[]) {
    super('detector', issues);
  }
}

/**
 * Reads and validates the detector's environment once; throws ConfigError listing every problem.
 * The variables are checked by hand and only the repositories through zod (their schema is built
 * anyway, for the incident contract): with the decode schemas, zod here added ~0.04× of the SDK clients' import to the detector's
 * cold start (test/bench/cold-start.bench.ts). The messages are zod's wording.
 */
export function loadDetectorConfig(env: Readonly<Record<string, string | undefined>>): DetectorConfig {
  const issues: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined) issues.push(`${name} is missing`);
    else if (value.length === 0) issues.push(`${name}: Too small: expected string to have >=1 characters`);
    return value ?? '';
  };
  const incidentsTableName = required('INCIDENTS_TABLE_NAME');
  const repairQueueUrl = required('REPAIR_QUEUE_URL').trim();
  if (repairQueueUrl !== '' && !isUrl(repairQueueUrl)) issues.push('REPAIR_QUEUE_URL: Invalid URL');
  const repositoriesJson = required('REPOSITORIES');
  const repositories =
    repositoriesJson === '' ? emptyRepositories() : parseRepositories(repositoriesJson, issues);
  const incidentTtlDays = parseTtlDays(env.INCIDENT_TTL_DAYS, issues);
  const serviceName = required('POWERTOOLS_SERVICE_NAME');
  const metricsNamespace = required('POWERTOOLS_METRICS_NAMESPACE');
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    incidentsTableName,
    repairQueueUrl,
    repositories,
    ownLogGroups: Object.freeze(
      (env.OWN_LOG_GROUPS ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name.length > 0),
    ),
    incidentTtlDays,
    serviceName,
    metricsNamespace,
  });
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function parseTtlDays(text: string | undefined, issues: string[]): number {
  if (text === undefined) return 90;
  const days = Number(text);
  if (Number.isNaN(days)) issues.push('INCIDENT_TTL_DAYS: Invalid input: expected number, received NaN');
  else if (!Number.isInteger(days)) {
    issues.push('INCIDENT_TTL_DAYS: Invalid input: expected int, received number');
  } else if (days <= 0) issues.push('INCIDENT_TTL_DAYS: Too small: expected number to be >0');
  return days;
}

const emptyRepositories = (): Repositories => ({ default: null, logGroups: {} });

function parseRepositories(json: string, issues: string[]): Repositories {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    issues.push('REPOSITORIES: is not JSON');
    return emptyRepositories();
  }
  if (!isPlainObject(value)) {
    issues.push(`REPOSITORIES: Invalid input: expected object, received ${typeName(value)}`);
    return emptyRepositories();
  }
  const repositories = emptyRepositories();
  if (value.default !== undefined && value.default !== null) {
    repositories.default = parseRepoRef(value.default, 'REPOSITORIES.default', issues);
  }
  const logGroups = value.logGroups;
  if (logGroups === undefined) return repositories;
  if (!isPlainObject(logGroups)) {
    issues.push(`REPOSITORIES.logGroups: Invalid input: expected record, received ${typeName(logGroups)}`);
    return repositories;
  }
  for (const [logGroup, repo] of Object.entries(logGroups)) {
    if (logGroup === '') {
      issues.push('REPOSITORIES.logGroups: a log group name is empty');
      continue;
    }
    const parsed = parseRepoRef(repo, `REPOSITORIES.logGroups.${logGroup}`, issues);
    if (parsed) repositories.logGroups[logGroup] = parsed;
  }
  return repositories;
}

function parseRepoRef(value: unknown, at: string, issues: string[]): RepoRef | null {
  const parsed = RepoRefSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    issues.push(`${[at, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  }
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Routes a log group to its repository: an explicit entry first, then the default, else none. */
export function makeRepositoryResolver(
  repositories: Repositories,
): (logGroup: string) => RepoRef | undefined {
  return (logGroup) => repositories.logGroups[logGroup] ?? repositories.default ?? undefined;
}
