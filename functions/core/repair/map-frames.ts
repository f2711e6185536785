import type { StackFrame } from '../contracts.ts';

/** A frame and the repository file it points at, or why it points at none. */
export type FrameMapping =
  | {
      frame: StackFrame;
      kind: 'mapped';
      path: string;
      /**
       * The frame ran compiled output that is not in the repository and `path` is its source: the
       * line is the compiled file's. The frame's path as matched (`app/dist/orders.js`; inside an
       * installed own package, from the package's directory: `lib/x.js`).
       */
      compiledFrom?: string;
      /**
       * The frame ran a bundle the repository does not hold (no source map) and `path` defines
       * the function it names, at this line: the frame's own line is the bundle's.
       */
      bundledAt?: number;
    }
  | {
      frame: StackFrame;
      kind: 'unmapped';
      /** `bundled`: a JavaScript bundle the repository does not hold, its function found nowhere */
      reason: 'not_in_app' | 'no_match' | 'ambiguous' | 'bundled';
      /** `ambiguous`: the files the frame matched equally well */
      tied?: readonly string[];
    };

/**
 * source-map-support (`import 'source-map-support/register'`, the serverless-webpack template's)
 * resolves a webpack source (`webpack://app/./src/x.ts`) against the bundle's folder:
 * `/var/task/src/functions/getPost/webpack:/app/src/functions/getPost/handler.ts`. The project's
 * path is what follows `webpack:/`: webpack 5 puts its namespace first, webpack 4 none, and a
 * namespace left in only makes the frame one segment longer than the repository file it ends like.
 */
const WEBPACK_MOUNT = /^[^:]{0,1000}\/webpack:\/(?=[^/])/;

