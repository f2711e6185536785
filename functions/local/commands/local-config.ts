import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { RepoRef } from '../../core/contracts.ts';
import {
  MODEL_PRICES_EXAMPLE,
  type ModelPrices,
  ModelPricesSchema,
  unpricedModelIssue,
} from '../../core/repair/fix-advisor/model-cost.ts';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emailList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
  )
  .pipe(z.array(z.email()).min(1, 'needs at least one address'));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** The settings, by the seed's names and ai-ops' own; values come from the environment or the config file. */
const SettingsSchema = z.object({
  GITHUB_TOKEN: optionalText,
  GITHUB_REPO: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name, e.g. acme/shop')
    .optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  GITHUB_BASE_BRANCH: z.string().min(1).default('main'),
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: z.url().optional(),
  AI_OPS_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  AI_OPS_MODEL_PRICES: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON, e.g. ${MODEL_PRICES_EXAMPLE}` });
        return z.NEVER;
      }
    })
    .pipe(z.optional(ModelPricesSchema)),
  AI_OPS_TEST_COMMAND: optionalText,
  AI_OPS_TEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  LOG_FILE_PATH: optionalText,
  SMTP_HOST: optionalText,
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: optionalText,
  SMTP_PASSWORD: optionalText,
  SMTP_FROM: z.email().optional(),
  SMTP_TO: emailList.optional(),
  AI_OPS_STATE: z.string().min(1).default('.ai-ops/state.db'),
  AI_OPS_OUTBOX: z.string().min(1).default('.ai-ops/outbox'),
  AI_OPS_MAIL: z.enum(['outbox', 'smtp', 'ses']).optional(),
  AI_OPS_DAILY_CAP: z.coerce.number().int().nonnegative().default(10),
  AI_OPS_REPAIRS_ENABLED: flag.default(true),
  AI_OPS_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  AI_OPS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
});

type Settings = z.infer<typeof SettingsSchema>;
const SETTING_NAMES = Object.keys(SettingsSchema.shape) as (keyof Settings)[];
const SECRET_NAMES: ReadonlySet<string> = new Set(['GITHUB_TOKEN', 'ANTHROPIC_API_KEY', 'SMTP_PASSWORD']);

export type MailSettings =
  | { kind: 'outbox'; directory: string; from: string; to: readonly string[] }
  | {
      kind: 'smtp';
      host: string;
      port: number;
      user?: string;
      password?: string;
      from: string;
      to: readonly string[];
    }
  | { kind: 'ses'; from: string; to: readonly string[] };

export type LocalConfig = Readonly<{
  /** files or globs to watch (LOG_FILE_PATH, comma-separated) */
  logFiles: readonly string[];
  githubToken?: string;
  repo?: RepoRef;
  githubApiUrl: string;
  anthropicApiKey?: string;
  anthropicBaseUrl?: string;
  model: string;
  /** prices given for a model the built-in table does not know (AI_OPS_MODEL_PRICES) */
  modelPrices?: ModelPrices;
  /** run on each fix before its PR opens, in a temporary copy of the tree (AI_OPS_TEST_COMMAND) */
  testCommand?: Readonly<{ command: string; timeoutMs: number }>;
  statePath: string;
  mail: MailSettings;
  dailyRepairCap: number;
  repairsEnabled: boolean;
  /** how long a repair's claim holds without renewal (a claim of a killed process is taken over at once) */
  leaseSeconds: number;
  /** repair attempts of one incident before resuming stops (a failed one is retried with backoff) */
  maxAttempts: number;
  /**
   * Repairs need a GitHub token, a repository and an Anthropic key. Without them ai-ops still
   * detects and records incidents (and `--dry-run` works); this lists what is missing.
   */
  missingForRepair: readonly string[];
  /** where each value came from, for `describeConfig` */
  sources: Readonly<Record<string, 'environment' | 'config file' | 'default'>>;
}>;

export type LocalConfigErrorCode = 'invalid_config';

/** The configuration is malformed; `issues` lists every problem at once, by setting name. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
  readonly code: LocalConfigErrorCode = 'invalid_config';
  readonly issues: readonly string[];
  constructor(issues: readonly string[], { cause }: { cause?: unknown } = {}) {
    super(`ai-ops configuration is invalid:\n${issues.map((i) => `  - ${i}`).join('\n')}`, { cause });
    this.issues = issues;
  }
}

export interface LoadLocalConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** `--config <file>`; otherwise `ai-ops.config.json` in `cwd` when it exists */
  configFile?: string;
  readFile?: (path: string) => string;
  fileExists?: (path: string) => boolean;
}

export const CONFIG_FILE_NAME = 'ai-ops.config.json';

/**
 * Reads the settings once from the environment and an optional JSON config file (same names;
 * the environment wins), validates them all, and returns them frozen. Throws LocalConfigError
 * listing every problem.
 */
export function loadLocalConfig({
  env,
  cwd = process.cwd(),
  configFile,
  readFile = (path) => readFileSync(path, 'utf8'),
  fileExists = existsSync,
}: LoadLocalConfigOptions): LocalConfig {
  const issues: string[] = [];
  const fromFile = readConfigFile({ cwd, configFile, readFile, fileExists, issues });
  const raw: Record<string, string | undefined> = {};
  const sources: Record<string, 'environment' | 'config file' | 'default'> = {};
  for (const name of SETTING_NAMES) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = fromEnv;
      sources[name] = 'environment';
    } else if (fromFile[name] !== undefined) {
      raw[name] = fromFile[name];
      sources[name] = 'config file';
    } else sources[name] = 'default';
  }
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '');
      // Never echo a value: it may be a token in the wrong variable. A JSON setting's inner path is named.
      const inner = issue.path
        .slice(1)
        .filter((p) => typeof p === 'string')
        .join('.');
      issues.push(
        `${name}${inner ? `.${inner}` : ''}: ${issue.message} (from the ${sources[name] ?? 'environment'})`,
      );
    }
  }
  issues.push(...mailIssues(raw));
  if (!parsed.success || issues.length > 0) throw new LocalConfigError(issues);
  const s = parsed.data;
  const mail = resolveMail(s, cwd);

  const repo = s.GITHUB_REPO ? toRepo(s.GITHUB_REPO, s.GITHUB_BASE_BRANCH) : undefined;
  const missingForRepair = [
    ...(s.GITHUB_TOKEN ? [] : ['GITHUB_TOKEN']),
    ...(repo ? [] : ['GITHUB_REPO']),
    ...(s.ANTHROPIC_API_KEY ? [] : ['ANTHROPIC_API_KEY']),
    // The per-repair dollar cap cannot be enforced on a guess: no prices, no model calls.
    ...(unpricedModelIssue(s.AI_OPS_MODEL, s.AI_OPS_MODEL_PRICES) ? ['AI_OPS_MODEL_PRICES'] : []),
  ];
  return Object.freeze({
    logFiles: Object.freeze(
      (s.LOG_FILE_PATH ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    ),
    ...(s.GITHUB_TOKEN ? { githubToken: s.GITHUB_TOKEN } : {}),
    ...(repo ? { repo } : {}),
    githubApiUrl: s.GITHUB_API_URL,
    ...(s.ANTHROPIC_API_KEY ? { anthropicApiKey: s.ANTHROPIC_API_KEY } : {}),
    ...(s.ANTHROPIC_BASE_URL ? { anthropicBaseUrl: s.ANTHROPIC_BASE_URL } : {}),
    model: s.AI_OPS_MODEL,
    ...(s.AI_OPS_MODEL_PRICES ? { modelPrices: Object.freeze(s.AI_OPS_MODEL_PRICES) } : {}),
    ...(s.AI_OPS_TEST_COMMAND
      ? {
          testCommand: Object.freeze({
            command: s.AI_OPS_TEST_COMMAND,
            timeoutMs: s.AI_OPS_TEST_TIMEOUT_SECONDS * 1000,
          }),
        }
      : {}),
    statePath: resolve(cwd, s.AI_OPS_STATE),
    mail,
    dailyRepairCap: s.AI_OPS_DAILY_CAP,
    repairsEnabled: s.AI_OPS_REPAIRS_ENABLED,
    leaseSeconds: s.AI_OPS_LEASE_SECONDS,
    maxAttempts: s.AI_OPS_MAX_ATTEMPTS,
    missingForRepair: Object.freeze(missingForRepair),
    sources: Object.freeze(sources),
  });
}

function readConfigFile({
  cwd,
  configFile,
  readFile,
  fileExists,
  issues,
}: {
  cwd: string;
  configFile: string | undefined;
  readFile: (path: string) => string;
  fileExists: (path: string) => boolean;
  issues: string[];
}): Record<string, string> {
  const path = resolve(cwd, configFile ?? CONFIG_FILE_NAME);
  if (configFile === undefined && !fileExists(path)) return {};
  let value: unknown;
  try {
    value = JSON.parse(readFile(path));
  } catch (error: unknown) {
    issues.push(
      `${path}: cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`${path}: must be a JSON object of settings, e.g. {"GITHUB_REPO": "acme/shop"}`);
    return {};
  }
  const out: Record<string, string> = {};
  const known = new Set<string>(SETTING_NAMES);
  for (const [name, v] of Object.entries(value)) {
    if (!known.has(name)) {
      issues.push(`${path}: unknown setting ${name} (known: ${SETTING_NAMES.join(', ')})`);
      continue;
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[name] = v.join(',');
    else issues.push(`${path}: ${name} must be a string, number or boolean`);
  }
  return out;
}

