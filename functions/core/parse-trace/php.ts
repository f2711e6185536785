import type { TraceParser } from './parsed-trace.ts';

// Not written yet: recognises nothing, so the detector falls back to an unknown-format record.
export const phpParser: TraceParser = {
  language: 'php',
  startsTrace: () => false,
  continuesTrace: () => false,
  parse: () => undefined,
};
