// Half an emoji — a lone UTF-16 surrogate, left where a cut fell between the two halves — must not
// leave ai-ops: the Anthropic API refuses the request ("no low surrogate in string"), SES's query
// encoding throws. Python and Node print an emoji-laden message whole; the detector caps lines.
import { describe, expect, it } from 'vitest';
import { makeGitHubOctokit } from '../../functions/adapters/github-octokit.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { redact } from '../../functions/core/text/redact.ts';
import { wellFormed } from '../../functions/core/text/well-formed.ts';
import { makeEvents } from '../support/log-events.ts';

const CART = '\u{1F6D2}';
const HALF = CART.slice(0, 1);

describe('wellFormed', () => {
  it('mends every string of arrays and plain objects, and returns a value with nothing to mend as it is', () => {
    const clean = { a: ['x', { b: CART }], n: 1, f: () => 1 };
    expect(wellFormed(clean)).toBe(clean);
    const mended = wellFormed({ a: ['x', { b: `y${HALF}` }], n: 1 });
    expect(mended).toEqual({ a: ['x', { b: 'y\uFFFD' }], n: 1 });
    expect(wellFormed(`${CART.slice(1)}z`)).toBe('\uFFFDz');
  });
});

describe('half an emoji left by a cut', () => {
  it('never leaves redact, which caps long lines', () => {
    const line = `x${CART.repeat(5_000)}`;
    const out = redact(line);
    expect(out.isWellFormed()).toBe(true);
    expect(out.startsWith(`x${CART}`)).toBe(true);
  });

  it('never leaves the detector: a Python error whose message is 6,000 emoji (past the line cap)', () => {
    // as Python 3.11 prints `raise ValueError('x' + '\U0001F6D2' * 6000)` uncaught
    const trace = [
      'Traceback (most recent call last):',
      '  File "/srv/app/cart.py", line 1, in <module>',
      `ValueError: x${CART.repeat(6_000)}`,
    ];
    for (const lines of [[trace.join('\n')], trace]) {
      const [found] = detectErrors(makeEvents(lines));
      expect(found?.record.exceptionType).toBe('ValueError');
      expect(found?.record.message.isWellFormed()).toBe(true);
      expect(found?.record.raw.isWellFormed()).toBe(true);
    }
  });

  it('never reaches GitHub: every request parameter is mended before it is sent', async () => {
    const bodies: string[] = [];
    const octokit = makeGitHubOctokit({
      baseUrl: 'https://api.github.com',
      auth: 'not-a-real-token',
      fetch: async (_input, init) => {
        bodies.push(String(init?.body));
        return new Response(JSON.stringify({ number: 1 }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        });
      },
    });

    await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'shop',
      head: 'fix/x',
      base: 'main',
      title: `fix ${HALF}`,
      body: `cart ${HALF}`,
    });

    expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ title: 'fix \uFFFD', body: 'cart \uFFFD' });
  });
});
