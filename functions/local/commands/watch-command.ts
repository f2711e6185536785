import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SqliteIncidentStore } from '../../adapters/sqlite-incident-store.ts';
import type { RepoRef } from '../../core/contracts.ts';
import type { PollResult } from '../../core/follow-up/poll-pull-requests.ts';
import type { ResumeReason } from '../../core/incident/sweep-incidents.ts';
import { ErrorWatcher, type WatchedError } from '../follow/error-watcher.ts';
import { FileFollowError } from '../follow/file-follower.ts';
import {
  DEFAULT_SWEEP_MINUTES,
  type LocalSweep,
  resumeLocalWork,
  type SweepScheduler,
  type SweepSource,
  startLocalSweep,
} from '../pipeline/local-sweep.ts';
import type { CliIo } from './cli-io.ts';
import { loadCliConfig } from './load-cli-config.ts';
import { CONFIG_HELP, describeConfig, type LocalConfig } from './local-config.ts';

const RESUME_REASONS: Record<ResumeReason, string> = {
  new: 'its repair was never queued, or a retry was asked for',
  queued: 'its repair never started',
  analyzing: 'its repair was interrupted',
  failed: 'its repair failed and has attempts left',
  email: 'its email was not sent yet',
};

import { recordLocalError } from '../follow/record-local-error.ts';
import { type HandleError, UNCONFIGURED_REPO, type WorkOutcome } from '../pipeline/handle-error.ts';
import { openStateFile, type StateFile, StateFileError } from '../pipeline/open-state-file.ts';
import { type ProgressEvent, WatchProgress } from './watch-progress.ts';

const HELP = `ai-ops watch — follow log files, turn their errors into incidents (and fixes)

Usage:
  ai-ops watch [options] [<file or glob>…]      default: LOG_FILE_PATH

Follows the files like "tail -F": only appended lines (unless --from-start), through log rotation
(rename or copy-truncate), and files that appear later. Each error is recorded once per
fingerprint in the state file; where it stopped reading is kept there too, so a restart neither
skips nor repeats lines. Globs may only be in the file name: "/var/log/app/*.log".

Options:
  --from-start       also read what the files hold already
  --once             read what is there (from the saved offsets, else the start), wait for the work
                     it started, print a summary and exit: 1 when a repair failed
  --json             one JSON object per line (detected, progress, notice, summary) for machines
  --dry-run          analyse and show fixes, but push, open and mail nothing
  --state <file>     state file (default AI_OPS_STATE or .ai-ops/state.db)
  --config <file>    settings file (default ./ai-ops.config.json when it exists)
  --quiet-ms <ms>    hold a trace at the end of a file this long for more lines (default 300)
  --sweep-minutes <n>
                     while watching with repairs on, every n minutes resolve merged fixes that
                     stayed quiet, reopen (and repair) regressions, and act on drafts no CI
                     reported on, like the cloud's schedule (default ${DEFAULT_SWEEP_MINUTES}; 0 = off;
                     never with --once or --dry-run)
  -h, --help         this text

${CONFIG_HELP}
Exit status: 0 stopped normally (Ctrl-C), 1 a repair failed (--once) or watching failed, 2 bad
usage, bad settings or an unreadable file.
`;

export interface WatchDeps {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** overrides the default handler (record only); takes precedence over `createHandler` */
  handleError?: HandleError;
  /** builds the handler from the loaded settings and the opened store (the repair pipeline) */
  createHandler?: (context: {
    config: LocalConfig;
    store: SqliteIncidentStore;
    dryRun: boolean;
    /** the pipeline offers its repair runner and follow-up ports to the periodic sweep */
    registerSweep?: (source: SweepSource) => void;
    /** `polling` when the sweep will follow the fix PRs up (CI, merges), `none` with --once or without a sweep */
    followUp?: 'polling' | 'none';
  }) => HandleError;
  /** the sweep's timer (default setInterval) */
  sweepScheduler?: SweepScheduler;
  /** stops watching (default: SIGINT or SIGTERM) */
  signal?: AbortSignal;
  isTty?: boolean;
  now?: () => Date;
  /** called once the watcher is following (tests wait for it) */
  onReady?: (watcher: ErrorWatcher) => void;
}

interface Values {
  'from-start'?: boolean;
  once?: boolean;
  json?: boolean;
  'dry-run'?: boolean;
  state?: string;
  config?: string;
  'quiet-ms'?: string;
  'sweep-minutes'?: string;
  help?: boolean;
}