/** Settings that are each valid alone but missing together (SMTP without a host…). */
function mailIssues(raw: Readonly<Record<string, string | undefined>>): string[] {
  const has = (name: string) => (raw[name] ?? '').trim() !== '';
  const kind = raw.AI_OPS_MAIL ?? (has('SMTP_HOST') ? 'smtp' : 'outbox');
  const issues: string[] = [];
  const need = (name: string, why: string) => {
    if (!has(name)) issues.push(`${name} is missing (${why})`);
  };
  if (kind === 'smtp') {
    need('SMTP_HOST', 'AI_OPS_MAIL is smtp');
    need('SMTP_FROM', 'mail is sent by SMTP');
    need('SMTP_TO', 'mail is sent by SMTP');
    if (has('SMTP_USER')) need('SMTP_PASSWORD', 'SMTP_USER is set');
  } else if (kind === 'ses') {
    need('SMTP_FROM', 'the sender address SES mail is sent from');
    need('SMTP_TO', 'the reviewers SES mail is sent to');
  }
  return issues;
}

function resolveMail(s: Settings, cwd: string): MailSettings {
  const kind = s.AI_OPS_MAIL ?? (s.SMTP_HOST ? 'smtp' : 'outbox');
  const from = s.SMTP_FROM ?? 'ai-ops@localhost';
  const to = s.SMTP_TO ?? ['reviewer@localhost'];
  if (kind === 'outbox') return { kind, directory: resolve(cwd, s.AI_OPS_OUTBOX), from, to };
  if (kind === 'ses') return { kind, from, to };
  return {
    kind,
    host: s.SMTP_HOST ?? '',
    port: s.SMTP_PORT ?? 587,
    ...(s.SMTP_USER ? { user: s.SMTP_USER } : {}),
    ...(s.SMTP_PASSWORD ? { password: s.SMTP_PASSWORD } : {}),
    from,
    to,
  };
}