// Where applications live inside containers, Lambda and build outputs; also URL-ish schemes.
// Applied in order, each at most once. Suffix matching would find most files without them; they
// keep the segments that do not belong to the repository from blurring a suffix tie.
const DEPLOY_PREFIXES = [
  // source-map-support's print of a webpack source
  WEBPACK_MOUNT,
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

// Dependency trees. A frame there is the application's own code only when the repository being
// repaired is that dependency: `site-packages/shop/x.py` of a pip-installed app is `shop/x.py`.
// Debian's packaged PHP libraries (php-laravel-framework, php-symfony-*) lie under /usr/share/php/ by
// their namespace: Laravel's `Illuminate/Foundation/Http/Middleware/VerifyCsrfToken.php` ends like
// three segments of the application's own `app/Http/Middleware/VerifyCsrfToken.php`, its subclass.
const VENDORED_SEGMENT =
  /(?:^|\/)(?:site-packages|dist-packages|node_modules|bower_components|\.venv|venv|pkg\/mod|gems|usr\/share\/php)\//;
// Cargo's copies of a crate: `.cargo/registry/src/<index>/<name>-<version>/…` (from crates.io) and
// `.cargo/git/checkouts/<repository>-<hash>/<rev>/…` (a git dependency), under whatever home Cargo
// has (`/usr/local/cargo` in the official Rust images, its index folder under any other). A crate names no folder of
// its own below `src/`: every crate's `src/lib.rs` ends like the application's own, and a panic
// inside once_cell's was placed in the application's `src/lib.rs`. Mapped only when the repository
// declares the crate (`Cargo.toml`), from the crate's folder (a registry copy) or the repository's
// root (a git checkout); any other path under them is a dependency's.
const CARGO_COPY = /(?:^|\/)(?:\.?cargo\/(?:registry|git)|registry\/src\/[^/]+-[0-9a-f]{16})\//;
const CARGO_INSTALL =
  /(?:^|\/)(?:(?:\.?cargo\/registry\/src\/[^/]+|registry\/src\/[^/]+-[0-9a-f]{16})\/([^/]+?)-\d+\.\d+\.\d+[^/]*|\.?cargo\/git\/checkouts\/([^/]+)-[0-9a-f]{16}\/[0-9a-f]{7,40})\/(.*)$/;
/** The key `ownPackages` holds a crate under (package.json's and go.mod's names are its others). */
export const cargoPackageKey = (crate: string): string => `cargo:${crate}`;
// Dependencies committed to the repository (Go and PHP `vendor/`): never the frame's file, and
// a tie with the application's own `pkg/x.go` would make the real file ambiguous.
export const VENDORED_REPO_DIR =
  /(?:^|\/)(?:vendor|node_modules|site-packages|dist-packages|\.venv|venv|bower_components)\//;
// A package install names no directory of its own inside the package (`node_modules/express/lib/x.js`
// is `lib/x.js` of express): these map only when the repository declares that package's name.
const NAMED_INSTALL = /(?:^|\/)(?:node_modules\/((?:@[^/]+\/)?[^/]+)|pkg\/mod\/(.+?)@[^/]+)\/(.*)$/;
// Composer's install of a PHP package: `vendor/<vendor>/<name>/` (composer.json's `name`), its files
// below as the package's repository holds them (`vendor/slim/slim/Slim/App.php` is slimphp/Slim's
// `Slim/App.php`). Mapped only when the repository declares that name; otherwise never, however much
// of its path a file of the application's ends like.
const COMPOSER_INSTALL = /(?:^|\/)vendor\/([a-z0-9][\w.-]{0,100}\/[a-z0-9][\w.-]{0,100})\/(.+\.php)$/;
/** The key `ownPackages` holds a composer package under (composer.json's `name`). */
export const composerPackageKey = (name: string): string => `composer:${name}`;
/** Segments a dependency or runtime frame must share with a repository file beyond its basename. */
const MIN_VENDORED_SUFFIX = 2;
const MIN_RUNTIME_SUFFIX = 3;
// Compiled output beside its source: `src/` built to `dist/`, `lib/`, `build/` or `out/`,
// sometimes one directory per module format below it (`dist/cjs/`).
const BUILD_DIR = /^(?:dist|lib|build|out)$/;
const FORMAT_DIR = /^(?:cjs|esm|es|mjs|commonjs|module|umd|node)$/;
/** What a compiled file's source may be called: the same name (Babel), or TypeScript's. */
const SOURCE_NAMES: readonly [RegExp, readonly string[]][] = [
  [/\.js$/, ['.js', '.ts', '.tsx', '.jsx']],
  [/\.mjs$/, ['.mjs', '.mts', '.ts']],
  [/\.cjs$/, ['.cjs', '.cts', '.ts']],
];
// Next.js builds a route to `.next/server/app/<route>/route.js` (or `page.js`) and a Pages Router
// page to `.next/server/pages/<page>.js`, minified: the source is `app/<route>/route.ts` (or .tsx,
// .js …), under `src/` in some projects. Also inside `output: 'standalone'` and OpenNext's bundles.
const NEXT_OUTPUT = '.next';
const NEXT_ROUTERS = /^(?:app|pages)$/;
const NEXT_SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.mjs'];
// The tests' own trees. A deployed application runs no file there: where a frame's path ends like
// a test's file and the application's alike, the application's is the one (sinatra-param's
// example app deployed to /app: `/app/app.rb` is its example/app.rb, not the specs' spec/dummy/app.rb).
const TEST_TREE = /(?:^|\/)(?:spec|specs|test|tests|__tests__|testdata)\//;
/** Symlinks followed per path: a loop or a chain ends here. */
const MAX_SYMLINK_HOPS = 4;

/**
 * How many segments of a path lie inside the package installed where it points: below the last
 * `site-packages/` (the import name first), `/usr/share/php/` (the namespace first) or the last
 * gem's folder (`gems/sidekiq-7.2.0/lib/sidekiq/processor.rb` → `lib/sidekiq/processor.rb`, 3); 0
 * elsewhere.
 */
function installedDepth(posix: string): number {
  const count = (path: string) => path.split('/').filter((s) => s !== '').length;
  // where a whole segment starts with the name (an index into `posix`), -1 when none does
  const rooted = `/${posix}`;
  // the two names have one length
  const site = Math.max(rooted.lastIndexOf('/site-packages/'), rooted.lastIndexOf('/dist-packages/'));
  if (site >= 0) return count(posix.slice(site + 'site-packages/'.length));
  // a library Debian packaged for PHP: its path below /usr/share/php/, the namespace's folders
  const debianPhp = rooted.lastIndexOf('/usr/share/php/');
  if (debianPhp >= 0) return count(posix.slice(debianPhp + 'usr/share/php/'.length));
  const gems = rooted.lastIndexOf('/gems/');
  return gems >= 0 ? count(posix.slice(gems + 'gems/'.length)) - 1 : 0;
}

/** The path segments a frame names, most specific last (Java frames name a class, not a path). */
function frameSegments(frame: StackFrame, path = stripDeployPrefix(frame.file)): string[] {
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 1 && frame.module && /\.(?:java|kt|scala|groovy|clj[cs]?)$/.test(path)) {
    // com.example.orders.OrderService → com/example/orders/OrderService.java
    const pkg = frame.module.split('.').slice(0, -1);
    return [...pkg, ...segments];
  }
  return segments;
}

