import type {
  ErrorRecord,
  FileEdit,
  FixProposal,
  Incident,
  IncidentAnalysis,
  StackFrame,
} from '../contracts.ts';
import { causeWithInAppFrames } from '../detect/fingerprint.ts';
import { fencedCode, inlineCode, neutralizeMentions, sanitizeMarkdown } from '../text/sanitize-markdown.ts';
import { type LinkScope, repositoryLinkScope, scrubProse } from '../text/scrub-prose.ts';

/** How much one file changed, for the PR body's "Files changed" list. */
export interface FileChangeSummary {
  path: string;
  additions: number;
  deletions: number;
}

export interface OccurrenceCounts {
  count: number;
  /** epoch ms */
  firstSeen: number;
  /** epoch ms */
  lastSeen: number;
}

export interface RenderPullRequestInput {
  /** `repo`, when given, is where the model's links may point (its own pages); otherwise nowhere */
  incident: Pick<Incident, 'incidentKey' | 'fingerprint' | 'count' | 'firstSeen' | 'lastSeen'> &
    Partial<Pick<Incident, 'repo'>>;
  error: ErrorRecord;
  proposal: Pick<FixProposal, 'title' | 'rootCause' | 'explanation' | 'confidence'>;
  changes: FileChangeSummary[];
  model: { name: string; costUsd: number };
  /** the test command's verdict before the PR opened (one-machine runner) */
  verification?: NonNullable<IncidentAnalysis['verification']>;
  /** who follows the draft up; without the webhook no `/ai-ops` comment is read (default `webhook`) */
  followUp?: 'webhook' | 'polling' | 'none';
  /** the host of the repository's pages (a GitHub Enterprise Server's), default github.com */
  webHost?: string;
  /** where the error is when the report names no file and ai-ops found it (IncidentAnalysis.location) */
  location?: string;
  /** where it was raised in the repository's code, when the report marks no frame as its own */
  raisedIn?: IncidentAnalysis['raisedIn'];
}

export interface RenderedPullRequest {
  branch: string;
  commitMessage: string;
  title: string;
  body: string;
}

const BRANCH_SLUG_MAX = 40;
const TITLE_MAX = 120;
const PROSE_MAX = 6000;
const MESSAGE_MAX = 2000;
/** What a `location` is: the report named no file, ai-ops found it. */
export const LOCATION_FOUND = "the report names no file; found in the repository's code";
const OCCURRENCES_MARKER = '<!-- ai-ops:occurrences -->';
const FINGERPRINT_MARKER = /<!-- ai-ops:fingerprint=([0-9a-z]+) -->/;

/** Render the branch, commit message, title and Markdown body of a fix PR. */
export function renderPullRequest({
  incident,
  error,
  proposal,
  changes,
  model,
  verification,
  followUp,
  webHost,
  location,
  raisedIn,
}: RenderPullRequestInput): RenderedPullRequest {
  const title = renderTitle(proposal.title);
  const frame = whereRaised(error, raisedIn);
  return {
    branch: renderBranchName({ error, fingerprint: incident.fingerprint }),
    commitMessage: renderCommitMessage({ title, error, frame, incident, location }),
    title: `fix(ai): ${title}`,
    body: renderBody({
      incident,
      error,
      proposal,
      changes,
      model,
      frame,
      ...(location ? { location } : {}),
      ...(verification ? { verification } : {}),
      ...(followUp ? { followUp } : {}),
      ...(webHost ? { webHost } : {}),
    }),
  };
}

/** `fix/<exception-type>-<function>-<first 8 hex of the fingerprint>`, safe as a git ref. */
export function renderBranchName({
  error,
  fingerprint,
}: {
  error: Pick<ErrorRecord, 'exceptionType' | 'frames'> & Partial<Pick<ErrorRecord, 'causes'>>;
  fingerprint: string;
}): string {
  const frame = whereRaised(error);
  const parts = [lastSegment(error.exceptionType), frame?.function ? lastSegment(frame.function) : ''];
  const slug = truncateSlug(slugify(parts.join(' ')) || 'error', BRANCH_SLUG_MAX);
  return `fix/${slug}-${shortFingerprint(fingerprint)}`;
}

export function shortFingerprint(fingerprint: string): string {
  return (
    fingerprint
      .toLowerCase()
      .replace(/[^0-9a-f]/g, '')
      .slice(0, 8) || 'unknown'
  );
}

