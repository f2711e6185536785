import type { RepoRef } from '../../core/contracts.ts';
import type { OccurrenceResult } from '../../core/ports/incident-store.ts';
import type { ProgressEvent } from '../commands/watch-progress.ts';
import type { WatchedError } from '../follow/error-watcher.ts';

// What the watcher hands each error to, and what it gets back: the seam between following logs
// (commands/watch-command.ts) and the repair pipeline (pipeline/repair-pipeline.ts).

/** The repository incidents are filed under when GITHUB_REPO is not set (detect and record only). */
export const UNCONFIGURED_REPO: RepoRef = {
  owner: 'local',
  name: 'unconfigured',
  baseBranch: 'main',
  pathPrefix: '',
};

export type WorkOutcome =
  | { kind: 'succeeded'; detail?: string }
  | { kind: 'nothing_to_do'; detail?: string }
  | { kind: 'failed'; detail: string };

export interface HandledError {
  incidentKey: string;
  result: OccurrenceResult['kind'];
  /** occurrences of the incident so far */
  totalCount?: number;
  /** work started for this error (a repair); `--once` waits for it, and a `failed` outcome sets exit status 1 */
  work?: Promise<WorkOutcome>;
}

export interface HandleErrorContext {
  report: (progress: ProgressEvent) => void;
  dryRun: boolean;
}

/**
 * What happens to each error found: the repair pipeline plugs in here. It must resolve once the
 * error is recorded (the read offset is committed after it); longer work goes in `work`.
 */
export type HandleError = (error: WatchedError, context: HandleErrorContext) => Promise<HandledError>;
