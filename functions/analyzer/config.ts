import { z } from 'zod';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  INCIDENTS_TABLE_NAME: z.string().min(1),
  /** `token`: a personal or fine-grained token; `app`: a GitHub App's installation tokens */
  GITHUB_AUTH: z.enum(['token', 'app']).default('token'),
  /** required when GITHUB_AUTH=token */
  GITHUB_TOKEN_SECRET_ARN: z.string().min(1).optional(),
  /** required when GITHUB_AUTH=app: a JSON secret {"appId": "…", "privateKey": "…"} */
  GITHUB_APP_SECRET_ARN: z.string().min(1).optional(),
  ANTHROPIC_API_KEY_SECRET_ARN: z.string().min(1),
  MODEL_ID: z.string().min(1).default('claude-sonnet-4-6'),
  SENDER_EMAIL: z.email(),
  REVIEWER_EMAILS: z
    .string()
    .min(1)
    .transform((text) =>
      text
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    )
    .pipe(z.array(z.email()).min(1)),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** the incident page the email links to (signed links); without it emails carry no page link */
  INCIDENT_PAGE_BASE_URL: z.url().optional(),
  LINK_SIGNING_SECRET_ARN: z.string().min(1).optional(),
  DAILY_REPAIR_CAP: z.coerce.number().int().nonnegative().default(10),
  REPAIRS_ENABLED: flag.default(true),
  /** how long a repair's claim holds without renewal: the function's timeout */
  REPAIR_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  MAX_USD_PER_JOB: z.coerce.number().positive().default(2),
  MAX_TURNS: z.coerce.number().int().positive().default(12),
  EDIT_SCOPE: z.enum(['trace', 'repository']).default('trace'),
  BOT_NAME: z.string().min(1).default('ai-ops[bot]'),
  BOT_EMAIL: z.email().default('ai-ops-bot@users.noreply.github.com'),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('ai-ops-analyzer'),
});

export type AnalyzerConfig = Readonly<{
  incidentsTableName: string;
  /** the token secret when `githubAuth.kind` is `token`; `''` with a GitHub App */
  githubTokenSecretArn: string;
  /** where the GitHub tokens come from (GITHUB_AUTH) */
  githubAuth: GitHubAuthConfig;
  anthropicApiKeySecretArn: string;
  model: string;
  sender: string;
  reviewers: readonly string[];
  githubApiUrl: string;
  incidentPage?: Readonly<{ baseUrl: string; signingSecretArn: string }>;
  dailyRepairCap: number;
  repairLeaseMs: number;
  repairsEnabled: boolean;
  maxUsdPerJob: number;
  maxTurns: number;
  editScope: 'trace' | 'repository';
  bot: Readonly<{ name: string; email: string }>;
  serviceName: string;
}>;

export type GitHubAuthConfig = Readonly<
  { kind: 'token'; tokenSecretArn: string } | { kind: 'app'; appSecretArn: string }
>;

/** The analyzer's environment is incomplete or malformed; the message names every variable at fault. */
export class AnalyzerConfigError extends EnvConfigError {
  override readonly name = 'AnalyzerConfigError';
  constructor(issues: string[]) {
    super('analyzer', issues);
  }
}

/** Reads and validates the analyzer's environment once; throws AnalyzerConfigError listing every problem. */
export function loadAnalyzerConfig(env: Readonly<Record<string, string | undefined>>): AnalyzerConfig {
  const parsed = EnvSchema.safeParse(env);
  // The secret GITHUB_AUTH needs is checked beside the schema, so it is listed with every other problem.
  const authSecret = env.GITHUB_AUTH === 'app' ? 'GITHUB_APP_SECRET_ARN' : 'GITHUB_TOKEN_SECRET_ARN';
  const missingAuthSecret = env[authSecret]
    ? []
    : [`${authSecret} is missing (GITHUB_AUTH=${env.GITHUB_AUTH ?? 'token'})`];
  if (!parsed.success || missingAuthSecret.length > 0) {
    throw new AnalyzerConfigError([
      ...describeEnvIssues(parsed.error?.issues ?? [], env),
      ...missingAuthSecret,
    ]);
  }
  const e = parsed.data;
  const githubAuth: GitHubAuthConfig =
    e.GITHUB_AUTH === 'app'
      ? { kind: 'app', appSecretArn: e.GITHUB_APP_SECRET_ARN ?? '' }
      : { kind: 'token', tokenSecretArn: e.GITHUB_TOKEN_SECRET_ARN ?? '' };
  return Object.freeze({
    incidentsTableName: e.INCIDENTS_TABLE_NAME,
    githubTokenSecretArn: githubAuth.kind === 'token' ? githubAuth.tokenSecretArn : '',
    githubAuth: Object.freeze(githubAuth),
    anthropicApiKeySecretArn: e.ANTHROPIC_API_KEY_SECRET_ARN,
    model: e.MODEL_ID,
    sender: e.SENDER_EMAIL,
    reviewers: Object.freeze([...e.REVIEWER_EMAILS]),
    githubApiUrl: e.GITHUB_API_URL,
    ...(e.INCIDENT_PAGE_BASE_URL && e.LINK_SIGNING_SECRET_ARN
      ? {
          incidentPage: Object.freeze({
            baseUrl: e.INCIDENT_PAGE_BASE_URL,
            signingSecretArn: e.LINK_SIGNING_SECRET_ARN,
          }),
        }
      : {}),
    dailyRepairCap: e.DAILY_REPAIR_CAP,
    repairLeaseMs: e.REPAIR_LEASE_SECONDS * 1000,
    repairsEnabled: e.REPAIRS_ENABLED,
    maxUsdPerJob: e.MAX_USD_PER_JOB,
    maxTurns: e.MAX_TURNS,
    editScope: e.EDIT_SCOPE,
    bot: Object.freeze({ name: e.BOT_NAME, email: e.BOT_EMAIL }),
    serviceName: e.POWERTOOLS_SERVICE_NAME,
  });
}
