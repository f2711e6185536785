import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorRecord, Language, StackFrame } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import {
  type FingerprintInput,
  fingerprintError,
  fingerprintParts,
  normalizeFramePath,
  normalizeFunctionName,
  normalizeMessage,
} from '../../functions/core/detect/fingerprint.ts';
import { renderBranchName, whereRaised } from '../../functions/core/repair/render-pull-request.ts';
import { makeEvents } from '../support/log-events.ts';

function makeFrame(overrides: Partial<StackFrame> = {}): StackFrame {
  return {
    file: '/var/task/src/orders/handler.js',
    line: 10,
    function: 'createOrder',
    inApp: true,
    ...overrides,
  };
}

function makeRecord(overrides: Partial<FingerprintInput> = {}): FingerprintInput {
  return {
    language: 'javascript' as Language,
    exceptionType: 'TypeError',
    message: "Cannot read properties of undefined (reading 'id')",
    frames: [
      makeFrame({
        file: '/var/task/node_modules/express/lib/router/layer.js',
        function: 'Layer.handle',
        inApp: false,
      }),
      makeFrame({ file: '/var/task/src/orders/routes.js', function: 'postOrder', line: 40 }),
      makeFrame({ file: '/var/task/src/orders/handler.js', function: 'createOrder', line: 12 }),
    ],
    causes: [],
    ...overrides,
  };
}

describe('normalizeMessage', () => {
  it.each([
    ['numbers', 'retry 3 of 5 after 250ms', 'retry <n> of <n> after <n>ms'],
    ['uuids', 'order 123e4567-e89b-12d3-a456-426614174000 missing', 'order <uuid> missing'],
    ['emails', 'cannot mail jane.doe@example.com', 'cannot mail <email>'],
    ['redaction placeholders for e-mails', 'cannot mail [REDACTED:email]', 'cannot mail <email>'],
    ['other redaction placeholders', 'login with [REDACTED:secret] failed', 'login with <redacted> failed'],
    ['hex addresses', 'nil pointer at 0xc000123abc', 'nil pointer at <hex>'],
    [
      'long hex ids (git sha)',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b missing',
      'commit <hex> missing',
    ],
    ['mixed ids', 'customer cus_8f3k2j9a not found', 'customer <id> not found'],
    ['short words with digits keep their letters', 'bad utf8 in user42', 'bad utf<n> in user<n>'],
    ['ISO timestamps', 'expired at 2024-01-02T03:04:05.678Z', 'expired at <date>'],
    ['dates', 'no rate for 2024-01-02', 'no rate for <date>'],
    ['times', 'lock held since 12:34:56.789', 'lock held since <time>'],
    ['HTTP dates', 'stale since Tue, 02 Jan 2024 03:04:05 GMT', 'stale since <date> <time> GMT'],
    ['IPv4 with port', 'connect ECONNREFUSED 10.0.12.7:5432', 'connect ECONNREFUSED <ip>'],
    ['URLs', 'GET https://api.example.com/v1/orders/42?x=1 failed', 'GET <url> failed'],
    ['single-quoted values', "KeyError: 'user_id'", "KeyError: '<str>'"],
    ['double-quoted values', 'No route matches [GET] "/settings"', 'No route matches [GET] "<str>"'],
    [
      'Ruby object inspect',
      "undefined method `foo' for #<BooksController:0x007f8dd9a0c738>",
      "undefined method '<str>' for #<BooksController>",
    ],
    ['whitespace', '  a\n\tb  ', 'a b'],
    [
      'key=value context',
      'payment failed user=alice plan=pro, retry=false (region=eu-west-1)',
      'payment failed user=<v> plan=<v>, retry=<v> (region=<v>)',
    ],
    ['a quoted value after a key as any quoted value', 'bad user="alice smith"', 'bad user="<str>"'],
  ])('normalises %s', (_case, input, expected) => {
    expect(normalizeMessage(input)).toBe(expected);
  });

  it.each([
    ['nil', "undefined method `sum' for nil:NilClass", "undefined method `sum' for nil"],
    ['nil, quoted as 3.4 quotes', "undefined method `[]' for nil:NilClass", "undefined method '[]' for nil"],
    ['true', "undefined method `x' for true:TrueClass", "undefined method `x' for true"],
    [
      'main',
      "undefined local variable or method `usr' for main:Object",
      "undefined local variable or method `usr' for main",
    ],
    [
      'a class',
      "undefined method `find_by_sku' for Shop::Order:Class",
      "undefined method `find_by_sku' for class Shop::Order",
    ],
    ['a module', "undefined method `rate' for Pricing:Module", "undefined method `rate' for module Pricing"],
    [
      'an instance',
      'undefined method `handler\' for #<LambdaHandler:0x00007f5f3ff4da80 @handler_file_name="app">',
      "undefined method `handler' for an instance of LambdaHandler",
    ],
    [
      'a private method',
      "private method `recalculate' called for #<Order:0x000055d5c0a1b2c8>",
      "private method `recalculate' called for an instance of Order",
    ],
  ])("reads Ruby 3.3's NameError receiver as Ruby 3.1 wrote it: %s", (_case, ruby31, ruby33) => {
    expect(normalizeMessage(ruby33)).toBe(normalizeMessage(ruby31));
  });

  it('leaves other messages that say `for nil` or `for main` alone', () => {
    expect(normalizeMessage('no price for nil')).toBe('no price for nil');
    expect(normalizeMessage('waiting for main thread')).toBe('waiting for main thread');
    expect(normalizeMessage("undefined method `x' for nilly")).toBe("undefined method '<str>' for nilly");
  });

  it('caps a huge message and stays fast', () => {
    const start = performance.now();
    const normalized = normalizeMessage(`'${'a@b.'.repeat(1_000_000)}`);
    expect(performance.now() - start).toBeLessThan(500);
    expect(normalized.length).toBeLessThanOrEqual(2048);
  });
});

