/**
 * Control characters (tab and newlines kept) and bidi overrides and isolates removed: text from
 * logs, models or remote servers shown to people can neither move the cursor nor reorder what
 * they read.
 */
export function stripControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
}

// CSI sequences (`ESC [ params intermediates final`): colours and cursor moves. Bounded pieces,
// no nesting: linear on any line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape is the point
const ANSI_CSI = /\u001b\[[0-?]{0,32}[ -/]{0,8}[@-~]/g;

/**
 * Terminal colour and cursor sequences removed, the text between them kept: `FORCE_COLOR=1`
 * Node prints its frames grey, Python 3.13 colours a traceback on a TTY or with PYTHON_COLORS,
 * git servers colour their messages. Text without an escape comes back as it is, unscanned twice.
 */
export function stripAnsiEscapes(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI_CSI, '') : text;
}
