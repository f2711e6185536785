import type { ParsedTrace } from './parsed-trace.ts';

// A JVM that does not start prints why, with no exception and no frame (captured on OpenJDK 25;
// the java launcher's and HotSpot's fixed English text):
//   Unrecognized VM option 'UseBiasedLocking'              (a flag a newer Java removed)
//   Error: Could not create the Java Virtual Machine.
//   Error: A fatal exception has occurred. Program will exit.
// or `Error occurred during initialization of VM` and its reason on the next line (`Too small
// maximum heap`, `Could not reserve enough space for code cache (245764K)`). On Lambda this is a
// function whose JAVA_TOOL_OPTIONS carry a flag the runtime's Java no longer knows: every init fails.

/** What HotSpot or the launcher says of the option it could not take. */
const REASON =
  /^(?:(?:Unrecognized|Improperly specified|Obsolete) VM option '[^'\n]{1,300}'|Missing \+\/- setting for VM option '[^'\n]{1,300}'|Unrecognized option: \S.{0,300}|Invalid (?:maximum|initial|minimum|thread stack) (?:heap )?size: \S.{0,300}|Invalid [\w -]{1,60} specified: \S.{0,300})$/;
const CREATE_FAILED = 'Error: Could not create the Java Virtual Machine.';
const FATAL_EXIT = 'Error: A fatal exception has occurred. Program will exit.';
const INIT_FAILED = 'Error occurred during initialization of VM';
/** Longest reason line read; a real one is far shorter. */
const MAX_REASON = 1000;

/** The record of a JVM's start-up report, or undefined when the text is none. */
export function parseJvmStartup(text: string): ParsedTrace | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [first, second] = lines;
  if (first === undefined) return undefined;
  const record = (message: string): ParsedTrace => ({
    language: 'java',
    exceptionType: 'Error',
    message,
    frames: [],
    causes: [],
  });
  if (first === INIT_FAILED)
    return record(second ? `${INIT_FAILED}: ${second.slice(0, MAX_REASON)}` : INIT_FAILED);
  if (REASON.test(first)) return record(`Could not create the Java Virtual Machine: ${first}`);
  if (first === CREATE_FAILED) return record('Could not create the Java Virtual Machine');
  return undefined;
}

/** A record's message says the JVM did not start (what parseJvmStartup reads). */
export const isJvmStartupFailure = (message: string): boolean =>
  message.startsWith('Could not create the Java Virtual Machine') || message.startsWith(INIT_FAILED);

// The JVM's own report that it could not start, as the Java parser's: see java.ts.

/** The line opens a start-up report (its reason may have come before it: headsJvmStartup). */
export const startsJvmStartup = (line: string): boolean => {
  const text = line.trim();
  return text === INIT_FAILED || text === CREATE_FAILED;
};

/** The block is a start-up report. */
export const isJvmStartup = (block: readonly string[]): boolean => {
  const first = block[0]?.trim() ?? '';
  return first === INIT_FAILED || first === CREATE_FAILED || REASON.test(first);
};

/** The reason has no word any line gate looks for: it heads the launcher's `Error:` line after it. */
export const headsJvmStartup = (line: string, next: string): boolean =>
  REASON.test(line.trim()) && next.trim() === CREATE_FAILED;

export function continuesJvmStartup(line: string, block: readonly string[]): boolean {
  const text = line.trim();
  const first = block[0]?.trim();
  const last = block[block.length - 1]?.trim();
  // its reason, never the launcher's next report (a filter may have passed only those lines)
  if (first === INIT_FAILED)
    return block.length === 1 && text !== '' && !text.startsWith('Error') && text.length <= MAX_REASON;
  if (text === CREATE_FAILED) return last !== undefined && REASON.test(last);
  return text === FATAL_EXIT && last === CREATE_FAILED;
}

/** Whole with its reason; the launcher's lines alone (the reason's line not delivered) are not. */
export function endsJvmStartup(block: readonly string[]): boolean {
  const first = block[0]?.trim() ?? '';
  return first === INIT_FAILED
    ? block.length >= 2
    : REASON.test(first) && block[block.length - 1]?.trim() === FATAL_EXIT;
}
