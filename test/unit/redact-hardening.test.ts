import { describe, expect, it } from 'vitest';
import { capLineLength, findSecrets, redact, revealHiddenText } from '../../functions/core/text/redact.ts';
import { SECRET_FORMATS, secretCore } from '../support/secret-formats.ts';

describe('redact: the secret-format table (gitleaks common rules)', () => {
  it('holds at least 30 formats', () => {
    expect(SECRET_FORMATS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(SECRET_FORMATS.map((f) => [f.name, f] as const))('%s never survives', (_name, format) => {
    const out = redact(format.line);
    expect(out).toContain('[REDACTED:');
    expect(out).not.toContain(format.secret);
    expect(out).not.toContain(secretCore(format));
    expect(findSecrets(format.line).length).toBeGreaterThan(0);
  });
});

describe('redact: issue #11 reproductions', () => {
  it('a URL password containing @ is removed whole, the host kept', () => {
    expect(redact('postgres://app:p@ss@word@db.internal:5432/x')).toBe(
      'postgres://app:[REDACTED:url_password]@db.internal:5432/x',
    );
  });

  it('a Go DSN user:pass@tcp(...) loses its password', () => {
    expect(redact('open app:hunter2pw@tcp(db:3306)/shop')).toBe(
      'open app:[REDACTED:dsn_password]@tcp(db:3306)/shop',
    );
  });

  it('a token cut by the line cap is not left as an unrecognisable prefix', () => {
    const token = `gh${'p_'}${'FaKe0Ex4mPle9'.repeat(3)}`;
    const line = `${'x'.repeat(8180)} ${token}`;
    const out = redact(line);
    expect(out).not.toContain(token.slice(0, 11));
    expect(out).toContain('…[truncated');
    expect(capLineLength(`${'a'.repeat(10)} ${token}`, 16)).toBe(
      `${'a'.repeat(10)} …[truncated ${token.length} chars]`,
    );
  });

  it('an unlabelled 40-character AWS secret key is redacted, a git sha is not', () => {
    const secret = `wJalrXUtnFEMI/K7MDENG/${'bPxRfiCYFAKEKEY000'}`;
    expect(redact(`keys AKIDFAKE ${secret} ok`)).toBe('keys AKIDFAKE [REDACTED:aws_secret_access_key] ok');
    expect(redact('deployed 3f786850e387550fdab836ed7e6dc881de23001b')).toBe(
      'deployed 3f786850e387550fdab836ed7e6dc881de23001b',
    );
  });

  it('the entropy fallback takes long random tokens near secret-ish words, not paths or ids', () => {
    expect(redact('the signing key was q8Zr2vXwFAKE7mN4pL0tYb9KcH3sJd (rotated)')).toBe(
      'the signing key was [REDACTED:high_entropy] (rotated)',
    );
    for (const clean of [
      'refresh token failed at (/app/src/services/token_refresh/handler_v2/index.js:12:5)',
      'request 123e4567-e89b-12d3-a456-426614174000 failed',
      'tokenizer loaded vocabulary_english_lowercase_v2 in 12ms',
    ])
      expect(redact(clean)).toBe(clean);
  });

  it('zero-width and bidi characters and HTML comments are made visible', () => {
    const hostile = 'ok\u202Eevil\u2066x\u2069\u200By\uFEFF <!-- hidden --> z';
    const out = redact(hostile);
    expect(out).toBe('ok<U+202E>evil<U+2066>x<U+2069><U+200B>y<U+FEFF> &lt;!-- hidden --&gt; z');
    expect(revealHiddenText(out)).toBe(out);
    expect(redact(out)).toBe(out);
  });
});

describe('redact keeps file:line structure (issue #9)', () => {
  it.each([
    ['a JavaScript frame', 'at f (/app/session.js:12:5)'],
    ['a Java frame', 'at com.x.SessionManager.run(SessionManager.java:7)'],
    ['a Python frame', '  File "/app/token_store.py", line 3, in get_token'],
    ['a Python file:line', 'token_store.py:3'],
    ['a Ruby frame', "/app/secret_key.rb:44:in `load'"],
    ['a Go frame', '\t/app/api_key.go:12 +0x1d'],
    ['a PHP frame', '#0 /var/www/password_reset.php(31): reset()'],
    ['a Rust frame', '   at src/credentials.rs:88:14'],
  ])('%s', (_case, line) => {
    expect(redact(line)).toBe(line);
  });

  it('still redacts a key whose value is a real secret', () => {
    expect(redact('session.id: FaKe0Ex4mPle9')).toBe('session.id: [REDACTED:secret]');
    expect(redact('password: 123456')).toBe('password: [REDACTED:secret]');
  });
});

describe('the new rules stay linear on hostile input', () => {
  const MB5 = 5 * 1024 * 1024;
  const linearPass = (text: string): number => {
    let count = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
    return count;
  };
  const timeMs = (run: () => unknown): number => {
    const start = performance.now();
    run();
    return performance.now() - start;
  };
  it.each([
    ['a 5 MB token run', 'Ab3/'.repeat(MB5 / 4)],
    ['secret-ish words and tokens', 'key Ab3dEf6hIj9kLm2nOp5q '.repeat(MB5 / 24)],
    ['token-length runs on many lines', `${'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f'}\n`.repeat(MB5 / 41)],
    ["'p@' after a scheme", `a://u:${'p@'.repeat(MB5 / 2)}`],
    ["'x:y@' repeated (DSN-shaped)", 'x:y@'.repeat(MB5 / 4)],
    ["'SG.' repeated", 'SG.'.repeat(MB5 / 3)],
    ["'glpat-' repeated", 'glpat-'.repeat(MB5 / 6)],
    ['hex runs with -us', `${'a'.repeat(31)}-us1 `.repeat(MB5 / 37)],
    ['hidden characters', '\u202E\u200B'.repeat(MB5 / 2)],
  ])('%s', (_name, input) => {
    linearPass(input);
    const baseline = Math.max(
      timeMs(() => linearPass(input)),
      1,
    );
    const redactMs = timeMs(() => redact(input));
    const findMs = timeMs(() => findSecrets(input));
    expect(redactMs).toBeLessThan(4000);
    expect(findMs).toBeLessThan(4000);
    expect(redactMs / baseline).toBeLessThan(1000);
    expect(findMs / baseline).toBeLessThan(1000);
  });
});
