import { javaParser } from '../../../functions/core/detect/parse-trace/java.ts';
import { javascriptParser } from '../../../functions/core/detect/parse-trace/javascript.ts';
import type { ParsedTrace } from '../../../functions/core/detect/parse-trace/parsed-trace.ts';
import { pythonParser } from '../../../functions/core/detect/parse-trace/python.ts';
import { rustParser } from '../../../functions/core/detect/parse-trace/rust.ts';
import { type CorpusFrame, type CorpusRecord, describeCorpus } from '../../support/corpus.ts';

/**
 * Records whose annotation we knowingly do not reproduce, with the reason. Everything else must
 * match exactly; a record listed here that starts matching fails too, so the list stays honest.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // Derived variant: the deploy-version path segment changed in `events` but not in `expected`.
  'py-de-1-var-lambda': 'expected frames keep the original path',
  // Derived variant: the e-mail changed in `events`, `expected.message` keeps the redacted one.
  'java-de-nested-var-email': 'expected message is the redacted original',
  // Elasticsearch `[test] Type[message]` with truncated frames: annotated best-effort.
  'java-fb-elastic': 'malformed frames, best-effort annotation',
  // "V8 errors stack trace" has no exception type at all; we return no record rather than guess.
  'js-de-v8': 'no exception type in the text',
};

/** Our frames are outermost first; the corpus lists them innermost first. Java puts the class in `module`. */
function toCorpusFrames(language: string, trace: ParsedTrace): CorpusFrame[] {
  return [...trace.frames].reverse().map((frame) => ({
    file: frame.file === '' ? null : frame.file,
    line: frame.line ?? null,
    function:
      language === 'java' && frame.module && frame.function
        ? `${frame.module}.${frame.function}`
        : (frame.function ?? null),
  }));
}

function expectedFrames(language: string, record: CorpusRecord): CorpusFrame[] {
  const { frames, panic_location: location } = record.expected;
  // Our Rust convention: without a backtrace, the panic location is the one frame.
  if (frames.length === 0 && location) return [{ file: location.file, line: location.line, function: null }];
  // Our Java convention: `module` is the class without its JPMS module (`java.base/`), so in-app
  // package rules apply; the corpus keeps the module in `function`.
  if (language === 'java') {
    return frames.map((frame) => ({ ...frame, function: frame.function?.replace(/^[^/(]*\//, '') ?? null }));
  }
  return frames;
}

describeCorpus({
  languages: [
    ['python', pythonParser],
    ['java', javaParser],
    ['javascript', javascriptParser],
    ['rust', rustParser],
  ],
  knownDifferences: KNOWN_DIFFERENCES,
  actualOf: ({ language, trace }) =>
    trace && {
      exceptionType: trace.exceptionType,
      message: trace.message,
      frames: toCorpusFrames(language, trace),
    },
  expectedOf: ({ language, record }) => ({
    exceptionType: record.expected.exception_type ?? '',
    message: record.expected.message ?? '',
    frames: expectedFrames(language, record),
  }),
});
