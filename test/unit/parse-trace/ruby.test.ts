import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rubyParser } from '../../../functions/core/detect/parse-trace/ruby.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/ruby/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => rubyParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!rubyParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const allLines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

describe('rubyParser', () => {
  it('parses the uncaught report: the header line is the innermost frame', () => {
    const trace = rubyParser.parse(fixture('zero-division'));

    expect(trace).toEqual({
      language: 'ruby',
      exceptionType: 'ZeroDivisionError',
      message: 'divided by 0',
      frames: [
        { file: 'zerodiv.rb', line: 9, function: '<main>', inApp: true },
        { file: 'zerodiv.rb', line: 6, function: 'total', inApp: true },
        { file: 'zerodiv.rb', line: 2, function: 'divide', inApp: true },
        { file: 'zerodiv.rb', line: 2, function: '/', inApp: true },
      ],
      causes: [],
    });
  });

  it("reads Ruby 3.4's 'Class#method' quoting", () => {
    const trace = rubyParser.parse(fixture('documented-ruby34-quotes'));

    expect(trace?.exceptionType).toBe('ZeroDivisionError');
    expect(trace?.frames.map((f) => f.function)).toEqual([
      '<main>',
      'Object#total',
      'Object#divide',
      'Integer#/',
    ]);
  });

  it('turns the cause blocks Ruby prints after the error into causes, nearest first', () => {
    const text = fixture('no-method-error-with-cause');

    expect(assemble(text)).toEqual(allLines(text));
    const trace = rubyParser.parse(text);
    expect(trace?.exceptionType).toBe('NoMethodError');
    // error_highlight's snippet and carets are not part of the message
    expect(trace?.message).toBe("undefined method `title' for nil:NilClass");
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([
      ['<main>', 21],
      ['show', 14],
      ['rescue in show', 17],
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message, c.frames.at(-1)?.function])).toEqual([
      ['KeyError', 'no record for "abc"', 'rescue in find'],
      ['ArgumentError', 'invalid value for Integer(): "abc"', 'Integer'],
    ]);
  });

  it('keeps the extra lines of a multi-line message', () => {
    const text = fixture('multiline-message');

    expect(assemble(text)).toEqual(allLines(text));
    expect(rubyParser.parse(text)?.message).toBe('row 7 rejected:\n  email is blank\n  name is too long');
  });

  it('marks standard-library frames as not in-app', () => {
    const trace = rubyParser.parse(fixture('stdlib-json-parser-error'));

    expect(trace?.exceptionType).toBe('JSON::ParserError');
    expect(trace?.frames.map((f) => [f.file, f.inApp])).toEqual([
      ['gem.rb', true],
      ['gem.rb', true],
      ['/usr/lib/ruby/3.1.0/json/common.rb', false],
      ['/usr/lib/ruby/3.1.0/json/common.rb', false],
    ]);
  });

  it('reads Rails `Type (msg):` logs, strips gem prefixes and keeps gem frames out of the app', () => {
    const text = fixture('documented-rails-template-error');

    expect(assemble(text)).toEqual(allLines(text));
    const trace = rubyParser.parse(text);
    expect(trace?.exceptionType).toBe('ActionView::Template::Error');
    expect(trace?.message).toBe("undefined method `name' for nil:NilClass");
    expect(trace?.frames.map((f) => [f.file, f.line, f.function ?? null, f.inApp])).toEqual([
      ['app/controllers/application_controller.rb', 12, 'with_tenant', true],
      [
        '/usr/local/bundle/gems/actionpack-7.0.4/lib/action_controller/metal/basic_implicit_render.rb',
        6,
        'send_action',
        false,
      ],
      ['lib/action_view/base.rb', 244, '_run', false],
      ['lib/action_view/base.rb', 244, 'public_send', false],
      [
        'app/views/users/show.html.erb',
        1,
        '_app_views_users_show_html_erb___3960612473489473101_70189410453500',
        true,
      ],
      ['app/views/users/show.html.erb', 1, null, true],
    ]);
    expect(trace?.frames[2]?.module).toBe('actionview (7.0.4)');
  });

  it("reads Logger's `msg (Type)` followed by the backtrace", () => {
    const text =
      "undefined method `total' for nil (NoMethodError)\napp/models/cart.rb:14:in `sum'\napp/jobs/bill.rb:3:in `perform'";

    expect(assemble(text)).toEqual(text.split('\n'));
    expect(rubyParser.parse(text)).toMatchObject({
      exceptionType: 'NoMethodError',
      message: "undefined method `total' for nil",
      frames: [{ function: 'perform' }, { function: 'sum' }],
    });
  });

  it("reads Ruby 3.3's report of a required file that does not parse: syntax_suggest's hint comes before the message", () => {
    // `app.rb:1:in 'require_relative': --> <file>`, the hint and the code it points at, then the
    // parser's message with its type; before, the record began at the message and lost the require.
    const text = fixture('ruby33-syntax-error-in-required-file-syntax-suggest');

    expect(assemble(text)).toEqual(allLines(text));
    expect(rubyParser.parse(text)).toEqual({
      language: 'ruby',
      exceptionType: 'SyntaxError',
      message:
        "/tmp/cap-jvm/rsyn/lib/pricing.rb:4: syntax error, unexpected end-of-input, expecting `end' or dummy end",
      frames: [
        { file: 'app.rb', line: 1, function: '<main>', inApp: true },
        { file: 'app.rb', line: 1, function: 'require_relative', inApp: true },
      ],
      causes: [],
    });
  });

  it('reads no trace from a syntax_suggest head whose message never comes', () => {
    const head = "app.rb:1:in `require_relative': --> /app/lib/pricing.rb";

    expect(rubyParser.parse(`${head}\nUnmatched keyword, missing \`end' ?`)).toBeUndefined();
    expect(rubyParser.continuesTrace('x', [head, ...Array.from({ length: 60 }, () => '> 1  code')])).toBe(
      false,
    );
  });

  it("keeps Sinatra 4's report whole: its header closes on its line, the message's further lines and the frames follow a tab", () => {
    const lines = allLines(
      readFileSync(
        new URL(
          '../../fixtures/traces/ruby/ruby33-sinatra-4.1-webrick-production-dump-errors.output',
          import.meta.url,
        ),
        'utf8',
      ),
    );
    const start = lines.findIndex((line) => line.includes(' - NoMethodError - '));
    const report = lines.slice(
      start,
      lines.findIndex((line) => line.startsWith('127.0.0.1 - -')),
    );
    // the time is the prefix the detector strips
    const text = report.join('\n').replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '');

    expect(assemble(text)).toEqual(allLines(text));
    const trace = rubyParser.parse(text);
    expect([trace?.exceptionType, trace?.message, trace?.frames.length]).toEqual([
      'NoMethodError',
      "undefined method `sum' for nil",
      40,
    ]);
    expect(trace?.frames.at(-1)).toEqual({
      file: '/tmp/cap-jvm/srv/rb/lib/pricing.rb',
      line: 3,
      function: 'total',
      inApp: true,
    });
  });

  it('reads the causes Rails 7.1+ lists between the header and the backtrace, nearest first', () => {
    const text = [
      'PaymentError (cannot charge order 8):',
      '',
      'Causes:',
      'Orders::GatewayError (gateway said no)',
      'ArgumentError (invalid value for Integer(): "12x")',
      '  ',
      "app/models/order.rb:9:in `rescue in charge'",
      "app.rb:22:in `charge'",
    ].join('\n');

    expect(assemble(text)).toEqual(allLines(text));
    expect(rubyParser.parse(text)).toEqual({
      language: 'ruby',
      exceptionType: 'PaymentError',
      message: 'cannot charge order 8',
      frames: [
        { file: 'app.rb', line: 22, function: 'charge', inApp: true },
        { file: 'app/models/order.rb', line: 9, function: 'rescue in charge', inApp: true },
      ],
      causes: [
        {
          language: 'ruby',
          exceptionType: 'Orders::GatewayError',
          message: 'gateway said no',
          frames: [],
          causes: [],
        },
        {
          language: 'ruby',
          exceptionType: 'ArgumentError',
          message: 'invalid value for Integer(): "12x"',
          frames: [],
          causes: [],
        },
      ],
    });
    // a `Type (msg)` line is a cause only after `Causes:`
    expect(rubyParser.continuesTrace('ArgumentError (bad)', ['PaymentError (cannot charge order 8):'])).toBe(
      false,
    );
  });

  it('ends the record at ordinary log text after the frames', () => {
    const block = allLines(fixture('zero-division'));

    expect(rubyParser.continuesTrace('Started GET "/" for 127.0.0.1', block)).toBe(false);
    expect(rubyParser.continuesTrace('', block)).toBe(false);
  });

  it('returns undefined for text that is not a Ruby trace', () => {
    expect(rubyParser.startsTrace('Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.3ms)')).toBe(
      false,
    );
    expect(rubyParser.startsTrace('from the start')).toBe(false);
    expect(rubyParser.parse('from app.rb:1')).toBeUndefined();
    expect(rubyParser.parse('GET /health 200')).toBeUndefined();
    expect(rubyParser.parse('')).toBeUndefined();
  });

  it('stays fast on a hostile 200 KB line', () => {
    const shapes = [
      'a:1:in `'.repeat(25_000),
      `x.rb:1:in \`m': ${' ('.repeat(100_000)}`,
      `${'A::'.repeat(60_000)} (x`,
      `  from ${':1'.repeat(100_000)}x`,
      `m ${'(Aa '.repeat(50_000)}`,
      `x.rb:1:in \`m': --> ${'> ('.repeat(60_000)}`,
      `A (${'A::A ('.repeat(30_000)}`,
    ];
    const started = performance.now();
    for (const line of shapes) {
      rubyParser.startsTrace(line);
      rubyParser.continuesTrace(line, ["x.rb:1:in `m': boom (RuntimeError)"]);
      rubyParser.continuesTrace(line, ["x.rb:1:in `m': --> /a.rb", line]);
      rubyParser.continuesTrace(line, ['PaymentError (x):', 'Causes:']);
      rubyParser.parse(`PaymentError (x):\nCauses:\n${line}`);
      rubyParser.parse(`x.rb:1:in \`m': boom (RuntimeError)\n${line}\n${line}`);
      rubyParser.parse(line);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