describe('normalizeFramePath', () => {
  it.each([
    ['Lambda', '/var/task/src/orders/handler.js', 'src/orders/handler.js'],
    ['container /app', '/app/src/orders/handler.js', 'src/orders/handler.js'],
    ['container /usr/src/app', '/usr/src/app/src/orders/handler.js', 'src/orders/handler.js'],
    ['Capistrano release', '/home/deploy/releases/20240101120000/app/models/user.rb', 'app/models/user.rb'],
    ['Capistrano current', '/home/deploy/apps/shop/current/app/models/user.rb', 'app/models/user.rb'],
    ['versioned /srv dir', '/srv/app-1.3.887/lib/billing.py', 'lib/billing.py'],
    ['GAE version', '/base/data/home/apps/s~shop/1.388306779641080894/main.py', 'main.py'],
    [
      'Go module version',
      '/root/go/pkg/mod/github.com/acme/lib@v1.2.3/client.go',
      'pkg/mod/github.com/acme/lib/client.go',
    ],
    [
      'pnpm store',
      '/app/node_modules/.pnpm/express@4.18.2/node_modules/express/lib/router/index.js',
      'node_modules/express/lib/router/index.js',
    ],
    [
      'gems',
      '/var/lib/gems/3.0.0/gems/actionpack-7.0.4/lib/action_dispatch/x.rb',
      'gems/actionpack/lib/action_dispatch/x.rb',
    ],
    [
      'site-packages',
      '/usr/local/lib/python3.11/site-packages/django/db/models.py',
      'site-packages/django/db/models.py',
    ],
    ['Python stdlib version', '/usr/lib/python3.11/json/decoder.py', '/usr/lib/python/json/decoder.py'],
    ['Windows drive letter', 'C:\\src\\Shop\\Orders.cs', '/src/Shop/Orders.cs'],
    ['Windows and Linux agree', 'c:/ELMAH/src/Elmah/ErrorLog.cs', '/ELMAH/src/Elmah/ErrorLog.cs'],
    ['webpack', 'webpack://shop/./src/orders/handler.ts', 'src/orders/handler.ts'],
    ['file URL', 'file:///app/src/orders/handler.mjs', 'src/orders/handler.mjs'],
    ['script URL with query', 'https://cdn.example.com/js/main.3f2a1b9c.js?v=12', '/js/main.js'],
    [
      'rustc commit',
      '/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs',
      '/rustc/library/core/src/panicking.rs',
    ],
    [
      'cargo registry',
      '/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.32.0/src/rt.rs',
      'registry/src/index.crates.io/tokio/src/rt.rs',
    ],
    ['plain relative path', 'app/controllers/books_controller.rb', 'app/controllers/books_controller.rb'],
  ])('%s', (_case, input, expected) => {
    expect(normalizeFramePath(input)).toBe(expected);
  });
});

