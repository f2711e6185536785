import { z } from 'zod';
import { ModelPricesSchema, unpricedModelIssue } from '../functions/core/repair/fix-advisor/model-cost.ts';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Subscription filter patterns are case-sensitive, so every common spelling is listed: Python's
 * `Traceback`/`CRITICAL`, Go's `panic`, Java's `Exception`, Node's `Error`, log levels in capitals,
 * the Lambda platform's own words for an invocation it stopped at its timeout (`timeout` is the
 * only term in the JSON log format's `"status":"timeout"` report), the label of echo's
 * recovered panic (`[PANIC RECOVER] runtime error: …`: no other term is in its line), the
 * level Elixir's Logger writes in lower case (`12:00:00.123 [error] payment failed: …`), the
 * Erlang VM's last line when it runs out of memory (`eheap_alloc: Cannot allocate … bytes`), and
 * the Go runtime's unrecoverable errors (`fatal error: concurrent map writes`, `… stack overflow`,
 * `… out of memory`, a deadlock: no other term is in their header or, often, their frames), and
 * Node's crash on a promise rejected with no Error (`UnhandledPromiseRejection: … "a string"`),
 * and logfmt's lower-case level (logrus' text format: `level=error msg="charge failed" …`), and
 * Deno's report of an uncaught error that names no `Error` (`error: Uncaught (in promise) "…"`),
 * and Bun's and Node's last line when an uncaught error ends the process (`Bun v1.4.5 (Linux x64)`,
 * `Node.js v24.22.3`: Bun prints a plain Error as `error: …`, and an error class need not end in
 * `Error`, `PaymentDeclined: …`, so no other term holds them; the detector reads the lines before it),
 * and Deno's reports of a module it could not load, which stop the program's start (`error: Module
 * not found "file:///app/x.ts".`, `error: Import "zod" not a dependency`), and the place Ruby names
 * in every line of a backtrace (`x.rb:3:in 'read': … (Errno::ENOENT)`): an uncaught exception
 * whose class holds no `Error` (`Errno::ECONNREFUSED`, `ActiveRecord::RecordNotFound`, a class of
 * the app's own) holds no other term.
 */
export const DEFAULT_FILTER_PATTERN =
  '?ERROR ?Error ?Exception ?Traceback ?panic ?FATAL ?Fatal ?CRITICAL ?errorType ?"Task timed out" ?timeout ?"No public method named" ?"syntax error" ?"PANIC RECOVER" ?"[error]" ?"Cannot allocate" ?"fatal error" ?UnhandledPromiseRejection ?"level=error" ?Uncaught ?"Bun v" ?"Node.js v" ?"Module not found" ?"not a dependency" ?":in " ?"Execution error" ?"Syntax error" ?"Unexpected error" ?SEVERE';

export const DEFAULT_MODEL_ID = 'claude-sonnet-4-6';

const REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

const repositorySchema = z
  .string()
  .regex(REPOSITORY_PATTERN, 'must be "owner/name", e.g. "my-org/my-app"')
  .refine((value) => !value.endsWith('/.') && !value.endsWith('/..'), 'must be "owner/name"');

const branchSchema = z
  .string()
  .min(1)
  .regex(/^[^\s~^:?*[\\]+$/, 'must be a valid git branch name');

const pathPrefixSchema = z
  .string()
  .regex(
    /^(?!\/)(?!.*\.\.)[^\\]*$/,
    'must be a relative path inside the repository (no leading "/", no "..")',
  );

const repositoryTargetSchema = z.strictObject({
  /** "owner/name" on GitHub */
  repository: repositorySchema,
  baseBranch: branchSchema.default('main'),
  /** where the application lives inside a monorepo; "" for the repository root */
  pathPrefix: pathPrefixSchema.default(''),
});

/** A CloudWatch Logs filter pattern: at most 1,024 characters. */
const filterPatternSchema = z.string().min(1).max(1024);

const logGroupTargetSchema = z.strictObject({
  /** absent: the log group's errors go to `defaultRepository` */
  repository: repositorySchema.optional(),
  baseBranch: branchSchema.optional(),
  pathPrefix: pathPrefixSchema.optional(),
  /**
   * This log group's own filter pattern instead of `filterPattern` (a service that logs JSON
   * with lower-case levels, a stream where a default term is noise).
   */
  filterPattern: filterPatternSchema.optional(),
});

/** CloudWatch Logs log group names: 1-512 of [.-_/#A-Za-z0-9]. */
const logGroupNameSchema = z
  .string()
  .regex(/^[.\-_/#A-Za-z0-9]{1,512}$/, 'is not a valid CloudWatch Logs log group name');

const emailSchema = z.email();

export const aiOpsConfigSchema = z
  .strictObject({
    /** Distinguishes two installations in one account; names ai-ops's own log groups. */
    instanceName: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and "-" (at most 40)')
      .default('ai-ops'),
    defaultRepository: repositoryTargetSchema.nullable().default(null),
    logGroups: z
      .record(logGroupNameSchema, logGroupTargetSchema)
      .refine((groups) => Object.keys(groups).length > 0, 'configure at least one log group to watch'),
    filterPattern: filterPatternSchema.default(DEFAULT_FILTER_PATTERN),
    senderEmail: emailSchema,
    /** The SES identity the sender belongs to; defaults to the sender address's domain. */
    senderIdentity: z.string().min(1).optional(),
    reviewerEmails: z.array(emailSchema).min(1, 'list at least one reviewer address'),
    modelId: z.string().min(1).default(DEFAULT_MODEL_ID),
    /** USD per million tokens for a `modelId` ai-ops has no prices for: `{ "input": 3, "output": 15 }` */
    modelPrices: z.optional(ModelPricesSchema),
    githubApiUrl: z.url({ protocol: /^https$/ }).default('https://api.github.com'),
    /** `token`: a personal or fine-grained token; `app`: a GitHub App's short-lived installation tokens */
    githubAuth: z.enum(['token', 'app']).default('token'),
    githubTokenSecretName: z.string().min(1).default('ai-ops/github-token'),
    /** with `githubAuth: "app"`: a JSON secret `{"appId": "…", "privateKey": "…"}` */
    githubAppSecretName: z.string().min(1).default('ai-ops/github-app'),
    anthropicApiKeySecretName: z.string().min(1).default('ai-ops/anthropic-api-key'),
    /** The secret GitHub signs webhook deliveries with. */
    githubWebhookSecretName: z.string().min(1).default('ai-ops/github-webhook-secret'),
    /** The key the emailed incident-page links are signed with. */
    linkSigningSecretName: z.string().min(1).default('ai-ops/link-signing-key'),
    /**
     * How often the analyzer sweeps: merged fixes quiet for a day are resolved, and drafts no CI
     * reported on get the no-CI treatment. EventBridge schedules run at most once a minute.
     */
    sweepIntervalMinutes: z.int().min(1).max(1440).default(60),
    /**
     * A draft fix on which no CI check reported: `leave_draft` explains why it stays a draft,
     * `mark_ready` marks it ready for review anyway (saying nothing verified it).
     */
    noCiPolicy: z.enum(['leave_draft', 'mark_ready']).default('leave_draft'),
    /** Minutes after its PR opened that a draft without any CI check gets the no-CI policy (one week at most). */
    noCiAfterMinutes: z.int().min(1).max(10_080).default(30),
    /**
     * Repair attempts of one incident: a failed one is retried after a backoff (5, 20, 80 minutes …)
     * until it has had this many, then left to a person (the incident page's Try again).
     */
    maxRepairAttempts: z.int().min(1).max(20).default(3),
    /** Kill switch: false keeps detecting and recording incidents but opens no pull requests. */
    repairsEnabled: z.boolean().default(true),
    analyzerReservedConcurrency: z.int().min(1).max(100).default(2),
    /** SQS event sources accept 2..1000. */
    analyzerMaxConcurrency: z.int().min(2).max(1000).default(2),
    dailyRepairCapPerRepository: z.int().min(0).default(10),
    maxUsdPerJob: z.number().positive().default(2),
    incidentTtlDays: z.int().min(1).max(3650).default(90),
    logRetentionDays: z
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** Keep the incidents table (and its history) when the stack is deleted. */
    retainIncidentsTable: z.boolean().default(true),
    /** Optional SNS topic that the dead-letter-queue alarm notifies. */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'must be an SNS topic ARN')
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.defaultRepository === null) {
      for (const [logGroupName, target] of Object.entries(config.logGroups)) {
        if (target.repository === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['logGroups', logGroupName, 'repository'],
            message: `log group "${logGroupName}" has no repository and there is no defaultRepository`,
          });
        }
      }
    }
    const unpriced = unpricedModelIssue(config.modelId, config.modelPrices);
    if (unpriced) ctx.addIssue({ code: 'custom', path: ['modelPrices'], message: unpriced });
    if (config.analyzerMaxConcurrency > config.analyzerReservedConcurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['analyzerMaxConcurrency'],
        message: `must not exceed analyzerReservedConcurrency (${config.analyzerReservedConcurrency}), or SQS keeps invoking a throttled analyzer`,
      });
    }
  });

