import { describe, expect, it } from 'vitest';
import { stripLogPrefix, toLevel } from '../../../functions/core/detect/strip-log-prefix.ts';

describe('stripLogPrefix', () => {
  it.each([
    ['2024-05-01 12:00:00.123 ERROR [main] c.e.App - Failed to process', 'error', 'Failed to process'],
    [
      '2024-05-01T12:00:00.123Z\t6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11\tERROR\tInvoke Error \t{"errorType":"Error"}',
      'error',
      'Invoke Error \t{"errorType":"Error"}',
    ],
    ['[ERROR]\t2024-05-01T12:00:00.123Z\t6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11\tboom', 'error', 'boom'],
    ['[ERROR] ValueError: bad', 'error', 'ValueError: bad'],
    ['ERROR:root:something failed', 'error', 'something failed'],
    ['2024-03-05 12:00:00,123 - myapp - ERROR - boom', 'error', 'boom'],
    ['E0305 12:00:05.123456       1 reflector.go:138] failed to list', 'error', 'failed to list'],
    [
      'INFO  [main] o.s.w.s.h.SimpleUrlHandlerMapping: ErrorHandler registered for /error',
      'info',
      'ErrorHandler registered for /error',
    ],
    [
      '[Sun Dec 04 06:58:29 2005] [error] mod_jk child workerEnv in error state 6',
      'error',
      'mod_jk child workerEnv in error state 6',
    ],
    ['2024-03-05T12:00:00.000000000Z stderr F panic: boom', undefined, 'panic: boom'],
    // Celery's worker log, its process format and its plain one (celery/app/defaults.py)
    [
      "[2026-12-06 21:36:41,394: ERROR/MainProcess] Task shop.price[424ab0e7-f144-4f3e-b3b9-d89d7a0cdca8] raised unexpected: KeyError('lines')",
      'error',
      "Task shop.price[424ab0e7-f144-4f3e-b3b9-d89d7a0cdca8] raised unexpected: KeyError('lines')",
    ],
    [
      '[2026-12-06 21:36:41,390: INFO/ForkPoolWorker-2] Task shop.price[4] received',
      'info',
      'Task shop.price[4] received',
    ],
    ['[2026-12-06 21:36:40,001: WARNING] celery@vm ready.', 'warn', 'celery@vm ready.'],
    // rsyslog's files: the header goes, the message keeps its own prefix, `#011` is a tab again
    [
      'Dec  5 19:11:27 vm shop-worker[4242]: ERROR shop.prices: price refresh failed',
      'error',
      'price refresh failed',
    ],
    [
      'Dec 15 19:11:27 ip-10-0-4-7 orders[31337]: #011/srv/orders/main.go:16 +0x67',
      undefined,
      '\t/srv/orders/main.go:16 +0x67',
    ],
    [
      '2026-12-05T19:11:27.085534+00:00 vm orders[31337]: goroutine 1 [running]:',
      undefined,
      'goroutine 1 [running]:',
    ],
    ['Dec  5 19:11:27 vm orders[31337]: #033[31mpanic: boom#033[0m', undefined, 'panic: boom'],
    [
      '2026/12/05 20:58:13 [error] 14195#14195: *1 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Error: x in /w/a.php:5',
      'error',
      'PHP Fatal error:  Uncaught Error: x in /w/a.php:5',
    ],
    // nginx logs php-fpm's stderr at [error] whatever PHP's level: PHP's label is the level, and
    // of the messages joined with `; ` the first error is the line (nginx 1.26 + php-fpm 8.4)
    [
      '2026/12/07 07:39:56 [error] 1235#1235: *1 FastCGI sent in stderr: "PHP message: PHP Deprecated:  label(): Implicitly marking parameter $qty as nullable is deprecated',
      'info',
      'PHP Deprecated:  label(): Implicitly marking parameter $qty as nullable is deprecated',
    ],
    [
      '2026/12/07 07:39:56 [error] 1235#1235: *1 FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined variable $x in /w/a.php on line 3',
      'warn',
      'PHP Warning:  Undefined variable $x in /w/a.php on line 3',
    ],
    [
      '2026/12/07 07:39:23 [error] 732#732: *1 FastCGI sent in stderr: "PHP message: PHP Deprecated:  handle(): Implicitly marking parameter $cart as nullable is deprecated in /w/index.php on line 4; PHP message: PHP Fatal error:  Uncaught Error: x in /w/a.php:5',
      'error',
      'PHP Fatal error:  Uncaught Error: x in /w/a.php:5',
    ],
    [
      '2026/12/05 20:58:13 [error] 14195#14195: *5 FastCGI sent in stderr: "Primary script unknown',
      'error',
      'Primary script unknown',
    ],
    ['2026/12/05 20:58:13 [crit] 14195#14195: *3 connect() failed', 'fatal', 'connect() failed'],
    // without a `[pid]`, an ISO timestamp, a word and a colon are an application's own prefix
    ['2024-05-01T12:00:00Z ERROR root: boom', 'error', 'boom'],
    // Go's log date before a level: log/slog's default handler (Go 1.24), a `log.Printf("ERROR: …")`
    [
      '2026/12/07 07:43:38 ERROR charge failed order=o-17 err="card declined: insufficient funds"',
      'error',
      'charge failed order=o-17 err="card declined: insufficient funds"',
    ],
    ['2026/12/07 07:43:38.123456 ERROR: payment failed', 'error', 'payment failed'],
    // with log.Lshortfile (Llongfile) the call's place is between (Go 1.19, log.Printf("ERROR: %v", err))
    [
      '2026/12/08 00:59:20 main.go:19: ERROR: charge order ord-42: card declined: insufficient funds',
      'error',
      'charge order ord-42: card declined: insufficient funds',
    ],
    ['2026/12/08 00:59:20 /srv/app/cmd/worker/main.go:19: WARN: slow charge', 'warn', 'slow charge'],
    // before any other word it is the line's own (net/http's panic, gin's Recovery read it there)
    [
      '2026/12/07 07:43:38 http: panic serving 10.0.0.1:4242: boom',
      undefined,
      '2026/12/07 07:43:38 http: panic serving 10.0.0.1:4242: boom',
    ],
    [
      '2026/12/07 07:43:38 [Recovery] 2026/12/07 - 07:43:38 panic recovered:',
      undefined,
      '2026/12/07 07:43:38 [Recovery] 2026/12/07 - 07:43:38 panic recovered:',
    ],
  ])('%s', (line, level, body) => {
    expect(stripLogPrefix(line)).toEqual(level ? { level, body } : { body });
  });

  it('leaves program text alone when there is no prefix', () => {
    for (const line of [
      'java.lang.IllegalStateException: boom',
      '\tat com.x.Y.z(Y.java:1)',
      'E something',
      'Error budget remaining: 99.95%',
    ]) {
      expect(stripLogPrefix(line)).toEqual({ body: line });
    }
  });

  it("strips Rails' request-id tag, after the Logger's prefix and at the start of the call's other lines", () => {
    const tag = '[86b44f6c-8867-4ddb-bbb7-c0c09323c2fb]';
    expect(stripLogPrefix(`F, [2026-12-06T23:08:31.468527 #8826] FATAL -- : ${tag}   `)).toEqual({
      level: 'fatal',
      body: '  ',
    });
    expect(stripLogPrefix(`${tag} app/models/order.rb:3:in \`total'`)).toEqual({
      body: "app/models/order.rb:3:in `total'",
    });
    // a tag is a request id: other bracketed words stay
    expect(stripLogPrefix('[checkout] payment failed')).toEqual({ body: '[checkout] payment failed' });
  });

  it('maps pino/bunyan numeric levels', () => {
    expect([toLevel(30), toLevel(40), toLevel(50), toLevel(60), toLevel('Error'), toLevel('nope')]).toEqual([
      'info',
      'warn',
      'error',
      'fatal',
      'error',
      undefined,
    ]);
  });

  it('reads levels in any case and never a name an object inherits', () => {
    expect(['ERROR', 'error', 'Error', 'eRRoR'].map(toLevel)).toEqual(['error', 'error', 'error', 'error']);
    expect(['warning', 'Info', 'crit', 'T'].map(toLevel)).toEqual(['warn', 'info', 'fatal', 'debug']);
    expect(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'loud'].map(toLevel)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
