// Elixir's errors, captured from Elixir 1.14 / OTP 25 (Debian 12's `elixir` package) running a
// small mix project (`lib/shop/pricing.ex`, `cart.ex`, `jobs.ex`) with `mix run` and `elixir`,
// or quoted from public issue threads (named `issue-*`, the thread in the test).
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../../functions/core/contracts.ts';
import { elixirParser, readElixirBanner } from '../../../functions/core/detect/parse-trace/elixir.ts';
import { traceText } from '../../support/log-events.ts';

const fixture = (name: string): string => traceText(`elixir/${name}.txt`);

/** The lines from the first banner on, without the Logger line and blank line before it. */
const fromBanner = (text: string): string => text.slice(text.indexOf('** ('));

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => elixirParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!elixirParser.continuesTrace(line, block) && !elixirParser.continuesMessage?.(line, block)) break;
    block.push(line);
  }
  return block;
}

const placed = (frames: readonly StackFrame[] | undefined) =>
  frames?.map((f) => [f.file, f.line ?? null, f.function, f.inApp]);

describe('elixirParser', () => {
  it('reads an unhandled error: its message of several lines, the BIF it was raised in, frames outermost first', () => {
    const trace = elixirParser.parse(fixture('elixir114-mix-run-argument-error'));

    expect(trace?.language).toBe('elixir');
    expect(trace?.exceptionType).toBe('ArgumentError');
    expect(trace?.message).toBe(
      'errors were found at the given arguments:\n\n  * 1st argument: not a textual representation of an integer',
    );
    expect(placed(trace?.frames)).toEqual([
      ['lib/mix/tasks/run.ex', 140, 'Mix.Tasks.Run.run/5', false],
      ['lib/enum.ex', 975, 'Enum."-each/2-lists^foreach/1-0-"/2', false],
      ['lib/code.ex', 422, 'Code.validated_eval_string/3', false],
      ['erl_eval.erl', 744, ':erl_eval.do_apply/7', false],
      ['lib/shop/pricing.ex', 12, 'Shop.Pricing.parse_qty/1', true],
      ['', null, ':erlang.binary_to_integer("x")', false],
    ]);
    expect(trace?.frames.at(-2)?.module).toBe('Shop.Pricing');
    expect(trace?.causes).toEqual([]);
  });

  it("reads a GenServer's crash report and stops at its fields: the client's stacktrace after them is not the error's", () => {
    const text = fixture('elixir114-genserver-terminating-case-clause');
    const trace = elixirParser.parse(text);

    expect(trace?.exceptionType).toBe('CaseClauseError');
    expect(trace?.message).toBe('no case clause matching: "NOPE"');
    expect(placed(trace?.frames.slice(-2))).toEqual([
      ['lib/shop/cart.ex', 12, 'Shop.Cart.handle_call/3', true],
      ['lib/shop/pricing.ex', 7, 'Shop.Pricing.discount/2', true],
    ]);
    expect(trace?.frames).toHaveLength(5);
    // the assembler keeps the report whole, fields and client stacktrace included, to the end
    expect(assemble(fromBanner(text))).toHaveLength(text.trimEnd().split('\n').length - 2);
  });

  it("takes the exception an exit carries, with its own frames, whichever process's report printed it", () => {
    const text = fixture('elixir114-genserver-crash-and-caller-exit');
    const callerExit = text.slice(text.indexOf('** (EXIT from'));
    const trace = elixirParser.parse(callerExit);

    expect(trace?.exceptionType).toBe('CaseClauseError');
    expect(trace?.message).toBe('no case clause matching: "NOPE"');
    expect(trace?.frames).toEqual(elixirParser.parse(fromBanner(text))?.frames);
    // a banner at the outer depth is another error: the report's block ends before it
    const block = assemble(fromBanner(text));
    expect(block.some((line) => line.startsWith('** (EXIT from'))).toBe(false);
  });

  it('reads an exit with no exception in it as the exit, its nested reason in the message, the frames its own', () => {
    const text = fixture('elixir114-task-exit-timeout-plug-cowboy-report-console-metadata');
    const trace = elixirParser.parse(fromBanner(text));

    expect(trace?.exceptionType).toBe('stop');
    expect(trace?.message).toBe('exited in: GenServer.call(Shop.Slow, :work, 100)\n** (EXIT) time out');
    expect(placed(trace?.frames)).toEqual([
      ['proc_lib.erl', 240, ':proc_lib.init_p_do_apply/3', false],
      ['lib/task/supervised.ex', 89, 'Task.Supervised.invoke_mfa/2', false],
      ['lib/gen_server.ex', 1038, 'GenServer.call/3', false],
    ]);
  });

  it("reads an anonymous function's frame as the function it is in, and an Erlang operator as the runtime's", () => {
    const text = fixture('elixir114-task-exit-timeout-plug-cowboy-report-console-metadata');
    const trace = elixirParser.parse(text.slice(text.indexOf('** (exit) an exception')));

    expect(trace?.exceptionType).toBe('ArithmeticError');
    expect(trace?.frames.at(-1)).toEqual({
      file: '',
      function: ':erlang.*("2", 5)',
      module: ':erlang',
      inApp: false,
    });
    expect(trace?.frames.at(-2)).toEqual({
      file: 'lib/shop/pricing.ex',
      line: 3,
      function: 'anonymous fn/2 in Shop.Pricing.total/1',
      module: 'Shop.Pricing',
      inApp: true,
    });
    // a script's own line (`elixir file.exs`) is the application's
    expect(trace?.frames.find((f) => f.function === '(file)')).toMatchObject({
      file: '/tmp/ex/exit.exs',
      inApp: true,
    });
  });

  it("keeps FunctionClauseError's arguments in its message and reads none of them as a frame", () => {
    const trace = elixirParser.parse(fixture('elixir114-mix-run-function-clause-error'));

    expect(trace?.exceptionType).toBe('FunctionClauseError');
    expect(trace?.message.split('\n')[0]).toBe('no function clause matching in Shop.Pricing.discount/2');
    expect(trace?.message).toContain('def discount(+total+, +code+) when -is_binary(code)-');
    expect(trace?.frames).toHaveLength(6);
    expect(placed(trace?.frames.slice(-1))).toEqual([
      ['lib/shop/pricing.ex', 6, 'Shop.Pricing.discount/2', true],
    ]);
  });

  it('reads a call to an undefined function, printed with its arguments and no file, as the frame it is', () => {
    const trace = elixirParser.parse(fixture('elixir114-mix-run-undefined-function'));

    expect(trace?.exceptionType).toBe('UndefinedFunctionError');
    expect(trace?.frames.at(-1)).toEqual({
      file: '',
      function: 'Shop.Pricing.nope(1)',
      module: 'Shop.Pricing',
      inApp: true,
    });
  });

  it("keeps frames of Phoenix's own code and of a dependency compiled into the application out of the app", () => {
    // https://github.com/lambdaclass/lambda_ethereum_consensus/issues/1094 (Phoenix 1.7, Plug.Cowboy 2.7)
    const text = fixture('issue-lambda-ethereum-consensus-1094-deps-endpoint');
    const trace = elixirParser.parse(fromBanner(text));

    expect(trace?.exceptionType).toBe('RuntimeError');
    expect(placed(trace?.frames)).toEqual([
      ['/consensus/deps/cowboy/src/cowboy_handler.erl', 37, ':cowboy_handler.execute/2', false],
      ['lib/plug/cowboy/handler.ex', 11, 'Plug.Cowboy.Handler.init/2', false],
      ['lib/beacon_api/endpoint.ex', 1, 'BeaconApi.Endpoint.call/2', true],
      ['deps/phoenix/lib/phoenix/endpoint.ex', 584, 'BeaconApi.Endpoint.script_name/0', false],
      ['deps/phoenix/lib/phoenix/endpoint.ex', 544, 'BeaconApi.Endpoint.persistent!/0', false],
    ]);
  });

  it('reads frames from before Elixir printed application versions', () => {
    // https://github.com/phoenixframework/phoenix/issues/1681 (Phoenix 1.1, 2016)
    const trace = elixirParser.parse(fromBanner(fixture('issue-phoenix-1681-plug-cowboy-case-clause')));

    expect(trace?.exceptionType).toBe('CaseClauseError');
    expect(trace?.message).toBe('no case clause matching: {:error, :timeout}');
    expect(placed(trace?.frames)).toEqual([
      ['lib/server/endpoint.ex', 1, 'Server.Endpoint.phoenix_pipeline/1', true],
      ['lib/plug/parsers.ex', 185, 'Plug.Parsers.reduce/6', false],
      ['lib/plug/parsers/urlencoded.ex', 10, 'Plug.Parsers.URLENCODED.parse/5', false],
    ]);
  });

  it('reads a stacktrace printed with no banner (Exception.format_stacktrace) as frames of an error named elsewhere', () => {
    const text = fixture('elixir114-logger-error-message-then-format-stacktrace');
    const frames = text.split('\n').filter((line) => line.startsWith('    ('));
    expect(elixirParser.startsTrace(frames[0] ?? '')).toBe(true);
    const trace = elixirParser.parse(frames.join('\n'));
    expect(trace).toMatchObject({ language: 'elixir', exceptionType: '', message: '' });
    expect(placed(trace?.frames.slice(-1))).toEqual([
      ['lib/shop/pricing.ex', 12, 'Shop.Pricing.parse_qty/1', true],
    ]);
    // only the strictest shapes start one: an application and a place, or an Erlang call
    for (const line of [
      '    (x) => x + 1',
      '    lib/shop.ex:3: Shop.run/0',
      '(shop 0.1.0) lib/shop.ex:3: Shop.run/0',
    ]) {
      expect(elixirParser.startsTrace(line), line).toBe(false);
    }
  });

  it('reports what Plug.Conn.WrapperError wraps, as the error trackers do', () => {
    // Plug's WrapperError (Plug.Debugger, Plug.ErrorHandler) has the wrapped error's banner for
    // its message (its message/1 is Exception.format_banner); Plug.Cowboy unwraps it before
    // logging, a test run or another server may not
    const trace = elixirParser.parse(
      [
        '** (Plug.Conn.WrapperError) ** (RuntimeError) card ending 4242 declined',
        '    (shop 0.1.0) lib/shop/payments.ex:9: Shop.Payments.charge/2',
        '    (shop 0.1.0) lib/shop_web/controllers/checkout_controller.ex:14: ShopWeb.CheckoutController.create/2',
      ].join('\n'),
    );
    expect(trace).toMatchObject({ exceptionType: 'RuntimeError', message: 'card ending 4242 declined' });
    expect(trace?.frames.at(-1)).toMatchObject({ file: 'lib/shop/payments.ex', line: 9 });
  });

  it("names the error a wrapper carries wherever its banner is read: Plug's and Oban's", () => {
    expect(readElixirBanner('** (Oban.CrashError) ** (exit) time out')).toEqual({
      type: 'exit',
      message: 'time out',
    });
    expect(
      readElixirBanner('** (Plug.Conn.WrapperError) ** (Ecto.NoResultsError) expected at least one'),
    ).toEqual({ type: 'Ecto.NoResultsError', message: 'expected at least one' });
    expect(readElixirBanner('** (KeyError) key :id not found')).toEqual({
      type: 'KeyError',
      message: 'key :id not found',
    });
    // a wrapper whose message is no banner stays the error
    expect(readElixirBanner('** (Oban.CrashError) job crashed')).toEqual({
      type: 'Oban.CrashError',
      message: 'job crashed',
    });
    // and in a raw crash report's banner, as the parser reads it
    const trace = elixirParser.parse(
      [
        '** (Oban.CrashError) ** (throw) :oops',
        '    (shop 0.1.0) lib/shop/workers/charge.ex:9: Shop.Workers.Charge.perform/1',
      ].join('\n'),
    );
    expect(trace).toMatchObject({ exceptionType: 'throw', message: ':oops' });
  });

  it('opens no trace on other languages’ lines, and continues none with them', () => {
    for (const line of [
      'Traceback (most recent call last):',
      '** Exception: boom',
      '** (not a module) x',
      '*** (RuntimeError) boom',
      '    at Object.<anonymous> (/app/index.js:3:9)',
    ]) {
      expect(elixirParser.startsTrace(line), line).toBe(false);
    }
    const block = ['** (RuntimeError) boom', '    (shop 0.1.0) lib/shop.ex:3: Shop.run/0'];
    for (const line of [
      '    at Object.<anonymous> (/app/index.js:3:9)',
      '  File "/app/app.py", line 3, in <module>',
      '\tat com.example.Foo.bar(Foo.java:3)',
      '    from /app/lib/x.rb:3:in `run`',
      '04:52:09.717 [error] Process #PID<0.139.0> raised an exception',
      '** (RuntimeError) another',
    ]) {
      expect(elixirParser.continuesTrace(line, block), line).toBe(false);
    }
  });

  it('stays fast on a hostile line and on a report with thousands of field lines', () => {
    const long = `** (${'A'.repeat(100_000)}`;
    const start = performance.now();
    elixirParser.startsTrace(long);
    elixirParser.parse(`** (RuntimeError) x\n    (a ${'1'.repeat(50_000)}) ${'l'.repeat(50_000)}:1 x`);
    // a report's field, then thousands of indented lines: each read once
    const block = ['** (RuntimeError) x', '    (shop 0.1.0) lib/shop.ex:3: Shop.run/0', 'State: %{'];
    for (let i = 0; i < 4000; i++) {
      const line = `  key_${i}: ${'x'.repeat(40)},`;
      expect(elixirParser.continuesTrace(line, block)).toBe(true);
      block.push(line);
    }
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