export type AiOpsConfigInput = z.input<typeof aiOpsConfigSchema>;
export type AiOpsConfig = z.output<typeof aiOpsConfigSchema>;

export interface ResolvedRepository {
  owner: string;
  name: string;
  baseBranch: string;
  pathPrefix: string;
}

/** The detector's REPOSITORIES env var: every watched log group already resolved to its repository. */
export interface RepositoryRouting {
  default: ResolvedRepository | null;
  logGroups: Record<string, ResolvedRepository>;
}

export class AiOpsConfigError extends Error {
  readonly code = 'AI_OPS_CONFIG_INVALID';
  readonly problems: string[];

  constructor(problems: string[], options?: { cause?: unknown }) {
    super(
      `ai-ops configuration is invalid (context key "ai-ops" in cdk.json, or AutoRepair props):\n${problems
        .map((problem) => `  - ${problem}`)
        .join('\n')}`,
      options,
    );
    this.name = 'AiOpsConfigError';
    this.problems = problems;
  }
}

/** Validates raw configuration (cdk.json context or props); throws AiOpsConfigError listing every problem. */
export function parseAiOpsConfig(raw: unknown): AiOpsConfig {
  const result = aiOpsConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      return `${where}: ${issue.message}`;
    });
    throw new AiOpsConfigError(problems, { cause: result.error });
  }
  return result.data;
}

