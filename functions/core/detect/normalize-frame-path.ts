/**
 * Frame path normalisation: the same source file must look the same whether it ran from a
 * Lambda bundle, a container, a Capistrano release, a GAE version or a Windows build box.
 */

const MAX_PATH_LENGTH = 1024;

// Deployment roots that say where the code was installed, not which file it is.
const DEPLOY_ROOTS: readonly RegExp[] = [
  /^\/var\/task\//,
  /^\/var\/runtime\//,
  /^\/opt\/(?:nodejs\/|python\/|app\/)?/,
  /^\/usr\/src\/app\//,
  /^\/app\//,
  /^\/workspace\//,
  /^\/code\//,
  /^\/srv\/[^/]{1,100}\//,
  /^\/home\/[^/]{1,100}\/(?:apps?\/[^/]{1,100}\/)?(?:releases\/[^/]{1,100}\/|current\/)/,
  /^\/base\/data\/home\/apps\/[^/]{1,200}\//,
];

// Segments that are only a version, a build stamp or a content hash.
function isVolatileSegment(segment: string): boolean {
  return (
    /^v?\d+(?:\.\d+)+(?:[-+][\w.]{1,40})?$/.test(segment) || // 1.2.3, 1.388306779641080894 (GAE), 3.0.0
    /^\d{8,14}$/.test(segment) || // 20240101120000 (Capistrano release)
    (/^[0-9a-f]{12,64}$/.test(segment) && /\d/.test(segment)) // /rustc/<commit>/, docker layers
  );
}

function normalizeSegment(segment: string): string {
  return (
    segment
      // pkg@1.2.3, github.com/x/y@v1.2.3, .pnpm/@scope+pkg@1.2.3_peer@4.5.6
      .replace(/@v?\d[\w.+-]{0,100}$/, '')
      // app-1.3.887, webapp2-2.5.2, tokio-1.32.0
      .replace(/-v?\d+(?:\.\d+){1,5}(?:[-+][\w.]{1,40})?$/, '')
      // index.crates.io-6f17d22bba15001f
      .replace(/-[0-9a-f]{16}$/, '')
      // Python interpreter directories: python3.11 → python
      .replace(/^(python|ruby|php|node)\d+(?:\.\d+){0,2}$/, '$1')
  );
}

// Bundles named after their content hash: main.3f2a1b9c.js, chunk-5d2e8a1f0b.mjs.
function stripBundleHash(basename: string): string {
  return basename.replace(/[.-]([0-9a-f]{8,20})(\.(?:m?js|cjs|css))$/, (whole, hash: string, ext: string) =>
    /\d/.test(hash) ? ext : whole,
  );
}

/**
 * A frame's file with deploy prefixes, version/release segments, URL schemes, drive letters and
 * backslashes normalised away; dependency paths start at their `node_modules/`-style marker.
 */
export function normalizeFramePath(file: string): string {
  let path = file.length > MAX_PATH_LENGTH ? file.slice(-MAX_PATH_LENGTH) : file;
  path = path.trim().replace(/\\/g, '/');
  // Query strings and fragments of script URLs (?v=123, #L10).
  path = path.replace(/[?#].{0,1000}$/, '');
  // webpack://my-app/./src/x.ts, webpack:///src/x.ts
  path = path.replace(/^webpack:\/\/[^/]{0,100}\/(?:\.\/)?/, '');
  path = path.replace(/^file:\/\/(?:localhost)?/, '');
  // Script URLs: keep the path, the host is where it was served from.
  path = path.replace(/^[a-z][a-z0-9+.-]{1,20}:\/\/[^/]{0,253}/i, '');
  // Windows drive letters (C:/, /c:/)
  path = path.replace(/^\/?[A-Za-z]:(?=\/)/, '');
  path = path.replace(/\/{2,}/g, '/');
  // Before the segment pass: a root such as releases/<stamp>/ is recognised by its stamp.
  for (const root of DEPLOY_ROOTS) {
    const stripped = path.replace(root, '');
    if (stripped !== path) {
      path = stripped;
      break;
    }
  }

  // Dependencies: everything before the last marker is the install location.
  const vendored =
    /(?:^|\/)((?:node_modules|site-packages|dist-packages|gems|vendor|pkg\/mod|registry\/src)\/)/g;
  let lastMarker = -1;
  for (const match of path.matchAll(vendored))
    lastMarker = match.index + match[0].length - (match[1]?.length ?? 0);
  if (lastMarker >= 0) path = path.slice(lastMarker);

  const segments = path.split('/');
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    if (i < segments.length - 1 && isVolatileSegment(segment)) continue;
    kept.push(normalizeSegment(segment));
  }
  const last = kept.length - 1;
  kept[last] = stripBundleHash(kept[last] ?? '');
  path = kept.join('/');

  return path.replace(/^\.\//, '');
}
