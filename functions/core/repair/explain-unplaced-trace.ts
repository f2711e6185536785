import type { ErrorRecord } from '../contracts.ts';
import type { FrameMapping } from './map-frames.ts';

/** How many unmapped frames the explanation names. */
const MAX_NAMED_FRAMES = 5;

/**
 * Why no fix can be attempted for a trace, or undefined when one can. With the edit policy's
 * 'trace' scope, a fix may only touch files the trace maps to: when none maps, a model call
 * could only end rejected, so the incident is closed with this reason instead (no paid call).
 */
export function explainUnplacedTrace({
  error,
  mappings,
  scope,
}: {
  error: Pick<ErrorRecord, 'exceptionType' | 'frames'>;
  mappings: readonly FrameMapping[];
  scope: 'trace' | 'repository';
}): string | undefined {
  if (scope === 'repository' || mappings.some((m) => m.kind === 'mapped')) return undefined;
  if (mappings.length === 0) {
    return `no fix was attempted: the ${error.exceptionType || 'error'} was logged without a stack trace, so nothing points at a file of the repository (no model call was made)`;
  }
  const counts = { not_in_app: 0, no_match: 0, ambiguous: 0, bundled: 0 };
  for (const m of mappings) if (m.kind === 'unmapped') counts[m.reason] += 1;
  const named = mappings
    .filter((m) => m.kind === 'unmapped' && m.reason !== 'not_in_app')
    .slice(0, MAX_NAMED_FRAMES)
    .map((m) => `${m.frame.file}${m.frame.line ? `:${m.frame.line}` : ''}`);
  const parts = [
    counts.no_match > 0 ? `${counts.no_match} matched no file of the repository` : '',
    counts.ambiguous > 0 ? `${counts.ambiguous} matched several files equally well` : '',
    counts.bundled > 0
      ? `${counts.bundled} point into a JavaScript bundle with no source map and name no function that exactly one file of the repository defines (deploy source maps — esbuild's sourcemap and NODE_OPTIONS=--enable-source-maps — and the frames name the source files)`
      : '',
    counts.not_in_app > 0 ? `${counts.not_in_app} are dependency or runtime code` : '',
  ].filter(Boolean);
  const examples = named.length > 0 ? ` (e.g. ${named.join(', ')})` : '';
  return `no fix was attempted: none of the ${mappings.length} frames of the trace maps to a file of this repository — ${parts.join(', ')}${examples}. Check that the log group is routed to the right repository and path prefix (no model call was made)`;
}
