import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dotnetParser } from '../../../functions/core/detect/parse-trace/dotnet.ts';

// .NET is not installable here: these fixtures are hand-written from Microsoft's documented formats.
const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/dotnet/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => dotnetParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!dotnetParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const allLines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

describe('dotnetParser', () => {
  it('splits ` ---> ` inner exceptions into causes and frames at `End of inner exception stack trace`', () => {
    const text = fixture('documented-unhandled-inner-exception');

    expect(assemble(text)).toEqual(allLines(text));
    const trace = dotnetParser.parse(text);
    expect(trace?.exceptionType).toBe('System.InvalidOperationException');
    expect(trace?.message).toBe('Could not load order 42');
    expect(trace?.frames).toEqual([
      {
        file: '/src/Shop/Program.cs',
        line: 9,
        function: 'Shop.Program.Main',
        module: 'Shop.Program',
        inApp: true,
      },
      {
        file: '/src/Shop/Orders/OrderStore.cs',
        line: 23,
        function: 'Shop.Orders.OrderStore.Load',
        module: 'Shop.Orders.OrderStore',
        inApp: true,
      },
    ]);
    expect(trace?.causes).toHaveLength(1);
    const inner = trace?.causes[0];
    expect(inner?.exceptionType).toBe('System.IO.FileNotFoundException');
    expect(inner?.message).toBe(
      "Could not find file '/data/orders/42.json'.\nFile name: '/data/orders/42.json'",
    );
    expect(inner?.frames.map((f) => [f.file, f.line ?? null, f.function, f.inApp])).toEqual([
      ['/src/Shop/Orders/OrderStore.cs', 18, 'Shop.Orders.OrderStore.Load', true],
      ['', null, 'System.IO.File.ReadAllText', false],
      ['', null, 'Microsoft.Win32.SafeHandles.SafeFileHandle.Open', false],
    ]);
  });

  it('reads the .NET Framework form with the inner exception on the header line', () => {
    const trace = dotnetParser.parse(fixture('documented-framework-inline-inner'));

    expect(trace?.exceptionType).toBe('System.ArgumentException');
    expect(trace?.message).toBe('Value does not fall within the expected range.');
    expect(trace?.frames.map((f) => [f.file, f.line])).toEqual([
      ['C:\\build\\Billing\\Program.cs', 14],
      ['C:\\build\\Billing\\InvoiceParser.cs', 61],
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.frames.length])).toEqual([
      ['System.FormatException', 3],
    ]);
  });

  it('keeps frames across async `End of stack trace from previous location` separators', () => {
    const text = fixture('documented-async-previous-location');

    expect(assemble(text)).toEqual(allLines(text));
    const trace = dotnetParser.parse(text);
    expect(trace?.causes).toEqual([]);
    expect(trace?.frames.map((f) => [f.function, f.inApp])).toEqual([
      [
        'Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeActionMethodAsync>g__Awaited|12_0',
        false,
      ],
      [
        'Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute',
        false,
      ],
      ['Shop.Controllers.CartController.Get', true],
      ['Shop.Services.CartService.TotalAsync', true],
      ['Shop.Clients.PriceClient.GetPriceAsync', true],
      ['System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode', false],
    ]);
  });

  it("reads Mono's `(args) [0x…] in file:N`, `<filename unknown>` and wrapper frames", () => {
    const text = fixture('documented-mono-no-file');

    expect(assemble(text)).toEqual(allLines(text));
    expect(dotnetParser.parse(text)?.frames.map((f) => [f.file, f.line ?? null, f.function])).toEqual([
      ['<filename unknown>', 0, 'System.Reflection.RuntimeMethodInfo.Invoke'],
      ['', null, 'System.Reflection.RuntimeMethodInfo.InternalInvoke'],
      ['/Users/dev/Game/Assets/Player.cs', 40, 'Game.Player.Pickup'],
      ['/Users/dev/Game/Assets/Inventory.cs', 27, 'Game.Inventory.AddItem'],
    ]);
  });

  it('takes the owner of a constructor as its module', () => {
    const trace = dotnetParser.parse('System.FormatException: bad\n   at System.Guid..ctor(String g)');

    expect(trace?.frames).toEqual([
      { file: '', function: 'System.Guid..ctor', module: 'System.Guid', inApp: false },
    ]);
  });

  it('does not take Java or JavaScript frames for .NET ones', () => {
    const block = ['System.Exception: boom'];

    expect(dotnetParser.continuesTrace('\tat com.shop.Cart.total(Cart.java:12)', block)).toBe(false);
    expect(dotnetParser.continuesTrace('\tat java.lang.Thread.run(Native Method)', block)).toBe(false);
    expect(dotnetParser.continuesTrace('    at total (/app/cart.js:12:5)', block)).toBe(false);
    expect(dotnetParser.startsTrace('java.lang.IllegalStateException: boom')).toBe(false);
    expect(dotnetParser.startsTrace('Microsoft.Hosting.Lifetime: Now listening on: http://[::]:8080')).toBe(
      false,
    );
  });

  it('returns undefined for text that is not a .NET trace', () => {
    expect(dotnetParser.parse('   at Foo.Bar()')).toBeUndefined();
    expect(dotnetParser.parse('ValueError: bad')).toBeUndefined();
    expect(dotnetParser.parse('')).toBeUndefined();
  });

  it('stays fast on a hostile 200 KB line', () => {
    const shapes = [
      `System.${'A.'.repeat(100_000)}`,
      `   at ${'a in b:line 1'.repeat(15_000)}x`,
      `   at ${'('.repeat(200_000)}`,
      `System.Exception: ${' ---> '.repeat(33_000)}`,
      `   at A.B() ${'[0x0] '.repeat(33_000)}in f:1`,
    ];
    const started = performance.now();
    for (const line of shapes) {
      dotnetParser.startsTrace(line);
      dotnetParser.continuesTrace(line, ['System.Exception: x']);
      dotnetParser.parse(`System.Exception: x\n${line}\n${line}`);
      dotnetParser.parse(line);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
