// Elixir's errors through the detector, as Logger's console backend and the runtime print them
// (captured with Elixir 1.14 / OTP 25, 1.18 / OTP 27 and 1.20 / OTP 29; see
// test/unit/parse-trace/elixir.test.ts), in both shapes
// CloudWatch receives them: one event holding a whole print, or one event per line.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { stripLogPrefix } from '../../../functions/core/detect/strip-log-prefix.ts';
import { explainUnplacedTrace } from '../../../functions/core/repair/explain-unplaced-trace.ts';
import {
  DEFAULT_FILTER_TERMS,
  deliveries,
  makeEvents,
  passesDefaultFilter,
  traceText,
} from '../../support/log-events.ts';

const fixture = (name: string): string => traceText(`elixir/${name}.txt`);

/** The records of a captured console print, one event per line (how a container's stderr is shipped). */
const perLine = (text: string): ErrorRecord[] =>
  detectErrors(makeEvents(deliveries(text).perLine)).map((d) => d.record);

/** The records when each Logger entry (and each print of the runtime's) is one event. */
function perEntry(text: string): ErrorRecord[] {
  const entries = text
    .replace(/\n+$/, '')
    .split(/\n(?=\d\d:\d\d:\d\d\.\d{3} |\*\* \()/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return detectErrors(makeEvents(entries)).map((d) => d.record);
}

const summary = (r: ErrorRecord) => ({
  type: r.exceptionType,
  message: r.message.split('\n')[0],
  where: r.frames.filter((f) => f.inApp).at(-1)?.file,
  line: r.frames.filter((f) => f.inApp).at(-1)?.line,
});

describe('Elixir errors reach the detector as records with their frames', () => {
  it.each([
    ['elixir114-mix-run-argument-error', 'ArgumentError', 'lib/shop/pricing.ex', 12],
    ['elixir114-genserver-terminating-case-clause', 'CaseClauseError', 'lib/shop/pricing.ex', 7],
    ['elixir114-task-terminating-key-error', 'KeyError', 'lib/shop/pricing.ex', 3],
    ['elixir114-logger-error-exception-format', 'ArgumentError', 'lib/shop/pricing.ex', 12],
    ['elixir114-mix-run-function-clause-error', 'FunctionClauseError', 'lib/shop/pricing.ex', 6],
    ['elixir114-exs-script-function-clause-error', 'FunctionClauseError', undefined, undefined],
    // Elixir 1.18 / OTP 27 (see below); parse_qty/1 tail-calls String.to_integer/1, which 1.18
    // inlines: no frame of the app is left
    ['elixir118-mix-run-argument-error-tail-call', 'ArgumentError', undefined, undefined],
    ['elixir118-mix-run-function-clause-error', 'FunctionClauseError', 'lib/shop/pricing.ex', 6],
    ['elixir118-task-terminating-key-error', 'KeyError', 'lib/shop/pricing.ex', 3],
    ['elixir118-release-boot-failed-to-start-child', 'ArgumentError', 'lib/boot/config_loader.ex', 6],
    ['elixir118-task-exit-timeout', 'stop', undefined, undefined],
    // Elixir 1.20 / OTP 29 prints the term a KeyError or CaseClauseError names on lines of its own
    ['elixir120-task-terminating-key-error', 'KeyError', 'lib/shop/pricing.ex', 3],
  ])('%s: one record, alike in both delivery shapes', (name, type, file, line) => {
    const text = fixture(name);
    const [lines, entries] = [perLine(text), perEntry(text)];

    expect(lines.map(summary)).toEqual([expect.objectContaining({ type, where: file, line })]);
    expect(entries.map(summary)).toEqual(lines.map(summary));
    expect(entries.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    expect(lines[0]?.language).toBe('elixir');
  });

  it("reads a release that fails to boot: the exception its supervisor's exit carries, and nothing of the VM's last words", () => {
    // `bin/boot start` of a mix release (MIX_ENV=prod) whose supervised child raised in init/1:
    // Logger's `[notice] Application boot exited: …` with the exit nested under it, its
    // exception's message printed at column 0; then the VM's `Kernel pid terminated` and crash dump
    const text = fixture('elixir114-release-boot-failed-to-start-child');
    const [lines, whole] = [
      perLine(text),
      detectErrors(makeEvents(deliveries(text).oneEvent)).map((d) => d.record),
    ];

    expect(lines.map(summary)).toEqual([
      {
        type: 'ArgumentError',
        message: 'errors were found at the given arguments:',
        where: 'lib/boot/config_loader.ex',
        line: 5,
      },
    ]);
    expect(whole.map(summary)).toEqual(lines.map(summary));
    expect(whole.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    // the message reads as it does when the same call fails outside a supervisor
    const unsupervised = perLine(fixture('elixir114-mix-run-argument-error'));
    expect(lines[0]?.message).toBe(unsupervised[0]?.message);
  });

  it("reads frames Exception.format_stacktrace printed after a logged message as that error line's", () => {
    // `Logger.error("feed import failed: " <> Exception.message(e) <> "\n" <> Exception.format_stacktrace(__STACKTRACE__))`
    // and the same with `inspect(e)`: no banner, the message of several lines (a blank line in it)
    const text = fixture('elixir114-logger-error-message-then-format-stacktrace');
    const expected = [
      {
        type: 'ERROR',
        message: 'feed import failed: errors were found at the given arguments:',
        where: 'lib/shop/pricing.ex',
        line: 12,
      },
      {
        // the exception inspect printed names the type
        type: 'ArgumentError',
        message: expect.stringMatching(/^feed import failed: %ArgumentError\{message: /),
        where: 'lib/shop/pricing.ex',
        line: 12,
      },
    ];
    const [lines, entries] = [perLine(text), perEntry(text)];

    expect(lines.map(summary)).toEqual(expected);
    expect(entries.map(summary)).toEqual(expected);
    expect(entries.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    expect(lines.every((r) => r.frames.length === 8 && r.language === 'elixir')).toBe(true);
  });

  it('reads a Logger entry that is a stacktrace alone as the trace of the error logged just before it', () => {
    // `Logger.error("feed sync crashed: #{Exception.message(e)}")` then
    // `Logger.error(Exception.format_stacktrace(__STACKTRACE__))`, a common pair in rescue clauses
    // (Elixir 1.18): two entries, the second's first frame right after its `[error]`; a message
    // that ends with a line break (ArgumentError's) leaves two blank lines between them
    const text = fixture('elixir118-logger-error-message-then-format-stacktrace-entry');
    const expected = [
      {
        type: 'ERROR',
        message: 'feed sync crashed: errors were found at the given arguments:',
        where: '/tmp/cap-ex/twoentries.exs',
        line: 8,
      },
      {
        type: 'KeyError',
        message: 'Pricing error: %KeyError{key: :lines, term: %{}, message: nil}',
        where: 'lib/shop/pricing.ex',
        line: 3,
      },
    ];
    const [lines, entries] = [perLine(text), perEntry(text)];
    expect(lines.map(summary)).toEqual(expected);
    expect(entries.map(summary)).toEqual(expected);
    expect(entries.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    // every frame is a frame: none was taken for a message
    expect(lines.map((r) => r.frames.length)).toEqual([8, 8]);

    // with no error line before it (a warning, as Oban's docs' example logger writes), the entry
    // is an error of its own level, with its frames and no message
    const alone = text.replace('[error] Pricing error:', '[warning] Pricing error:');
    expect(perLine(alone).slice(1).map(summary)).toEqual([
      { type: 'ERROR', message: '', where: 'lib/shop/pricing.ex', line: 3 },
    ]);
  });

  it("reads telemetry's report of a handler it detached: the error its reason names, the frames of its stacktrace term", () => {
    // telemetry's own logging call and report format (beam-telemetry/telemetry a382cd1, run on
    // Elixir 1.18): a handler that raised is detached — what it measured goes unrecorded from then
    // on — and `Reason=` / `Stacktrace=` are printed as Erlang terms, not as Elixir's stacktrace
    const text = fixture('elixir118-telemetry-handler-failed-detached');
    const [lines, entries] = [perLine(text), perEntry(text)];
    const expected = [
      {
        type: 'ArithmeticError',
        message:
          'Handler "shop-metrics" has failed and has been detached: bad argument in arithmetic expression',
        where: '/tmp/cap-ex/telemetry_fail.exs',
        line: 22,
      },
      {
        type: 'FunctionClauseError',
        message:
          'Handler {Shop.Metrics, :checkout} has failed and has been detached: no function clause matches',
        where: '/tmp/cap-ex/telemetry_fail.exs',
        line: 21,
      },
    ];
    expect(lines.map(summary)).toEqual(expected);
    expect(entries.map(summary)).toEqual(expected);
    expect(entries.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    expect(lines[0]?.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual([
      'FakeTelemetry.execute/3',
      'Shop.Metrics.handle_event/4',
    ]);
  });

  it("keeps a Logger crash report's header the lead of its error, not an error of its own", () => {
    const [record, ...others] = perLine(fixture('elixir114-task-terminating-key-error'));

    expect(others).toEqual([]);
    expect(record?.raw.split('\n').slice(0, 2)).toEqual([
      'Task #PID<0.139.0> started from #PID<0.96.0> terminating',
      '** (KeyError) key :lines not found in: %{}',
    ]);
    // its fields are part of the report, not loose lines
    expect(record?.raw).toContain('Args: []');
  });

  it('gives a GenServer crash and the exit its caller dies of, one print each, one fingerprint', () => {
    const records = perLine(fixture('elixir114-genserver-crash-and-caller-exit'));

    expect(records.map(summary)).toEqual([
      {
        type: 'CaseClauseError',
        message: 'no case clause matching: "NOPE"',
        where: 'lib/shop/pricing.ex',
        line: 7,
      },
      {
        type: 'CaseClauseError',
        message: 'no case clause matching: "NOPE"',
        where: 'lib/shop/pricing.ex',
        line: 7,
      },
    ]);
    expect(new Set(records.map(fingerprintError)).size).toBe(1);
  });

  it("reads Plug.Cowboy's report: its request lines between the header and the exit are the header's, the exception is the error", () => {
    // Plug.Cowboy's text (its handler's `#PID<…> running … terminated`, `Server:`, `Request:`) with
    // Exception.format_exit of a real raise, logged through Logger; then a Logger line with metadata
    const records = perLine(fixture('elixir114-task-exit-timeout-plug-cowboy-report-console-metadata'));

    expect(records.map(summary)).toEqual([
      {
        type: 'stop',
        message: 'exited in: GenServer.call(Shop.Slow, :work, 100)',
        where: undefined,
        line: undefined,
      },
      {
        type: 'ArithmeticError',
        message: 'bad argument in arithmetic expression',
        where: 'lib/shop/pricing.ex',
        line: 3,
      },
      {
        type: 'ERROR',
        message: 'payment failed for order 4411: card declined',
        where: undefined,
        line: undefined,
      },
    ]);
    expect(records[1]?.raw.split('\n').slice(0, 3)).toEqual([
      '#PID<0.527.0> running ShopWeb.Endpoint (connection #PID<0.526.0>, stream id 1) terminated',
      '** (exit) an exception was raised:',
      '    ** (ArithmeticError) bad argument in arithmetic expression',
    ]);
  });

  it('gives one bug one fingerprint across processes, requests and references', () => {
    // https://github.com/phoenixframework/phoenix/issues/2935: a pool checkout that timed out
    const text = fixture('issue-phoenix-2935-gen-server-call-timeout');
    const again = text
      .replaceAll('#PID<0.2445.0>', '#PID<0.9911.0>')
      .replaceAll('#PID<0.1956.0>', '#PID<0.1960.0>')
      .replace('#Reference<0.2352882790.4029939713.206560>', '#Reference<0.118.77215.9>')
      .replace('/path/8/any/337/here/37', '/path/9/any/12/here/5');
    const [first, second] = [perLine(text), perLine(again)];

    expect(first.map(summary)).toEqual([
      {
        type: 'exit',
        message: expect.stringMatching(/^exited in: :gen_server\.call\(/),
        where: undefined,
        line: undefined,
      },
    ]);
    expect(first[0]?.message.split('\n')[1]).toBe('** (EXIT) time out');
    expect(second.map(fingerprintError)).toEqual(first.map(fingerprintError));
  });

  it("reads logger_json's Datadog and Basic lines of a crash report as the console's, one fingerprint", () => {
    // Written from logger_json 7.0.4's formatters: Basic puts Logger's text in `message`, beside
    // `severity`; Datadog puts it in `message` and `error.message`, the level in `syslog.severity`,
    // the exception's module in `error.kind` and Exception.format_stacktrace (frames alone) in
    // `error.stack`. The text is the captured report, its Logger line left out.
    const report = fixture('elixir114-genserver-terminating-case-clause').trim().split('\n').slice(1);
    const message = report.join('\n');
    const stack = report
      .slice(2, 7)
      .map((frame) => `${frame}\n`)
      .join('');
    const datadog = JSON.stringify({
      syslog: { hostname: 'ip-10-0-1-7', severity: 'error', timestamp: '2026-12-07T04:51:15.084Z' },
      logger: {
        file_name: 'gen_server.erl',
        line: 1450,
        method_name: 'error_info/8',
        thread_name: '#PID<0.140.0>',
      },
      message,
      error: { kind: 'CaseClauseError', message, stack },
    });
    const basic = JSON.stringify({
      message,
      metadata: { domain: ['otp'] },
      severity: 'error',
      time: '2026-12-07T04:51:15.084Z',
    });
    const printed = perLine(fixture('elixir114-genserver-terminating-case-clause'));

    for (const line of [datadog, basic]) {
      const records = detectErrors(makeEvents([line])).map((d) => d.record);
      expect(records.map(summary)).toEqual(printed.map(summary));
      expect(records.map(fingerprintError)).toEqual(printed.map(fingerprintError));
    }
  });

  it('names a logged line by the exception it holds: a banner inside it, or an exception printed by inspect', () => {
    // https://github.com/thechangelog/changelog.com/pull/269: Postgrex's pool logs a disconnect
    const records = perLine(
      [
        '18:56:27.085 [error] Postgrex.Protocol (#PID<0.567.0>) disconnected: ** (DBConnection.ConnectionError) client #PID<0.1043.0> exited',
        '18:56:27.301 [error] import failed: %ArgumentError{message: "bad row"}',
        '18:56:27.302 [error] payment failed: card declined',
      ].join('\n'),
    );
    expect(records.map((r) => [r.language, r.exceptionType, r.message])).toEqual([
      ['elixir', 'DBConnection.ConnectionError', 'client #PID<0.1043.0> exited'],
      ['elixir', 'ArgumentError', 'import failed: %ArgumentError{message: "bad row"}'],
      ['unknown', 'ERROR', 'payment failed: card declined'],
    ]);
  });

  it("reads the Erlang VM's allocator failure as a fatal error whose email says what it means, with no model call", () => {
    // Elixir 1.14 / OTP 25 under `ulimit -v` (`+MMscs 64` so the VM starts), a list grown without
    // end: the VM's two last lines on stderr, no prefix, no level, no stack
    const text = fixture('elixir114-beam-out-of-memory');
    const { oneEvent, perLine: lines } = deliveries(text);
    const prints: string[] = [];
    for (const messages of [oneEvent, lines]) {
      const records = detectErrors(makeEvents(messages)).map((d) => d.record);
      expect(records).toMatchObject([
        {
          exceptionType: 'FATAL',
          message: 'eheap_alloc: Cannot allocate 123210440 bytes of memory (of type "heap").',
          frames: [],
        },
      ]);
      expect(
        explainUnplacedTrace({ error: records[0] as ErrorRecord, mappings: [], scope: 'trace' }),
      ).toMatch(
        /^no fix was attempted: the Erlang VM could not allocate memory .*eheap_alloc: a process heap.* \(no model call was made\)$/,
      );
      prints.push(fingerprintError(records[0] as ErrorRecord));
    }
    // another size, the same failure; the filter delivers the line
    const other = detectErrors(makeEvents([lines[0]?.replace('123210440', '98566352') ?? ''])).map(
      (d) => d.record,
    );
    expect(other.map(fingerprintError)).toEqual([prints[0]]);
    expect(lines.filter(passesDefaultFilter)).toEqual([lines[0]]);
  });

  it("reads Logger's console metadata between the time and the level", () => {
    expect(stripLogPrefix('04:53:34.078 request_id=F7x2kQm9Zp1AAAAB [error] payment failed')).toEqual({
      level: 'error',
      body: 'payment failed',
    });
    expect(
      stripLogPrefix(
        '2026-12-07 04:53:34.078 request_id=F7x2kQm9Zp1AAAAB user_id=42 [warning] slow checkout',
      ),
    ).toEqual({ level: 'warn', body: 'slow checkout' });
    // a line whose words merely look like metadata keeps them
    expect(stripLogPrefix('04:53:34.078 order=1 paid').body).toBe('order=1 paid');
  });

  it('reads an exception named without Error in an unlogged print', () => {
    const text =
      '** (Shop.CardDeclined) card ending 4242 declined\n    (shop 0.1.0) lib/shop/payments.ex:9: Shop.Payments.charge/2\n';
    expect(perLine(text).map(summary)).toEqual([
      {
        type: 'Shop.CardDeclined',
        message: 'card ending 4242 declined',
        where: 'lib/shop/payments.ex',
        line: 9,
      },
    ]);
  });

  it("is delivered by the default filter through Logger's `[error]` line and the exception's banner: the two lines to read the rest around", () => {
    const text = fixture('elixir114-genserver-terminating-case-clause');
    const delivered = deliveries(text).perLine.filter(passesDefaultFilter);

    expect(delivered).toEqual([
      '04:51:15.084 [error] GenServer Shop.Cart terminating',
      '** (CaseClauseError) no case clause matching: "NOPE"',
    ]);
    const found = detectErrors(makeEvents(delivered));
    expect(found.map((d) => [d.record.exceptionType, d.needsContext])).toEqual([['CaseClauseError', true]]);
    // a Logger.error of a message alone holds no other term of the filter
    const logged = fixture('elixir114-logger-error-interpolated-message').trim();
    expect(DEFAULT_FILTER_TERMS.filter((term) => logged.includes(term))).toEqual(['[error]']);
  });
});

describe('Elixir 1.18 / OTP 27 and 1.20 / OTP 29, the current release lines, read as 1.14 / OTP 25 did', () => {
  // Captured with Debian trixie's Elixir 1.18.3 / OTP 27 running the same programs as the 1.14
  // fixtures (test/fixtures/apps/elixir-shop, a mix release): OTP 27 moved every stdlib line,
  // dropped proc_lib from a Task's stack, added an `{exit,terminating,…}` term before a failed
  // boot, and `mix run -e` prints the evaluated string as a frame of its own (`nofile:1: (file)`).
  // Elixir 1.20.4 / OTP 29 (Debian sid) ran them again: it prints the term a KeyError or a
  // CaseClauseError names on lines of its own (and a compile warning's box before a `mix run`).
  it('keeps the fingerprint of a bug whose stack reaches the app across the upgrade: no incident opens again', () => {
    for (const [before, after] of [
      ['elixir114-genserver-crash-and-caller-exit', 'elixir118-genserver-crash-and-caller-exit'],
      ['elixir114-task-terminating-key-error', 'elixir118-task-terminating-key-error'],
      ['elixir114-release-boot-failed-to-start-child', 'elixir118-release-boot-failed-to-start-child'],
      // 1.20 moves the term a CaseClauseError or KeyError names to lines of its own
      ['elixir114-genserver-crash-and-caller-exit', 'elixir120-genserver-crash-and-caller-exit'],
      ['elixir114-task-terminating-key-error', 'elixir120-task-terminating-key-error'],
    ] as const) {
      const [old, now] = [perLine(fixture(before)), perLine(fixture(after))];
      expect(now.map(fingerprintError), after).toEqual(old.map(fingerprintError));
      expect(now.length, after).toBeGreaterThan(0);
    }
  });

  it("reads a job Oban saw fail from its default logger's line: at info, the error's banner, no stack", () => {
    // Oban.Telemetry.attach_default_logger's `job:exception` lines (the call and the errors Oban
    // builds, oban-bg/oban 2939e313, run on Elixir 1.18): a raised exception on two attempts,
    // `{:error, reason}` (Oban.PerformError), an exit (Oban.CrashError); `job:start` and `job:stop`
    // around them. Oban rescues the job: no crash report follows, this line is all there is.
    const text = fixture('elixir118-oban-default-logger-job-exception');
    const [lines, entries] = [perLine(text), perEntry(text)];
    const expected = [
      { type: 'RuntimeError', message: 'card ending 4242 declined' },
      { type: 'RuntimeError', message: 'card ending 4242 declined' },
      { type: 'Oban.PerformError', message: 'Shop.Workers.Charge failed with {:error, "card declined"}' },
      // the exit Oban.CrashError wraps is the error
      { type: 'exit', message: 'time out' },
    ];
    expect(lines.map((r) => ({ type: r.exceptionType, message: r.message }))).toEqual(expected);
    expect(entries.map(fingerprintError)).toEqual(lines.map(fingerprintError));
    expect(lines.every((r) => r.language === 'elixir' && r.frames.length === 0)).toBe(true);
    // the same failure on its next attempt is the same incident
    expect(fingerprintError(lines[0] as ErrorRecord)).toBe(fingerprintError(lines[1] as ErrorRecord));
    // Oban's lines of a job that ran or succeeded are no errors, nor is any other line at info
    // naming Oban as its source
    const quiet = [
      '{"args":{},"event":"job:stop","source":"oban","state":"success","worker":"Shop.Workers.Charge"}',
      '{"error":"** (RuntimeError) boom","event":"plugin:exception","source":"other"}',
    ];
    expect(detectErrors(makeEvents(quiet))).toEqual([]);
  });

  it("places a script's code in the script, whatever module it was compiled into, and code evaluated from a string nowhere", () => {
    // `anonymous fn/0 in :elixir_compiler_2.__FILE__/1`: a spawned function of a .exs script
    const records = perLine(fixture('elixir118-spawned-process-raise-and-throw-script'));
    expect(records.map(summary)).toEqual([
      { type: 'RuntimeError', message: 'boom', where: '/tmp/cap-ex/spawn.exs', line: 1 },
      {
        type: 'ErlangError',
        message: 'Erlang error: {:nocatch, :oops}',
        where: '/tmp/cap-ex/spawn.exs',
        line: 2,
      },
    ]);
    // `nofile:1: (file)`: the string `mix run -e` evaluated is no file of the repository
    const [evaluated] = perLine(fixture('elixir118-mix-run-argument-error-tail-call'));
    expect(evaluated?.frames.find((f) => f.file === 'nofile')).toMatchObject({ inApp: false });
  });
});