/** The hidden marker that lets us find the PR for a fingerprint again. */
export function fingerprintMarker(fingerprint: string): string {
  return `<!-- ai-ops:fingerprint=${fingerprint.toLowerCase().replace(/[^0-9a-z]/g, '')} -->`;
}

/** The fingerprint a PR body was rendered for, if it carries our marker. */
export function readFingerprintMarker(body: string): string | undefined {
  return body.match(FINGERPRINT_MARKER)?.[1];
}

export function renderOccurrencesLine({ count, firstSeen, lastSeen }: OccurrenceCounts): string {
  return `**Occurrences:** ${count.toLocaleString('en-US')} · first seen ${formatTime(firstSeen)} · last seen ${formatTime(lastSeen)} ${OCCURRENCES_MARKER}`;
}

/** Rewrite the occurrences line of a body we rendered (appending one if it is gone). */
export function updateOccurrences(body: string, counts: OccurrenceCounts): string {
  const line = renderOccurrencesLine(counts);
  const lines = body.split('\n');
  const index = lines.findIndex((l) => l.includes(OCCURRENCES_MARKER));
  if (index === -1) return `${body.trimEnd()}\n\n${line}\n`;
  lines[index] = line;
  return lines.join('\n');
}

/** Count added and removed lines of each file's edits (line-level LCS, like a diff stat). */
export function summarizeEdits(edits: FileEdit[]): FileChangeSummary[] {
  const byPath = new Map<string, FileChangeSummary>();
  for (const edit of edits) {
    const summary = byPath.get(edit.path) ?? { path: edit.path, additions: 0, deletions: 0 };
    const before = splitLines(edit.oldText);
    const after = splitLines(edit.newText);
    const common = longestCommonSubsequence(before, after);
    summary.additions += after.length - common;
    summary.deletions += before.length - common;
    byPath.set(edit.path, summary);
  }
  return [...byPath.values()];
}

/** The model's title as one safe line: redacted, mentions neutralised, cut to TITLE_MAX. */
export function renderTitle(title: string): string {
  const flat = neutralizeMentions(scrubProse(title).replace(/\s+/g, ' ').trim()) || 'fix the reported error';
  return flat.length > TITLE_MAX ? `${flat.slice(0, TITLE_MAX - 1).trimEnd()}…` : flat;
}

function renderCommitMessage({
  title,
  error,
  frame,
  incident,
  location,
}: {
  title: string;
  error: ErrorRecord;
  frame: Where | undefined;
  incident: RenderPullRequestInput['incident'];
  location: string | undefined;
}): string {
  const where = location
    ? ` in ${location}`
    : frame
      ? ` in ${frame.function ?? '<unknown>'} (${formatLocation(frame)})`
      : '';
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  return [
    `fix(ai): ${title}`,
    '',
    oneLine(`Proposed by ai-ops for ${error.exceptionType || 'an error'}${where}.`),
    `Incident key ${incident.incidentKey}, fingerprint ${incident.fingerprint}.`,
    '',
    `Fingerprint: ${incident.fingerprint}`,
    `Incident: ${incident.incidentKey}`,
    '',
  ].join('\n');
}

function renderBody({
  incident,
  error,
  proposal,
  changes,
  model,
  frame,
  verification,
  followUp = 'webhook',
  webHost,
  location,
}: RenderPullRequestInput & { frame: Where | undefined }): string {
  const scrubbed = scrubProse(error.message);
  const message = scrubbed.length > MESSAGE_MAX ? `${scrubbed.slice(0, MESSAGE_MAX)}…` : scrubbed;
  const allowedLinks: LinkScope[] = incident.repo
    ? [repositoryLinkScope({ ...incident.repo, host: webHost })]
    : [];
  const files =
    changes.length === 0
      ? ['_No files changed._']
      : changes.map((c) => `- ${inlineCode(c.path)} (+${c.additions} / −${c.deletions})`);
  const prose = (text: string) =>
    sanitizeMarkdown(scrubProse(text), { maxLength: PROSE_MAX, allowedLinks }) || '_(none given)_';
  return [
    fingerprintMarker(incident.fingerprint),
    '> [!NOTE]',
    '> Draft fix proposed automatically by ai-ops from a production error. Review it like any other change; nothing is merged automatically.',
    '',
    '## Error',
    '',
    `- **Type:** ${inlineCode(error.exceptionType || 'unknown')}`,
    `- **Where:** ${location ? `${inlineCode(location)} (${LOCATION_FOUND})` : frame ? `${inlineCode(frame.function ?? '<unknown>')} at ${inlineCode(formatLocation(frame))}` : '_no in-app frame_'}`,
    `- **Language:** ${error.language}`,
    `- **Log group:** ${inlineCode(error.logGroup)}`,
    '',
    fencedCode(message),
    '',
    '## Root cause',
    '',
    prose(proposal.rootCause),
    '',
    '## Explanation',
    '',
    prose(proposal.explanation),
    '',
    '## Confidence',
    '',
    `**${proposal.confidence}**`,
    '',
    '## Files changed',
    '',
    ...files,
    '',
    ...(verification ? renderVerification(verification) : []),
    '## Occurrences',
    '',
    renderOccurrencesLine(incident),
    '',
    '## Model',
    '',
    `${inlineCode(model.name)} · cost ${formatUsd(model.costUsd)}`,
    '',
    '---',
    `<sub>Incident ${inlineCode(incident.incidentKey)} · fingerprint ${inlineCode(incident.fingerprint)}. ${FOLLOW_UP_NOTE[followUp]}</sub>`,
    '',
  ].join('\n');
}