type Placement =
  | {
      kind: 'own';
      segments: string[];
      minSuffix: number;
      /** the segments name the file's whole path in the repository (an installed own package) */
      anchored?: boolean;
    }
  | { kind: 'unmapped'; reason: 'not_in_app' };

/**
 * Where to look for a frame in the repository. In-app frames match on any suffix; a dependency's
 * frame only on more than its basename (or, for node_modules and Go's module cache, when the
 * repository is the named package); a runtime frame on a longer suffix still.
 */
function placeFrame(frame: StackFrame, ownPackages: ReadonlyMap<string, string>): Placement {
  const posix = frame.file.replaceAll('\\', '/');
  if (CARGO_COPY.test(posix)) {
    const cargo = CARGO_INSTALL.exec(posix);
    const crate = cargo?.[1] ?? cargo?.[2];
    const dir = crate === undefined ? undefined : ownCrateDir(crate, ownPackages);
    const path = cargo?.[3] ?? '';
    // a registry copy is the crate's folder; a git checkout, its repository's root, where the crate
    // it is named after lies at the folder the repository declares it in
    const isCheckout = cargo?.[2] !== undefined;
    if (dir === undefined || (isCheckout && dir !== '' && !path.startsWith(`${dir}/`)))
      return { kind: 'unmapped', reason: 'not_in_app' };
    const inside = frameSegments(frame, path);
    const segments = !isCheckout && dir ? [...dir.split('/'), ...inside] : inside;
    return { kind: 'own', segments, minSuffix: 1, anchored: true };
  }
  const named = NAMED_INSTALL.exec(posix);
  if (named) {
    const dir =
      named[1] !== undefined ? ownPackages.get(named[1]) : ownModuleDir(named[2] ?? '', ownPackages);
    if (dir === undefined) return { kind: 'unmapped', reason: 'not_in_app' };
    // a workspace package of a monorepo: `node_modules/pg/lib/x.js` is `packages/pg/lib/x.js`
    const inside = frameSegments(frame, named[3] ?? '');
    const segments = dir ? [...dir.split('/'), ...inside] : inside;
    return { kind: 'own', segments, minSuffix: 1, anchored: true };
  }
  const composer = COMPOSER_INSTALL.exec(posix);
  if (composer) {
    const dir = ownPackages.get(composerPackageKey(composer[1] ?? ''));
    if (dir === undefined) return { kind: 'unmapped', reason: 'not_in_app' };
    const inside = frameSegments(frame, composer[2] ?? '');
    return {
      kind: 'own',
      segments: dir ? [...dir.split('/'), ...inside] : inside,
      minSuffix: 1,
      anchored: true,
    };
  }
  if (VENDORED_SEGMENT.test(posix)) {
    // All of an installed package's path must match, its folder included: `celery/app/trace.py` is
    // no `app/trace.py` of the application's own, nor `django/utils/decorators.py` its `utils/`.
    const minSuffix = Math.max(MIN_VENDORED_SUFFIX, installedDepth(posix));
    return { kind: 'own', segments: frameSegments(frame), minSuffix };
  }
  return {
    kind: 'own',
    segments: frameSegments(frame),
    minSuffix: frame.inApp ? lambdaPackageDepth(posix.replace(WEBPACK_MOUNT, '')) : MIN_RUNTIME_SUFFIX,
  };
}

