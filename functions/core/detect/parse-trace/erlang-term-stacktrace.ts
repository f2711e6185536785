import type { StackFrame } from '../../contracts.ts';
import { isElixirRuntimeModule, isInApp } from '../in-app.ts';

// A stacktrace printed as the Erlang term it is, as `~p` in a report's format string prints it
// (telemetry's report of a failed handler; Logger renders Elixir terms):
//   Stacktrace=[
//     {Shop.Metrics, :handle_event, 4,
//      [file: ~c"lib/shop/metrics.ex", line: 22]},
//     {:telemetry, :execute, 3, [file: ~c"src/telemetry.erl", line: 324]}
//   ]
// or, from Erlang's own formatter, `{'Elixir.Shop.Metrics',handle_event,4,[{file,"…"},{line,22}]}`.
// Every pattern is anchored or bounded and free of nested quantifiers: log text is hostile.

/** A frame's opening: its module, its function, then its arity or its arguments' list. */
const FRAME_OPEN =
  /^\{ ?(?:'Elixir\.([A-Z][\w.]{0,200})'|([A-Z][\w]{0,100}(?:\.[A-Z][\w]{0,100}){0,30})|:?([a-z][\w@]{0,100})|:?'([^'\n]{1,200})'|:"([^"\n]{1,200})"), ?:?(?:"([^"\n]{1,200})"|'([^'\n]{1,200})'|([a-z_][\w@!?]{0,200}))?, ?(?=\d|\[)/;
/** The frame's arity, when printed as a number (`, 4,`), right after its function. */
const ARITY = /^(\d{1,3}),/;
/** Its place: `[file: ~c"…", line: 22]` (Elixir), `[file: '…', line: 22]` (Elixir ≤ 1.14), `[{file,"…"},{line,22}]`. */
const PLACE =
  /(?:file: ?(?:~c"([^"\n]{1,1000})"|'([^'\n]{1,1000})'|"([^"\n]{1,1000})"), ?line: ?(\d{1,9})|\{file, ?"([^"\n]{1,1000})"\}, ?\{line, ?(\d{1,9})\})/;

/**
 * Modules of Elixir's own applications (elixir, logger, mix, ex_unit, iex, eex): a term frame
 * names no application, and their paths (`lib/enum.ex`) look like the application's own. The
 * Hex packages of a Phoenix stack are told by isElixirRuntimeModule; an Erlang module
 * (`:telemetry`, `:gen_server`) is never the application's.
 */
const ELIXIR_OWN_MODULES =
  /^(?:Enum|Stream|Kernel|String|Map|MapSet|List|Keyword|Tuple|Integer|Float|Process|GenServer|Task|Agent|Supervisor|DynamicSupervisor|Registry|Code|Module|Macro|IO|File|Path|System|Application|Access|Exception|Inspect|Protocol|Range|Regex|URI|Version|Date|DateTime|NaiveDateTime|Time|Calendar|Base|Record|Port|Node|Function|Collectable|Enumerable)(?:\.|$)/;

/** The frames of a printed stacktrace term, outermost first (the term lists the innermost first). */
export function readTermFrames(text: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const element of listElements(text)) {
    const open = FRAME_OPEN.exec(element);
    if (!open) continue;
    const rest = element.slice(open[0].length);
    const place = PLACE.exec(rest);
    if (!place) continue;
    const elixirModule = open[1] ?? open[2];
    const module = elixirModule ?? `:${open[3] ?? open[4] ?? open[5] ?? ''}`;
    const name = open[6] ?? open[7] ?? open[8] ?? '';
    const arity = ARITY.exec(rest)?.[1];
    const file = place[1] ?? place[2] ?? place[3] ?? place[5] ?? '';
    const line = Number(place[4] ?? place[6]);
    const isApps =
      elixirModule !== undefined &&
      !ELIXIR_OWN_MODULES.test(elixirModule) &&
      !isElixirRuntimeModule(elixirModule);
    frames.push({
      file,
      ...(line > 0 ? { line } : {}),
      function: `${module}.${name}${arity === undefined ? '' : `/${arity}`}`,
      module,
      inApp: isApps && isInApp({ language: 'elixir', file, module: '' }),
    });
  }
  return frames.reverse();
}

/** Longest element read as a frame; a real one is far shorter. */
const MAX_ELEMENT = 8192;

/**
 * The tuples that are elements of the term's outermost list, in order: one pass over the text,
 * brackets inside quoted strings and charlists not counted (a frame's arguments may hold tuples
 * of their own, which are no frames).
 */
function listElements(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let start = -1;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39)
      quote = c; // " '
    else if (c === 91 || c === 123) {
      // [ {
      if (depth === 1 && c === 123) start = i;
      depth++;
    } else if (c === 93 || c === 125) {
      // ] }
      depth--;
      if (depth === 1 && c === 125 && start >= 0) {
        if (i - start < MAX_ELEMENT) elements.push(text.slice(start, i + 1));
        start = -1;
      }
      if (depth < 0) depth = 0;
    }
  }
  return elements;
}
