import { createHash } from 'node:crypto';
import type { ErrorRecord, StackFrame } from '../contracts.ts';
import { isLikelyAppPackageFrame } from './in-app.ts';
import { LOAD_FAILURE_TYPES } from './lambda-platform.ts';
import { normalizeFramePath } from './normalize-frame-path.ts';
import { normalizeFunctionName } from './normalize-function-name.ts';
import { normalizeMessage } from './normalize-message.ts';

export { normalizeFramePath } from './normalize-frame-path.ts';
export { normalizeFunctionName } from './normalize-function-name.ts';
export { normalizeMessage } from './normalize-message.ts';

export type FingerprintInput = Pick<ErrorRecord, 'language' | 'exceptionType' | 'message' | 'frames'> & {
  causes: readonly FingerprintInput[];
};

/** What a fingerprint is made of, before hashing (kept separate so tests and logs can show it). */
export interface FingerprintParts {
  language: string;
  exceptionType: string;
  /** the deepest cause's type, when the error wraps another */
  rootCauseType?: string;
  /**
   * the deepest cause's normalised message, when neither it nor the error has a type of its own
   * (a Rust error's chain of context: the failure itself is the innermost cause)
   */
  rootCauseMessage?: string;
  /** the normalised message, when the type and frames alone cannot tell bugs apart */
  message?: string;
  /** `path-tail:function` of the frames used, outermost first */
  frames: string[];
  /**
   * which frames were used: the application's; with none, those of what is likely its own package
   * installed with pip (`isLikelyAppPackageFrame`); else the innermost
   */
  frameSource: 'in-app' | 'package' | 'innermost' | 'none';
}

// Bounded so a deep recursion or a framework with a variable number of app-level middleware
// layers far from the fault does not split one bug; the innermost frames locate it.
const MAX_IN_APP_FRAMES = 10;
const MAX_OTHER_FRAMES = 3;
const MAX_FRAMES_CONSIDERED = 1000;
// The directory tail beyond the basename: enough to tell `users/index.ts` from `orders/index.ts`
// without depending on where the checkout lives.
const PATH_TAIL_SEGMENTS = 3;

// Types that name no bug on their own: Go and Rust panics, `throw new Error(…)`, bare Exception.
const GENERIC_TYPES = new Set([
  '',
  'panic',
  'fatal error',
  'error',
  'exception',
  'runtimeerror',
  'runtimeexception',
  'java.lang.runtimeexception',
  'java.lang.exception',
  'java.lang.error',
  'system.exception',
  'standarderror',
]);

const MAX_VERBATIM_MESSAGE = 300;

function pathTail(file: string, language: string): string {
  let path = normalizeFramePath(file);
  // RUST_BACKTRACE=1 prints `./src/x.rs`, `full` the absolute `/build/app/src/x.rs`: the crate's
  // `src/` is where both agree (the function path names the crate).
  const src = language === 'rust' ? path.lastIndexOf('/src/') : -1;
  if (src >= 0) path = path.slice(src + 1);
  return path.split('/').filter(Boolean).slice(-PATH_TAIL_SEGMENTS).join('/');
}

// A minifier's names (esbuild, SWC, terser: `at a (/var/task/index.js:1:492)`, `at Object.m`) are
// handed out anew by every build: the same bug's frame is `a` in one deploy and `e` after an
// unrelated change. Such a frame is keyed by its file alone, and the message joins the fingerprint.
const MINIFIED_NAME = /^(?:async )?(?:[\w$]{1,40}\.)?[A-Za-z_$][\w$]?$/;
const SCRIPT_FILE = /\.[cm]?js$/;

// V8 names the property it could not read or set (`Cannot read properties of undefined (reading
// 'reduce')`): code, not data, and with minified frames the one word left that tells two bugs of
// one bundle apart. Unquoted, so normalizeMessage keeps it as it keeps any word.
const V8_PROPERTY = /\((reading|setting) '([A-Za-z_$][\w$]{0,40})'\)/g;
const unquotePropertyNames = (message: string): string => message.replace(V8_PROPERTY, '($1 $2)');

/** Whether a JavaScript frame of a script names its function the way a minifier does. */
export function isMinifiedFrame(frame: StackFrame, language: string): boolean {
  return (
    language === 'javascript' &&
    frame.function !== undefined &&
    SCRIPT_FILE.test(frame.file) &&
    MINIFIED_NAME.test(frame.function)
  );
}