describe('normalizeFunctionName', () => {
  it.each([
    ['Java lambda class', 'com.acme.Foo$$Lambda$123/0x0000000800c0c040.apply', 'com.acme.Foo$$Lambda.apply'],
    [
      'Java hidden lambda class',
      'com.acme.Foo$$Lambda/0x0000000800c0c040.apply',
      'com.acme.Foo$$Lambda.apply',
    ],
    ['Java anonymous class', 'com.acme.Foo$1.run', 'com.acme.Foo$.run'],
    ['Java lambda method', 'com.acme.Foo.lambda$send$3', 'com.acme.Foo.lambda$send$'],
    ['Go closure', 'main.main.func1.2', 'main.main.func'],
    ['old Go closure', 'github.com/x/stack.func·002', 'github.com/x/stack.func·'],
    ['.NET async state machine', 'Shop.Orders.<Create>d__4.MoveNext', 'Shop.Orders.<Create>d__.MoveNext'],
    ['.NET lambda', 'Shop.Orders.<>c__DisplayClass5_0.<Run>b__0_1', 'Shop.Orders.<>c__DisplayClass.<Run>b__'],
    ['Rust symbol hash', 'shop::orders::create::h0123456789abcdef', 'shop::orders::create'],
    ['Ruby block depth', 'block (2 levels) in process', 'block in process'],
    ['PHP 8.4 closure', '{closure:/app/src/x.php:12}', '{closure}'],
    // PHP before 8.4 printed a closure as the namespace it was declared in and `{closure}`
    ['PHP 8.4 closure in a method', 'Cart->{closure:Cart::total():10}', 'Cart->{closure}'],
    [
      'PHP 8.4 closure in a namespaced method, as PHP 8.2 names it',
      'Illuminate\\Pipeline\\Pipeline->{closure:Illuminate\\Pipeline\\Pipeline::prepareDestination():178}',
      'Illuminate\\Pipeline\\Pipeline->Illuminate\\Pipeline\\{closure}',
    ],
    [
      'PHP 8.4 closure in a closure (its line gone with the outer one)',
      'Shop\\Rules->{closure:{closure:Shop\\Rules::apply():8}:9}',
      'Shop\\Rules->Shop\\{closure}',
    ],
    ['PHP 8.4 closure in a closure in a file', '{closure:{closure:/app/routes.php:16}:17}', '{closure}'],
    ['PHP 8.4 closure in a namespaced function', '{closure:Shop\\quote():5}', 'Shop\\{closure}'],
    [
      'PHP 8.2 closure stays',
      'Illuminate\\Pipeline\\Pipeline->Illuminate\\Pipeline\\{closure}',
      'Illuminate\\Pipeline\\Pipeline->Illuminate\\Pipeline\\{closure}',
    ],
    ['Python generated names stay', '<lambda>', '<lambda>'],
  ])('%s', (_case, input, expected) => {
    expect(normalizeFunctionName(input)).toBe(expected);
  });
});

