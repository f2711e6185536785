import { parseArgs } from 'node:util';
import type { IncidentStatus } from '../../core/contracts.ts';
import { openStateFile, type StateFile, StateFileError } from '../pipeline/open-state-file.ts';
import type { CliIo } from './cli-io.ts';
import { loadCliConfig } from './load-cli-config.ts';

const HELP = `ai-ops retry — try an incident's repair again

Usage:
  ai-ops retry [--state <file>] [--config <file>] <incident>

<incident> is the key "owner/name#fingerprint" as ai-ops watch prints it (a unique prefix of it
will do). An incident that ended no_fix, failed (attempts spent), skipped or dismissed (its PR
closed unmerged) becomes new again: the next "ai-ops watch" start, or the running watcher's next
sweep, repairs it.

Exit status: 0 marked for a retry, 1 the incident is not in a state to retry, 2 bad usage or no
such incident.
`;

/** Statuses a person may send back for another attempt. */
const RETRYABLE: readonly IncidentStatus[] = ['no_fix', 'failed', 'skipped', 'dismissed'];

/** `ai-ops retry <incident>`: resolves to the exit code. */
export async function runRetry(
  argv: readonly string[],
  io: CliIo,
  deps: { env?: Readonly<Record<string, string | undefined>>; cwd?: string } = {},
): Promise<number> {
  let values: { state?: string; config?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        state: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error: unknown) {
    io.stderr.write(`ai-ops retry: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const [wanted] = positionals;
  if (!wanted || positionals.length > 1) {
    io.stderr.write(`ai-ops retry: name one incident\n\n${HELP}`);
    return 2;
  }
  const cwd = deps.cwd ?? process.cwd();
  const config = loadCliConfig({
    command: 'retry',
    io,
    env: deps.env ?? process.env,
    cwd,
    configFile: values.config,
  });
  if (!config) return 2;
  const path = values.state ?? config.statePath;
  let state: StateFile;
  try {
    state = openStateFile({ path });
  } catch (error: unknown) {
    if (!(error instanceof StateFileError)) throw error;
    io.stderr.write(`ai-ops retry: ${error.message}\n`);
    return 2;
  }
  try {
    const matches = state.store
      .list()
      .filter((i) => i.incidentKey === wanted || i.incidentKey.startsWith(wanted));
    const exact = matches.find((i) => i.incidentKey === wanted);
    const incident = exact ?? (matches.length === 1 ? matches[0] : undefined);
    if (!incident) {
      io.stderr.write(
        matches.length > 1
          ? `ai-ops retry: "${wanted}" matches ${matches.length} incidents; give more of the key\n`
          : `ai-ops retry: no incident "${wanted}" in ${path}\n`,
      );
      return 2;
    }
    if (!RETRYABLE.includes(incident.status)) {
      io.stderr.write(
        `ai-ops retry: ${incident.incidentKey} is ${incident.status}; only ${RETRYABLE.join(', ')} incidents can be retried\n`,
      );
      return 1;
    }
    const moved = await state.store.transition({
      incidentKey: incident.incidentKey,
      from: incident.status,
      to: 'new',
      set: { retryAfter: undefined, lease: undefined, lastError: undefined },
    });
    if (!moved) {
      io.stderr.write(`ai-ops retry: ${incident.incidentKey} changed while this ran; look again\n`);
      return 1;
    }
    io.stdout.write(
      `${incident.incidentKey} (was ${incident.status}) will be repaired again by the next "ai-ops watch" start or sweep\n`,
    );
    return 0;
  } finally {
    state.database.close();
  }
}