function frameKey(frame: StackFrame, language: string): string {
  // A stream repeats its frames in every trace it logs: each distinct frame is normalised once
  // (about 2 µs of regex work per frame, most of a fingerprint).
  const fn = isMinifiedFrame(frame, language) ? '' : (frame.function ?? '');
  const memo =
    frame.file.length + fn.length <= MAX_MEMO_KEY_CHARS
      ? `${language}\u0000${frame.file}\u0000${fn}`
      : undefined;
  const known = memo === undefined ? undefined : FRAME_KEY_MEMO.get(memo);
  if (known !== undefined) return known;
  const key = `${pathTail(frame.file, language)}:${normalizeFunctionName(fn)}`;
  if (memo !== undefined) {
    if (FRAME_KEY_MEMO.size >= MAX_MEMO_ENTRIES) FRAME_KEY_MEMO.clear();
    FRAME_KEY_MEMO.set(memo, key);
  }
  return key;
}

// Memos are bounded in entries and key size: frames and messages come from hostile text.
const MAX_MEMO_ENTRIES = 10_000;
const MAX_MEMO_KEY_CHARS = 512;
const FRAME_KEY_MEMO = new Map<string, string>();

// Recursion repeats the same frame; its depth is data, not a different bug.
function collapseRepeats(keys: string[]): string[] {
  return keys.filter((key, i) => i === 0 || keys[i - 1] !== key);
}

function rootCause(record: FingerprintInput): FingerprintInput {
  let current = record;
  // Bounded walk: causes come from parsed, attacker-controlled text.
  for (let depth = 0; depth < 32; depth++) {
    const next = current.causes[current.causes.length - 1];
    if (!next) break;
    current = next;
  }
  return current;
}

/**
 * The innermost cause whose frames hold one of the application's, when the error's own hold none:
 * an error rethrown by a thread pool or a future (`CompletionException` of CompletableFuture.join,
 * `ExecutionException`) has only the pool's frames, and the application's code that failed is
 * under `Caused by:`. Undefined when the error's own frames hold one, or no cause does.
 */
export function causeWithInAppFrames<T extends { frames: readonly StackFrame[]; causes: readonly T[] }>(
  record: T,
): T | undefined {
  if (record.frames.some((frame) => frame.inApp)) return undefined;
  let found: T | undefined;
  let current = record;
  // Bounded walk: causes come from parsed, attacker-controlled text.
  for (let depth = 0; depth < 32; depth++) {
    const next = current.causes[current.causes.length - 1];
    if (!next) break;
    if (next.frames.some((frame) => frame.inApp)) found = next;
    current = next;
  }
  return found;
}

function framesOf(record: FingerprintInput): readonly StackFrame[] {
  const cause = causeWithInAppFrames(record);
  if (cause) return cause.frames;
  if (record.frames.length > 0) return record.frames;
  // .NET and Java sometimes print the frames only under the inner/cause exception.
  const pending = [...record.causes];
  for (let seen = 0; pending.length > 0 && seen < 32; seen++) {
    const cause = pending.shift();
    if (cause && cause.frames.length > 0) return cause.frames;
    if (cause) pending.push(...cause.causes);
  }
  return [];
}

