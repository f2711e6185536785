// An error logged without a stack trace is placed at the statement that logged it, found by the
// message's fixed text. The messages are real captures: Python 3.11's logging.error without
// exc_info, and the Node 20 Lambda runtime client's console.error(msg, err.message) in the Text
// and JSON log formats; the repositories hold the code that logged them.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { fixedFragments, fragmentForms, placeLogSite } from '../../functions/core/repair/place-log-site.ts';
import { fixtureApp, makeFakeRepo } from '../support/fake-repo.ts';
import { capturedMessages, makeEvents, traceText } from '../support/log-events.ts';

const ORDERS_SERVICE_PY = [
  'import logging',
  'from shop.pricing import total',
  '',
  'logging.basicConfig(format="%(asctime)s %(levelname)s [%(name)s] %(message)s")',
  'log = logging.getLogger("shop.orders")',
  '',
  '',
  'def price_order(order_id):',
  '    order = {"id": order_id}',
  '    try:',
  '        return total(order)',
  '    except KeyError as e:',
  '        log.error("failed to price order %s: missing %s", order_id, e)',
  '        return None',
  '',
].join('\n');

// The code that wrote the captured console.error line.
const CHECKOUT = fixtureApp('node-lambda-checkout');

function only(messages: string[]): ErrorRecord {
  const found = detectErrors(makeEvents(messages)).map((d) => d.record);
  expect(found).toHaveLength(1);
  return found[0] as ErrorRecord;
}

const pythonRecord = () => only([traceText('python/py311-logging-error-without-exc-info.output').trimEnd()]);

describe('fixedFragments', () => {
  it.each([
    ["failed to price order 7: missing 'lines'", ['failed to price order']],
    [
      "checkout failed for order ord-7: Cannot read properties of undefined (reading 'reduce')",
      ['checkout failed for order', 'Cannot read properties of undefined (reading'],
    ],
    ['user [REDACTED:email] could not sign in after 3 attempts', ['could not sign in after']],
    ['timeout', []],
    // an event's key is one word, and enough
    ['jobs.retry_exhausted job=4711', ['jobs.retry_exhausted']],
    ['retry_failed', []],
  ])('%s', (message, expected) => {
    expect(fixedFragments(message)).toEqual(expected);
  });

  it('tries a fragment without the words a value of letters may have added, longest first', () => {
    expect(fragmentForms('could not process the value abc')).toEqual([
      'could not process the value abc',
      'could not process the value',
      'not process the value abc',
      'could not process the',
      'process the value abc',
      'could not process',
    ]);
  });
});

