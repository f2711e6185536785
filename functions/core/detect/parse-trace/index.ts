import { dotnetParser } from './dotnet.ts';
import { elixirParser } from './elixir.ts';
import { goParser } from './go.ts';
import { javaParser } from './java.ts';
import { javascriptParser } from './javascript.ts';
import type { TraceParser } from './parsed-trace.ts';
import { phpParser } from './php.ts';
import { pythonParser } from './python.ts';
import { rubyParser } from './ruby.ts';
import { rustParser } from './rust.ts';

export type { ParsedTrace, TraceParser } from './parsed-trace.ts';

/** Every language parser, most distinctive headers first (the order breaks ties between candidates). */
export const TRACE_PARSERS: readonly TraceParser[] = [
  pythonParser,
  goParser,
  rustParser,
  phpParser,
  dotnetParser,
  elixirParser,
  javaParser,
  javascriptParser,
  rubyParser,
];
