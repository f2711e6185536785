import type { ErrorRecord, FixProposal, IncidentAnalysis } from '../contracts.ts';
import { isRuntimeExit } from '../detect/lambda-platform.ts';
import type { VerificationRecord } from '../ports/fix-verifier.ts';
import type { RepoCoordinates } from '../ports/pull-requests.ts';
import { escapeHtml } from '../text/escape-html.ts';
import { safeHttpUrl } from '../text/safe-url.ts';
import { defangForeignUrls, type LinkScope, linkScopeOfUrl, scrubProse } from '../text/scrub-prose.ts';
import { stripControlCharacters } from '../text/strip-control.ts';
import { LOCATION_FOUND, type OccurrenceCounts, whereRaised } from './render-pull-request.ts';

interface EmailCommon {
  repo: RepoCoordinates;
  error: Pick<ErrorRecord, 'language' | 'exceptionType' | 'message' | 'frames' | 'logGroup' | 'lastLines'> &
    Partial<Pick<ErrorRecord, 'causes'>>;
  occurrences?: OccurrenceCounts;
  /** a page about the incident (dashboard, console link), if the deployment has one */
  incidentUrl?: string;
}

export type RenderEmailInput =
  | (EmailCommon & {
      kind: 'fix';
      analysis: Pick<FixProposal, 'title' | 'rootCause' | 'explanation' | 'confidence'> &
        Pick<IncidentAnalysis, 'location' | 'raisedIn'>;
      /** `draft: true` while CI has not passed yet */
      pr: { number: number; url: string; draft?: boolean };
      /** who follows the draft up (default `webhook`): the email promises only that */
      followUp?: FollowUpMode;
      /** the test command's verdict before the PR opened (one-machine runner) */
      verification?: VerificationRecord;
    })
  | (EmailCommon & {
      kind: 'no_fix';
      analysis: { rootCause?: string; explanation: string } & Pick<IncidentAnalysis, 'raisedIn'>;
      /** why no PR was opened, e.g. "the proposed edit touched a CI workflow" */
      reason: string;
    })
  | (EmailCommon & {
      kind: 'failed';
      /** the error that ended the last attempt */
      reason: string;
      /** attempts made, the last one included */
      attempts: number;
      /** the fix branch, when one was pushed before the attempt failed (no PR opened) */
      branch?: string;
    });

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const PROSE_MAX = 6000;
/** Emails of repairs that failed for good, per repository and UTC day (the repair use case keeps the count). */
export const MAX_FAILED_EMAILS_PER_DAY = 3;
const MESSAGE_MAX = 1500;
const LAST_LINES_MAX = 2500;
const SUBJECT_MAX = 200;
const STYLE = {
  body: 'margin:0;padding:0;background:#ffffff;',
  // Single quotes inside: the value goes into a double-quoted style attribute.
  wrap: "max-width:680px;margin:0 auto;padding:16px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328;",
  h1: 'font-size:20px;margin:0 0 8px;',
  h2: 'font-size:16px;margin:24px 0 8px;border-bottom:1px solid #d1d9e0;padding-bottom:4px;',
  button:
    'display:inline-block;padding:8px 14px;background:#1f883d;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;',
  link: 'color:#0969da;',
  pre: 'white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:8px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;',
  code: 'font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px;',
  label: 'color:#59636e;padding:2px 12px 2px 0;vertical-align:top;white-space:nowrap;',
  footer: 'color:#59636e;font-size:12px;margin-top:24px;',
} as const;

