import * as z from 'zod/mini';
import './zod-messages.ts';

/**
 * The versioned contracts between modules (DESIGN.md, Contracts). Every boundary parses
 * with these schemas; core types come from `z.infer`, never hand-written twins.
 */

export const LogEventSchema = z.object({
  id: z.string(),
  /** milliseconds since the epoch */
  timestamp: z.number(),
  message: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
});
export type LogEvent = z.infer<typeof LogEventSchema>;

export const LanguageSchema = z.enum([
  'python',
  'java',
  'javascript',
  'go',
  'ruby',
  'php',
  'dotnet',
  'rust',
  'elixir',
  'unknown',
]);
export type Language = z.infer<typeof LanguageSchema>;

export const StackFrameSchema = z.object({
  file: z.string(),
  line: z.optional(z.int()),
  column: z.optional(z.int()),
  function: z.optional(z.string()),
  module: z.optional(z.string()),
  /** false for third-party and runtime code (site-packages, node_modules, JDK, GOROOT, vendor…) */
  inApp: z.boolean(),
});
export type StackFrame = z.infer<typeof StackFrameSchema>;

export interface ErrorRecord {
  language: Language;
  exceptionType: string;
  message: string;
  /** outermost first, innermost (where it was raised) last */
  frames: StackFrame[];
  /** chained exceptions: Python "direct cause", Java "Caused by", .NET inner, JS [cause] */
  causes: ErrorRecord[];
  /** the assembled, redacted text */
  raw: string;
  logGroup: string;
  logStream: string;
  timestamp: number;
  eventIds: string[];
  /**
   * An invocation Lambda stopped at its timeout leaves no trace: the last lines it logged before
   * (redacted, oldest first), read from its stream, show what it was waiting for. So do an
   * invocation's whose runtime exited with no error logged before it: they say why it exited.
   */
  lastLines?: string[];
}

export const ErrorRecordSchema: z.ZodMiniType<ErrorRecord> = z.lazy(() =>
  z.object({
    language: LanguageSchema,
    exceptionType: z.string(),
    message: z.string(),
    frames: z.array(StackFrameSchema),
    causes: z.array(ErrorRecordSchema),
    raw: z.string(),
    logGroup: z.string(),
    logStream: z.string(),
    timestamp: z.number(),
    eventIds: z.array(z.string()),
    lastLines: z.optional(z.array(z.string())),
  }),
);

export const IncidentStatusSchema = z.enum([
  'new',
  'queued',
  'analyzing',
  'pr_open',
  'no_fix',
  'failed',
  'skipped',
  'resolved_pending',
  'resolved',
  /** the fix PR was closed without merging: a person said no; a later recurrence starts anew */
  'dismissed',
]);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

export const RepoRefSchema = z.object({
  owner: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  baseBranch: z.string().check(z.minLength(1)),
  /** path of the application inside a monorepo, '' for the repository root */
  pathPrefix: z._default(z.string(), ''),
});
export type RepoRef = z.infer<typeof RepoRefSchema>;

/** What the model concluded, kept on the incident so a resumed job needs no second model call. */
export const IncidentAnalysisSchema = z.object({
  title: z.string(),
  rootCause: z.string(),
  explanation: z.string(),
  confidence: z.enum(['low', 'medium', 'high']),
  changes: z.array(z.object({ path: z.string(), additions: z.int(), deletions: z.int() })),
  model: z.string(),
  /** the model's prose besides the proposal (all of it for `no_fix`) */
  notes: z._default(z.string(), ''),
  /**
   * Where the error is, when the report names no file of the application and ai-ops found it
   * (a SyntaxError placed by Node's parser): `lib/pricing.js:2:33`. Shown as the error's "Where".
   */
  location: z.optional(z.string()),
  /**
   * Where the error was raised in the repository's code, when the report marks no frame as the
   * application's and the repository holds some (a service installed with `pip install .` runs from
   * site-packages): the innermost such frame, by its path in the repository. Shown as "Where".
   */
  raisedIn: z.optional(
    z.object({ function: z.optional(z.string()), file: z.string(), line: z.optional(z.int()) }),
  ),
  /** the test command's verdict on the fix before its PR opened (one-machine runner only) */
  verification: z.optional(
    z.object({
      command: z.string(),
      outcome: z.enum(['passed', 'failed', 'not_run']),
      runs: z.int().check(z.nonnegative()),
      revised: z.boolean(),
      detail: z.optional(z.string()),
    }),
  ),
});
export type IncidentAnalysis = z.infer<typeof IncidentAnalysisSchema>;

