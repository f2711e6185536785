import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../../functions/core/contracts.ts';
import { goParser } from '../../../functions/core/detect/parse-trace/go.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/go/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => goParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!goParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const APP = '/tmp/capb/go/app/cmd';

describe('goParser', () => {
  it('parses a panic in main, outermost frame first, without argument lists', () => {
    const trace = goParser.parse(fixture('panic-in-main'));

    expect(trace).toEqual({
      language: 'go',
      exceptionType: 'panic',
      message: 'order has no id',
      frames: [
        { file: `${APP}/mainpanic/main.go`, line: 14, function: 'main.main', module: 'main', inApp: true },
        { file: `${APP}/mainpanic/main.go`, line: 9, function: 'main.validate', module: 'main', inApp: true },
      ],
      causes: [],
    });
  });

  it('does not count `created by` as a frame', () => {
    const trace = goParser.parse(fixture('panic-in-goroutine'));

    expect(trace?.message).toBe('worker 2 failed');
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([['main.worker', 11]]);
  });

  it('reads Go 1.21 `created by … in goroutine N`', () => {
    const text = fixture('documented-go121-created-by-in-goroutine');

    expect(assemble(text)).toHaveLength(text.trim().split('\n').length);
    expect(goParser.parse(text)?.frames.map((f) => [f.file, f.function])).toEqual([
      ['/app/main.go', 'main.worker'],
    ]);
  });

  it('keeps pointer-receiver methods and runtime error messages', () => {
    expect(goParser.parse(fixture('nil-map'))?.frames.at(-1)?.function).toBe('main.(*Cache).Put');
    const index = goParser.parse(fixture('index-out-of-range'));
    expect(index?.message).toBe('runtime error: index out of range [5] with length 3');
    expect(index?.frames.at(-1)).toMatchObject({ function: 'main.pick', line: 6 });
  });

  it('assembles a whole GOTRACEBACK=all dump as one record and keeps only the first goroutine', () => {
    const text = fixture('gotraceback-all-dump');

    expect(assemble(text)).toEqual(text.replace(/\n$/, '').split('\n'));
    const trace = goParser.parse(text);
    expect(trace?.message).toBe('runtime error: invalid memory address or nil pointer dereference');
    expect(trace?.frames.map((f) => f.function)).toEqual(['main.main', 'main.crash']);
  });

  it('takes the re-panic as the record and the recovered panic as its cause; GOROOT is not in-app', () => {
    const trace = goParser.parse(fixture('recovered-repanic'));

    expect(trace?.message).toBe('re-panic: runtime error: index out of range [3] with length 0');
    expect(trace?.causes.map((c) => c.message)).toEqual([
      'runtime error: index out of range [3] with length 0',
    ]);
    expect(trace?.frames.map((f) => [f.function, f.module, f.inApp])).toEqual([
      ['main.main', 'main', true],
      ['main.handle', 'main', true],
      ['panic', 'runtime', false],
      ['main.handle.func1', 'main', true],
    ]);
  });

  it('reads a value of several lines without the tab Go 1.24 prints before each later line', () => {
    // runtime.printindented (Go 1.24): `panic: qty -1 < 0` + `\tprice missing` for errors.Join.
    const trace = goParser.parse(fixture('go124-panic-errors-join-indented'));

    expect(trace?.message).toBe('qty -1 < 0\nprice missing');
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([['main.main', 21]]);
  });

  it('keeps every line of each value panicked again after recover, the later ones as Go 1.24 indents them', () => {
    // The re-panic's value was cut to its first line (`submit order o-17:`): a value's later
    // lines were read only before the first `\tpanic:` line.
    const trace = goParser.parse(fixture('go124-recovered-repanic-multiline-values'));

    expect(trace?.message).toBe('submit order o-17:\nqty -1 < 0\nprice missing');
    expect(trace?.causes.map((c) => c.message)).toEqual(['qty -1 < 0\nprice missing']);
    expect(trace?.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      function: 'main.submit.func1',
      line: 15,
    });
  });

  it("reads Go 1.25's `[recovered, repanicked]` as the two panics Go 1.24 printed for it", () => {
    // `defer func() { if r := recover(); r != nil { log.Printf(…); panic(r) } }()`: Go 1.24 printed
    // the value twice (`… [recovered]` + `\tpanic: …`), the recovered one read as the cause; Go 1.27
    // prints it once, read with no cause: another fingerprint for the same bug after the upgrade.
    const [before, after] = [
      'go124-recovered-repanic-same-value',
      'go127-recovered-repanicked-same-value',
    ].map((name) => goParser.parse(fixture(name).split('\n').slice(1).join('\n')));
    const message = 'runtime error: index out of range [3] with length 0';

    expect([after?.message, after?.causes.map((c) => c.message)]).toEqual([message, [message]]);
    expect(after?.causes).toEqual(before?.causes);
    const appFrames = (frames: StackFrame[] = []) =>
      frames.filter((f) => f.inApp).map((f) => [f.function, f.line]);
    expect(appFrames(after?.frames)).toEqual(appFrames(before?.frames));
  });

  it('reads a goroutine header carrying the pprof labels Go 1.27 prints after its state', () => {
    // `goroutine 19 [running] {handler: checkout, order: "o-17"}:` (GODEBUG tracebacklabels=1, the
    // default for a go.mod at 1.27) for a goroutine started under pprof.Do: the header was not
    // known, and the panic was read with no frames.
    const text = fixture('go127-goroutine-labels-header');

    expect(assemble(text)).toEqual(text.replace(/\n$/, '').split('\n'));
    expect(goParser.parse(text)?.frames.map((f) => [f.function, f.line])).toEqual([
      ['main.handle.func1.1', 21],
      ['main.price', 12],
    ]);
  });

  it('marks module-cache and standard-library frames as not in-app', () => {
    const trace = goParser.parse(fixture('documented-module-cache'));

    expect(trace?.frames.map((f) => [f.module, f.inApp])).toEqual([
      ['net/http', false],
      ['github.com/gin-gonic/gin', false],
      ['example.com/shop/internal/http', true],
      ['example.com/shop/internal/orders', true],
      ['runtime', false],
      ['github.com/gin-gonic/gin', false],
    ]);
  });

  it('reads `fatal error:` crashes', () => {
    const trace = goParser.parse(fixture('fatal-error-deadlock'));

    expect(trace).toMatchObject({
      exceptionType: 'fatal error',
      message: 'all goroutines are asleep - deadlock!',
    });
    expect(trace?.frames).toHaveLength(1);
  });

  it('reads net/http recovered panics logged with the log prefix', () => {
    const header = '2019/01/15 07:48:05 http: panic serving [::1]:54143: test panic';

    expect(goParser.startsTrace(header)).toBe(true);
    expect(
      goParser.parse(`${header}\ngoroutine 24 [running]:\nmain.doPanic(0x1)\n\t/app/h.go:8 +0x39`),
    ).toMatchObject({
      message: 'test panic',
      frames: [{ file: '/app/h.go', line: 8, function: 'main.doPanic', inApp: true }],
    });
  });

  it('ends the record at `exit status 2`, two blank lines or ordinary log text', () => {
    const block = fixture('panic-in-goroutine').trim().split('\n');

    expect(goParser.continuesTrace('exit status 2', block)).toBe(false);
    expect(goParser.continuesTrace('server listening on :8080', block)).toBe(false);
    expect(goParser.continuesTrace('', [...block, ''])).toBe(false);
  });

  it('returns undefined for text that is not a Go panic', () => {
    expect(goParser.startsTrace('panic_on_oom = 0')).toBe(false);
    expect(goParser.parse('panic_on_oom = 0')).toBeUndefined();
    expect(goParser.parse('panic: x\nTraceback (most recent call last):')).toBeUndefined();
    expect(goParser.parse('')).toBeUndefined();
  });

  it('stays fast on a hostile 200 KB line', () => {
    const shapes = [
      `panic: ${'a'.repeat(200_000)}`,
      `\t${'a:1 '.repeat(50_000)}x`,
      `goroutine 1 ${'a '.repeat(100_000)}`,
      `${'('.repeat(200_000)}`,
      `http: panic serving ${'\t'.repeat(200_000)}`,
      // a log header before net/http's words: dates and a place without `.go`, up to the bound
      `${'2026/12/08 00:49:42 '.repeat(30)}${'a'.repeat(500)}http: panic serving ${'b'.repeat(200_000)}`,
      `[p] 2026/12/08 00:49:42 ${'/x'.repeat(250)}.g: http: panic serving ${':'.repeat(200_000)}`,
    ];
    const started = performance.now();
    for (const line of shapes) {
      goParser.startsTrace(line);
      goParser.continuesTrace(line, ['panic: x']);
      goParser.parse(`panic: x\n\ngoroutine 1 [running]:\n${line}\n${line}`);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