describe('placeLogSite', () => {
  it("places Python's logging.error (no exc_info) at the statement that wrote it", async () => {
    const error = pythonRecord();
    expect(error.frames).toEqual([]);
    const repo = makeFakeRepo({
      'orders_service.py': ORDERS_SERVICE_PY,
      'shop/pricing.py': 'def total(order):\n    return sum(line["qty"] for line in order["lines"])\n',
      // the same words in a test do not count
      'tests/test_orders.py': 'assert "failed to price order 7" in caplog.text\n',
    });
    const placed = await placeLogSite({ error, repo });
    expect(placed).toMatchObject({
      kind: 'placed',
      path: 'orders_service.py',
      location: 'orders_service.py:13',
    });
    if (placed.kind !== 'placed') throw new Error('not placed');
    expect(placed.error.language).toBe('python');
    expect(placed.error.frames).toEqual([{ file: 'orders_service.py', line: 13, inApp: true }]);
    expect(placed.finding).toContain('("failed to price order") is written at orders_service.py:13');
  });

  it.each([
    ['javascript/node20-lambda-ric-text-console-error-message-only.events.jsonl'],
    ['javascript/node20-lambda-ric-json-console-error-message-only.events.jsonl'],
  ])(
    "places the Lambda Node runtime's console.error of a message (%s) in its template literal",
    async (path) => {
      const error = only(capturedMessages(path));
      const repo = makeFakeRepo(CHECKOUT);
      const placed = await placeLogSite({ error, repo });
      expect(placed).toMatchObject({ kind: 'placed', location: 'lib/checkout.js:8' });
      if (placed.kind === 'placed') expect(placed.error.language).toBe('javascript');
    },
  );

  it("places Elixir's Logger.error of an interpolated message in its string (Logger's console format)", async () => {
    // Elixir 1.14: `Logger.error("payment failed for order #{order_id}: #{reason}")` in
    // test/fixtures/apps/elixir-shop/lib/shop/payments.ex, the line as Logger's console backend wrote it
    const error = only([traceText('elixir/elixir114-logger-error-interpolated-message.txt').trim()]);
    expect(error).toMatchObject({
      exceptionType: 'ERROR',
      message: 'payment failed for order 4411: card declined',
    });
    const placed = await placeLogSite({ error, repo: makeFakeRepo(fixtureApp('elixir-shop')) });
    expect(placed).toMatchObject({ kind: 'placed', location: 'lib/shop/payments.ex:10' });
    if (placed.kind === 'placed') expect(placed.error.language).toBe('elixir');
  });

  it("places a job Oban saw fail (its default logger's line: the error's banner, no stack) at its worker's perform/1", async () => {
    // Oban.Telemetry's default logger, Elixir 1.18: a raise, `{:error, reason}` and an exit, each
    // with no frame; the messages' fixed text is too short or not in the code to place them
    const failed = traceText('elixir/elixir118-oban-default-logger-job-exception.txt')
      .split('\n')
      .filter((l) => l.includes('job:exception'));
    const worker = [
      'defmodule Shop.Workers.Charge do',
      '  use Oban.Worker, queue: :default, max_attempts: 3',
      '',
      '  @impl Oban.Worker',
      '  def perform(%Oban.Job{args: %{"order_id" => order_id}}) do',
      '    card = Shop.Orders.card!(order_id)',
      '',
      '    case Shop.Payments.charge(order_id, card) do',
      '      {:ok, ref} -> {:ok, ref}',
      '      {:error, "card declined"} -> raise "card ending #{card.last4} declined"',
      '    end',
      '  end',
      'end',
      '',
      'defmodule Shop.Workers.Refund do',
      '  use Oban.Worker',
      '  def perform(_job), do: :ok',
      'end',
    ].join('\n');
    const repo = makeFakeRepo({ ...fixtureApp('elixir-shop'), 'lib/shop/workers/payments.ex': worker });
    for (const line of failed) {
      const error = only([line]);
      expect(error).toMatchObject({ language: 'elixir', frames: [] });
      const placed = await placeLogSite({ error, repo });
      expect(placed, line).toMatchObject({ kind: 'placed', location: 'lib/shop/workers/payments.ex:5' });
      if (placed.kind === 'placed') expect(placed.finding).toContain('Shop.Workers.Charge');
    }
    // a worker no file defines places nothing
    const other = only([
      (failed[0] ?? '').replace('"worker":"Shop.Workers.Charge"', '"worker":"Shop.Workers.Ship"'),
    ]);
    expect(await placeLogSite({ error: other, repo })).toEqual({ kind: 'not_applicable' });
  });

  it("places Puma's report of a NoMethodError (no backtrace) at the line its message quotes", async () => {
    // Ruby 3.1.2, Puma 5.6.5 in production: the inspected error holds error_highlight's snippet
    const log = traceText('ruby/ruby31-puma-5.6.5-production-rack-app-error.output');
    const error = only(log.trimEnd().split('\n'));
    expect(error.frames).toEqual([]);
    const pricing = [
      'module Pricing',
      '  def self.total(order)',
      '    order[:lines].sum { |l| l[:qty] * l[:unit_cents] }',
      '  end',
      'end',
      '',
    ].join('\n');
    const repo = makeFakeRepo({ 'lib/pricing.rb': pricing, 'config.ru': "require_relative 'lib/pricing'\n" });
    const placed = await placeLogSite({ error, repo });
    expect(placed).toMatchObject({ kind: 'placed', location: 'lib/pricing.rb:3' });
    if (placed.kind !== 'placed') throw new Error('not placed');
    expect(placed.error.language).toBe('ruby');
    expect(placed.finding).toContain('its message quotes the line of code that failed');
    // the same line twice in the source places nothing
    const twice = makeFakeRepo({ 'lib/pricing.rb': pricing, 'lib/quote.rb': pricing });
    expect(await placeLogSite({ error, repo: twice })).toEqual({ kind: 'not_applicable' });
  });

  it("places logrus' JSON error by its msg: the error field, the record's message, is the library's words", async () => {
    // Go 1.19, logrus 1.9.0 (Debian's) JSONFormatter: log.WithError(err).Error("failed to price order")
    const line = traceText('go/go119-logrus-1.9-json-error-without-stack.output').trim();
    const error = only([line]);
    expect(error).toMatchObject({ message: 'sql: no rows in result set', frames: [] });
    const price = [
      'package orders',
      '',
      'import (',
      '	"errors"',
      '',
      '	log "github.com/sirupsen/logrus"',
      ')',
      '',
      'var ErrNoRows = errors.New("sql: no rows in result set")',
      '',
      'func find(id int) (int, error) { return 0, ErrNoRows }',
      '',
      '// Price logs a failure and returns zero.',
      'func Price(id int) int {',
      '	total, err := find(id)',
      '	if err != nil {',
      '		log.WithError(err).WithField("order", id).Error("failed to price order")',
      '		return 0',
      '	}',
      '	return total',
      '}',
      '',
    ].join('\n');
    const repo = makeFakeRepo({ 'orders/price.go': price, 'main.go': 'package main\n' });
    const placed = await placeLogSite({ error, repo });
    expect(placed).toMatchObject({ kind: 'placed', location: 'orders/price.go:17' });
    if (placed.kind === 'placed') expect(placed.error.language).toBe('go');
  });

  it("places a runtime's exit at the statement that wrote its last line (Go's log.Fatalf)", async () => {
    // the exit Lambda reported (its record names no code), with the lines its invocation logged
    // last as the detector reads them back: test/fixtures/apps/go-log-fatal-shop's, as captured
    const report = capturedMessages('lambda/go119-log-fatalf-then-runtime-exit.events.jsonl');
    const [exit] = detectErrors(makeEvents(report.filter((line) => line.startsWith('RequestId: '))));
    if (!exit) throw new Error('no record of the exit');
    const lastLines = report.filter((line) => line.startsWith('2026/')).map((line) => line.trimEnd());
    const error: ErrorRecord = { ...exit.record, lastLines };
    const repo = makeFakeRepo(fixtureApp('go-log-fatal-shop'));
    const placed = await placeLogSite({ error, repo });
    expect(placed).toMatchObject({ kind: 'placed', location: 'main.go:21' });
    if (placed.kind !== 'placed') return;
    expect(placed.error.language).toBe('go');
    expect(placed.finding).toContain('runtime exited with no error logged before it');
    // with no last lines there is nothing of the program's to search for
    expect(await placeLogSite({ error: exit.record, repo })).toEqual({ kind: 'not_applicable' });
  });

  it('gives a placed error the language of the file that wrote it', async () => {
    // anyhow's report of an error with no context is `Error: <message>` alone, which reads as
    // JavaScript's; test/fixtures/apps/rust-anyhow-shop's `bail!("order has no items")` wrote it
    const error = only([traceText('rust/rust195-anyhow-1.0-main-returned-error-no-context.output').trim()]);
    expect(error).toMatchObject({ language: 'javascript', message: 'order has no items' });
    const placed = await placeLogSite({ error, repo: makeFakeRepo(fixtureApp('rust-anyhow-shop')) });
    expect(placed).toMatchObject({ kind: 'placed', location: 'src/main.rs:13' });
    // a fix is allowed only in files of the record's language: now the .rs file is one
    if (placed.kind === 'placed') expect(placed.error.language).toBe('rust');
  });

  it("reads Rust's tracing events: the error field is the message, the nested message places it", async () => {
    // Rust 1.95, tracing 0.1.37 + tracing-subscriber 0.3.16 (Debian's crates), `tracing::error!(
    // order_id = id, error = %e, "failed to price order")` through the JSON and the default text
    // format; the app is test/fixtures/apps/rust-tracing-shop. Before: an empty message (JSON), and
    // `order` (text: an unquoted Display value was cut at its first space).
    const capture = (format: string) =>
      only([traceText(`rust/rust195-tracing-subscriber-0.3-${format}-error-field.output`).trim()]);
    const json = capture('json');
    expect([json.exceptionType, json.message, capture('text').message]).toEqual([
      'ERROR',
      'order 4411 has no lines',
      'order 4411 has no lines',
    ]);
    const placed = await placeLogSite({ error: json, repo: makeFakeRepo(fixtureApp('rust-tracing-shop')) });
    expect(placed).toMatchObject({ kind: 'placed', location: 'src/main.rs:13' });
    if (placed.kind === 'placed') expect(placed.error.language).toBe('rust');
  });

  it("places Node's report of a promise rejected with a string at the throw that wrote it", async () => {
    // Node 20: an async function that throws a template string, never caught. Node reports an
    // UnhandledPromiseRejection whose only frames are its own (node:internal/process/promises) and
    // whose message holds the reason. Before: those frames stood for the failure (no code in scope).
    const error = only(
      traceText('javascript/node20-unhandled-rejection-string-reason.txt').trimEnd().split('\n'),
    );
    expect(error).toMatchObject({
      exceptionType: 'UnhandledPromiseRejection',
      message: 'order 7 not found in the catalogue',
      frames: [],
    });
    const placed = await placeLogSite({ error, repo: makeFakeRepo(fixtureApp('node-string-rejection')) });
    expect(placed).toMatchObject({ kind: 'placed', location: 'app.js:2' });
  });

  it('places nothing when the words are on several lines, only outside string literals, or nowhere', async () => {
    const error = pythonRecord();
    const twice = makeFakeRepo({
      'orders_service.py': ORDERS_SERVICE_PY,
      'billing.py': 'log.error("failed to price order %s", oid)\n',
    });
    expect(await placeLogSite({ error, repo: twice })).toEqual({ kind: 'not_applicable' });
    const comment = makeFakeRepo({ 'orders.py': '# failed to price order: see the runbook\n' });
    expect(await placeLogSite({ error, repo: comment })).toEqual({ kind: 'not_applicable' });
    const elsewhere = makeFakeRepo({ 'app.py': 'print("hello")\n' });
    expect(await placeLogSite({ error, repo: elsewhere })).toEqual({ kind: 'not_applicable' });
  });

  it('leaves errors with frames, and the platform’s own reports, to the other rules', async () => {
    const repo = makeFakeRepo({ 'orders_service.py': ORDERS_SERVICE_PY });
    const withFrames = { ...pythonRecord(), frames: [{ file: '/app/x.py', line: 1, inApp: true }] };
    expect(await placeLogSite({ error: withFrames, repo })).toEqual({ kind: 'not_applicable' });
    const timeout = { ...pythonRecord(), exceptionType: 'Sandbox.Timedout' };
    expect(await placeLogSite({ error: timeout, repo })).toEqual({ kind: 'not_applicable' });
  });

  it("takes the statement under a monorepo's path prefix when another service writes the same words", async () => {
    const error = pythonRecord();
    const repo = makeFakeRepo({
      'services/orders/orders_service.py': ORDERS_SERVICE_PY,
      'services/billing/orders_service.py': ORDERS_SERVICE_PY,
    });
    expect(await placeLogSite({ error, repo })).toEqual({ kind: 'not_applicable' });
    const placed = await placeLogSite({ error, repo, pathPrefix: 'services/orders' });
    expect(placed).toMatchObject({ kind: 'placed', location: 'services/orders/orders_service.py:13' });
  });
});
