import type { StackFrame } from './contracts.ts';

/** A frame and the repository file it points at, or why it points at none. */
export type FrameMapping =
  | { frame: StackFrame; kind: 'mapped'; path: string }
  | { frame: StackFrame; kind: 'unmapped'; reason: 'not_in_app' | 'no_match' | 'ambiguous' };

// Where applications live inside containers, Lambda and build outputs; also URL-ish schemes.
const DEPLOY_PREFIXES = [
  /^webpack:\/\/\/?(?:[^/]*\/)?(?:\.\/)?/,
  /^webpack-internal:\/\/\/(?:\.\/)?/,
  /^file:\/\//,
  /^[A-Za-z]:[\\/]/,
  /^\/var\/task\//,
  /^\/var\/app\/current\//,
  /^\/usr\/src\/app\//,
  /^\/opt\/app\//,
  /^\/app\//,
  /^\/srv\/(?:app\/)?/,
  /^\/workspace\//,
  /^\/home\/[^/]+\/(?:app\/)?/,
  /^\.\//,
];

/** The frame's path with container, build and URL prefixes stripped, in posix form. */
export function stripDeployPrefix(file: string): string {
  let path = file.replaceAll('\\', '/');
  for (const prefix of DEPLOY_PREFIXES) path = path.replace(prefix, '');
  return path.replace(/^\/+/, '');
}

/** The path segments a frame names, most specific last (Java frames name a class, not a path). */
function frameSegments(frame: StackFrame): string[] {
  const stripped = stripDeployPrefix(frame.file);
  const segments = stripped.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 1 && frame.module && /\.(?:java|kt|scala|groovy)$/.test(stripped)) {
    // com.example.orders.OrderService → com/example/orders/OrderService.java
    const pkg = frame.module.split('.').slice(0, -1);
    return [...pkg, ...segments];
  }
  return segments;
}

/**
 * Maps in-app frames to repository files by the longest common path suffix. `pathPrefix`
 * (an application inside a monorepo) wins ties; a tie it cannot break is reported, not guessed.
 */
export function mapFramesToRepo({
  frames,
  files,
  pathPrefix = '',
}: {
  frames: readonly StackFrame[];
  files: readonly string[];
  pathPrefix?: string;
}): FrameMapping[] {
  const byBasename = new Map<string, string[]>();
  for (const file of files) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    const list = byBasename.get(base);
    if (list) list.push(file);
    else byBasename.set(base, [file]);
  }
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  return frames.map((frame): FrameMapping => {
    if (!frame.inApp) return { frame, kind: 'unmapped', reason: 'not_in_app' };
    const segments = frameSegments(frame);
    const candidates = byBasename.get(segments[segments.length - 1] ?? '') ?? [];
    let best: string[] = [];
    let bestScore = 0;
    for (const candidate of candidates) {
      const score =
        commonSuffix(candidate.split('/'), segments) * 2 +
        (prefix && candidate.startsWith(`${prefix}/`) ? 1 : 0);
      if (score > bestScore) {
        best = [candidate];
        bestScore = score;
      } else if (score === bestScore) best.push(candidate);
    }
    if (best.length === 1 && best[0]) return { frame, kind: 'mapped', path: best[0] };
    return { frame, kind: 'unmapped', reason: best.length > 1 ? 'ambiguous' : 'no_match' };
  });
}

function commonSuffix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}