// A Lambda function's zip root and a layer's Python folder: a function's own code and the packages
// `pip install -t .` bundled beside it (`/var/task/markdown_it/main.py`) share them.
const LAMBDA_ROOT = /^\/(?:var\/task|opt\/python)\//;

/**
 * How many segments of a frame's path a repository file must end with: all of them below a Lambda
 * root (the zip holds the function's folders as the repository does, so `/var/task/markdown_it/
 * main.py`, a bundled package, is not the function's own `app/main.py`), else its basename.
 */
function lambdaPackageDepth(posix: string): number {
  const root = LAMBDA_ROOT.exec(posix);
  return root
    ? Math.max(
        1,
        posix
          .slice(root[0].length)
          .split('/')
          .filter((s) => s !== '').length,
      )
    : 1;
}

/**
 * The directory of the repository's Go module that `cached` (a module cache path) is: the cache
 * writes capitals as `!` + lower case (`github.com/!burnt!sushi/toml`), and a trace from the
 * previous major version (`…/fiber/v2@v2.52.0`) is still this module's code (its go.mod says `/v3`).
 */
function ownModuleDir(cached: string, ownPackages: ReadonlyMap<string, string>): string | undefined {
  const name = cached.replace(/!([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const exact = ownPackages.get(name);
  if (exact !== undefined) return exact;
  const base = name.replace(GO_MAJOR_SUFFIX, '');
  for (const [declared, dir] of ownPackages) if (declared.replace(GO_MAJOR_SUFFIX, '') === base) return dir;
  return undefined;
}
const GO_MAJOR_SUFFIX = /\/v\d{1,4}$/;

/** The directory of the repository's crate `crate` names (Cargo reads `-` and `_` in a name alike). */
function ownCrateDir(crate: string, ownPackages: ReadonlyMap<string, string>): string | undefined {
  return (
    ownPackages.get(cargoPackageKey(crate)) ??
    ownPackages.get(cargoPackageKey(crate.replaceAll('-', '_'))) ??
    ownPackages.get(cargoPackageKey(crate.replaceAll('_', '-')))
  );
}

/**
 * Maps frames to repository files by the longest common path suffix, never by a basename alone
 * when a longer match exists. Whether a frame is the application's code is decided here, by the
 * repository: a `site-packages/` or `gems/` frame whose path matches a file is in-app (a pip- or
 * gem-installed app), and `ownPackages` (package.json's name, go.mod's module, Cargo.toml's crate,
 * composer.json's name, each with the directory it is declared in: a monorepo's workspace packages
 * too) admits `node_modules/<name>/`, `pkg/mod/<module>@v/`, Cargo's copies of a crate and
 * composer's `vendor/<vendor>/<name>/`, placed under that
 * directory. `pathPrefix` (an application inside a
 * monorepo) wins ties; a tie it cannot break is reported, not guessed. A match on a symlink (an
 * entry point) is followed to its target when `symlinks` names it.
 */
export function mapFramesToRepo({
  frames,
  files,
  pathPrefix = '',
  ownPackages = new Map(),
  symlinks = new Map(),
  declaredPackages = new Map(),
}: {
  frames: readonly StackFrame[];
  files: readonly string[];
  pathPrefix?: string;
  /** package or module name → the repository directory that declares it ('' for the root) */
  ownPackages?: ReadonlyMap<string, string>;
  /** repository symlink → its target, relative to the repository root */
  symlinks?: ReadonlyMap<string, string>;
  /** JVM source file → the package its `package` line declares ('' for none): see jvmTieNames */
  declaredPackages?: ReadonlyMap<string, string>;
}): FrameMapping[] {
  const byBasename = new Map<string, string[]>();
  for (const file of [...files, ...symlinks.keys()]) {
    if (VENDORED_REPO_DIR.test(file)) continue;
    const base = file.slice(file.lastIndexOf('/') + 1);
    const list = byBasename.get(base);
    if (!list) byBasename.set(base, [file]);
    else if (!list.includes(file)) list.push(file);
  }
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  const match = (segments: readonly string[], anchored: boolean): Match => {
    const candidates = byBasename.get(segments[segments.length - 1] ?? '') ?? [];
    const whole = anchored ? segments.join('/') : undefined;
    let best: string[] = [];
    let bestScore = 0;
    let bestSuffix = 0;
    for (const candidate of candidates) {
      const suffix = commonSuffix(candidate.split('/'), segments);
      // an installed own package names its file's whole path: `tests/src/x.js` only ends like it;
      // last, a file outside the tests' trees over one inside them
      const score =
        suffix * 8 +
        (candidate === whole ? 4 : 0) +
        (prefix && candidate.startsWith(`${prefix}/`) ? 2 : 0) +
        (TEST_TREE.test(candidate) ? 0 : 1);
      if (score > bestScore) {
        best = [candidate];
        bestScore = score;
        bestSuffix = suffix;
      } else if (score === bestScore) best.push(candidate);
    }
    return { best, suffix: bestSuffix };
  };
  const mappings = frames.map((frame): FrameMapping => {
    const placement = placeFrame(frame, ownPackages);
    if (placement.kind === 'unmapped') return { frame, kind: 'unmapped', reason: placement.reason };
    const { segments, minSuffix, anchored = false } = placement;
    const found = match(segments, anchored);
    // Compiled output the repository does not hold: its source, when that matches longer than
    // the file itself does (`dist/index.js` is `src/index.ts`, not some `scripts/index.js`).
    // A Next.js build's route is never the repository's file, even where it ends like one.
    const next = sourceOfNextBuild(segments, anchored, match);
    if (next) return { frame, kind: 'mapped', path: next, compiledFrom: segments.join('/') };
    const source = found.suffix < segments.length ? sourceOfCompiled(segments, anchored, match) : undefined;
    if (source && source.suffix > found.suffix) {
      const path = followSymlinks(source.path, symlinks);
      return { frame, kind: 'mapped', path, compiledFrom: segments.join('/') };
    }
    const [path] = found.best;
    if (found.suffix >= minSuffix && found.best.length === 1 && path)
      return { frame, kind: 'mapped', path: followSymlinks(path, symlinks) };
    if (found.suffix < minSuffix) {
      return { frame, kind: 'unmapped', reason: frame.inApp && minSuffix === 1 ? 'no_match' : 'not_in_app' };
    }
    const tied = found.best.length > 1 ? inFramePackage(frame, found.best, declaredPackages) : found.best;
    const [only] = tied;
    if (tied.length === 1 && only) return { frame, kind: 'mapped', path: followSymlinks(only, symlinks) };
    if (tied.length < 2) return { frame, kind: 'unmapped', reason: 'no_match' };
    return { frame, kind: 'unmapped', reason: 'ambiguous', tied };
  });
  return breakTiesByNeighbours(mappings, symlinks);
}

// A JVM frame names its class's package; Kotlin (and Java, less often) lets a source file lie in any
// folder, so the package is the file's own `package` line, not its path.
const JVM_SOURCE = /\.(?:java|kt|kts|scala|groovy)$/;

/**
 * The basenames of the trace's JVM frames that name no folder (`Task1.kt`), whose same-named files'
 * `package` lines can break a tie: Kotlin's convention omits the package's folders, so AtomicKotlin's
 * 62 `Task1.kt` (`package abstractClassesExercise1`, …) all end alike.
 */
export function jvmTieNames(frames: readonly StackFrame[]): Set<string> {
  const names = new Set<string>();
  for (const frame of frames)
    if (frame.module && JVM_SOURCE.test(frame.file) && !/[\\/]/.test(frame.file)) names.add(frame.file);
  return names;
}

/** The package a JVM source file declares on its `package` line ('' when it has none). */
export function declaredPackage(text: string): string {
  const declared = /^[ \t]*package[ \t]+([\w.`]{1,300})[ \t]*;?[ \t]*$/m.exec(text)?.[1];
  return declared?.replaceAll('`', '') ?? '';
}

/**
 * Of the files a JVM frame ties between, those that declare its class's package (`abstractClasses
 * Exercise1.Task1Kt` → `package abstractClassesExercise1`); all of them when the frame names no
 * class, or when a file's package is unknown or none declares it.
 */
function inFramePackage(
  frame: StackFrame,
  tied: string[],
  declaredPackages: ReadonlyMap<string, string>,
): string[] {
  if (!frame.module || !JVM_SOURCE.test(frame.file)) return tied;
  const dot = frame.module.lastIndexOf('.');
  const pkg = dot > 0 ? frame.module.slice(0, dot) : '';
  if (tied.some((file) => !declaredPackages.has(file))) return tied;
  const same = tied.filter((file) => declaredPackages.get(file) === pkg);
  return same.length > 0 ? same : tied;
}

/**
 * A tie broken by the trace's other frames: of the files an ambiguous frame names alike, the one
 * that shares the most leading directories with a file another frame was placed in, when one
 * alone does. Each module of a multi-module build has its `com/iluwatar/App.java` or
 * `com/acme/Application.java`; the `Money.java` the trace also ran is in one of them (`money/`).
 */
function breakTiesByNeighbours(
  mappings: FrameMapping[],
  symlinks: ReadonlyMap<string, string>,
): FrameMapping[] {
  if (!mappings.some((m) => m.kind === 'unmapped' && m.tied)) return mappings;
  const placed = [...new Set(mappings.flatMap((m) => (m.kind === 'mapped' ? [m.path] : [])))].map((path) =>
    path.split('/'),
  );
  if (placed.length === 0) return mappings;
  const nearness = (candidate: string): number => {
    const dirs = candidate.split('/').slice(0, -1);
    return Math.max(...placed.map((path) => commonPrefix(dirs, path.slice(0, -1))));
  };
  return mappings.map((mapping) => {
    if (mapping.kind !== 'unmapped' || !mapping.tied) return mapping;
    const scored = mapping.tied.map((candidate) => ({ candidate, near: nearness(candidate) }));
    const best = Math.max(...scored.map((s) => s.near));
    const nearest = scored.filter((s) => s.near === best);
    const only = nearest.length === 1 ? nearest[0]?.candidate : undefined;
    return best > 0 && only !== undefined
      ? { frame: mapping.frame, kind: 'mapped', path: followSymlinks(only, symlinks) }
      : mapping;
  });
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

interface Match {
  /** the files tied for the longest suffix */
  best: string[];
  suffix: number;
}

/**
 * The source of a compiled file: `…/dist/orders/service.js` → `…/src/orders/service.ts` (or
 * `.js`, Babel's), a format directory (`dist/cjs/`) dropped. Only a match that covers `src/` and
 * everything below the build directory counts, and only when one file is that match.
 */
function sourceOfCompiled(
  segments: readonly string[],
  anchored: boolean,
  match: (segments: readonly string[], anchored: boolean) => Match,
): { path: string; suffix: number } | undefined {
  const name = segments[segments.length - 1] ?? '';
  const names = SOURCE_NAMES.find(([ext]) => ext.test(name));
  if (!names) return undefined;
  let build = -1;
  for (let i = segments.length - 2; i >= 0; i--) {
    if (BUILD_DIR.test(segments[i] ?? '')) {
      build = i;
      break;
    }
  }
  if (build < 0) return undefined;
  const below = segments.slice(build + 1, -1);
  if (FORMAT_DIR.test(below[0] ?? '')) below.shift();
  const stem = name.replace(names[0], '');
  const found = new Map<string, number>();
  for (const ext of names[1]) {
    const source = [...segments.slice(0, build), 'src', ...below, `${stem}${ext}`];
    const { best, suffix } = match(source, anchored);
    if (suffix >= below.length + 2) for (const path of best) found.set(path, suffix);
  }
  // tsc's rootDir is the project's root when it compiles a file outside src/ too (a root
  // `ormconfig.ts`): the build directory mirrors the tree, `dist/src/main.js` is `src/main.ts`
  if (found.size === 0 && below.length > 0)
    for (const ext of names[1]) {
      const { best, suffix } = match([...segments.slice(0, build), ...below, `${stem}${ext}`], anchored);
      if (suffix >= below.length + 1) for (const path of best) found.set(path, suffix);
    }
  const [only] = found;
  return found.size === 1 && only ? { path: only[0], suffix: only[1] } : undefined;
}

/**
 * The source of a route Next.js built (see NEXT_OUTPUT): the one file whose path ends like the
 * route's, with the router's directory, in any source extension. Undefined for anything else
 * (`.next/server/chunks/…`, code shared by routes, which names no route).
 */
function sourceOfNextBuild(
  segments: readonly string[],
  anchored: boolean,
  match: (segments: readonly string[], anchored: boolean) => Match,
): string | undefined {
  const output = segments.lastIndexOf(NEXT_OUTPUT);
  if (output < 0 || segments[output + 1] !== 'server' || !NEXT_ROUTERS.test(segments[output + 2] ?? ''))
    return undefined;
  const route = segments.slice(output + 2);
  const name = route.at(-1) ?? '';
  if (!name.endsWith('.js')) return undefined;
  const stem = name.slice(0, -'.js'.length);
  const found = new Set<string>();
  for (const ext of NEXT_SOURCE_EXTENSIONS) {
    const { best, suffix } = match([...route.slice(0, -1), `${stem}${ext}`], anchored);
    if (suffix >= route.length) for (const path of best) found.add(path);
  }
  const [only] = found;
  return found.size === 1 ? only : undefined;
}

/** `bin/shop` → `shop/cli.py` when the repository links its entry point to the code. */
function followSymlinks(path: string, symlinks: ReadonlyMap<string, string>): string {
  let current = path;
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    const target = symlinks.get(current);
    if (target === undefined) return current;
    current = target;
  }
  return current;
}

/** A symlink's target resolved against the link's directory; undefined when it leaves the repository. */
export function resolveSymlinkTarget(link: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const parts = link.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(segment);
  }
  return parts.join('/');
}

function commonSuffix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * Where a trace whose report marks no frame as the application's was raised in the repository's
 * code: the innermost frame mapped to a file of it (`mappings` innermost first), named by that file
 * (`refund` at `src/shop/refunds.py:11`, not `site-packages/shop/refunds.py`). The line only where
 * it is the file's own (not a compiled file's or a bundle's). Undefined when a frame is in-app.
 */
export function raisedInRepository(
  frames: readonly StackFrame[],
  mappings: readonly FrameMapping[],
): { function?: string; file: string; line?: number } | undefined {
  if (frames.some((f) => f.inApp)) return undefined;
  const mapped = mappings.find((m) => m.kind === 'mapped');
  if (mapped?.kind !== 'mapped') return undefined;
  const { frame } = mapped;
  const line = mapped.bundledAt ?? (mapped.compiledFrom === undefined ? frame.line : undefined);
  return {
    ...(frame.function === undefined ? {} : { function: frame.function }),
    file: mapped.path,
    ...(line === undefined ? {} : { line }),
  };
}