describe('fingerprintError', () => {
  it('is 32 lowercase hex characters', () => {
    expect(fingerprintError(makeRecord())).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores line numbers and deploy prefixes', () => {
    const moved = makeRecord({
      frames: makeRecord().frames.map((frame) => ({
        ...frame,
        file: frame.file.replace('/var/task/', '/home/deploy/releases/20240101120000/'),
        line: (frame.line ?? 0) + 7,
      })),
    });
    expect(fingerprintError(moved)).toBe(fingerprintError(makeRecord()));
  });

  it('ignores the message when the type is specific and there are in-app frames', () => {
    expect(fingerprintError(makeRecord({ message: "Cannot read properties of null (reading 'name')" }))).toBe(
      fingerprintError(makeRecord()),
    );
  });

  it('keeps the message for generic types such as Go panics', () => {
    const panic = makeRecord({
      language: 'go',
      exceptionType: 'panic',
      message: 'reflect.Set: value of type',
    });
    expect(
      fingerprintError({ ...panic, message: 'runtime error: index out of range [3] with length 3' }),
    ).not.toBe(fingerprintError(panic));
  });

  it("reads a message of several lines by its first line: the rest is the occurrence's details", () => {
    // execSync's error: `Command failed: …` then whatever the command printed; a Go panic of an
    // error formatted over lines. The details vary from one occurrence of the bug to the next.
    const failed = makeRecord({
      exceptionType: 'Error',
      message: "Command failed: convert upload.jpg thumb.png\nconvert: improper image header `upload.jpg'",
    });
    const again = {
      ...failed,
      message: 'Command failed: convert upload.jpg thumb.png\n\nconvert: no decode delegate',
    };
    expect(fingerprintError(again)).toBe(fingerprintError(failed));
    const other = { ...failed, message: 'Command failed: ffmpeg -i upload.mov\nffmpeg: not found' };
    expect(fingerprintError(other)).not.toBe(fingerprintError(failed));
    // a message that opens with a line break is read from its first line with words
    const prisma = makeRecord({
      exceptionType: 'Error',
      message: '\nInvalid `prisma.user.create()` invocation:\n\n→ 12 data',
    });
    expect(
      fingerprintError({
        ...prisma,
        message: '\nInvalid `prisma.user.create()` invocation:\n\n→ 13 other data',
      }),
    ).toBe(fingerprintError(prisma));
  });

  it('tells apart the same type and message raised from different in-app code', () => {
    const other = makeRecord({
      frames: [makeFrame({ file: '/var/task/src/users/handler.js', function: 'createUser' })],
    });
    expect(fingerprintError(other)).not.toBe(fingerprintError(makeRecord()));
  });

  it('tells apart languages, types and root causes', () => {
    const base = fingerprintError(makeRecord());
    expect(fingerprintError(makeRecord({ language: 'python' }))).not.toBe(base);
    expect(fingerprintError(makeRecord({ exceptionType: 'RangeError' }))).not.toBe(base);
    const cause = makeRecord({ exceptionType: 'ECONNRESET', frames: [] });
    expect(fingerprintError(makeRecord({ causes: [cause] }))).not.toBe(base);
    expect(fingerprintParts(makeRecord({ causes: [cause] })).rootCauseType).toBe('ECONNRESET');
  });

  it("reads a Python class by its name, with or without its module; other languages' by the name printed", () => {
    const py = (exceptionType: string, causes: FingerprintInput[] = []) =>
      fingerprintError(makeRecord({ language: 'python', exceptionType, causes }));
    expect(py('botocore.exceptions.ClientError')).toBe(py('ClientError'));
    expect(py('orders.errors.OutOfStock')).not.toBe(py('ClientError'));
    const cause = (exceptionType: string) => makeRecord({ language: 'python', exceptionType, frames: [] });
    expect(py('ClientError', [cause('urllib3.exceptions.ReadTimeoutError')])).toBe(
      py('ClientError', [cause('ReadTimeoutError')]),
    );
    // Java's traces and its runtime's report both qualify every class: a package tells bugs apart
    const java = (exceptionType: string) => fingerprintError(makeRecord({ language: 'java', exceptionType }));
    expect(java('com.acme.orders.InvalidOrderException')).not.toBe(
      java('com.acme.billing.InvalidOrderException'),
    );
  });
  it('stays fast on a hostile record (huge message, 200k frames)', () => {
    const frames = Array.from({ length: 200_000 }, (_, i) => makeFrame({ function: `f${i % 7}`, line: i }));
    const start = performance.now();
    fingerprintError(makeRecord({ message: 'x'.repeat(5_000_000), frames, exceptionType: 'Error' }));
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('collapses recursion depth', () => {
    const recurse = makeFrame({ file: '/app/src/tree.js', function: 'walk' });
    const shallow = makeRecord({ frames: [recurse, recurse] });
    const deep = makeRecord({ frames: Array.from({ length: 50 }, () => recurse) });
    expect(fingerprintError(deep)).toBe(fingerprintError(shallow));
  });

  it('uses the innermost non-app frames and the message when no frame is in-app', () => {
    const vendorOnly = makeRecord({
      frames: makeRecord().frames.map((frame) => ({ ...frame, inApp: false })),
    });
    const parts = fingerprintParts(vendorOnly);
    expect(parts.frameSource).toBe('innermost');
    expect(parts.frames).toHaveLength(3);
    expect(parts.message).toBe("Cannot read properties of undefined (reading '<str>')");
  });

  it('falls back to type and normalised message without frames', () => {
    const bare = makeRecord({ frames: [], message: 'timeout after 3000ms for order 42' });
    expect(fingerprintParts(bare)).toMatchObject({
      frameSource: 'none',
      message: 'timeout after <n>ms for order <n>',
    });
    expect(fingerprintError({ ...bare, message: 'timeout after 5000ms for order 77' })).toBe(
      fingerprintError(bare),
    );
  });

  it('takes the frames of a cause when the outer error printed none (.NET inner exceptions)', () => {
    const inner = makeRecord({ exceptionType: 'SqlException' });
    expect(fingerprintParts(makeRecord({ frames: [], causes: [inner] })).frameSource).toBe('in-app');
  });

  it('normalises generated function names and addresses in frames', () => {
    const java = (fn: string): FingerprintInput =>
      makeRecord({ language: 'java', frames: [makeFrame({ file: 'Foo.java', function: fn })] });
    expect(fingerprintError(java('com.acme.Foo$$Lambda$12/0x00000008001a.apply'))).toBe(
      fingerprintError(java('com.acme.Foo$$Lambda$907/0x0000000800ff.apply')),
    );
  });
});

// Values that change between occurrences of one bug; one kind per slot, as in a real template.
const VOLATILE_KINDS: fc.Arbitrary<string>[] = [
  fc.nat().map(String),
  fc.uuid(),
  fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }).map(String),
  fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }).map((ms) => new Date(ms).toISOString()),
  // Addresses as they appear in logs: RFC 5322 also allows quotes, / and = in the local part.
  fc.emailAddress().filter((email) => /^[\w.+-]+@/.test(email)),
  fc.bigInt({ min: 0n, max: 2n ** 48n }).map((n) => `0x${n.toString(16)}`),
  fc.stringMatching(/^[0-9a-f]{40}$/),
  fc.ipV4().map((ip) => `${ip}:5000`),
];
const twoOfOneKind = fc.constantFrom(...VOLATILE_KINDS).chain((kind) => fc.tuple(kind, kind));