function toRepo(text: string, baseBranch: string): RepoRef {
  const [owner = '', name = ''] = text.split('/');
  return { owner, name, baseBranch, pathPrefix: '' };
}

/** Masks a secret: enough to tell two tokens apart, never enough to use one. */
export function maskSecret(value: string | undefined): string {
  if (!value) return '(not set)';
  return value.length <= 8 ? '****' : `${value.slice(0, 4)}…${'*'.repeat(4)} (${value.length} chars)`;
}

/**
 * The configuration as lines for people and logs, tokens masked. `logFiles`: what this run
 * really follows, when files were passed on the command line instead of LOG_FILE_PATH.
 */
export function describeConfig(
  config: LocalConfig,
  { logFiles = config.logFiles }: { logFiles?: readonly string[] } = {},
): string {
  const mail =
    config.mail.kind === 'outbox'
      ? `outbox folder ${config.mail.directory}`
      : config.mail.kind === 'smtp'
        ? `SMTP ${config.mail.host}:${config.mail.port}${config.mail.user ? ` as ${config.mail.user} (password ${maskSecret(config.mail.password)})` : ''}, from ${config.mail.from} to ${config.mail.to.join(', ')}`
        : `SES from ${config.mail.from} to ${config.mail.to.join(', ')}`;
  const lines = [
    `log files:      ${logFiles.join(', ') || '(none: pass a file or set LOG_FILE_PATH)'}`,
    `repository:     ${config.repo ? `${config.repo.owner}/${config.repo.name} (base ${config.repo.baseBranch})` : '(GITHUB_REPO not set)'}`,
    `GitHub API:     ${config.githubApiUrl}`,
    `GitHub token:   ${maskSecret(config.githubToken)}`,
    `Anthropic key:  ${maskSecret(config.anthropicApiKey)}${config.anthropicBaseUrl ? ` (base URL ${config.anthropicBaseUrl})` : ''}`,
    `model:          ${config.model}${config.modelPrices ? ` (prices from AI_OPS_MODEL_PRICES: $${config.modelPrices.input}/$${config.modelPrices.output} per million input/output tokens)` : ''}`,
    `tests:          ${config.testCommand ? `${config.testCommand.command} (before each PR, at most ${config.testCommand.timeoutMs / 1000} s)` : '(none: set AI_OPS_TEST_COMMAND to test each fix before its PR opens)'}`,
    `state file:     ${config.statePath}`,
    `mail:           ${mail}`,
    `repairs:        ${config.repairsEnabled ? `enabled, at most ${config.dailyRepairCap} a day` : 'disabled (AI_OPS_REPAIRS_ENABLED=false)'}`,
  ];
  if (config.missingForRepair.length > 0)
    lines.push(
      `mode:           detect and record only — set ${config.missingForRepair.join(', ')} to open fix pull requests`,
    );
  return `${lines.join('\n')}\n`;
}