export const IncidentSchema = z.object({
  /** `${owner}/${name}#${fingerprint}` */
  incidentKey: z.string(),
  repo: RepoRefSchema,
  fingerprint: z.string(),
  status: IncidentStatusSchema,
  count: z.int().check(z.nonnegative()),
  firstSeen: z.number(),
  lastSeen: z.number(),
  sample: ErrorRecordSchema,
  prUrl: z.optional(z.string()),
  prNumber: z.optional(z.int()),
  /** epoch ms the fix PR was recorded as open (the no-CI sweep times its wait from here) */
  prOpenedAt: z.optional(z.number()),
  branch: z.optional(z.string()),
  attempts: z.int().check(z.nonnegative()),
  lastError: z.optional(z.string()),
  costUsd: z.number().check(z.nonnegative()),
  /** epoch seconds, DynamoDB TTL */
  ttl: z.int(),
  analysis: z.optional(IncidentAnalysisSchema),
  /** epoch ms the outcome email was handed to the mailer (at most once per outcome) */
  emailedAt: z.optional(z.number()),
  /** epoch ms before which a `skipped` incident is not queued again (spend caps reset) */
  retryAfter: z.optional(z.number()),
  /** revisions pushed after the first fix (reviewer requests and CI failures), for the caps */
  revisions: z.optional(z.int().check(z.nonnegative())),
  ciFailures: z.optional(z.int().check(z.nonnegative())),
  /** the latest CI verdict on the fix branch's head */
  ci: z.optional(z.object({ headSha: z.string(), conclusion: z.string(), at: z.number() })),
  /** the merge of the fix: the post-merge check watches for the error after `mergedAt` + grace */
  merge: z.optional(z.object({ sha: z.string(), mergedAt: z.number() })),
  /** a person snoozed (until epoch ms) or ignored the fingerprint from the incident page */
  snoozedUntil: z.optional(z.number()),
  ignored: z.optional(z.boolean()),
  /** the error came back after its fix was merged */
  regression: z.optional(z.boolean()),
  /**
   * Who holds the incident and until when (epoch ms): the worker of a claimed job (`analyzing`),
   * or the queue for a job sent but not yet claimed (`queued`). Every side effect is preceded by
   * a write conditioned on this exact lease, so a worker that lost it stops before acting.
   */
  lease: z.optional(z.object({ owner: z.string(), until: z.number() })),
  /**
   * The outbox: an outcome email recorded as owed, with the stable key its Message-ID is derived
   * from. Cleared once the mailer accepted it; resumed by the next delivery or the sweep.
   */
  pendingEmail: z.optional(z.object({ key: z.string(), recordedAt: z.number(), tries: z.int() })),
  /** the closed-unmerged PR of an earlier attempt, linked from the next one */
  dismissedPr: z.optional(z.object({ number: z.int(), url: z.string(), closedAt: z.number() })),
});
export type Incident = z.infer<typeof IncidentSchema>;

export const RepairJobKindSchema = z.enum([
  /** a new incident: propose the first fix */
  'repair',
  /** a trusted reviewer asked for a change on the PR (`/ai-ops …`) */
  'revise',
  /** CI failed on the fix branch's latest commit: revise with the failing logs */
  'ci_failed',
  /** CI passed on the fix branch's latest commit: mark the draft ready for review */
  'ci_passed',
  /** the fix PR was merged: watch for the error's return */
  'merged',
  /** the error keeps occurring while its PR is open: refresh the PR's occurrence count */
  'recurrence',
  /** the fix PR was closed without merging: the incident is dismissed */
  'dismissed',
]);
export type RepairJobKind = z.infer<typeof RepairJobKindSchema>;

export const RepairJobSchema = z.object({
  v: z.literal(1),
  kind: RepairJobKindSchema,
  incidentKey: z.string(),
  error: ErrorRecordSchema,
  repo: RepoRefSchema,
  attempt: z.int().check(z.nonnegative()),
  pr: z.optional(z.object({ number: z.int(), url: z.string(), branch: z.string() })),
  comment: z.optional(z.object({ id: z.int(), body: z.string(), author: z.string() })),
  /** the CI run a `ci_failed` / `ci_passed` job is about */
  ci: z.optional(
    z.object({
      headSha: z.string(),
      conclusion: z.string(),
      /** workflow_run id or check_suite id, for fetching the failing jobs' logs */
      runId: z.optional(z.int()),
      checkSuiteId: z.optional(z.int()),
      url: z.optional(z.string()),
    }),
  ),
  /** the merge a `merged` job is about */
  merge: z.optional(z.object({ sha: z.string(), mergedAt: z.number() })),
  /** when the PR a `dismissed` job is about was closed (epoch ms) */
  closedAt: z.optional(z.number()),
});
export type RepairJob = z.infer<typeof RepairJobSchema>;

export const FileEditSchema = z.object({
  path: z.string().check(z.minLength(1)),
  oldText: z.string(),
  newText: z.string(),
});
export type FileEdit = z.infer<typeof FileEditSchema>;

export const FixProposalSchema = z.object({
  title: z.string().check(z.minLength(1), z.maxLength(200)),
  rootCause: z.string().check(z.minLength(1)),
  explanation: z.string().check(z.minLength(1)),
  confidence: z.enum(['low', 'medium', 'high']),
  edits: z.array(FileEditSchema),
});
export type FixProposal = z.infer<typeof FixProposalSchema>;
