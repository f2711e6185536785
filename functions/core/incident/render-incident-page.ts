import type { Incident } from '../contracts.ts';
import { escapeHtml } from '../text/escape-html.ts';
import { scrubProse } from '../text/scrub-prose.ts';

export interface RenderIncidentPageInput {
  incident: Incident;
  /** where the two forms post (signed like the page link) */
  /** `retry` only when the incident's outcome may be tried again */
  actions: { snooze: string; ignore: string; retry?: string };
  /** epoch ms, to tell a running snooze from a past one */
  now: number;
  /** shown after a form posted (`?done=snooze`) */
  notice?: string;
}

const RAW_MAX = 20_000;
const PROSE_MAX = 8_000;

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;max-width:860px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.muted{color:#59636e}.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#eef1f4;font-size:13px;margin-right:6px}
.warn{background:#fff8c5}.ok{background:#dafbe1}.bad{background:#ffebe9}
table{border-collapse:collapse}td{padding:3px 16px 3px 0;vertical-align:top}
pre{background:#f6f8fa;padding:12px;overflow:auto;font-size:12.5px;white-space:pre-wrap;word-break:break-word}
form{display:inline-block;margin:0 8px 0 0}button{font:inherit;padding:6px 14px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
.notice{background:#ddf4ff;padding:8px 12px;border-radius:6px}`;

/** The incident page: the error, its occurrences, Claude's analysis, the PR and CI state, cost, and the snooze/ignore forms. */
export function renderIncidentPage({ incident, actions, now, notice }: RenderIncidentPageInput): string {
  const { sample, repo } = incident;
  const heading = `${sample.exceptionType}: ${firstLine(sample.message)}`;
  const isSnoozed = incident.snoozedUntil !== undefined && incident.snoozedUntil > now;
  const badges = [
    badge(incident.status.replace('_', ' '), ''),
    incident.ignored ? badge('ignored', 'warn') : '',
    isSnoozed ? badge(`snoozed until ${formatTime(incident.snoozedUntil ?? now)}`, 'warn') : '',
    incident.regression ? badge('came back after its fix was merged', 'bad') : '',
  ].join('');
  const body = [
    `<p class="muted">${escapeHtml(`${repo.owner}/${repo.name}`)} · ${escapeHtml(sample.language)} · ${escapeHtml(sample.logGroup)}</p>`,
    `<h1>${escapeHtml(heading)}</h1>`,
    `<p>${badges}</p>`,
    notice ? `<p class="notice">${escapeHtml(notice)}</p>` : '',
    '<h2>Occurrences</h2>',
    table([
      ['Count', incident.count.toLocaleString('en-US')],
      ['First seen', formatTime(incident.firstSeen)],
      ['Last seen', formatTime(incident.lastSeen)],
      ['Rate', formatRate(incident)],
    ]),
    '<h2>Fix</h2>',
    renderFix(incident),
    '<h2>Analysis</h2>',
    renderAnalysis(incident),
    '<h2>Error</h2>',
    `<pre>${escapeHtml(truncate(sample.raw, RAW_MAX))}</pre>`,
    '<h2>Act on this error</h2>',
    '<p class="muted">Snoozing or ignoring stops new work on this error; occurrences are still counted.</p>',
    `<form method="post" action="${escapeHtml(actions.snooze)}"><button type="submit">Snooze 7 days</button></form>`,
    `<form method="post" action="${escapeHtml(actions.ignore)}"><button type="submit">Ignore this error</button></form>`,
    actions.retry
      ? `<form method="post" action="${escapeHtml(actions.retry)}"><button type="submit">Try again</button></form>`
      : '',
    `<p class="muted"><small>Incident ${escapeHtml(incident.incidentKey)}</small></p>`,
  ].join('\n');
  return page({ title: `ai-ops: ${truncate(heading, 100)}`, body });
}

/** The 403 page for a link that is out of date or was changed. */
export function renderLinkRefusedPage({ reason }: { reason: 'expired' | 'tampered' }): string {
  const explanation =
    reason === 'expired'
      ? 'This incident link has expired. Links in ai-ops emails work for a limited time; open the pull request or the newest ai-ops email for this error instead.'
      : 'This incident link is not valid: it was changed or cut short (some mail clients wrap long links). Open the link from the ai-ops email again, whole.';
  return page({
    title: 'ai-ops: link not accepted',
    body: `<h1>Link not accepted</h1>\n<p>${escapeHtml(explanation)}</p>`,
  });
}

/** The 404 page for a valid link whose incident is gone (expired from the table). */
export function renderIncidentGonePage(): string {
  return page({
    title: 'ai-ops: incident not found',
    body: '<h1>Incident not found</h1>\n<p>ai-ops no longer keeps this incident (incidents expire some time after the error was last seen).</p>',
  });
}

function renderFix(incident: Incident): string {
  const rows: Array<[string, string]> = [];
  const links: string[] = [];
  if (incident.prUrl) {
    links.push(link(incident.prUrl, `Pull request #${incident.prNumber ?? ''}`.trim()));
  }
  if (incident.branch) rows.push(['Branch', incident.branch]);
  if (incident.ci) {
    rows.push([
      'CI',
      `${incident.ci.conclusion} on ${incident.ci.headSha.slice(0, 7)} (${formatTime(incident.ci.at)})`,
    ]);
  } else if (incident.prUrl) {
    rows.push(['CI', 'no result yet']);
  }
  if (incident.merge)
    rows.push(['Merged', `${incident.merge.sha.slice(0, 7)} at ${formatTime(incident.merge.mergedAt)}`]);
  if (incident.revisions) rows.push(['Revisions', String(incident.revisions)]);
  if (incident.lastError) rows.push(['Last problem', truncate(scrubProse(incident.lastError), 500)]);
  rows.push([
    'Cost',
    `$${incident.costUsd.toFixed(2)} (Claude, ${incident.attempts} attempt${incident.attempts === 1 ? '' : 's'})`,
  ]);
  const pr = links.length > 0 ? `<p>${links.join(' ')}</p>` : '<p class="muted">No pull request (yet).</p>';
  return `${pr}\n${table(rows)}`;
}

function renderAnalysis(incident: Incident): string {
  const { analysis } = incident;
  if (!analysis) return '<p class="muted">Claude has not analysed this error yet.</p>';
  // The model's prose is redacted like log text before it is shown (it read both logs and code).
  const prose = (text: string) => escapeHtml(truncate(scrubProse(text), PROSE_MAX));
  return [
    `<p><strong>${prose(analysis.title)}</strong> ${badge(`${analysis.confidence} confidence`, analysis.confidence === 'high' ? 'ok' : '')}</p>`,
    `<p><strong>Root cause.</strong> ${prose(analysis.rootCause)}</p>`,
    `<p><strong>Explanation.</strong> ${prose(analysis.explanation)}</p>`,
    analysis.notes ? `<pre>${prose(analysis.notes)}</pre>` : '',
    analysis.changes.length > 0
      ? `<ul>${analysis.changes.map((c) => `<li><code>${escapeHtml(c.path)}</code> +${c.additions} −${c.deletions}</li>`).join('')}</ul>`
      : '',
    `<p class="muted">Model: ${escapeHtml(analysis.model)}</p>`,
  ].join('\n');
}

function page({ title, body }: { title: string; body: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    // Mail scanners and link previews should not index a capability URL.
    '<meta name="robots" content="noindex,nofollow">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body>\n${body}\n</body></html>`,
  ].join('\n');
}

function table(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><td class="muted">${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function badge(text: string, tone: string): string {
  return `<span class="badge ${tone}">${escapeHtml(text)}</span>`;
}

function link(url: string, text: string): string {
  // Only web links: a stored URL is data, and `javascript:` would run on the page's origin.
  if (!/^https?:\/\//i.test(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" rel="noreferrer noopener">${escapeHtml(text)}</a>`;
}

function formatRate({ count, firstSeen, lastSeen }: Incident): string {
  const days = (lastSeen - firstSeen) / 86_400_000;
  if (count <= 1 || days <= 0) return '—';
  if (days < 1) return `${(count / Math.max(days * 24, 1 / 60)).toFixed(1)} per hour`;
  return `${(count / days).toFixed(1)} per day over ${days.toFixed(1)} days`;
}

function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function firstLine(text: string): string {
  return truncate(text.split('\n')[0] ?? '', 200);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [cut]`;
}