/** Every setting name that holds a secret: never print their values. */
export function isSecretSetting(name: string): boolean {
  return SECRET_NAMES.has(name);
}

/** The settings section of `--help`. */
export const CONFIG_HELP = `Settings (environment, or the same names in ai-ops.config.json / --config <file>; the environment wins):
  LOG_FILE_PATH            file(s) or glob(s) to watch, comma-separated (the seed's name)
  GITHUB_TOKEN             token that may push branches and open pull requests (never printed)
  GITHUB_REPO              owner/name of the application's repository
  GITHUB_API_URL           GitHub Enterprise API, default https://api.github.com
  GITHUB_BASE_BRANCH       default main
  ANTHROPIC_API_KEY        Claude API key (never printed); ANTHROPIC_BASE_URL is the SDK's own
  AI_OPS_MODEL             model id, default claude-sonnet-4-6
  AI_OPS_MODEL_PRICES      USD per million tokens for a model ai-ops has no prices for, JSON:
                           {"input": 3, "output": 15} (cache rates default to 1.25x / 0.1x input)
  AI_OPS_TEST_COMMAND      shell command run on each fix in a temporary copy of the repository
                           before its PR opens, e.g. "pytest -q" or "npm ci && npm test"; red →
                           one revision from its output, still red → the draft is labelled needs-human
  AI_OPS_TEST_TIMEOUT_SECONDS  time limit of one test run, default 600
  AI_OPS_STATE             state file (incidents and read offsets), default .ai-ops/state.db
  AI_OPS_MAIL              outbox | smtp | ses (default outbox, smtp when SMTP_HOST is set)
  AI_OPS_OUTBOX            outbox folder for .eml files, default .ai-ops/outbox
  SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASSWORD SMTP_FROM SMTP_TO   mail settings (SMTP_FROM/SMTP_TO also for SES)
  AI_OPS_DAILY_CAP         repairs per repository and day, default 10
  AI_OPS_REPAIRS_ENABLED   false = detect and record only (kill switch)
  AI_OPS_LEASE_SECONDS     how long a repair's claim holds without renewal, default 900
  AI_OPS_MAX_ATTEMPTS      repair attempts per incident before resuming a failed one stops, default 5
  AWS_REGION, AWS_ENDPOINT_URL_SES, AWS_ENDPOINT_URL_*   read by the AWS SDK itself (AI_OPS_MAIL=ses)
Without GITHUB_TOKEN, GITHUB_REPO or ANTHROPIC_API_KEY ai-ops still detects and records incidents;
--dry-run (nothing pushed, opened or mailed) needs GITHUB_REPO and ANTHROPIC_API_KEY, and a token
only for a private repository.
`;
