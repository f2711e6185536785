import type { Language, StackFrame } from '../../contracts.ts';

/** What a language parser extracts from one assembled trace; the detector adds raw text, ids and stream. */
export interface ParsedTrace {
  language: Language;
  exceptionType: string;
  message: string;
  /** outermost first, innermost (where it was raised) last — the DESIGN.md contract */
  frames: StackFrame[];
  causes: ParsedTrace[];
}

/**
 * One language's knowledge of its traces. The assembler feeds it lines (log prefixes already
 * stripped); it must run in linear time on hostile input (no nested quantifiers).
 */
export interface TraceParser {
  readonly language: Language;
  /** `line` opens a trace of this language (a header such as `Traceback …`, `panic: …`). */
  startsTrace(line: string): boolean;
  /** `line` belongs to the trace whose lines so far are `block` (frames, `Caused by:`, blank lines in a Go dump…). */
  continuesTrace(line: string, block: readonly string[]): boolean;
  /** Parse one whole assembled trace; `undefined` when the text is not this language's trace. */
  parse(text: string): ParsedTrace | undefined;
  /**
   * True when the trace `block` (its lines, prefixes stripped) is whole as it stands: nothing more
   * of it can follow, so a record that ends a delivery needs no read of the stream after it (PHP's
   * `thrown in … on line N`, a log line that holds the whole error). Absent means it may go on.
   */
  endsTrace?(block: readonly string[]): boolean;
  /**
   * True when the trace `block` is known to go on past what it holds: its header promises lines it
   * does not have (PHP's `Uncaught …` prints `Stack trace:` and `thrown in … on line N` after it),
   * so a block that stops short of them was cut, wherever it stands in the delivery (a filter that
   * passes only the header's line). Absent means never known.
   */
  isCutShort?(block: readonly string[]): boolean;
  /**
   * False when `line` alone can never parse (a header whose trace needs frames after it): the
   * detector then skips the parse of a lone line, which a storm of one-line heads makes hot.
   * Absent means it may.
   */
  parsesAlone?(line: string): boolean;
  /**
   * `line`, which opens no trace by itself, is the header of a trace because `next` (the line
   * right after it) is one of this language's frames: a custom error class logged after a message
   * (`Unhandled rejection: PaymentDeclined: card declined` + `    at …`). `isErrorLine`: the line
   * was logged at an error level (a logger that prints an error's message and stack without its
   * name, as consola does). Absent means never.
   */
  headsFrame?(line: string, next: string, isErrorLine: boolean): boolean;
  /**
   * `lead`, the error line held before the trace `line` opens, and `held`, the lines between them
   * (blank or indented lines, with no level of their own), are the trace's first lines, not a lead
   * before it: Ruby's Logger prints an exception as its message, the class in brackets after the
   * message's last line, then the backtrace, and a message of several lines (error_highlight's
   * snippet, did_you_mean's suggestions) puts its first line after the Logger's prefix and the
   * class lines below it. The detector then reads them as the block's first lines. Absent: never.
   */
  takesLead?(lead: string, held: readonly string[], line: string): boolean;
  /**
   * `line` is one of this language's frames as a backtrace's first line, with nothing before it:
   * a logger that writes the error's header and its backtrace in two calls (Sidekiq) gives the
   * backtrace a prefix of its own, and the detector still reads it as the header's. Absent: never.
   */
  isFrame?(line: string): boolean;
  /**
   * `line`, which `continuesTrace` did not take, may be more of the header's message (a message of
   * several lines: `Error: Command failed: ls /x` + the command's stderr, an assertion's diff, a
   * Go `errors.Join`). The detector keeps it tentatively: a later line that `continuesTrace` takes
   * (a frame) confirms it, and if the trace ends first it is handed back to be read on its own.
   * Absent means never.
   */
  continuesMessage?(line: string, block: readonly string[]): boolean;
  /**
   * `line`, which `continuesTrace` did not take, is more of the error's print after the trace's
   * own end: Python prints the rest of a message of several lines after the exception line, at
   * column 0 (pydantic's `ValidationError` names each field on a line of its own), and then the
   * exception's notes (`add_note`). The detector takes it when it comes in the same event as the
   * trace, or right after it with no level of its own and no trace it could open. Absent: never.
   */
  continuesTail?(line: string, block: readonly string[]): boolean;
}
