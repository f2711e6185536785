// Every capture (test/fixtures/traces/<language>/*), in one stream: plain output one event per line,
// a `.events.jsonl` one event per JSON line as the Lambda runtime wrote it; through
// the default subscription filter and the detector's whole use case (the delivered lines, the
// stream read around them): the incidents must be those the capture makes read whole, fingerprint
// for fingerprint. A filter delivers the lines that hold a term; what it left out is read back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents } from '../../support/log-events.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/traces');
const STREAM = { logGroup: '/ecs/orders', logStream: 'orders/app/4f1c2b' };
const JSON_LOWER_CASE = 'JSON with a lower-case level and no error word: the README gives it a JSON pattern';
const JVM_UNSUFFIXED =
  'a JVM exception whose class says no Exception or Error, with no thread or SEVERE before it: no line holds a term (the README gives a package term)';

/** Captures whose incidents differ through the default filter, each for a reason the README gives. */
const KNOWN: Record<string, string> = {
  'go/go119-logrus-1.9-json-error-without-stack.output': JSON_LOWER_CASE,
  'go/go119-logrus-1.9-json-report-caller-error.txt': JSON_LOWER_CASE,
  'go/go119-zap-1.23-production-caller-without-stacktrace.txt': JSON_LOWER_CASE,
  'go/go119-zerolog-1.26-pkgerrors-stack.output': JSON_LOWER_CASE,
  'python/py311-structlog-22.3-callsite-parameters-error.txt': JSON_LOWER_CASE,
  'python/py311-rich-13.3-console-print-exception-then-json-logging.output': JSON_LOWER_CASE,
  'python/py311-thread-exception-then-json-logging.output': JSON_LOWER_CASE,
  'javascript/node20-winston-3.19-json-without-format-errors.output': JSON_LOWER_CASE,
  'javascript/node22-winston-3.19-json-without-format-errors.output': JSON_LOWER_CASE,
  'javascript/node24-winston-3.19-json-without-format-errors.output': JSON_LOWER_CASE,
  'java/scala211-runner-uncaught-case-class-exception.txt': JVM_UNSUFFIXED,
  'go/go119-zerolog-1.26-console-writer.output':
    "zerolog's ConsoleWriter writes the level as `ERR`, no term of the default pattern",
  'javascript/bun-1.4-console-error-cause-chain-and-aggregate.output':
    "Bun prints a plain Error as `error: …` (no term): of the last one logged, only its code excerpt's line is delivered, and it is not read around",
  'javascript/bun-1.4-promise-any-aggregate-error.output':
    'Bun prints the errors of an AggregateError each as `error: …` (no term): the crash its `Bun v` line ends is read as the last one only',
};

const captures = readdirSync(FIXTURES)
  .sort()
  .flatMap((language) =>
    readdirSync(join(FIXTURES, language))
      .sort()
      .filter((file) => /\.(?:txt|output|stderr|logfmt|events\.jsonl)$/.test(file))
      .map((file) => {
        const text = readFileSync(join(FIXTURES, language, file), 'utf8');
        const messages = file.endsWith('.events.jsonl')
          ? text
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => JSON.parse(line) as string)
          : text.replace(/\n+$/, '').split('\n');
        return { name: `${language}/${file}`, messages };
      }),
  );

describe('every capture, one event per line, through the default filter', () => {
  it('makes the incidents it makes read whole, but for the known gaps', async () => {
    const differing: string[] = [];
    for (const { name, messages } of captures) {
      const whole = new Set(
        detectErrors(makeEvents(messages, STREAM)).map(({ record }) => fingerprintError(record)),
      );
      const { jobs } = await deliverThroughDefaultFilter(messages, STREAM);
      const got = jobs.map((job) => fingerprintError(job.error));
      if (got.length !== whole.size || got.some((print) => !whole.has(print))) differing.push(name);
    }
    expect(captures.length).toBeGreaterThan(600);
    expect(differing.sort()).toEqual(Object.keys(KNOWN).sort());
  });
});