const TEMPLATES = [
  (v: string) => `order ${v} not found`,
  (v: string) => `cannot charge customer '${v}': card declined`,
  (v: string) => `lock on "${v}" held by another worker`,
  (v: string) => `timeout after ${v}`,
];

describe('fingerprintError across builds of a minified bundle', () => {
  // esbuild 0.28 --minify, one bundle path, Node 20 (captured): build a, then build b after an
  // unrelated change elsewhere in the code (the same bug: `total` is `a` in one, `e` in the other),
  // and build c, another bug in the same bundle.
  const record = (build: string) => {
    const text = readFileSync(
      new URL(
        `../fixtures/traces/javascript/node20-esbuild-0.28-minified-build-${build}.txt`,
        import.meta.url,
      ),
      'utf8',
    );
    const [found] = detectErrors(makeEvents([text.trimEnd()]));
    if (!found) throw new Error(`no record in build ${build}`);
    return found.record;
  };

  it('keeps one bug one fingerprint when the minifier renames its functions', () => {
    const [a, b] = [record('a'), record('b')];
    expect(a.frames.at(-1)?.function).not.toBe(b.frames.at(-1)?.function);
    expect(fingerprintError(a)).toBe(fingerprintError(b));
  });

  it('tells two bugs of one bundle apart by their messages', () => {
    expect(fingerprintError(record('c'))).not.toBe(fingerprintError(record('a')));
    expect(fingerprintParts(record('a')).message).toBeDefined();
  });

  it("keeps function names that are no minifier's in the key, and the message out", () => {
    expect(fingerprintParts(makeRecord()).message).toBeUndefined();
    const renamed = makeRecord({
      frames: makeRecord().frames.map((f) => ({ ...f, function: 'placeOrder' })),
    });
    expect(fingerprintError(renamed)).not.toBe(fingerprintError(makeRecord()));
  });
});