function toResolvedRepository(target: { repository: string; baseBranch: string; pathPrefix: string }) {
  const [owner = '', name = ''] = target.repository.split('/');
  return { owner, name, baseBranch: target.baseBranch, pathPrefix: target.pathPrefix };
}

/** Resolves each watched log group to its repository, falling back to the default repository. */
export function resolveRepositoryRouting(config: AiOpsConfig): RepositoryRouting {
  const fallback = config.defaultRepository ? toResolvedRepository(config.defaultRepository) : null;
  const logGroups: Record<string, ResolvedRepository> = {};
  for (const [logGroupName, target] of Object.entries(config.logGroups)) {
    const isDefault =
      target.repository === undefined || target.repository === config.defaultRepository?.repository;
    // Another repository does not inherit the default's branch or monorepo prefix.
    const base = isDefault
      ? fallback
      : toResolvedRepository({ repository: target.repository ?? '', baseBranch: 'main', pathPrefix: '' });
    if (base === null) {
      throw new AiOpsConfigError([`logGroups.${logGroupName}.repository: missing and no defaultRepository`]);
    }
    logGroups[logGroupName] = {
      ...base,
      baseBranch: target.baseBranch ?? base.baseBranch,
      pathPrefix: target.pathPrefix ?? base.pathPrefix,
    };
  }
  return { default: fallback, logGroups };
}
