import * as z from 'zod/mini';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';
import {
  type ModelPrices,
  ModelPricesSchema,
  unpricedModelIssue,
} from '../core/repair/fix-advisor/model-cost.ts';

const flag = z.pipe(
  z.enum(['true', 'false', '1', '0', 'yes', 'no']),
  z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

const EnvSchema = z.object({
  INCIDENTS_TABLE_NAME: z.string().check(z.minLength(1)),
  /** `token`: a personal or fine-grained token; `app`: a GitHub App's installation tokens */
  GITHUB_AUTH: z._default(z.enum(['token', 'app']), 'token'),
  /** required when GITHUB_AUTH=token */
  GITHUB_TOKEN_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  /** required when GITHUB_AUTH=app: a JSON secret {"appId": "…", "privateKey": "…"} */
  GITHUB_APP_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  ANTHROPIC_API_KEY_SECRET_ARN: z.string().check(z.minLength(1)),
  MODEL_ID: z._default(z.string().check(z.minLength(1)), 'claude-sonnet-4-6'),
  /** JSON `{"input": 3, "output": 15}` (USD per million tokens) for a MODEL_ID without known prices */
  MODEL_PRICES: z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((text, ctx) => {
        if (text === undefined || text.trim() === '') return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({
            code: 'custom',
            message: 'must be JSON, e.g. {"input": 3, "output": 15}',
            input: text,
          });
          return z.NEVER;
        }
      }),
    ),
    z.optional(ModelPricesSchema),
  ),
  SENDER_EMAIL: z.email(),
  REVIEWER_EMAILS: z.pipe(
    z.pipe(
      z.string().check(z.minLength(1)),
      z.transform((text) =>
        text
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a !== ''),
      ),
    ),
    z.array(z.email()).check(z.minLength(1)),
  ),
  GITHUB_API_URL: z._default(z.url(), 'https://api.github.com'),
  /** the incident page the email links to (signed links); without it emails carry no page link */
  INCIDENT_PAGE_BASE_URL: z.optional(z.url()),
  LINK_SIGNING_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  DAILY_REPAIR_CAP: z._default(z.pipe(z.coerce.number(), z.int()).check(z.nonnegative()), 10),
  REPAIRS_ENABLED: z._default(flag, true),
  /** how long a repair's claim holds without renewal: the function's timeout */
  REPAIR_LEASE_SECONDS: z._default(
    z.pipe(z.coerce.number(), z.int()).check(z.minimum(1), z.maximum(86_400)),
    900,
  ),
  MAX_USD_PER_JOB: z._default(z.coerce.number().check(z.positive()), 2),
  MAX_TURNS: z._default(z.pipe(z.coerce.number(), z.int()).check(z.positive()), 12),
  EDIT_SCOPE: z._default(z.enum(['trace', 'repository']), 'trace'),
  BOT_NAME: z._default(z.string().check(z.minLength(1)), 'ai-ops[bot]'),
  BOT_EMAIL: z._default(z.email(), 'ai-ops-bot@users.noreply.github.com'),
  POWERTOOLS_SERVICE_NAME: z._default(z.string().check(z.minLength(1)), 'ai-ops-analyzer'),
});

export type AnalyzerConfig = Readonly<{
  incidentsTableName: string;
  /** the token secret when `githubAuth.kind` is `token`; `''` with a GitHub App */
  githubTokenSecretArn: string;
  /** where the GitHub tokens come from (GITHUB_AUTH) */
  githubAuth: GitHubAuthConfig;
  anthropicApiKeySecretArn: string;
  model: string;
  /** configured prices for a model the built-in table does not know */
  modelPrices?: ModelPrices;
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
  const unpriced = parsed.success
    ? unpricedModelIssue(parsed.data.MODEL_ID, parsed.data.MODEL_PRICES)
    : undefined;
  if (!parsed.success || missingAuthSecret.length > 0 || unpriced) {
    throw new AnalyzerConfigError([
      ...describeEnvIssues(parsed.error?.issues ?? [], env),
      ...missingAuthSecret,
      ...(unpriced ? [`MODEL_PRICES: ${unpriced}`] : []),
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
    ...(e.MODEL_PRICES ? { modelPrices: Object.freeze(e.MODEL_PRICES) } : {}),
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
