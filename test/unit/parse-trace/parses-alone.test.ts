import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRACE_PARSERS } from '../../../functions/core/detect/parse-trace/index.ts';
import { javaParser } from '../../../functions/core/detect/parse-trace/java.ts';
import { stripLogPrefix } from '../../../functions/core/detect/strip-log-prefix.ts';

// `parsesAlone` lets the detector skip a parse of a lone line (hot in a storm of one-line heads):
// it may say "never" only where the parse would indeed find nothing.
const FIXTURES = fileURLToPath(new URL('../../fixtures/traces/', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const lines = filesUnder(FIXTURES).flatMap((file) =>
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => stripLogPrefix(line).body),
);

describe('parsesAlone', () => {
  it('reads every line of the captured traces', () => {
    expect(lines.length).toBeGreaterThan(500);
  });

  for (const parser of TRACE_PARSERS.filter((p) => p.parsesAlone)) {
    it(`${parser.language}: a line it says cannot parse alone does not parse alone`, () => {
      const claimed = lines.filter((line) => parser.startsTrace(line));
      expect(claimed.length).toBeGreaterThan(10);
      const wrong = claimed.filter(
        (line) => parser.parsesAlone?.(line) === false && parser.parse(line) !== undefined,
      );
      expect(wrong).toEqual([]);
    });
  }

  it('java: `Exception in thread` alone is a trace, and says so', () => {
    const line = 'Exception in thread "main" java.lang.IllegalStateException: checkout failed';
    expect(javaParser.parsesAlone?.(line)).toBe(true);
    expect(javaParser.parse(line)?.exceptionType).toBe('java.lang.IllegalStateException');
  });
});
