import type { Incident } from '../contracts.ts';
import type { RenderedEmail } from '../repair/render-email.ts';
import { escapeHtml } from '../text/escape-html.ts';
import { safeHttpUrl } from '../text/safe-url.ts';
import { defangForeignUrls, linkScopeOfUrl, scrubProse } from '../text/scrub-prose.ts';

/** The emails of the follow-up use cases that the first-fix renderer has no variant for. */
export type FollowUpEmailInput =
  | {
      kind: 'needs_human';
      incident: Pick<Incident, 'repo' | 'sample' | 'count'>;
      pr: { number: number; url: string };
      /** why ai-ops stopped, e.g. "CI failed on 2 commits of this fix" */
      reason: string;
      incidentUrl?: string;
    }
  | {
      kind: 'regression';
      incident: Pick<Incident, 'repo' | 'sample' | 'count'>;
      /** the merged fix that did not hold */
      pr?: { number: number; url: string };
      mergedAt: number;
      /** when the error was seen again */
      seenAt: number;
      incidentUrl?: string;
    };

// Header injection and bidi tricks: the exception type and message come from log text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

/** Render a follow-up email (needs a person / came back after the merge): subject, HTML and text. */
export function renderFollowUpEmail(input: FollowUpEmailInput): RenderedEmail {
  const type = oneLine(input.incident.sample.exceptionType, 80) || 'Error';
  const repo = `${input.incident.repo.owner}/${input.incident.repo.name}`;
  const prUrl = safeHttpUrl(input.pr?.url);
  const links: Array<[string, string]> = [
    ...(input.pr && prUrl ? [[`PR #${input.pr.number}`, prUrl] as [string, string]] : []),
    ...(safeHttpUrl(input.incidentUrl)
      ? ([['Incident', safeHttpUrl(input.incidentUrl) ?? '']] as Array<[string, string]>)
      : []),
  ];
  // Log text and the model's words: redacted again, URLs outside the repository defanged.
  const scope = linkScopeOfUrl(input.pr?.url);
  const safe = (text: string) => defangForeignUrls(scrubProse(text), scope ? [scope] : []);
  const message = oneLine(safe(input.incident.sample.message), 500);
  let subject: string;
  let paragraphs: string[];
  if (input.kind === 'needs_human') {
    subject = `${type} in ${repo}: fix PR #${input.pr.number} needs a person`;
    paragraphs = [
      `ai-ops stopped revising its fix for this error and labelled the pull request for a person: ${oneLine(safe(input.reason), 500)}.`,
      'The pull request stays a draft; nothing is merged automatically.',
    ];
  } else {
    subject = `${type} in ${repo}: regression after the fix was merged`;
    paragraphs = [
      `The error came back at ${time(input.seenAt)}, after its fix${input.pr ? ` (PR #${input.pr.number})` : ''} was merged at ${time(input.mergedAt)} and given time to deploy.`,
      'ai-ops reopened the incident as a regression and will propose a new fix.',
    ];
  }
  const text = [
    subject,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    ...links.map(([label, url]) => `${label}: ${url}`),
    '',
    `Error: ${type}: ${message}`,
    `Occurrences: ${input.incident.count.toLocaleString('en-US')}`,
    '',
    '-- ',
    'Sent by ai-ops.',
    '',
  ].join('\n');
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head><body>',
    `<h1 style="font-size:20px;">${escapeHtml(subject)}</h1>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    links.length > 0
      ? `<p>${links.map(([label, url]) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`).join(' &nbsp; ')}</p>`
      : '',
    `<p><code>${escapeHtml(type)}</code>: ${escapeHtml(message)}</p>`,
    `<p>Occurrences: ${input.incident.count.toLocaleString('en-US')}</p>`,
    '<p style="color:#59636e;font-size:12px;">Sent by ai-ops.</p>',
    '</body></html>',
  ]
    .filter((l) => l !== '')
    .join('\n');
  return { subject: oneLine(`[ai-ops] ${subject}`, 200), html, text };
}

function time(ms: number): string {
  return Number.isFinite(ms)
    ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    : 'an unknown time';
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
