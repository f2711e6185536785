// Every two neighbouring captures of a language (test/fixtures/traces/<language>/*.txt that read as
// one record each), logged one line per event in one stream with an ordinary line between them,
// through the default subscription filter and the detector's whole use case (the delivered lines,
// the stream read around them): the incidents must be those the two captures make read whole —
// one per distinct fingerprint, each with its innermost frame of the application (of one of its
// records). A busy service's
// delivery holds several traces side by side, with what stood between them filtered out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents } from '../../support/log-events.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/traces');
const LANGUAGES = ['java', 'javascript', 'python', 'ruby', 'php', 'go', 'dotnet', 'rust'];

/** Pairs that differ, each for a reason of its own (the README says what the default filter misses). */
const KNOWN: Record<string, string> = {
  'python/py311-rsyslog-traditional-logging-exception.txt + py311-structlog-22.3-callsite-parameters-error.txt':
    'structlog JSON with a lower-case level: the README gives it a JSON pattern',
  'python/py311-structlog-22.3-callsite-parameters-error.txt + py311-structlog-22.3-console-renderer-rich-colour.txt':
    'structlog JSON with a lower-case level: the README gives it a JSON pattern',
  'go/go119-index-out-of-range-inlined.txt + go119-logrus-1.9-json-report-caller-error.txt':
    'logrus JSON with a lower-case level: the README gives it a JSON pattern',
  'go/go119-logrus-1.9-json-report-caller-error.txt + go119-net-http-panic-serving-log-llongfile.txt':
    'logrus JSON with a lower-case level: the README gives it a JSON pattern',
  'go/go119-session-go-nil-pointer.txt + go119-zap-1.23-production-caller-without-stacktrace.txt':
    'zap JSON with a lower-case level: the README gives it a JSON pattern',
  'go/go119-zap-1.23-production-caller-without-stacktrace.txt + go124-fatal-error-concurrent-map-writes.txt':
    'zap JSON with a lower-case level: the README gives it a JSON pattern',
  'java/openjdk17-session-manager-npe.txt + scala211-runner-uncaught-case-class-exception.txt':
    "the scala runner's print of a RefundDenied it did not catch holds no term: the README gives a package term",
  'java/scala211-runner-uncaught-case-class-exception.txt + thread-jdk-frames.txt':
    "the scala runner's print of a RefundDenied it did not catch holds no term: the README gives a package term",
  'ruby/ruby31-syntax-error-in-main-script.txt + ruby31-syntax-error-in-required-file.txt':
    'one syntax error named by two paths: read back, the two are one incident',
};

const innermostInApp = (frames: readonly StackFrame[]): string => {
  const frame = frames.filter((f) => f.inApp).at(-1);
  return frame ? `${frame.file}:${frame.line}` : '-';
};

const pairs = LANGUAGES.flatMap((language) => {
  const singles = readdirSync(join(FIXTURES, language))
    .filter((file) => file.endsWith('.txt'))
    .sort()
    .map((file) => ({
      file,
      lines: readFileSync(join(FIXTURES, language, file), 'utf8')
        .replace(/\n+$/, '')
        .split('\n'),
    }))
    .map((capture) => ({ ...capture, found: detectErrors(makeEvents(capture.lines)) }))
    .filter((capture) => capture.found.length === 1);
  return singles.slice(1).map((second, i) => {
    const first = singles[i] as (typeof singles)[number];
    return { name: `${language}/${first.file} + ${second.file}`, first, second };
  });
});

describe('two captures side by side in one stream, through the default filter', () => {
  it('makes the incidents the two make read whole, but for the known gaps', async () => {
    const differing: string[] = [];
    for (const { name, first, second } of pairs) {
      const { jobs } = await deliverThroughDefaultFilter([
        ...first.lines,
        'INFO request finished',
        ...second.lines,
      ]);
      // by fingerprint, the innermost frames of the application its records have (two prints of one
      // panic, RUST_BACKTRACE=1 and =full, name one file by two paths: either is the incident's)
      const wanted = new Map<string, Set<string>>();
      for (const { record } of [...first.found, ...second.found]) {
        const print = fingerprintError(record);
        wanted.set(print, (wanted.get(print) ?? new Set()).add(innermostInApp(record.frames)));
      }
      const prints = new Set(jobs.map((job) => fingerprintError(job.error)));
      const isWanted = jobs.every((job) =>
        wanted.get(fingerprintError(job.error))?.has(innermostInApp(job.error.frames)),
      );
      if (!isWanted || prints.size !== jobs.length || jobs.length !== wanted.size) differing.push(name);
    }
    expect(pairs.length).toBeGreaterThan(300);
    expect(differing.sort()).toEqual(Object.keys(KNOWN).sort());
  });
});
