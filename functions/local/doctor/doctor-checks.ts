import { type LocalConfig, maskSecret } from '../commands/local-config.ts';
import { checkAnthropicKey } from './check-anthropic-key.ts';
import { checkGitHubAccess } from './check-github-access.ts';
import { checkLogFiles } from './check-log-files.ts';
import { checkMailDelivery, type GetSesVerification, type VerifySmtp } from './check-mail-delivery.ts';
import { checkStateFile } from './check-state-file.ts';
import { DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck, type DoctorFs } from './doctor-check.ts';

export interface RunDoctorChecksOptions {
  config: LocalConfig;
  cwd: string;
  /** the state file to check (`--state`, else AI_OPS_STATE) */
  statePath?: string;
  fs: DoctorFs;
  fetch?: typeof globalThis.fetch;
  verifySmtp?: VerifySmtp;
  getSesVerification?: GetSesVerification;
  timeoutMs?: number;
}

/**
 * Every check of `ai-ops doctor`, in print order: settings, log files, state file, GitHub,
 * Anthropic, mail. The network checks run side by side; none throws. No secret value appears in
 * the results, even if an error message were to quote one.
 */
export async function runDoctorChecks({
  config,
  cwd,
  statePath = config.statePath,
  fs,
  fetch,
  verifySmtp,
  getSesVerification,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: RunDoctorChecksOptions): Promise<DoctorCheck[]> {
  const groups = await Promise.all([
    checkConfiguration(config),
    checkLogFiles({ patterns: config.logFiles, cwd, fs }),
    checkStateFile({ path: statePath, fs }),
    config.githubToken
      ? checkGitHubAccess({
          token: config.githubToken,
          ...(config.repo ? { repo: config.repo } : {}),
          apiUrl: config.githubApiUrl,
          ...(fetch ? { fetch } : {}),
          timeoutMs,
        }).then((checks) =>
          config.repo
            ? checks
            : [...checks, skipped('GitHub', 'repository access not checked: GITHUB_REPO is not set')],
        )
      : [skipped('GitHub', 'not checked: GITHUB_TOKEN is not set')],
    config.anthropicApiKey
      ? checkAnthropicKey({
          apiKey: config.anthropicApiKey,
          ...(config.anthropicBaseUrl ? { baseUrl: config.anthropicBaseUrl } : {}),
          model: config.model,
          ...(config.modelPrices ? { prices: config.modelPrices } : {}),
          ...(fetch ? { fetch } : {}),
          timeoutMs,
        })
      : [skipped('Anthropic', 'not checked: ANTHROPIC_API_KEY is not set')],
    checkMailDelivery({
      mail: config.mail,
      fs,
      ...(verifySmtp ? { verifySmtp } : {}),
      ...(getSesVerification ? { getSesVerification } : {}),
      timeoutMs,
    }),
  ]);
  const secrets = [
    config.githubToken,
    config.anthropicApiKey,
    config.mail.kind === 'smtp' ? config.mail.password : undefined,
  ];
  return groups.flat().map((check) => hideSecrets(check, secrets));
}

function checkConfiguration(config: LocalConfig): DoctorCheck[] {
  const counts = new Map<string, number>();
  for (const source of Object.values(config.sources))
    if (source !== 'default') counts.set(source, (counts.get(source) ?? 0) + 1);
  const from = [...counts].map(([source, n]) => `${n} from the ${source}`).join(', ');
  const checks: DoctorCheck[] = [
    {
      status: 'ok',
      area: 'configuration',
      message: `settings are valid (${from || 'all defaults'})`,
    },
  ];
  if (config.missingForRepair.length > 0)
    checks.push({
      status: 'fail',
      area: 'configuration',
      message: `repairs need ${config.missingForRepair.join(', ')}; until then ai-ops only detects and records incidents`,
      fix: `set ${config.missingForRepair.join(', ')} in the environment or ai-ops.config.json`,
    });
  if (!config.repairsEnabled)
    checks.push({
      status: 'warn',
      area: 'configuration',
      message: 'repairs are switched off (AI_OPS_REPAIRS_ENABLED=false): incidents are only recorded',
      fix: 'unset AI_OPS_REPAIRS_ENABLED to turn them on',
    });
  else if (config.dailyRepairCap === 0)
    checks.push({
      status: 'warn',
      area: 'configuration',
      message: 'AI_OPS_DAILY_CAP is 0, so no repair will ever start',
      fix: 'set AI_OPS_DAILY_CAP to the repairs allowed per day (default 10)',
    });
  return checks;
}

function skipped(area: DoctorCheck['area'], message: string): DoctorCheck {
  return { status: 'skip', area, message };
}

function hideSecrets(check: DoctorCheck, secrets: ReadonlyArray<string | undefined>): DoctorCheck {
  const hide = (text: string) =>
    secrets.reduce<string>(
      (out, secret) => (secret && secret.length >= 4 ? out.split(secret).join(maskSecret(secret)) : out),
      text,
    );
  const scrubbed = { ...check, message: hide(check.message) };
  if ('fix' in scrubbed && scrubbed.fix !== undefined) scrubbed.fix = hide(scrubbed.fix);
  return scrubbed;
}