// Only what will really happen: on one machine there is no webhook to hear a comment.
const FOLLOW_UP_NOTE = {
  webhook: 'A collaborator with write access can comment `/ai-ops <instruction>` to ask for a revision.',
  polling:
    'Opened by `ai-ops watch` on one machine: it follows CI and the merge while it runs, but does not read comments.',
  none: 'Opened by `ai-ops watch` without its sweep (`--once`, `--sweep-minutes 0`): nothing follows this draft up; mark it ready for review yourself once CI passes.',
} as const;

function renderVerification(verification: NonNullable<IncidentAnalysis['verification']>): string[] {
  const command = inlineCode(verification.command);
  const summary = {
    passed: verification.revised
      ? `${command} failed on the first fix and passed after one revision, before this PR was opened.`
      : `${command} passed on this fix before this PR was opened.`,
    failed: `${command} still fails${verification.revised ? ' after one revision' : ' (no usable revision was proposed)'}: this fix needs a person.`,
    not_run: `${command} could not be run, so this fix is untested.`,
  }[verification.outcome];
  return [
    '## Tests',
    '',
    summary,
    ...(verification.detail ? ['', fencedCode(tailOf(verification.detail, 3000))] : []),
    '',
  ];
}

function tailOf(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** A frame as the "Where" line shows it: the report's innermost in-app frame, or `raisedIn`. */
export type Where = Pick<StackFrame, 'function' | 'file' | 'line' | 'column'>;

/**
 * Where the error was raised, as the PR and the email say it: in the repository's code as the
 * analysis found it (`raisedIn`, when the report marks no frame as the application's), else the
 * report's innermost in-app frame, else its innermost frame.
 */
export function whereRaised(
  error: Pick<ErrorRecord, 'frames'> & Partial<Pick<ErrorRecord, 'causes'>>,
  raisedIn?: IncidentAnalysis['raisedIn'],
): Where | undefined {
  // the application's frame a pool's rethrown error holds under its cause (CompletionException)
  const own = causeWithInAppFrames({ frames: error.frames, causes: error.causes ?? [] }) ?? error;
  return raisedIn ?? own.frames.findLast((f) => f.inApp) ?? error.frames.at(-1);
}

function formatLocation(frame: Where): string {
  return [frame.file, frame.line, frame.column].filter((p) => p !== undefined).join(':');
}

function lastSegment(name: string): string {
  // `java.lang.IllegalStateException`, `App::Models::User#save`, `main.(*Server).handle`, `<module>`
  const segments = name.split(/\.|::|#|\\|\//).filter((s) => /[\p{L}\p{N}]/u.test(s));
  return segments.at(-1) ?? '';
}

function slugify(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function truncateSlug(slug: string, max: number): string {
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max);
  const lastDash = cut.lastIndexOf('-');
  // Prefer a word boundary unless that throws most of the slug away.
  return (lastDash >= max / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

function formatTime(epochMs: number): string {
  return Number.isFinite(epochMs)
    ? `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`
    : 'unknown';
}

function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
}

function longestCommonSubsequence(a: string[], b: string[]): number {
  // Edits are small windows; a quadratic table is fine, but cap it for pathological input.
  if (a.length * b.length > 4_000_000) return 0;
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const lineA of a) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 0; j < b.length; j++) {
      current[j + 1] =
        lineA === b[j] ? (previous[j] ?? 0) + 1 : Math.max(previous[j + 1] ?? 0, current[j] ?? 0);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
