import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonParser } from '../../../functions/core/detect/parse-trace/python.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/python/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => pythonParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!pythonParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

describe('pythonParser', () => {
  it('takes the last printed exception of a chain as the record, the earlier ones as causes, nearest first', () => {
    const text = fixture('chained-cause-and-context');
    const trace = pythonParser.parse(text);

    expect(trace?.exceptionType).toBe('KeyError');
    expect(trace?.message).toBe("'missing'");
    expect(trace?.frames).toEqual([
      { file: '/tmp/cap/py/app/chained.py', line: 22, function: '<module>', inApp: true },
      { file: '/tmp/cap/py/app/chained.py', line: 19, function: 'main', inApp: true },
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message])).toEqual([
      ['RuntimeError', 'config is not valid JSON'],
      [
        'json.decoder.JSONDecodeError',
        'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
      ],
    ]);
    const root = trace?.causes[1];
    expect(root?.frames.map((f) => [f.function, f.inApp])).toEqual([
      ['read_config', true],
      ['load', true],
      ['loads', false],
      ['decode', false],
      ['raw_decode', false],
    ]);
    expect(root?.frames.at(-1)?.file).toBe('/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py');
    expect(assemble(text)).toHaveLength(36);
  });

  it('skips the 3.11 ^^^^ and ~~~^~~~ marker lines, keeping frames outermost first', () => {
    const trace = pythonParser.parse(fixture('markers-3.11'));

    expect(trace?.exceptionType).toBe('ZeroDivisionError');
    expect(trace?.message).toBe('division by zero');
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([
      ['<module>', 9],
      ['report', 6],
      ['ratio', 2],
    ]);
  });

  it('parses a SyntaxError report that has no Traceback header', () => {
    const text = fixture('syntax-error');
    const trace = pythonParser.parse(text);

    expect(trace).toEqual({
      language: 'python',
      exceptionType: 'SyntaxError',
      message: "'[' was never closed",
      frames: [{ file: '/tmp/cap/py/app/syntax.py', line: 2, inApp: true }],
      causes: [],
    });
    expect(assemble(text)).toHaveLength(4);
  });

  it('reads an exception group as its type and message, its members as causes', () => {
    const text = fixture('exception-group');
    const trace = pythonParser.parse(text);

    expect(trace?.exceptionType).toBe('ExceptionGroup');
    expect(trace?.message).toBe('two failures (2 sub-exceptions)');
    expect(trace?.frames).toEqual([
      { file: '/tmp/cap/py/app/group.py', line: 15, function: '<module>', inApp: true },
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message, c.frames.at(-1)?.function])).toEqual([
      ['ValueError', 'bad value 1', 'a'],
      ['TypeError', 'bad type 2', 'b'],
    ]);
    expect(assemble(text)).toHaveLength(19);
  });

  it('reads a group caught by except* and raised from as a cause: the exception raised is the record', () => {
    // Python 3.13, asyncio.TaskGroup: `except* ConnectionError as g: raise RuntimeError(…) from g`.
    // The group's box was read as the record (ExceptionGroup at the TaskGroup's `async with`).
    const text = fixture('py313-taskgroup-except-star-raise-from');
    const trace = pythonParser.parse(text);

    expect([trace?.exceptionType, trace?.message]).toEqual(['RuntimeError', 'checkout failed']);
    expect(trace?.frames.at(-1)).toEqual({
      file: '/tmp/cap-pygo/py/app/except_star.py',
      line: 12,
      function: 'main',
      inApp: true,
    });
    const [group] = trace?.causes ?? [];
    expect([group?.exceptionType, group?.message, group?.frames.at(-1)?.line]).toEqual([
      'ExceptionGroup',
      'unhandled errors in a TaskGroup (1 sub-exception)',
      173,
    ]);
    expect(group?.causes.map((c) => [c.exceptionType, c.message])).toEqual([
      ['ConnectionError', 'inventory down for order 1'],
    ]);
    expect(assemble(text)).toHaveLength(text.trimEnd().split('\n').length);
  });

  it('reads a group raised while handling another as the record, every member (raised or not) a cause', () => {
    // Python 3.13: the KeyError handled was read as the record; the members printed without a
    // traceback (`ValueError: no address`, a nested group's own line) were lost.
    const trace = pythonParser.parse(fixture('py313-exception-group-nested-during-handling'));

    expect([trace?.exceptionType, trace?.message]).toEqual([
      'ExceptionGroup',
      'checkout failed (2 sub-exceptions)',
    ]);
    expect(trace?.frames.map((f) => f.line)).toEqual([13]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message, c.frames.at(-1)?.line])).toEqual([
      ['ValueError', 'no address', undefined],
      ['ExceptionGroup', 'settle failed (2 sub-exceptions)', undefined],
      ['KeyError', "'a-1'", 5],
      ['KeyError', "'b-2'", 5],
      ['KeyError', "'cart'", 11],
    ]);
  });

  it("reads a subinterpreter's traceback in ExecutionFailed's message as the error, its frames the innermost", () => {
    // Python 3.14, `InterpreterPoolExecutor().submit(price, 7).result()`: the pool raises the
    // worker's KeyError again from the wrapper, whose message goes on with `Uncaught in the
    // interpreter:` and the worker's traceback. Read as two records: the wrapper, with no frame of
    // the app, and the KeyError at the `.result()` call, not at the line that failed.
    const text = fixture('py314-interpreter-pool-execution-failed');
    const trace = pythonParser.parse(text);

    expect([trace?.exceptionType, trace?.message, trace?.causes]).toEqual(['KeyError', "'lines'", []]);
    expect(trace?.frames.map((f) => [f.file.replace('/tmp/cap-pygo2/py/app/', ''), f.function])).toEqual([
      ['interp_pool.py', '<module>'],
      ['/usr/lib/python3.14/concurrent/futures/_base.py', 'result'],
      ['/usr/lib/python3.14/concurrent/futures/_base.py', '__get_result'],
      ['/usr/lib/python3.14/concurrent/futures/thread.py', 'run'],
      ['/usr/lib/python3.14/concurrent/futures/interpreter.py', 'run'],
      ['/usr/lib/python3.14/concurrent/futures/interpreter.py', 'do_call'],
      ['interp_pool.py', 'price'],
      ['shop/pricing.py', 'total'],
    ]);
    expect(assemble(text)).toHaveLength(text.trimEnd().split('\n').length);
  });

  it('reads ExecutionFailed raised itself as the error it carries, down to its line, its chain kept', () => {
    // `interpreters.create().call(load, "{oops")`: the worker's own chain (JSONDecodeError, then
    // the RuntimeError raised from it) is printed inside the wrapper's message.
    const text = fixture('py314-interpreters-call-worker-chain');
    const trace = pythonParser.parse(text);

    expect([trace?.exceptionType, trace?.message]).toEqual(['RuntimeError', 'config is not valid JSON']);
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([
      ['<module>', 14],
      ['call', 244],
      ['_call', 228],
      ['load', 9],
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.frames.at(-1)?.line])).toEqual([
      ['json.decoder.JSONDecodeError', 361],
    ]);
    expect(assemble(text)).toHaveLength(text.trimEnd().split('\n').length);
    // what the interpreter printed after it, at exit, is not part of it
    const call = fixture('py314-interpreters-call-execution-failed');
    expect(assemble(call).at(-1)).toBe("KeyError: 'lines'");
    expect(pythonParser.parse(call)?.frames.at(-1)).toMatchObject({ function: 'price', line: 5 });
  });

  it('keeps the qualified type as printed and marks site-packages frames as not in-app', () => {
    const trace = pythonParser.parse(fixture('site-packages-qualified-type'));

    expect(trace?.exceptionType).toBe('fakelib.exceptions.ConnectionError');
    expect(trace?.message).toBe(
      "HTTPSConnectionPool(host='prices.internal', port=443): Max retries exceeded",
    );
    expect(trace?.frames.map((f) => f.inApp)).toEqual([true, true, false]);
  });

  it('keeps a message that spans several lines', () => {
    const text = fixture('multiline-message');
    const trace = pythonParser.parse(text);

    expect(trace?.exceptionType).toBe('ValidationError');
    expect(trace?.message).toBe('order 42 is invalid:\n  - price missing\n  - qty < 0');
    expect(assemble(text)).toHaveLength(8);
  });

  it('accepts an exception line without a message', () => {
    const trace = pythonParser.parse(
      'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\nKeyboardInterrupt',
    );

    expect(trace?.exceptionType).toBe('KeyboardInterrupt');
    expect(trace?.message).toBe('');
  });

  it('ends the block at the first column-0 line after the exception line', () => {
    const text = `${fixture('markers-3.11')}INFO next request served\n`;

    expect(assemble(text).at(-1)).toBe('ZeroDivisionError: division by zero');
  });

  it('returns undefined for text that is not a Python traceback', () => {
    expect(pythonParser.parse('GET /health 200 3ms')).toBeUndefined();
    expect(pythonParser.parse('Traceback (most recent call last):')).toBeUndefined();
    expect(pythonParser.startsTrace('ERROR something failed')).toBe(false);
  });

  it('stays linear on a hostile 200 KB line', () => {
    const hostile = `  File "${'a'.repeat(200_000)}`;
    const group = `Exception Group Traceback (most recent call last):\n${' |'.repeat(100_000)}x`;
    const started = performance.now();

    pythonParser.startsTrace(hostile);
    pythonParser.continuesTrace(`${'a.'.repeat(100_000)}!`, ['Traceback (most recent call last):']);
    pythonParser.parse(`Traceback (most recent call last):\n${hostile}\n${'A.'.repeat(100_000)}:`);
    pythonParser.parse(group);

    expect(performance.now() - started).toBeLessThan(1000);
  });
});
