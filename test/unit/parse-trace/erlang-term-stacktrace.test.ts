import { describe, expect, it } from 'vitest';
import { readTermFrames } from '../../../functions/core/detect/parse-trace/erlang-term-stacktrace.ts';

const placed = (text: string) => readTermFrames(text).map((f) => [f.function, f.file, f.line, f.inApp]);

describe('readTermFrames', () => {
  it("reads a stacktrace term as Elixir's Logger prints it, outermost first", () => {
    // Elixir 1.18: charlists as ~c"…", a frame wrapped over two lines, a frame with its arguments
    const term = [
      '[',
      '  {Shop.Metrics, :handle_event, [[:shop, :checkout, :stop], %{status: {:ok, :paid, 1}}, %{}, nil],',
      '   [file: ~c"lib/shop/metrics.ex", line: 21]},',
      '  {Enum, :"-map/2-lists^map/1-1-", 2, [file: ~c"lib/enum.ex", line: 1714]},',
      '  {:telemetry, :execute, 3,',
      '   [file: ~c"/app/deps/telemetry/src/telemetry.erl", line: 324]}',
      ']',
    ].join('\n');
    expect(placed(term)).toEqual([
      [':telemetry.execute/3', '/app/deps/telemetry/src/telemetry.erl', 324, false],
      ['Enum.-map/2-lists^map/1-1-/2', 'lib/enum.ex', 1714, false],
      // the tuple among its arguments is no frame
      ['Shop.Metrics.handle_event', 'lib/shop/metrics.ex', 21, true],
    ]);
  });

  it("reads Erlang's own print of the term, and Elixir 1.14's charlists", () => {
    expect(
      placed(
        `[{'Elixir.Shop.Metrics',handle_event,4,[{file,"lib/shop/metrics.ex"},{line,22}]},{telemetry,execute,3,[{file,"src/telemetry.erl"},{line,324}]}]`,
      ),
    ).toEqual([
      [':telemetry.execute/3', 'src/telemetry.erl', 324, false],
      ['Shop.Metrics.handle_event/4', 'lib/shop/metrics.ex', 22, true],
    ]);
    expect(placed(`[{Shop.Metrics, :handle_event, 4, [file: 'lib/shop/metrics.ex', line: 22]}]`)).toEqual([
      ['Shop.Metrics.handle_event/4', 'lib/shop/metrics.ex', 22, true],
    ]);
  });

  it('reads nothing from text that holds no frame term, and stays fast on a hostile one', () => {
    expect(readTermFrames('Reason=:badarith')).toEqual([]);
    const hostile = `[${'{A, :b, 1, [file: ~c"'.repeat(20_000)}]`;
    const started = performance.now();
    expect(readTermFrames(hostile)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
