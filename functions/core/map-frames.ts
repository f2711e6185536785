import type { StackFrame } from './contracts.ts';

/** A frame and the repository file it points at, or why it points at none. */
export type FrameMapping =
  | { frame: StackFrame; kind: 'mapped'; path: string }
  | { frame: StackFrame; kind: 'unmapped'; reason: 'not_in_app' | 'no_match' | 'ambiguous' };

// Where applications live inside containers, Lambda and build outputs; also URL-ish schemes.
// Applied in order, each at most once. Suffix matching would find most files without them; they
// keep the segments that do not belong to the repository from blurring a suffix tie.
const DEPLOY_PREFIXES = [
  // `webpack:///src/x.js` (no namespace) and `webpack://app-name/./src/x.js`
  /^webpack:\/\/[^/]*\/(?:\.\/)?/,
  /^webpack-internal:\/\/\/(?:\.\/)?/,
  /^file:\/\//,
  // `C:\build\x`, and `/C:/build/x` left over from `file:///C:/build/x`
  /^\/?[A-Za-z]:[\\/]/,
  /^\/var\/task\//,
  /^\/var\/app\/current\//,
  /^\/usr\/src\/app\//,
  /^\/opt\/app\//,
  /^\/app\//,
  /^\/srv\/(?:app\/)?/,
  /^\/workspace\//,
  // .NET deterministic builds (`PathMap` to `/_/`)
  /^\/_\//,
  /^\/home\/[^/]+\/(?:app\/)?/,
  /^\.\//,
];

/** The frame's path with container, build and URL prefixes stripped, in posix form. */
export function stripDeployPrefix(file: string): string {
  let path = file.replaceAll('\\', '/');
  for (const prefix of DEPLOY_PREFIXES) path = path.replace(prefix, '');
  return path.replace(/^\/+/, '');
}

// Dependency trees: a frame there is never the application's code, whatever the parser said,
// and mapping it by basename would point the model at an unrelated file of the same name.
const VENDORED_SEGMENT =
  /(?:^|\/)(?:site-packages|dist-packages|node_modules|bower_components|\.venv|venv|pkg\/mod|\.cargo\/registry)\//;
// Dependencies committed to the repository (Go and PHP `vendor/`): never the frame's file, and
// a tie with the application's own `pkg/x.go` would make the real file ambiguous.
const VENDORED_REPO_DIR =
  /(?:^|\/)(?:vendor|node_modules|site-packages|dist-packages|\.venv|venv|bower_components)\//;

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
    if (VENDORED_REPO_DIR.test(file)) continue;
    const base = file.slice(file.lastIndexOf('/') + 1);
    const list = byBasename.get(base);
    if (list) list.push(file);
    else byBasename.set(base, [file]);
  }
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  return frames.map((frame): FrameMapping => {
    if (!frame.inApp || VENDORED_SEGMENT.test(frame.file.replaceAll('\\', '/'))) {
      return { frame, kind: 'unmapped', reason: 'not_in_app' };
    }
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
