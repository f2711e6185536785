import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import { readEmbeddedError } from './embedded-error.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every pattern is anchored and free of nested quantifiers: log text is attacker-controlled.
const TYPE = '[A-Z]\\w*(?:::[A-Z]\\w*)*';
// Ruby ≤3.3 quotes the method as `meth', 3.4 as 'Class#meth'.
const IN_METHOD = /:(\d+):in [`']/;
const FROM = /^\s*from /;
const GEM_PREFIX = /^([\w.-]+) \(([\w.]+)\) /;
const RUBY_SOURCE = /\.(?:rb|erb|haml|slim|rake|ru|builder|jbuilder|rabl)$/;
const LINE_SUFFIX = /:(\d+)$/;
const TYPE_SUFFIX = new RegExp(`^(.*) \\((${TYPE})\\)$`);
// Rails logs `ActionView::Template::Error (msg):`, the message maybe over several lines
// (DebugExceptions); so does ActiveJob, after its report of the job that raised:
// `Error performing PriceOrderJob (Job ID: …) from Async(default) in 5.04ms: NoMethodError (…):`.
const RAILS_HEADER = new RegExp(
  `^\\s*(?:Error performing [\\w:]{1,200} \\(Job ID: [^)\\s]{1,100}\\) from \\S{1,200} in [\\d.]{1,20}ms: )?(${TYPE}) \\((.*)$`,
);
const RAILS_EXTRACT = /^\s+\d+: /;
// Rails 7.1+ DebugExceptions lists the error's causes between its header and its backtrace:
// `Causes:` (at column 0 even under log tags: its line break is inside the logged text), then
// `Type (message)` for each cause, nearest first.
const RAILS_CAUSES = 'Causes:';
const RAILS_CAUSE = new RegExp(`^(${TYPE}) \\((.*)\\)$`);
// Sinatra's dump_errors (production's default): `2026-12-06 21:53:19 - NoMethodError - msg:`, the
// message's own further lines (error_highlight's snippet) before the colon, then the backtrace, a
// tab before each frame. The time is usually read off as the line's prefix already.
const SINATRA_HEADER = new RegExp(`^(?:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d )?- (${TYPE}) - (.*)$`);
// Puma's report of an error that escaped the Rack app: `2026-12-06 22:06:41 +0000 Rack app ("GET
// /orders/7" - (127.0.0.1)): #<NoMethodError: msg>`, the inspected error running over lines
// (error_highlight's snippet) to its `>`; Puma 5 prints no backtrace in production.
const PUMA_HEADER = new RegExp(
  `^(?:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4} )?Rack app \\([^)]{0,400}\\)\\): #<(${TYPE}): (.*)$`,
);
const MAX_MESSAGE_LINES = 20;

type FrameParts = { file: string; line: number; function?: string; gem?: string };

/** `from app.rb:7:in 'meth'`, `  actionpack (5.1.4) lib/x.rb:3:in `call'`, `app/views/x.erb:1`. */
function readFrame(raw: string): FrameParts | undefined {
  let text = raw.trimStart();
  if (FROM.test(text)) text = text.replace(FROM, '');
  let gem: string | undefined;
  const prefix = GEM_PREFIX.exec(text);
  if (prefix) {
    gem = `${prefix[1]} (${prefix[2]})`;
    text = text.slice(prefix[0].length);
  }
  const method = IN_METHOD.exec(text);
  if (method && text.endsWith("'")) {
    const file = text.slice(0, method.index);
    const fn = text.slice(method.index + method[0].length, -1);
    if (file === '' || fn.includes("': ")) return undefined;
    return { file, line: Number(method[1]), function: fn, ...(gem ? { gem } : {}) };
  }
  const bare = LINE_SUFFIX.exec(text);
  if (bare) {
    const file = text.slice(0, bare.index);
    if (!RUBY_SOURCE.test(file) || /\s/.test(file.charAt(0))) return undefined;
    return { file, line: Number(bare[1]), ...(gem ? { gem } : {}) };
  }
  return undefined;
}

type Uncaught = FrameParts & { message: string; exceptionType: string };

// Where Ruby's parser found a syntax error: its message starts with it (`/app/lib/x.rb:4: syntax
// error, unexpected end-of-input`), and its backtrace holds only the `require` that loaded the file.
const SYNTAX_ERROR_AT = /^([^\s:][^:\n]{0,500}\.rb):(\d{1,7}): /;
const SYNTAX_ERROR = 'SyntaxError';

/**
 * A Ruby SyntaxError with the place its message names as its innermost frame: the file and line
 * to repair, which no frame of the trace names. Anything else is returned as it is.
 */
export function withSyntaxErrorLocation(parsed: ParsedTrace): ParsedTrace {
  if (parsed.language !== 'ruby' || parsed.exceptionType !== SYNTAX_ERROR) return parsed;
  const at = SYNTAX_ERROR_AT.exec(parsed.message);
  if (!at) return parsed;
  const frame = toFrame({ file: at[1] ?? '', line: Number(at[2]) });
  const innermost = parsed.frames.at(-1);
  if (innermost?.file === frame.file && innermost.line === frame.line) return parsed;
  return { ...parsed, frames: [...parsed.frames, frame] };
}

/** Ruby's report of a script that does not parse (readScriptSyntaxError): one line, nothing after it. */
export function isScriptSyntaxError(parsed: ParsedTrace): boolean {
  return (
    parsed.language === 'ruby' &&
    parsed.exceptionType === SYNTAX_ERROR &&
    parsed.frames.length === 1 &&
    readScriptSyntaxError(parsed.message) !== undefined
  );
}

/** `lib/x.rb:4: syntax error, …`: what Ruby prints, with no type, when the script it runs does not parse. */
function readScriptSyntaxError(line: string): Uncaught | undefined {
  // asked of every line that may open a trace: a substring search before the pattern
  if (!line.includes('.rb:') || !line.includes(': syntax error')) return undefined;
  const at = SYNTAX_ERROR_AT.exec(line);
  // with its type, it is a logger's `msg (SyntaxError)` (readLoggedHeader)
  if (!at || !line.startsWith('syntax error', at[0].length) || TYPE_SUFFIX.test(line)) return undefined;
  return { file: at[1] ?? '', line: Number(at[2]), message: line, exceptionType: SYNTAX_ERROR };
}

/** `app.rb:3:in 'divide': divided by 0 (ZeroDivisionError)` — the header of Ruby's own uncaught report. */
function readUncaught(line: string): Uncaught | undefined {
  if (/^\s/.test(line)) return undefined;
  const method = IN_METHOD.exec(line);
  if (!method) return undefined;
  const rest = line.slice(method.index + method[0].length);
  const close = rest.indexOf("': ");
  if (close < 0) return undefined;
  const typed = TYPE_SUFFIX.exec(rest.slice(close + 3));
  if (!typed) return undefined;
  return {
    file: line.slice(0, method.index),
    line: Number(method[1]),
    function: rest.slice(0, close),
    message: typed[1] ?? '',
    exceptionType: typed[2] ?? '',
  };
}

// Ruby 3.2+ loads syntax_suggest, which prints its hint before a SyntaxError's own message: the
// report's first line ends with `--> <file>` (the file it searched), then the hint and the code it
// points at, then the parser's message with its type at column 0, then the frames.
const SUGGESTION_HEAD = /^--> \S/;
/** Lines of hint and code syntax_suggest prints before the message; it shows a few dozen at most. */
const MAX_SUGGESTION_LINES = 60;

/** `app.rb:1:in 'require_relative': --> /app/lib/x.rb`: Ruby's report of a SyntaxError whose type comes later. */
function readSuggestionHead(line: string): FrameParts | undefined {
  if (/^\s/.test(line) || !line.includes('--> ')) return undefined;
  const method = IN_METHOD.exec(line);
  if (!method) return undefined;
  const rest = line.slice(method.index + method[0].length);
  const close = rest.indexOf("': ");
  if (close < 0 || !SUGGESTION_HEAD.test(rest.slice(close + 3))) return undefined;
  return { file: line.slice(0, method.index), line: Number(method[1]), function: rest.slice(0, close) };
}

/** The line after syntax_suggest's hint that carries the message and its type (its code lines are indented or `> `). */
const isSuggestedMessage = (line: string): boolean => !/^(?:\s|> )/.test(line) && TYPE_SUFFIX.test(line);

function isErrorTypeName(type: string): boolean {
  return type.includes('::') || /(?:Error|Exception)$/.test(type);
}

type OpenHeader = {
  exceptionType: string;
  message: string;
  closed: boolean;
  /** Rails' `Type (msg):`, which may list causes before its frames */
  rails?: boolean;
  /** what the last line of a message of several lines ends with (Rails `):`, Sinatra `:`, Puma `>`) */
  closer?: string;
};

/** Rails `Type (msg):` or Logger's `msg (Type)`. */
function readLoggedHeader(line: string): OpenHeader | undefined {
  const rails = RAILS_HEADER.exec(line);
  if (rails && isErrorTypeName(rails[1] ?? '')) {
    const body = rails[2] ?? '';
    const closed = body.endsWith('):');
    return { exceptionType: rails[1] ?? '', message: closed ? body.slice(0, -2) : body, closed, rails: true };
  }
  // TYPE_SUFFIX only where its `)` ends the line: elsewhere it backtracks over the whole line to fail
  const logger = /^\S/.test(line) && line.endsWith(')') ? TYPE_SUFFIX.exec(line) : null;
  if (logger && isErrorTypeName(logger[2] ?? '') && readUncaught(line) === undefined) {
    return { exceptionType: logger[2] ?? '', message: logger[1] ?? '', closed: true };
  }
  return undefined;
}

// Ruby's Logger prints an exception as `"#{e.message} (#{e.class})\n#{e.backtrace.join("\n")}"`.
// Ruby 3.1's error_highlight and did_you_mean put lines of their own in the message, so its first
// line follows the Logger's prefix with no class (`E, […] ERROR -- : undefined method `upcase' for
// nil:NilClass`), and the class comes after the message's last line: error_highlight's carets,
// indented after a blank line and the code (`      ^^^^^^^ (NoMethodError)`), or a suggestion
// (`Did you mean?  :standard (KeyError)`); the backtrace follows at column 0.

// error_highlight's marker under the code it quotes: indented carets, nothing else
const CARETS = /^ *\^+$/;

/** `      ^^^^^^^ (NoMethodError)`: the last line of a Logger's message of several lines, its class after it. */
function readLoggedClassLine(line: string): OpenHeader | undefined {
  // TYPE_SUFFIX only where its `)` ends the line (see readLoggedHeader)
  const typed = line.endsWith(')') ? TYPE_SUFFIX.exec(line) : null;
  if (!typed || !isErrorTypeName(typed[2] ?? '') || readUncaught(line) !== undefined) return undefined;
  return { exceptionType: typed[2] ?? '', message: typed[1] ?? '', closed: true };
}

/**
 * A Logger's message of several lines from `lines[from]` (its first line): the header it makes,
 * its message the lines up to the first blank one, as in Ruby's own report of the error (a blank
 * line opens error_highlight's snippet), and the index of the line with the class. Only when the
 * class line ends the text or a frame follows it.
 */
function readLoggedMessage(
  lines: readonly string[],
  from: number,
): { header: OpenHeader; classAt: number } | undefined {
  const last = Math.min(lines.length - 1, from + MAX_MESSAGE_LINES);
  for (let at = from + 1; at <= last; at++) {
    const line = lines[at] ?? '';
    if (readFrame(line) !== undefined) return undefined;
    const closing = readLoggedClassLine(line);
    if (!closing) continue;
    const after = lines[at + 1];
    if (after !== undefined && readFrame(after) === undefined) return undefined;
    // error_highlight's carets are no message, even where a filter left out the blank line before them
    const carets = CARETS.test(closing.message);
    const message = [...lines.slice(from, at), ...(carets ? [] : [closing.message])];
    const blank = message.findIndex((l) => l.trim() === '');
    const kept = blank < 0 ? message : message.slice(0, blank);
    return { header: { ...closing, message: kept.join('\n') }, classAt: at };
  }
  return undefined;
}

/** TraceParser.takesLead: a Logger's error line, and the lines after it, open a message of several lines. */
function takesLoggedMessage(lead: string, held: readonly string[], line: string): boolean {
  if (held.length >= MAX_MESSAGE_LINES || lead.trim() === '') return false;
  if (held.some((l) => readFrame(l) !== undefined)) return false;
  // did_you_mean's suggestion at column 0 closes the message: the line is read as Logger's `msg (Type)`
  const logged = readLoggedHeader(line);
  if (logged) return logged.rails !== true;
  // error_highlight's carets close it, indented: held as the error line's details, the frames next
  const closing = held.at(-1);
  return closing !== undefined && readFrame(line) !== undefined && readLoggedClassLine(closing) !== undefined;
}

// `Error: key not found`, `KeyError: key not found`: a header a program printed itself.
const BARE_HEADER = /^([A-Z]\w{0,200}(?:::[A-Z]\w{0,100}){0,5}): (.*)$/;

/**
 * A header a program or its logger wrote before printing `e.backtrace` line by line:
 * `Error: msg`, `payment failed: KeyError: msg` (Logger's `E, […] ERROR -- prog:` already
 * stripped). Believed only when Ruby frames follow it (see parseRuby).
 */
function readPrintedHeader(line: string): OpenHeader | undefined {
  if (/^\s/.test(line)) return undefined;
  const bare = BARE_HEADER.exec(line);
  if (bare && (bare[1] === 'Error' || isErrorTypeName(bare[1] ?? ''))) {
    return { exceptionType: bare[1] ?? '', message: bare[2] ?? '', closed: true };
  }
  const embedded = readEmbeddedError(line);
  return embedded && { exceptionType: embedded.exceptionType, message: embedded.message, closed: true };
}

/**
 * A Ruby web server's or framework's own report of an error (Sinatra's `- Type - msg:`, Puma's
 * `Rack app (…): #<Type: msg>`), its message closed by `:` or `>`: believed only when Ruby frames
 * follow it, or alone when it names an error class (see standsAlone).
 */
function readServerHeader(line: string): OpenHeader | undefined {
  const sinatra = SINATRA_HEADER.exec(line);
  const puma = sinatra ? null : PUMA_HEADER.exec(line);
  const header = sinatra ?? puma;
  if (!header) return undefined;
  const closer = sinatra ? ':' : '>';
  const message = header[2] ?? '';
  const closed = message.endsWith(closer);
  return {
    exceptionType: header[1] ?? '',
    message: closed ? message.slice(0, -closer.length) : message,
    closed,
    closer,
  };
}

/** `app/models/user.rb:13:in 'magic'` at column 0: `puts e.backtrace` without a header. */
function isColumnZeroFrame(line: string): boolean {
  if (/^\s/.test(line) || !IN_METHOD.test(line)) return false;
  const frame = readFrame(line);
  return frame !== undefined && frame.function !== undefined;
}

function toFrame(parts: FrameParts): StackFrame {
  return {
    file: parts.file,
    line: parts.line,
    ...(parts.function !== undefined ? { function: parts.function } : {}),
    ...(parts.gem !== undefined ? { module: parts.gem } : {}),
    inApp: isInApp({ language: 'ruby', file: parts.file, module: parts.gem }),
  };
}

type Building = {
  exceptionType: string;
  message: string[];
  frames: StackFrame[];
  open: boolean;
  closer?: string;
  ended: boolean;
  /** the header was printed by the program (or missing): only frames make it a trace */
  needsFrames?: boolean;
  /** syntax_suggest's hint is printed: the message and its type are on a later line */
  awaitsMessage?: boolean;
  /** a Rails header's: its causes are listed before its frames */
  rails?: boolean;
  /** the causes Rails listed under `Causes:`, nearest first; undefined until that line */
  railsCauses?: ParsedTrace[];
};

/**
 * A server's header naming an error class stands for its trace alone: the tip of a backtrace
 * logged one line per event, whose frames (no error word in them) a filter did not deliver, or
 * all there is (Puma).
 */
const standsAlone = (line: string): boolean => {
  const header = readServerHeader(line);
  return header !== undefined && isErrorTypeName(header.exceptionType);
};

function parseRuby(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const built: Building[] = [];
  let current: Building | undefined;
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at] ?? '';
    if (current?.awaitsMessage) {
      const typed = isSuggestedMessage(line) ? TYPE_SUFFIX.exec(line) : null;
      if (typed) {
        current.exceptionType = typed[2] ?? '';
        current.message = [typed[1] ?? ''];
        current.awaitsMessage = false;
      }
      // the hint's lines stay in the record's raw text, out of the message
      continue;
    }
    const suggestion = readSuggestionHead(line);
    if (suggestion) {
      current = { exceptionType: '', message: [], frames: [toFrame(suggestion)], open: false, ended: false };
      current.awaitsMessage = true;
      built.push(current);
      continue;
    }
    const uncaught = readUncaught(line) ?? (current ? undefined : readScriptSyntaxError(line));
    if (uncaught) {
      current = {
        exceptionType: uncaught.exceptionType,
        message: [uncaught.message],
        frames: [toFrame(uncaught)],
        open: false,
        ended: false,
      };
      built.push(current);
      continue;
    }
    if (!current) {
      if (line.trim() === '') continue;
      const logged = readLoggedHeader(line);
      const printed = logged ? undefined : (readServerHeader(line) ?? readPrintedHeader(line));
      const header = logged ?? printed;
      if (!header && !isColumnZeroFrame(line)) {
        const several = readLoggedMessage(lines, at);
        if (!several) return undefined;
        current = {
          exceptionType: several.header.exceptionType,
          message: [several.header.message],
          frames: [],
          open: false,
          ended: true,
        };
        built.push(current);
        at = several.classAt;
        continue;
      }
      current = {
        exceptionType: header?.exceptionType ?? '',
        message: header ? [header.message] : [],
        frames: [],
        open: header ? !header.closed : false,
        ...(header?.closer ? { closer: header.closer } : {}),
        ended: header === undefined,
        needsFrames: logged === undefined,
        ...(logged?.rails ? { rails: true } : {}),
      };
      built.push(current);
      if (header) continue;
    }
    if (current.open) {
      // a header whose message spans lines: it ends at the line closing with `):` (Rails) or `:`
      // or `>` (Sinatra, Puma: their further lines are error_highlight's snippet after a blank
      // line, left out)
      const closer = current.closer ?? '):';
      const closes = line.endsWith(closer);
      if (closer === '):' || (!current.ended && line.trim() !== '')) {
        current.message.push(closes ? line.slice(0, -closer.length) : line);
      } else current.ended = true;
      current.open = !closes;
      if (!current.open) current.ended = true;
      continue;
    }
    if (current.rails && current.frames.length === 0) {
      if (line === RAILS_CAUSES) {
        current.railsCauses ??= [];
        continue;
      }
      const cause = current.railsCauses ? RAILS_CAUSE.exec(line) : null;
      if (cause) {
        const [, exceptionType = '', message = ''] = cause;
        current.railsCauses?.push({ language: 'ruby', exceptionType, message, frames: [], causes: [] });
        continue;
      }
    }
    const frame = readFrame(line);
    if (frame) {
      current.frames.push(toFrame(frame));
      continue;
    }
    // Before the frames: more message lines, until a blank line (error_highlight's snippet follows one).
    if (line.trim() === '' || RAILS_EXTRACT.test(line)) current.ended = true;
    if (!current.ended && current.frames.length <= 1) current.message.push(line);
  }
  if (built.some((b) => b.awaitsMessage)) return undefined;
  const head = lines.find((line) => line.trim() !== '') ?? '';
  if (built[0]?.needsFrames && built[0].frames.length === 0 && !standsAlone(head)) return undefined;
  const [primary, ...causes] = built.map(
    (b): ParsedTrace => ({
      language: 'ruby',
      exceptionType: b.exceptionType,
      message: b.message.join('\n'),
      frames: [...b.frames].reverse(),
      causes: [],
    }),
  );
  if (!primary) return undefined;
  // A thread's report of the exception that ended it (`#<Thread:…> terminated with exception`),
  // then its print again where `join` raised it: the same exception twice, never its own cause.
  const others = causes.filter((c) => !isSameException(c, primary));
  return { ...primary, causes: [...(built[0]?.railsCauses ?? []), ...others] };
}

