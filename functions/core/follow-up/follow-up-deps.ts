import type { CodeHost } from '../ports/code-host.ts';
import type { FixAdvisor } from '../ports/fix-advisor.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { Mailer } from '../ports/mailer.ts';
import type { PullRequests } from '../ports/pull-requests.ts';
import type { SyntaxChecker } from '../ports/syntax-checker.ts';
import type { RepairSettings, Workspaces } from '../repair/repair-incident.ts';

/** What a repository without CI gets once its draft fix is open: an explanation, or `ready`. */
export type NoCiPolicy = 'leave_draft' | 'mark_ready';

/** The phase-3 knobs; every one has a default, so the first-fix settings alone are enough. */
export interface FollowUpSettings extends RepairSettings {
  /** commits of one fix that CI may fail (the first fix included) before a person is asked (default 2) */
  maxCiAttempts?: number;
  /** revision commits per PR, reviewer- and CI-driven together (default 3) */
  maxRevisions?: number;
  /** the label that asks a person to take over (default `needs-human`) */
  needsHumanLabel?: string;
  /** logins whose comments never start a revision besides any `…[bot]` (our own app's login) */
  botLogins?: string[];
  noCiPolicy?: NoCiPolicy;
  /** characters of failing CI logs given to the model in all (default 12,000) */
  maxCiLogChars?: number;
  /** characters of the PR diff given to the model (default 24,000) */
  maxDiffChars?: number;
}

export const FOLLOW_UP_DEFAULTS = Object.freeze({
  maxCiAttempts: 2,
  maxRevisions: 3,
  needsHumanLabel: 'needs-human',
  noCiPolicy: 'leave_draft' as NoCiPolicy,
  maxCiLogChars: 12_000,
  maxDiffChars: 24_000,
});

/**
 * The ports of the follow-up use cases (CI verdicts, review comments, merges): the first fix's
 * `RepairDeps` minus the daily budget (revisions are capped per PR), plus the `CodeHost`.
 */
export interface FollowUpDeps {
  store: IncidentStore;
  advisor: FixAdvisor;
  workspaces: Workspaces;
  pullRequests: PullRequests;
  codeHost: CodeHost;
  mailer: Mailer;
  settings: FollowUpSettings;
  /** refuses a revision that leaves an edited script unparseable (the Node adapter by default) */
  syntax?: SyntaxChecker;
  now?: () => number;
}
