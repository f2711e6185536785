import { describe, expect, it } from 'vitest';
import {
  type RenderEmailInput,
  renderEmail,
  renderFailedEmail,
  renderFixEmail,
  renderNoFixEmail,
} from '../../functions/core/repair/render-email.ts';

type FixInput = Extract<RenderEmailInput, { kind: 'fix' }>;
type NoFixInput = Extract<RenderEmailInput, { kind: 'no_fix' }>;

const PR_URL = 'https://github.com/my-org/my-app/pull/42';

function makeFixInput(overrides: Partial<FixInput> = {}): FixInput {
  return {
    kind: 'fix',
    repo: { owner: 'my-org', name: 'my-app' },
    error: {
      language: 'python',
      exceptionType: 'ValueError',
      message: "invalid literal for int() with base 10: 'abc'",
      frames: [
        { file: 'app/main.py', line: 10, function: 'handler', inApp: true },
        { file: 'app/orders.py', line: 42, function: 'parse_order', inApp: true },
        { file: '/usr/lib/python3.12/json/decoder.py', line: 3, function: 'decode', inApp: false },
      ],
      logGroup: '/aws/lambda/orders',
    },
    analysis: {
      title: 'Reject non-numeric order ids',
      rootCause: 'The id is parsed with int() without validation.',
      explanation: 'Validate first.\n\nThen answer 400.',
      confidence: 'high',
    },
    pr: { number: 42, url: PR_URL },
    occurrences: { count: 1234, firstSeen: Date.UTC(2024, 0, 1), lastSeen: Date.UTC(2024, 0, 2, 12, 30) },
    ...overrides,
  };
}

function makeNoFixInput(overrides: Partial<NoFixInput> = {}): NoFixInput {
  const { kind: _kind, analysis: _analysis, pr: _pr, ...common } = makeFixInput();
  return {
    ...common,
    kind: 'no_fix',
    analysis: {
      rootCause: 'A third-party API returned HTML.',
      explanation: 'The upstream outage is not fixable in this code.',
    },
    reason: 'The only plausible change touches a dependency manifest, which policy forbids.',
    ...overrides,
  };
}