describe('fingerprintError properties', () => {
  it('is the same for one bug logged with other ids, numbers, timestamps, e-mails and hex', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TEMPLATES),
        twoOfOneKind,
        fc.boolean(),
        (template, [a, b], hasFrames) => {
          const frames = hasFrames ? makeRecord().frames : [];
          const one = makeRecord({ message: template(a), frames });
          const two = makeRecord({ message: template(b), frames });
          expect(fingerprintError(one)).toBe(fingerprintError(two));
        },
      ),
    );
  });

  it('is the same under changed line numbers and deploy-version paths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5000 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 999 }),
        (lines, major, patch) => {
          const frames = makeRecord().frames.map((frame, i) => ({
            ...frame,
            line: lines[i] ?? 0,
            file: frame.file.replace('/var/task/', `/srv/app-${major}.0.${patch}/`),
          }));
          expect(fingerprintError(makeRecord({ frames }))).toBe(fingerprintError(makeRecord()));
        },
      ),
    );
  });

  it('differs when the innermost in-app function differs', () => {
    const identifier = fc.stringMatching(/^[a-z][a-zA-Z]{2,15}$/);
    fc.assert(
      fc.property(identifier, identifier, (a, b) => {
        fc.pre(a !== b);
        const at = (fn: string) =>
          makeRecord({ frames: [...makeRecord().frames, makeFrame({ function: fn })] });
        expect(fingerprintError(at(a))).not.toBe(fingerprintError(at(b)));
      }),
    );
  });

  it('differs when the innermost in-app file differs', () => {
    const segment = fc.stringMatching(/^[a-z][a-z_]{2,12}$/);
    fc.assert(
      fc.property(segment, segment, (a, b) => {
        fc.pre(a !== b);
        const at = (dir: string) =>
          makeRecord({
            frames: [makeFrame({ file: `/var/task/src/${dir}/handler.js`, function: 'handle' })],
          });
        expect(fingerprintError(at(a))).not.toBe(fingerprintError(at(b)));
      }),
    );
  });
});

describe('fingerprintError on a storm of one-line errors (memoised by digit shape)', () => {
  const record = (message: string) => ({
    language: 'unknown' as const,
    exceptionType: 'IllegalStateException',
    message,
    frames: [],
    causes: [],
  });
  it('gives each message the fingerprint its own parts give, whatever was seen before', () => {
    const messages = [
      'order 4411 has no lines',
      'order 9999 has no lines',
      'token 0x1f expired',
      'token 1x1f expired',
      'token 2x1f expired',
      'seen at 2024-05-01 and 1-2-3',
      'seen at 1111-11-11 and 1-2-3',
      'card 4111 1111 1111 1111 declined',
      'card 4111 1111 1111 1112 declined',
    ];
    const first = messages.map((m) => fingerprintError(record(m)));
    const again = [...messages]
      .reverse()
      .map((m) => fingerprintError(record(m)))
      .reverse();
    expect(again).toEqual(first);
    // what an unmemoised computation says: the parts decide
    for (const [i, m] of messages.entries()) {
      const twin = messages.find(
        (other) =>
          other !== m && fingerprintParts(record(other)).message === fingerprintParts(record(m)).message,
      );
      if (twin) expect(first[i]).toBe(fingerprintError(record(twin)));
      else expect(first.filter((f) => f === first[i])).toHaveLength(1);
    }
    expect(fingerprintError(record('token 0x1f expired'))).not.toBe(
      fingerprintError(record('token 1x1f expired')),
    );
  });
});

// CompletableFuture.join() rethrows what failed in the pool as a CompletionException whose own
// frames are the pool's (captured on Java 17): the application's code that failed is under
// `Caused by:` only. The fingerprint was made of CompletableFuture's and Thread's frames, and the
// pull request, the branch and the email said it was raised at Thread.java:840.
describe('an error a pool rethrows, the application only in its cause', () => {
  const lines = readFileSync(
    new URL(
      '../fixtures/traces/java/java17-completable-future-join-completion-exception.txt',
      import.meta.url,
    ),
    'utf8',
  )
    .replace(/\n+$/, '')
    .split('\n')
    .slice(1);
  const record = () => {
    const found = detectErrors(makeEvents(lines));
    expect(found).toHaveLength(1);
    return found[0]?.record as ErrorRecord;
  };

  it("is fingerprinted by the cause's frames of the application", () => {
    const parts = fingerprintParts(record());
    expect(parts.frameSource).toBe('in-app');
    expect(parts.frames).toEqual(['CheckoutService.java:lambda$checkoutAll$', 'PaymentGateway.java:charge']);
  });

  it('is raised where the cause was (whereRaised, which the pull request and the email say), and its branch named so', () => {
    const error = record();
    expect(whereRaised(error)).toMatchObject({ file: 'PaymentGateway.java', line: 8 });
    expect(renderBranchName({ error, fingerprint: 'abcdef0123456789' })).toBe(
      'fix/completion-exception-charge-abcdef01',
    );
    // an error with a frame of its own is raised there, whatever its causes hold
    const own = { ...error, frames: [{ file: 'Shop.java', line: 3, function: 'Shop.run', inApp: true }] };
    expect(whereRaised(own)).toMatchObject({ file: 'Shop.java', line: 3 });
  });
});