/** The normalised parts a fingerprint hashes (see `fingerprintError`). */
export function fingerprintParts(record: FingerprintInput): FingerprintParts {
  // Lambda could not load the function: the quoted names are the failure (`No module named
  // 'requests'` is not `'yaml'`), and the runtime's report reads alike in every log format.
  const isLoadFailure = LOAD_FAILURE_TYPES.has(record.exceptionType);
  const typeOf = (type: string) =>
    normalizeMessage(isLoadFailure ? type : exceptionClassName(type, record.language));
  const exceptionType = typeOf(record.exceptionType);
  const root = rootCause(record);
  const rootCauseType = root === record ? undefined : typeOf(root.exceptionType);
  // anyhow's and eyre's reports (`Error: checkout failed` / `Caused by:` …) type nothing: the same
  // context over two failures (a quantity that is no number, a database that refused) is two bugs.
  // Rust's only: another language's chain of untyped causes would change incidents users have.
  const rootCauseMessage =
    record.language === 'rust' &&
    rootCauseType !== undefined &&
    GENERIC_TYPES.has(rootCauseType.toLowerCase())
      ? normalizeMessage(headline(root.message))
      : undefined;

  // Parsed from attacker-controlled text: look no further than the innermost frames. A load
  // failure's frames outside the application are the runtime's loader, which moves with every
  // runtime release (Node's runtime client 3.x and 4.x load a handler at other lines and functions).
  const considered = framesOf(record).slice(-MAX_FRAMES_CONSIDERED);
  const frames = isLoadFailure ? considered.filter((frame) => frame.inApp) : considered;
  const inApp = frames.filter((frame) => frame.inApp);
  let frameSource: FingerprintParts['frameSource'] = 'none';
  let keys: string[] = [];
  // A service installed with pip has every frame under site-packages, its own among the libraries'
  // (`site-packages/shop/orders.py`): its package's frames, when some look like one, tell apart two
  // bugs that fail inside one library call (a NOT NULL insert from two functions through
  // SQLAlchemy's ORM) as in-app frames would. A guess, so the message stays in the fingerprint.
  const own =
    inApp.length > 0 ? inApp : frames.filter((frame) => isLikelyAppPackageFrame(record.language, frame.file));
  if (own.length > 0) {
    frameSource = inApp.length > 0 ? 'in-app' : 'package';
    keys = collapseRepeats(own.map((frame) => frameKey(frame, record.language))).slice(-MAX_IN_APP_FRAMES);
  } else if (frames.length > 0) {
    frameSource = 'innermost';
    keys = collapseRepeats(frames.map((frame) => frameKey(frame, record.language))).slice(-MAX_OTHER_FRAMES);
  }

  const isMinified = inApp.some((frame) => isMinifiedFrame(frame, record.language));
  const isMessageNeeded =
    frameSource !== 'in-app' || GENERIC_TYPES.has(exceptionType.toLowerCase()) || isMinified;
  const message = isLoadFailure
    ? headline(record.message).replace(/\s+/g, ' ').slice(0, MAX_VERBATIM_MESSAGE)
    : normalizeMessage(
        isMinified ? unquotePropertyNames(headline(record.message)) : headline(record.message),
      );
  return {
    language: isLoadFailure ? 'unknown' : record.language,
    exceptionType,
    ...(rootCauseType === undefined ? {} : { rootCauseType }),
    ...(rootCauseMessage === undefined ? {} : { rootCauseMessage }),
    ...(isMessageNeeded ? { message } : {}),
    frames: keys,
    frameSource,
  };
}

/**
 * The class an error type names, as every print of it agrees: a Python class without its module.
 * A traceback's last line qualifies every class outside builtins (`botocore.exceptions.ClientError:
 * …`, as `logger.exception` prints it), while the Lambda runtime's report of the same error, and
 * its JSON log format, name the class alone (`[ERROR] ClientError: …`, `"errorType":
 * "ClientError"`); a function that logs an error and raises it again writes both. Other languages'
 * prints agree on the name as it is (Java's qualify it everywhere).
 */
export function exceptionClassName(type: string, language: string): string {
  return language === 'python' ? type.slice(type.lastIndexOf('.') + 1) : type;
}

/**
 * The line of a message that names the bug: its first non-empty one. The lines after it are
 * details that vary between occurrences of one bug (execSync's `Command failed: …` then the
 * command's stderr, a Go panic of a multi-line error, an assertion's diff).
 */
function headline(message: string): string {
  if (!message.includes('\n')) return message;
  return message.split('\n').find((line) => line.trim() !== '') ?? '';
}

/**
 * A stable 32-hex-char hash of one bug: language, exception type, the root cause's type and the
 * in-app frames' path tails and functions (never line numbers). Without in-app frames, the frames
 * of what looks like the application's package installed with pip, else the innermost frames, and
 * the normalised message stand in; a generic type (`panic`, `Error`)
 * always adds the normalised message, since there the message is what names the bug.
 */
export function fingerprintError(record: FingerprintInput): string {
  // A storm of one-line errors repeats one text with other ids: a frameless, causeless record's
  // fingerprint depends on its message only through normalizeMessage, whose every rule reads a
  // digit as a class (never by value, `0x` aside), so the text with its digits 1-9 folded to `1`
  // names the same fingerprint.
  const key =
    record.frames.length === 0 && record.causes.length === 0 && record.message.length <= 2048
      ? `${record.language}\u0000${record.exceptionType}\u0000${record.message.replace(/[1-9]/g, '1')}`
      : undefined;
  const known = key === undefined ? undefined : FRAMELESS_MEMO.get(key);
  if (known !== undefined) return known;
  const print = hashParts(fingerprintParts(record));
  if (key !== undefined) {
    if (FRAMELESS_MEMO.size >= MAX_MEMO_ENTRIES) FRAMELESS_MEMO.clear();
    FRAMELESS_MEMO.set(key, print);
  }
  return print;
}

const FRAMELESS_MEMO = new Map<string, string>();

function hashParts(parts: FingerprintParts): string {
  const canonical = JSON.stringify([
    'v1',
    parts.language,
    parts.exceptionType,
    parts.rootCauseType ?? null,
    parts.message ?? null,
    parts.frames,
    // only when there is one: every other fingerprint hashes as it always has
    ...(parts.rootCauseMessage === undefined ? [] : [parts.rootCauseMessage]),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