describe('renderEmail (fix)', () => {
  it('names the error, the repo and the PR in the subject', () => {
    expect(renderEmail(makeFixInput()).subject).toBe(
      '[ai-ops] ValueError in my-org/my-app: fix PR #42 ready for review',
    );
    expect(renderEmail(makeFixInput({ pr: { number: 7, url: PR_URL, draft: true } })).subject).toBe(
      '[ai-ops] ValueError in my-org/my-app: draft fix PR #7 opened',
    );
  });

  it('holds the error summary, the analysis and the review links in HTML and text', () => {
    const { html, text } = renderEmail(
      makeFixInput({ incidentUrl: 'https://ops.example.com/incidents/abc' }),
    );
    for (const body of [html, text]) {
      expect(body).toContain('ValueError');
      expect(body).toContain('parse_order at app/orders.py:42');
      expect(body).toContain('/aws/lambda/orders');
      expect(body).toContain('python');
      expect(body).toContain('1,234 (first seen 2024-01-01 00:00 UTC, last seen 2024-01-02 12:30 UTC)');
      expect(body).toContain('Reject non-numeric order ids');
      expect(body).toContain('Root cause');
      expect(body).toContain('Validate first.');
      expect(body).toContain('high');
      expect(body).toContain(PR_URL);
      expect(body).toContain(`${PR_URL}/files`);
      expect(body).toContain('https://ops.example.com/incidents/abc');
    }
    expect(html).toContain(`href="${PR_URL}/files"`);
    expect(html).toContain('invalid literal for int() with base 10: &#39;abc&#39;');
    expect(text).toContain("    invalid literal for int() with base 10: 'abc'");
  });

  it('escapes attacker-controlled text and loads nothing external', () => {
    const { html, subject } = renderEmail(
      makeFixInput({
        error: {
          ...makeFixInput().error,
          exceptionType: 'Evil\r\nBcc: victim@example.com<script>',
          message: '<img src="https://tracker.example/p.gif" onerror="alert(1)">',
        },
        analysis: {
          ...makeFixInput().analysis,
          rootCause: '<script>alert(1)</script><a href="javascript:alert(1)">x</a>',
        },
      }),
    );
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toContain('Evil Bcc: victim@example.com<script>');
    expect(html).not.toMatch(/<script|<img|<a href="javascript/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Only our own links: no images, stylesheets or scripts from anywhere.
    expect(html).not.toMatch(/<(?:img|script|link|iframe)\b/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual([PR_URL, `${PR_URL}/files`]);
  });

  it('drops links that are not http(s)', () => {
    const { html, text } = renderEmail(
      makeFixInput({ incidentUrl: 'javascript:alert(1)', pr: { number: 1, url: 'data:text/html,x' } }),
    );
    expect(html).not.toMatch(/href=/);
    expect(text).not.toContain('javascript:');
    expect(text).not.toContain('data:');
  });

  it('keeps paragraphs of the analysis', () => {
    const { html } = renderEmail(makeFixInput());
    expect(html).toMatch(/Validate first\.<\/p><p[^>]*>Then answer 400\.<\/p>/);
  });

  it('caps very long model prose', () => {
    const { text } = renderEmail(
      makeFixInput({ analysis: { ...makeFixInput().analysis, explanation: 'x'.repeat(50_000) } }),
    );
    expect(text.length).toBeLessThan(10_000);
  });
});

describe('renderEmail (no_fix)', () => {
  it('explains why no fix was made, without PR links', () => {
    const { subject, html, text } = renderEmail(makeNoFixInput());
    expect(subject).toBe('[ai-ops] ValueError in my-org/my-app: analysed, no fix proposed');
    for (const body of [html, text]) {
      expect(body).toContain('Why no fix was made');
      expect(body).toContain('dependency manifest');
      expect(body).toContain('A third-party API returned HTML.');
      expect(body).toContain('The upstream outage is not fixable in this code.');
      expect(body).not.toContain('/pull/');
    }
  });

  it('claims no analysis when none was made: the reason once, and no model asked', () => {
    const reason =
      'no fix was attempted: the ValueError was logged without a stack trace (no model call was made)';
    const { subject, text, html } = renderEmail(
      makeNoFixInput({ reason, analysis: { rootCause: '', explanation: reason } }),
    );
    expect(subject).toBe('[ai-ops] ValueError in my-org/my-app: no fix attempted');
    for (const body of [html, text]) {
      expect(body).toContain('did not attempt a fix');
      expect(body).not.toContain('analysed');
      expect(body).not.toContain('Analysis');
      expect(body.split('logged without a stack trace')).toHaveLength(2);
    }
  });

  it('links the incident when one is given', () => {
    const { html } = renderEmail(makeNoFixInput({ incidentUrl: 'https://ops.example.com/i/1' }));
    expect(html).toContain('href="https://ops.example.com/i/1"');
  });
});

describe('renderFixEmail / renderNoFixEmail (from an incident)', () => {
  const fix = makeFixInput();
  const incident = {
    repo: fix.repo,
    sample: fix.error,
    count: 3,
    firstSeen: Date.UTC(2024, 0, 1),
    lastSeen: Date.UTC(2024, 0, 1),
    analysis: { ...fix.analysis, notes: 'Longer notes from the model.' },
  };

  it('renders the fix email from the incident and its PR', () => {
    const { subject, text } = renderFixEmail({ incident, pr: { number: 9, url: PR_URL } });
    expect(subject).toBe('[ai-ops] ValueError in my-org/my-app: fix PR #9 ready for review');
    expect(text).toContain('Validate first.');
    expect(text).toContain('Occurrences: 3 ');
  });

  it('renders the no-fix email with the notes and the reason', () => {
    const { subject, text } = renderNoFixEmail({ incident, reason: 'edit touched .github/workflows' });
    expect(subject).toContain('analysed, no fix proposed');
    expect(text).toContain('Longer notes from the model.');
    expect(text).toContain('edit touched .github/workflows');
  });

  it('renders the failed email: what stopped it (redacted, escaped), how often it tried, how to try again', () => {
    const reason = 'Bad credentials <b>token ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE</b>';
    const { subject, text, html } = renderFailedEmail({
      incident,
      reason,
      attempts: 3,
      incidentUrl: 'https://ops.example.com/incident?k=1',
    });
    expect(subject).toBe('[ai-ops] ValueError in my-org/my-app: repair failed, ai-ops stopped trying');
    expect(text).toContain('tried to repair this error 3 times and stopped: nothing was changed');
    expect(text).toContain('Try again on its incident page');
    expect(text).toContain('https://ops.example.com/incident?k=1');
    expect(text).not.toContain('ghp_FAKE');
    expect(html).not.toContain('<b>token');
    expect(html).toContain('Bad credentials');
    // the analysis fields of an earlier attempt are not shown as if they were this one's
    expect(text).not.toContain('Longer notes from the model.');
    // without an incident page (one machine), the way back is the CLI
    const local = renderFailedEmail({ incident, reason: 'x', attempts: 1 }).text;
    expect(local).toContain('tried to repair this error once');
    expect(local).toContain('`ai-ops retry <incident>`');
    expect(local).not.toContain('incident page');
    expect(local).toContain('nothing was changed in the repository');
    // a branch pushed before the PR was refused is named, never hidden behind "nothing changed"
    const pushed = renderFailedEmail({
      incident: { ...incident, branch: 'fix/value-error-1' },
      reason: 'x',
      attempts: 1,
    });
    expect(pushed.text).toContain(
      'its fix branch fix/value-error-1 was pushed, but no pull request was opened',
    );
    expect(pushed.text).not.toContain('nothing was changed');
  });
});