/** `ai-ops watch`: follows log files and hands each error to the pipeline; resolves to the exit code. */
export async function runWatch(argv: readonly string[], io: CliIo, deps: WatchDeps = {}): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        'from-start': { type: 'boolean' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        state: { type: 'string' },
        config: { type: 'string' },
        'quiet-ms': { type: 'string' },
        'sweep-minutes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error: unknown) {
    io.stderr.write(`ai-ops watch: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const quietMs = values['quiet-ms'] === undefined ? 300 : Number(values['quiet-ms']);
  if (!Number.isFinite(quietMs) || quietMs < 0 || quietMs > 60_000) {
    io.stderr.write('ai-ops watch: --quiet-ms must be a number of milliseconds between 0 and 60000\n');
    return 2;
  }
  const sweepMinutes =
    values['sweep-minutes'] === undefined ? DEFAULT_SWEEP_MINUTES : Number(values['sweep-minutes']);
  if (!Number.isInteger(sweepMinutes) || sweepMinutes < 0 || sweepMinutes > 1440) {
    io.stderr.write('ai-ops watch: --sweep-minutes must be a whole number of minutes between 0 and 1440\n');
    return 2;
  }

  const cwd = deps.cwd ?? process.cwd();
  const config = loadCliConfig({
    command: 'watch',
    io,
    env: deps.env ?? process.env,
    cwd,
    configFile: values.config,
  });
  if (!config) return 2;
  const patterns = positionals.length > 0 ? positionals : [...config.logFiles];
  if (patterns.length === 0) {
    io.stderr.write('ai-ops watch: which file? Pass a file or glob, or set LOG_FILE_PATH.\n\n');
    io.stderr.write(HELP);
    return 2;
  }

  const dryRun = values['dry-run'] === true;
  const progress = new WatchProgress({
    stdout: io.stdout,
    stderr: io.stderr,
    json: values.json === true,
    isTty: deps.isTty ?? ('isTTY' in io.stdout && io.stdout.isTTY === true),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const statePath = values.state !== undefined ? resolve(cwd, values.state) : config.statePath;
  mkdirSync(dirname(statePath), { recursive: true });
  let state: StateFile;
  try {
    state = openStateFile({ path: statePath });
  } catch (error: unknown) {
    if (!(error instanceof StateFileError)) throw error;
    io.stderr.write(`ai-ops watch: ${error.message}\n`);
    return 2;
  }
  const { database, store, offsets } = state;
  try {
    let sweepSource: SweepSource | undefined;
    const handle =
      deps.handleError ??
      deps.createHandler?.({
        config,
        store,
        dryRun,
        followUp: values.once !== true && !dryRun && sweepMinutes > 0 ? 'polling' : 'none',
        registerSweep: (source) => {
          sweepSource = source;
        },
      }) ??
      recordOnly({ store, repo: config.repo ?? UNCONFIGURED_REPO });

    if (!deps.handleError && !deps.createHandler)
      progress.info(
        `repair pipeline not configured: errors are detected and recorded in ${statePath}, no fix is attempted`,
      );
    if (values.json !== true) progress.info(describeConfig(config, { logFiles: patterns }).trimEnd());
    progress.info(
      `${values.once ? 'reading' : 'watching'} ${patterns.join(', ')}${dryRun ? ' (dry run)' : ''}`,
    );

    const tally = { errors: 0, created: 0, existing: 0, duplicate: 0, succeeded: 0, failed: 0 };
    const work: Promise<void>[] = [];
    const report = (event: ProgressEvent) => progress.progress(event);
    const track = (incidentKey: string, started: Promise<WorkOutcome>) =>
      work.push(
        started.then(
          (outcome) => {
            if (outcome.kind === 'succeeded') tally.succeeded += 1;
            if (outcome.kind === 'failed') {
              tally.failed += 1;
              report({ incidentKey, stage: 'failed', detail: outcome.detail });
            }
          },
          (failure: unknown) => {
            tally.failed += 1;
            report({ incidentKey, stage: 'failed', detail: String(failure) });
          },
        ),
      );
    const watcher = new ErrorWatcher({
      patterns,
      cwd,
      offsets,
      quietMs,
      fromStart: values['from-start'] === true || values.once === true,
      onNotice: (notice) => progress.notice(notice),
      onError: async (error) => {
        const handled = await handle(error, { report, dryRun });
        if (handled.work) track(handled.incidentKey, handled.work);
        tally.errors += 1;
        tally[handled.result] += 1;
        if (handled.result !== 'duplicate')
          progress.detected({
            incidentKey: handled.incidentKey,
            summary: summarize(error),
            path: error.path,
            occurrence:
              handled.result === 'created'
                ? 'new incident'
                : `seen ${handled.totalCount ?? 'again'}${handled.totalCount ? ' times' : ''}`,
          });
      },
    });

    let failure: unknown;
    let sweep: LocalSweep | undefined;
    try {
      // Whatever an earlier run left unfinished (killed mid-repair, failed with attempts left,
      // an email owed) is picked up first, with --once too.
      if (sweepSource && !dryRun) {
        const resumed = await resumeLocalWork({
          store,
          source: sweepSource,
          onWork: (job, started) => track(job.incidentKey, started),
          report,
        });
        for (const result of resumed)
          progress.info(
            result.kind === 'resumed'
              ? `resuming ${result.incidentKey} (${RESUME_REASONS[result.from]})`
              : `could not resume ${result.incidentKey}: ${result.kind === 'failed' ? result.message : result.kind}`,
            { resume: result },
          );
      }
      if (values.once) await watcher.runOnce();
      else {
        await watcher.start();
        if (sweepSource && !dryRun && sweepMinutes > 0)
          sweep = startLocalSweep({
            store,
            source: sweepSource,
            intervalMs: sweepMinutes * 60_000,
            onWork: (job, started) => track(job.incidentKey, started),
            onPoll: (results) => {
              for (const result of results)
                if (result.kind !== 'waiting' && result.kind !== 'unchanged')
                  progress.info(`poll: ${describePoll(result)} ${result.incidentKey}`, { poll: result });
            },
            onSummary: ({ results }) => {
              for (const result of results)
                if (result.kind !== 'not_due' && result.kind !== 'waiting')
                  progress.info(`sweep: ${result.kind} ${result.incidentKey}`, { sweep: result });
            },
            onFailure: (error) =>
              progress.info(
                `sweep failed, trying again in ${sweepMinutes} minute(s): ${error instanceof Error ? error.message : String(error)}`,
              ),
            report,
            ...(deps.sweepScheduler ? { scheduler: deps.sweepScheduler } : {}),
          });
        deps.onReady?.(watcher);
        await untilStopped(watcher, deps.signal);
      }
    } catch (error: unknown) {
      failure = error;
    } finally {
      await sweep?.stop();
      await watcher.close();
    }
    await Promise.all(work);
    progress.finish();

    if (failure instanceof FileFollowError) {
      io.stderr.write(`ai-ops watch: ${failure.message}\n`);
      return 2;
    }
    const { lines } = watcher.stats;
    progress.info(
      `read ${lines} line(s); ${tally.errors} error(s): ${tally.created} new incident(s), ${tally.existing} recurrence(s), ${tally.duplicate} already recorded; repairs: ${tally.succeeded} succeeded, ${tally.failed} failed`,
      { summary: { lines, ...tally } },
    );
    if (failure !== undefined) {
      io.stderr.write(
        `ai-ops watch: stopped: ${failure instanceof Error ? failure.message : String(failure)}\n`,
      );
      return 1;
    }
    return tally.failed > 0 ? 1 : 0;
  } finally {
    database.close();
  }
}

/** The default handler until the repair pipeline is wired: record the incident, nothing more. */
function recordOnly({ store, repo }: { store: SqliteIncidentStore; repo: RepoRef }): HandleError {
  return async ({ record }) => {
    const { incidentKey, result } = await recordLocalError({ record, repo, store });
    return { incidentKey, result: result.kind, totalCount: result.incident.count };
  };
}

function describePoll(result: PollResult): string {
  switch (result.kind) {
    case 'verdict':
      return result.outcome.kind === 'ignored'
        ? `checks seen (${result.outcome.reason})`
        : result.outcome.kind;
    case 'merged':
      return result.outcome.kind === 'ignored' ? `merge seen (${result.outcome.reason})` : 'merged';
    case 'failed':
      return `failed (${result.message})`;
    default:
      return result.kind;
  }
}

function summarize({ record }: WatchedError): string {
  const message = record.message.length > 120 ? `${record.message.slice(0, 117)}…` : record.message;
  const where = record.frames.findLast((f) => f.inApp) ?? record.frames[record.frames.length - 1];
  const at = where ? ` at ${where.file}${where.line !== undefined ? `:${where.line}` : ''}` : '';
  return `${record.exceptionType}${message ? `: ${message}` : ''}${at}`;
}

async function untilStopped(watcher: ErrorWatcher, signal: AbortSignal | undefined): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (signal) signal.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    await Promise.race([
      watcher.done,
      new Promise<void>((resolve) => {
        if (stop.signal.aborted || signal?.aborted) resolve();
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    ]);
  } finally {
    signal?.removeEventListener('abort', onSignal);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
