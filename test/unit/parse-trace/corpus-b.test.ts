import { dotnetParser } from '../../../functions/core/detect/parse-trace/dotnet.ts';
import { goParser } from '../../../functions/core/detect/parse-trace/go.ts';
import type { ParsedTrace } from '../../../functions/core/detect/parse-trace/parsed-trace.ts';
import { phpParser } from '../../../functions/core/detect/parse-trace/php.ts';
import { rubyParser } from '../../../functions/core/detect/parse-trace/ruby.ts';
import {
  type CorpusFrame,
  type CorpusRecord,
  describeCorpus,
  expectedCorpusView,
} from '../../support/corpus.ts';

/**
 * Records whose annotation we knowingly do not reproduce, with the reason. Everything else must
 * match exactly; a record listed here that starts matching fails too, so the list stays honest.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // Derived variants: the noise changed in `events` but `expected` keeps the original text.
  'rb-de-1-var-addr': 'expected message keeps the original object address',
  'php-de-gae-var-deploy': 'expected frames keep the original deploy-version path',
  // The multi-line SQL message is annotated null; we keep the message text up to ` ---> `.
  'cs-stp-runawaybugstacktrace': 'expected message is null although the text has one',
};

/**
 * Corpus frames are innermost first. .NET lists every `at` line in printed order, inner
 * exceptions' frames included, which is the reverse of our outer frames followed by each cause's.
 */
function toCorpusFrames(language: string, trace: ParsedTrace): CorpusFrame[] {
  const frames = language === 'csharp' ? [trace, ...trace.causes].flatMap((t) => t.frames) : trace.frames;
  return [...frames].reverse().map((frame) => ({
    file: frame.file === '' || frame.file === '[internal function]' ? null : frame.file,
    line: frame.line ?? null,
    function: frame.function ?? null,
  }));
}

/** `inner` (the first .NET inner exception, first message line) is compared only where it is annotated. */
function actualOf(language: string, trace: ParsedTrace | undefined, record: CorpusRecord): unknown {
  if (!trace) return undefined;
  const inner = trace.causes[0];
  return {
    exceptionType: trace.exceptionType,
    message: trace.message,
    frames: toCorpusFrames(language, trace),
    ...(record.expected.inner ? { inner: inner && [inner.exceptionType, inner.message.split('\n')[0]] } : {}),
  };
}

function expectedOf(language: string, record: CorpusRecord): unknown {
  const { inner } = record.expected;
  return {
    exceptionType: record.expected.exception_type ?? '',
    message: record.expected.message ?? '',
    // our conventions where the corpus leaves a choice (PHP: the header location is a frame)
    frames: expectedCorpusView(language, record).frames,
    ...(inner ? { inner: [inner.exception_type, inner.message] } : {}),
  };
}

describeCorpus({
  languages: [
    ['go', goParser],
    ['ruby', rubyParser],
    ['php', phpParser],
    ['csharp', dotnetParser],
  ],
  knownDifferences: KNOWN_DIFFERENCES,
  actualOf: ({ language, trace, record }) => actualOf(language, trace, record),
  expectedOf: ({ language, record }) => expectedOf(language, record),
});
