import { access, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../commands/cli-io.ts';
import { loadCliConfig } from '../commands/load-cli-config.ts';
import { CONFIG_HELP, describeConfig } from '../commands/local-config.ts';
import type { GetSesVerification, VerifySmtp } from './check-mail-delivery.ts';
import type { DoctorCheck, DoctorFs } from './doctor-check.ts';
import { runDoctorChecks } from './doctor-checks.ts';

const HELP = `ai-ops doctor — check the settings and every system ai-ops talks to

Usage:
  ai-ops doctor [options]

Checks, and says how to fix what does not work:
  configuration   every setting valid; what repairs still need
  log files       LOG_FILE_PATH exists and is readable, or its glob matches files
  state file      its folder is writable; the SQLite file opens
  GitHub          the token works, its scopes (classic tokens), write access to GITHUB_REPO,
                  the base branch exists
  Anthropic       the key works and AI_OPS_MODEL exists (the free Models API; no generation)
  mail            outbox folder writable, SMTP login accepted, or the SES sender verified
Nothing is created, sent or pushed. Each network check gives up after --timeout-ms.

Options:
  --json             one JSON object {ok, checks: [{status, area, message, fix?}], summary}
  --state <file>     state file to check (default AI_OPS_STATE or .ai-ops/state.db)
  --config <file>    settings file (default ./ai-ops.config.json when it exists)
  --timeout-ms <ms>  per network check (default 5000)
  -h, --help         this text

${CONFIG_HELP}
Exit status: 0 everything repairs need works (warnings allowed), 1 something is broken or
missing, 2 bad usage or invalid settings.
`;

export interface DoctorDeps {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  fs?: DoctorFs;
  /** for the GitHub and Anthropic checks */
  fetch?: typeof globalThis.fetch;
  verifySmtp?: VerifySmtp;
  getSesVerification?: GetSesVerification;
  /** ✓/✗ marks; plain ok/FAIL words otherwise (default: whether stdout is a terminal) */
  isTty?: boolean;
}

interface Values {
  json?: boolean;
  state?: string;
  config?: string;
  'timeout-ms'?: string;
  help?: boolean;
}

const nodeFs: DoctorFs = { stat, access, readdir: (path) => readdir(path) };

/** `ai-ops doctor`: checks each setting and external system; resolves to the exit code. */
export async function runDoctor(argv: readonly string[], io: CliIo, deps: DoctorDeps = {}): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        json: { type: 'boolean' },
        state: { type: 'string' },
        config: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error: unknown) {
    io.stderr.write(`ai-ops doctor: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const timeoutMs = values['timeout-ms'] === undefined ? 5000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) {
    io.stderr.write(
      'ai-ops doctor: --timeout-ms must be a whole number of milliseconds between 1 and 120000\n',
    );
    return 2;
  }

  const cwd = deps.cwd ?? process.cwd();
  const config = loadCliConfig({
    command: 'doctor',
    io,
    env: deps.env ?? process.env,
    cwd,
    configFile: values.config,
    onInvalid: (error) => {
      if (values.json) io.stdout.write(`${JSON.stringify({ ok: false, configErrors: error.issues })}\n`);
    },
  });
  if (!config) return 2;

  const checks = await runDoctorChecks({
    config,
    cwd,
    ...(values.state !== undefined ? { statePath: resolve(cwd, values.state) } : {}),
    fs: deps.fs ?? nodeFs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.verifySmtp ? { verifySmtp: deps.verifySmtp } : {}),
    ...(deps.getSesVerification ? { getSesVerification: deps.getSesVerification } : {}),
    timeoutMs,
  });
  const summary = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) summary[check.status] += 1;
  const healthy = summary.fail === 0;

  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ok: healthy, checks, summary })}\n`);
    return healthy ? 0 : 1;
  }
  const isTty = deps.isTty ?? ('isTTY' in io.stdout && io.stdout.isTTY === true);
  const settings = describeConfig(config)
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  io.stdout.write(`ai-ops doctor\n\nsettings\n${settings}\n\n`);
  for (const check of checks) io.stdout.write(`${formatCheck(check, isTty)}\n`);
  io.stdout.write(`\n${verdict(summary)}\n`);
  return healthy ? 0 : 1;
}

/** One line per check: `✓ …`, `✗ … — how to fix`, `! … (warning) — hint`, `- … (skipped)`. */
export function formatCheck(check: DoctorCheck, isTty: boolean): string {
  const marks = isTty
    ? { ok: '✓', fail: '✗', warn: '!', skip: '-' }
    : { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' };
  const text = `${marks[check.status]} ${check.area}: ${check.message}`;
  switch (check.status) {
    case 'ok':
      return text;
    case 'skip':
      return `${text} (skipped)`;
    case 'warn':
      return `${text} (warning)${check.fix ? ` — ${check.fix}` : ''}`;
    case 'fail':
      return `${text} — ${check.fix}`;
  }
}

function verdict(summary: Record<DoctorCheck['status'], number>): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const warnings = summary.warn > 0 ? `, ${plural(summary.warn, 'warning')}` : '';
  return summary.fail === 0
    ? `All set: everything repairs need works${warnings}.`
    : `${plural(summary.fail, 'problem')}${warnings}: fix ${summary.fail === 1 ? 'it' : 'them'} and run "ai-ops doctor" again.`;
}