const isSameException = (a: ParsedTrace, b: ParsedTrace): boolean =>
  a.exceptionType === b.exceptionType &&
  a.message === b.message &&
  a.frames.length === b.frames.length &&
  a.frames.every((f, i) => f.file === b.frames[i]?.file && f.line === b.frames[i]?.line);

/**
 * The index of the block's latest header of Ruby's own report when no frame has come after it (its
 * message's lines may), else -1. Reads back over that message's lines only: bounded per line.
 */
function latestMessageStart(block: readonly string[]): number {
  const stop = Math.max(1, block.length - MAX_MESSAGE_LINES - 2);
  for (let at = block.length - 1; at >= stop; at--) {
    const line = block[at] ?? '';
    if (readUncaught(line) !== undefined) return at;
    if (readFrame(line) !== undefined) return -1;
  }
  return -1;
}

function countMessageLines(block: readonly string[]): number {
  let count = 0;
  for (const line of block) if (readFrame(line) === undefined) count += 1;
  return count;
}

// The one error Rails logs with its template's lines (`    1: <h1><%= @user.name %></h1>`) between
// its header and its backtrace.
const TEMPLATE_ERROR = /^\s*ActionView::Template::Error \(/;

/**
 * A template error whose header goes straight to its frames: Rails printed the template's lines in
 * between, and the `file.erb:1` line after them, which hold no term a filter passes; a read finds them.
 */
function isTemplateErrorCut(block: readonly string[]): boolean {
  if (!TEMPLATE_ERROR.test(block[0] ?? '')) return false;
  for (let i = 1; i < block.length && i < MAX_MESSAGE_LINES + 2; i++) {
    const line = block[i] ?? '';
    if (RAILS_EXTRACT.test(line)) return false;
    if (readFrame(line) !== undefined) return true;
  }
  return false;
}

/** Ruby's uncaught-exception report (with causes), Rails `Type (msg):` logs and Logger's `msg (Type)` + backtrace. */
export const rubyParser: TraceParser = {
  language: 'ruby',
  startsTrace: (line) =>
    readUncaught(line) !== undefined ||
    readSuggestionHead(line) !== undefined ||
    readScriptSyntaxError(line) !== undefined ||
    readLoggedHeader(line) !== undefined ||
    isColumnZeroFrame(line) ||
    readPrintedHeader(line) !== undefined ||
    readServerHeader(line) !== undefined,
  continuesTrace: (line, block) => {
    if (readFrame(line) !== undefined || readUncaught(line) !== undefined) return true;
    const head = block[0] ?? '';
    if (readSuggestionHead(head) !== undefined && !block.slice(1).some(isSuggestedMessage)) {
      return block.length <= MAX_SUGGESTION_LINES;
    }
    // A header of Ruby's own report after the frames of an earlier print: a cause's (printed after
    // the error's frames), or the error's own after Logger printed it and a `raise` let it end the
    // program. Its message's further lines (error_highlight's snippet after a blank line) follow
    // it as they follow the block's first header; they were the end of the trace, and its frames lost.
    const reprint = latestMessageStart(block);
    if (reprint > 0) return countMessageLines(block.slice(reprint)) <= MAX_MESSAGE_LINES;
    const hasFrames = block.slice(1).some((l) => readFrame(l) !== undefined);
    if (hasFrames) return false;
    // Ruby's own report: extra message lines, error_highlight's snippet; Rails: blank and source-extract lines.
    if (readUncaught(head) !== undefined) return countMessageLines(block) <= MAX_MESSAGE_LINES;
    const server = readServerHeader(head);
    if (server && readLoggedHeader(head) === undefined) {
      // its message's further lines, up to the one that ends it with `:` or `>`
      const closer = server.closer ?? ':';
      // Sinatra 4 (on a Ruby with detailed_message) closes its header on its first line and joins
      // the message's further lines (a blank, error_highlight's snippet) and the frames with "\n\t"
      if (server.closed && closer === ':' && (line.startsWith('\t') || line.trim() === '')) {
        return block.length <= MAX_MESSAGE_LINES;
      }
      return (
        block.length <= MAX_MESSAGE_LINES && !server.closed && !block.slice(1).some((l) => l.endsWith(closer))
      );
    }
    const logged = readLoggedHeader(head);
    if (!logged) return false;
    if (line.trim() === '' || RAILS_EXTRACT.test(line)) {
      return RAILS_HEADER.test(head) && block.length <= MAX_MESSAGE_LINES;
    }
    if (logged.rails && (line === RAILS_CAUSES || (RAILS_CAUSE.test(line) && block.includes(RAILS_CAUSES)))) {
      return block.length <= MAX_MESSAGE_LINES;
    }
    const stillOpen = !logged.closed && !block.slice(1).some((l) => l.endsWith('):'));
    return stillOpen && block.length <= MAX_MESSAGE_LINES;
  },
  // `Type: message` printed by a logger (Sidekiq's `"#{ex.class.name}: #{ex.message}"`): under
  // Ruby 3.1, error_highlight's snippet is part of the message, after a blank line.
  continuesMessage: (line, block) => {
    if (block.length > MAX_MESSAGE_LINES || block.some((l) => readFrame(l) !== undefined)) return false;
    const head = block[0] ?? '';
    if (readLoggedHeader(head) !== undefined || readPrintedHeader(head) === undefined) return false;
    return line.trim() === '' || /^\s/.test(line);
  },
  isFrame: isColumnZeroFrame,
  takesLead: takesLoggedMessage,
  isCutShort: isTemplateErrorCut,
  parse: (text) => {
    try {
      return parseRuby(text);
    } catch {
      return undefined;
    }
  },
};
