import * as z from 'zod/mini';
import { type RepoRef, RepoRefSchema } from '../core/contracts.ts';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';

const RepositoriesSchema = z.object({
  default: z._default(z.nullable(RepoRefSchema), null),
  logGroups: z._default(z.record(z.string().check(z.minLength(1)), RepoRefSchema), {}),
});
export type Repositories = z.infer<typeof RepositoriesSchema>;

const EnvSchema = z.object({
  INCIDENTS_TABLE_NAME: z.string().check(z.minLength(1)),
  REPAIR_QUEUE_URL: z.url(),
  REPOSITORIES: z.pipe(
    z.pipe(
      z.string().check(z.minLength(1)),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'is not JSON', input: text });
          return z.NEVER;
        }
      }),
    ),
    RepositoriesSchema,
  ),
  OWN_LOG_GROUPS: z.pipe(
    z._default(z.string(), ''),
    z.transform((text) =>
      text
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name.length > 0),
    ),
  ),
  INCIDENT_TTL_DAYS: z._default(z.pipe(z.coerce.number(), z.int()).check(z.positive()), 90),
  POWERTOOLS_SERVICE_NAME: z.string().check(z.minLength(1)),
  POWERTOOLS_METRICS_NAMESPACE: z.string().check(z.minLength(1)),
});

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

/** Reads and validates the detector's environment once; throws ConfigError listing every problem. */
export function loadDetectorConfig(env: Readonly<Record<string, string | undefined>>): DetectorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(describeEnvIssues(parsed.error.issues, env));
  }
  const e = parsed.data;
  return Object.freeze({
    incidentsTableName: e.INCIDENTS_TABLE_NAME,
    repairQueueUrl: e.REPAIR_QUEUE_URL,
    repositories: e.REPOSITORIES,
    ownLogGroups: Object.freeze([...e.OWN_LOG_GROUPS]),
    incidentTtlDays: e.INCIDENT_TTL_DAYS,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE,
  });
}

/** Routes a log group to its repository: an explicit entry first, then the default, else none. */
export function makeRepositoryResolver(
  repositories: Repositories,
): (logGroup: string) => RepoRef | undefined {
  return (logGroup) => repositories.logGroups[logGroup] ?? repositories.default ?? undefined;
}