/** Render the notification email (subject, HTML and plain text): a fix PR, a no-fix analysis, or a repair that failed for good. */
export function renderEmail(input: RenderEmailInput): RenderedEmail {
  const type = oneLine(input.error.exceptionType, 80) || 'Error';
  const repo = `${input.repo.owner}/${input.repo.name}`;
  const frame = whereRaised(input.error, input.kind === 'failed' ? undefined : input.analysis.raisedIn);
  const location = input.kind === 'fix' ? input.analysis.location : undefined;
  const where = location
    ? `${location} (${LOCATION_FOUND})`
    : frame
      ? `${frame.function ?? '<unknown>'} at ${[frame.file, frame.line].filter((p) => p !== undefined).join(':')}`
      : undefined;
  // Model prose and log text alike: redacted again, URLs outside the repository defanged (mail
  // clients auto-link bare URLs, and a click would carry `?d=<whatever leaked>` away).
  const scopes: LinkScope[] = [];
  const prScope = input.kind === 'fix' ? linkScopeOfUrl(input.pr.url) : undefined;
  if (prScope) scopes.push(prScope);
  const safe = (text: string) => defangForeignUrls(scrubProse(text), scopes);
  const prose = (text: string) => proseBlock(safe(text));
  const told = truncate(stripControlCharacters(safe(input.error.message)), MESSAGE_MAX);
  // A timed-out invocation's last lines, or an exited runtime's: the newest kept when they are too long.
  const lastLines = input.error.lastLines?.length
    ? tail(stripControlCharacters(safe(input.error.lastLines.join('\n'))), LAST_LINES_MAX)
    : undefined;
  const before = isRuntimeExit(input.error) ? 'it exited' : 'it was stopped';
  const message = lastLines ? `${told}\n\nWhat it logged last before ${before}:\n${lastLines}` : told;
  const facts: Array<[string, string]> = [
    ['Type', type],
    ...(where ? [['Where', oneLine(where, 300)] as [string, string]] : []),
    ['Language', input.error.language],
    ['Log group', oneLine(input.error.logGroup, 300)],
    ...(input.occurrences ? [['Occurrences', formatOccurrences(input.occurrences)] as [string, string]] : []),
  ];
  const incidentUrl = safeUrl(input.incidentUrl);
  const incidentLink: Array<[string, string]> = incidentUrl ? [['Incident', incidentUrl]] : [];
  // Every kind: the same heading and error facts, in HTML and in plain text.
  const heading = `${type} in ${repo}`;
  const finish = (
    status: string,
    parts: Pick<EmailParts, 'intro' | 'links' | 'sections'>,
  ): RenderedEmail => ({
    subject: subject(`${heading}: ${status}`),
    html: renderHtml({ heading, facts, message, ...parts }),
    text: renderText({ heading, facts, message, ...parts }),
  });

  if (input.kind === 'fix') {
    const prUrl = safeUrl(input.pr.url);
    const failing = input.verification?.outcome === 'failed';
    const status = failing
      ? `draft fix PR #${input.pr.number} opened, its tests fail`
      : input.pr.draft
        ? `draft fix PR #${input.pr.number} opened`
        : `fix PR #${input.pr.number} ready for review`;
    const links: Array<[string, string]> = [
      ...(prUrl
        ? [
            [`Review PR #${input.pr.number}`, prUrl] as [string, string],
            ['Files changed', `${prUrl}/files`] as [string, string],
          ]
        : []),
      ...incidentLink,
    ];
    const intro = input.pr.draft
      ? `ai-ops opened a draft pull request that may fix this error. ${DRAFT_NEXT[failing ? 'failing' : (input.followUp ?? 'webhook')]} Nothing is merged automatically.`
      : `ai-ops proposes a fix for this error. Please review the pull request; nothing is merged automatically.`;
    const sections: Array<[string, string]> = [
      ['Proposed fix', oneLine(safe(input.analysis.title), 200)],
      ...(input.verification
        ? [['Tests', safe(describeVerification(input.verification))] as [string, string]]
        : []),
      ['Root cause', prose(input.analysis.rootCause)],
      ['Explanation', prose(input.analysis.explanation)],
      ['Confidence', input.analysis.confidence],
    ];
    return finish(status, { intro, links, sections });
  }

  if (input.kind === 'failed') {
    const tries = input.attempts === 1 ? 'once' : `${input.attempts} times`;
    // Only the way back this deployment has: the cloud's incident page, or the one-machine CLI.
    const back = incidentUrl ? 'Try again on its incident page' : '`ai-ops retry <incident>`';
    // Never "nothing changed" when a fix branch was pushed before the failure (a refused PR).
    const left = input.branch
      ? `its fix branch ${oneLine(input.branch, 120)} was pushed, but no pull request was opened`
      : 'nothing was changed in the repository';
    const intro = `ai-ops tried to repair this error ${tries} and stopped: ${left}. Once what stopped it is fixed, send the incident back for another attempt (${back}).`;
    const sections: Array<[string, string]> = [
      ['What stopped it', prose(input.reason)],
      [
        'Other failures',
        `A cause such as an expired token fails every repair alike: at most ${MAX_FAILED_EMAILS_PER_DAY} of these emails go out per repository and day; later ones are recorded on their incidents without an email.`,
      ],
    ];
    return finish('repair failed, ai-ops stopped trying', {
      intro,
      links: incidentLink,
      sections,
    });
  }

  // Closed before any model call (nothing in the trace points at the repository): the reason is
  // all there is to say, and the email must not claim an analysis nobody made.
  const isAnalysed = input.analysis.explanation !== input.reason;
  const intro = isAnalysed
    ? 'ai-ops analysed this error but did not open a pull request.'
    : 'ai-ops did not attempt a fix for this error: no model was asked and nothing was changed in the repository.';
  const sections: Array<[string, string]> = [
    ['Why no fix was made', prose(input.reason)],
    ...(input.analysis.rootCause
      ? [['Root cause', prose(input.analysis.rootCause)] as [string, string]]
      : []),
    ...(isAnalysed ? [['Analysis', prose(input.analysis.explanation)] as [string, string]] : []),
  ];
  return finish(isAnalysed ? 'analysed, no fix proposed' : 'no fix attempted', {
    intro,
    links: incidentLink,
    sections,
  });
}

