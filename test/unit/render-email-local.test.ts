import { describe, expect, it } from 'vitest';
import { type RenderEmailInput, renderEmail } from '../../functions/core/repair/render-email.ts';
import { renderPullRequest } from '../../functions/core/repair/render-pull-request.ts';

type FixInput = Extract<RenderEmailInput, { kind: 'fix' }>;

function makeFixInput(overrides: Partial<FixInput> = {}): FixInput {
  return {
    kind: 'fix',
    repo: { owner: 'my-org', name: 'my-app' },
    error: {
      language: 'python',
      exceptionType: 'ValueError',
      message: "invalid literal for int() with base 10: 'abc'",
      frames: [{ file: 'app/orders.py', line: 42, function: 'parse_order', inApp: true }],
      logGroup: '/aws/lambda/orders',
    },
    analysis: {
      title: 'Reject non-numeric order ids',
      rootCause: 'The id is parsed with int() without validation.',
      explanation: 'Validate first.',
      confidence: 'high',
    },
    pr: { number: 42, url: 'https://github.com/my-org/my-app/pull/42', draft: true },
    ...overrides,
  };
}

/** Every start tag's attributes, or the text a broken attribute left behind in the tag. */
function malformedTags(html: string): string[] {
  const bad: string[] = [];
  for (const [tag] of html.matchAll(/<[a-z][a-z0-9]*\b[^>]*>/gi)) {
    const leftover = tag
      .replace(/^<[a-z][a-z0-9]*/i, '')
      .replace(/>$/, '')
      .replace(/\s[a-z-]+="[^"]*"/gi, '')
      .trim();
    if (leftover !== '') bad.push(tag);
  }
  return bad;
}

describe('the fix email', () => {
  it('keeps every style attribute whole (the font list quotes "Segoe UI" inside it)', () => {
    const { html } = renderEmail(makeFixInput());
    expect(malformedTags(html)).toEqual([]);
    const wrap = /<div style="([^"]*)">/.exec(html)?.[1] ?? '';
    expect(wrap).toContain(
      "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;",
    );
    expect(wrap).toContain('color:#1f2328;');
  });

  it('promises of a draft only what follows it: the webhook, ai-ops watch polling, or nobody', () => {
    const intro = (followUp?: FixInput['followUp']) =>
      renderEmail(makeFixInput(followUp ? { followUp } : {})).text.split('\n')[3] ?? '';
    expect(intro()).toContain('It becomes ready for review once CI passes.');
    expect(intro('polling')).toContain('ai-ops watch checks its CI at every sweep while it runs');
    expect(intro('none')).toContain('Nothing follows it up automatically: mark it ready for review yourself');
    expect(intro('none')).not.toContain('It becomes ready for review once CI passes');
  });

  it('says what the test command found, and asks for a person when it still fails', () => {
    const passed = renderEmail(
      makeFixInput({
        followUp: 'polling',
        verification: { command: 'pytest -q', outcome: 'passed', runs: 2, revised: true },
      }),
    );
    expect(passed.text).toContain('pytest -q failed on the first fix and passed after one revision.');
    const failed = renderEmail(
      makeFixInput({
        verification: { command: 'pytest -q', outcome: 'failed', runs: 2, revised: true, detail: '1 failed' },
      }),
    );
    expect(failed.subject).toBe(
      '[ai-ops] ValueError in my-org/my-app: draft fix PR #42 opened, its tests fail',
    );
    expect(failed.text).toContain('labelled needs-human for a person to take over');
    expect(failed.text).toContain('pytest -q still fails after one revision.');
  });
});

describe('the fix PR body', () => {
  const input = {
    incident: { incidentKey: 'my-org/my-app#abc', fingerprint: 'abc', count: 1, firstSeen: 0, lastSeen: 0 },
    error: {
      language: 'python' as const,
      exceptionType: 'ValueError',
      message: 'bad',
      frames: [],
      causes: [],
      raw: 'ValueError: bad',
      logGroup: 'app.log',
      logStream: 'app.log',
      timestamp: 0,
      eventIds: [],
    },
    proposal: { title: 'Fix it', rootCause: 'r', explanation: 'e', confidence: 'low' as const },
    changes: [],
    model: { name: 'm', costUsd: 0 },
  };

  it('offers /ai-ops comments only where a webhook hears them', () => {
    expect(renderPullRequest(input).body).toContain('can comment `/ai-ops <instruction>`');
    expect(renderPullRequest({ ...input, followUp: 'polling' }).body).not.toContain('/ai-ops <instruction>');
    expect(renderPullRequest({ ...input, followUp: 'polling' }).body).toContain('does not read comments');
    expect(renderPullRequest({ ...input, followUp: 'none' }).body).toContain('nothing follows this draft up');
  });

  it('shows the test command’s verdict and the end of a failing output', () => {
    const body = renderPullRequest({
      ...input,
      verification: {
        command: 'npm test',
        outcome: 'failed',
        runs: 1,
        revised: false,
        detail: '✗ 2 failing',
      },
    }).body;
    expect(body).toContain('## Tests');
    expect(body).toContain(
      '`npm test` still fails (no usable revision was proposed): this fix needs a person.',
    );
    expect(body).toContain('✗ 2 failing');
  });
});