// What happens to a draft next, by who follows it up: never promise a step nobody will take.
const DRAFT_NEXT = {
  webhook: 'It becomes ready for review once CI passes.',
  polling:
    'ai-ops watch checks its CI at every sweep while it runs and marks it ready for review once every check passes.',
  none: 'Nothing follows it up automatically: mark it ready for review yourself once CI passes.',
  failing: 'Its tests still fail, so it is labelled needs-human for a person to take over.',
} as const;

function describeVerification(v: VerificationRecord): string {
  switch (v.outcome) {
    case 'passed':
      return v.revised
        ? `${v.command} failed on the first fix and passed after one revision.`
        : `${v.command} passed on this fix before the pull request was opened.`;
    case 'failed':
      return `${v.command} still fails${v.revised ? ' after one revision' : ''}.${v.detail ? `\n\n${v.detail.slice(-1500)}` : ''}`;
    case 'not_run':
      return `${v.command} could not be run (${v.detail ?? 'no detail'}), so the fix is untested.`;
  }
}

interface EmailParts {
  heading: string;
  intro: string;
  links: Array<[label: string, url: string]>;
  facts: Array<[label: string, value: string]>;
  message: string;
  sections: Array<[title: string, body: string]>;
}

function renderHtml({ heading, intro, links, facts, message, sections }: EmailParts): string {
  const [primary, ...secondary] = links;
  const linkHtml = [
    primary
      ? `<a href="${escapeHtml(primary[1])}" style="${STYLE.button}">${escapeHtml(primary[0])}</a>`
      : '',
    ...secondary.map(
      ([label, url]) => `<a href="${escapeHtml(url)}" style="${STYLE.link}">${escapeHtml(label)}</a>`,
    ),
  ]
    .filter((l) => l !== '')
    .join(' &nbsp; ');
  const rows = facts
    .map(
      ([label, value]) =>
        `<tr><td style="${STYLE.label}">${escapeHtml(label)}</td><td><code style="${STYLE.code}">${escapeHtml(value)}</code></td></tr>`,
    )
    .join('');
  const sectionHtml = sections
    .map(([title, body]) => `<h2 style="${STYLE.h2}">${escapeHtml(title)}</h2>${paragraphs(body)}`)
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    `<body style="${STYLE.body}"><div style="${STYLE.wrap}">`,
    `<h1 style="${STYLE.h1}">${escapeHtml(heading)}</h1>`,
    `<p>${escapeHtml(intro)}</p>`,
    linkHtml ? `<p>${linkHtml}</p>` : '',
    `<h2 style="${STYLE.h2}">Error</h2>`,
    `<table role="presentation" style="border-collapse:collapse;">${rows}</table>`,
    `<pre style="${STYLE.pre}">${escapeHtml(message)}</pre>`,
    sectionHtml,
    `<p style="${STYLE.footer}">Sent by ai-ops. The analysis is machine-written from production logs: treat it as a lead, not a verdict.</p>`,
    '</div></body></html>',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function renderText({ heading, intro, links, facts, message, sections }: EmailParts): string {
  const width = Math.max(...facts.map(([label]) => label.length));
  return [
    heading,
    '='.repeat(Math.min(heading.length, 72)),
    '',
    intro,
    '',
    ...links.map(([label, url]) => `${label}: ${url}`),
    ...(links.length > 0 ? [''] : []),
    'Error',
    '-----',
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`),
    '',
    indent(message),
    '',
    ...sections.flatMap(([title, body]) => [title, '-'.repeat(title.length), body, '']),
    '-- ',
    'Sent by ai-ops. The analysis is machine-written from production logs: treat it as a lead, not a verdict.',
    '',
  ].join('\n');
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p style="margin:0 0 8px;">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

function proseBlock(text: string): string {
  return truncate(stripControlCharacters(text).replace(/\r\n?/g, '\n').trim(), PROSE_MAX) || '(none given)';
}

function subject(text: string): string {
  // Header injection: the exception type comes from attacker-controlled log text.
  return oneLine(`[ai-ops] ${text}`, SUBJECT_MAX);
}

function oneLine(text: string, max: number): string {
  return truncate(stripControlCharacters(text).replace(/\s+/g, ' ').trim(), max);
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(text.length - max + 1).trimStart()}` : text;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** An http(s) link without the trailing slash URL normalisation adds to a bare origin. */
function safeUrl(url: string | undefined): string | undefined {
  return safeHttpUrl(url)?.replace(/\/$/, '');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function formatOccurrences({ count, firstSeen, lastSeen }: OccurrenceCounts): string {
  const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${count.toLocaleString('en-US')} (first seen ${time(firstSeen)}, last seen ${time(lastSeen)})`;
}

/** What the repair use case holds when it mails: the incident with its stored analysis. */
export interface IncidentEmailInput {
  incident: {
    repo: RepoCoordinates;
    sample: EmailCommon['error'];
    count: number;
    firstSeen: number;
    lastSeen: number;
    analysis?: {
      title: string;
      rootCause: string;
      explanation: string;
      confidence: FixProposal['confidence'];
      /** the model's prose besides the proposal (all of it for `no_fix`) */
      notes?: string;
      verification?: VerificationRecord;
      raisedIn?: IncidentAnalysis['raisedIn'];
    };
  };
  pr?: { number: number; url: string; draft?: boolean };
  incidentUrl?: string;
  reason?: string;
  followUp?: FollowUpMode;
}

/** Who follows a draft up: the webhook (cloud), `ai-ops watch` polling, or nobody (`--once`). */
export type FollowUpMode = 'webhook' | 'polling' | 'none';

/** The fix email for an incident whose PR is open. */
export function renderFixEmail({ incident, pr, incidentUrl, followUp }: IncidentEmailInput): RenderedEmail {
  if (!pr) throw new Error('renderFixEmail needs the pull request');
  const analysis = incident.analysis ?? {
    title: 'See the pull request',
    rootCause: '(not recorded)',
    explanation: '(not recorded)',
    confidence: 'low' as const,
  };
  return renderEmail({
    kind: 'fix',
    repo: incident.repo,
    error: incident.sample,
    occurrences: { count: incident.count, firstSeen: incident.firstSeen, lastSeen: incident.lastSeen },
    analysis,
    pr,
    incidentUrl,
    ...(followUp ? { followUp } : {}),
    ...(incident.analysis?.verification ? { verification: incident.analysis.verification } : {}),
  });
}

/** The analysis-only email for an incident that ended without a PR. */
export function renderNoFixEmail({ incident, incidentUrl, reason }: IncidentEmailInput): RenderedEmail {
  const { analysis } = incident;
  return renderEmail({
    kind: 'no_fix',
    repo: incident.repo,
    error: incident.sample,
    occurrences: { count: incident.count, firstSeen: incident.firstSeen, lastSeen: incident.lastSeen },
    analysis: {
      rootCause: analysis?.rootCause,
      explanation: analysis?.notes || analysis?.explanation || 'The model gave no analysis.',
      ...(analysis?.raisedIn ? { raisedIn: analysis.raisedIn } : {}),
    },
    reason: reason ?? 'No reason was recorded.',
    incidentUrl,
  });
}

/** The email for an incident whose repair failed and will not be tried again on its own. */
export function renderFailedEmail({
  incident,
  incidentUrl,
  reason,
  attempts,
}: IncidentEmailInput & { attempts: number; incident: { branch?: string } }): RenderedEmail {
  return renderEmail({
    kind: 'failed',
    repo: incident.repo,
    error: incident.sample,
    occurrences: { count: incident.count, firstSeen: incident.firstSeen, lastSeen: incident.lastSeen },
    reason: reason ?? 'No reason was recorded.',
    attempts,
    ...(incident.branch ? { branch: incident.branch } : {}),
    incidentUrl,
  });
}
