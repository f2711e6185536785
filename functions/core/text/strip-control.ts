/**
 * Control characters (tab and newlines kept) and bidi overrides and isolates removed: text from
 * logs, models or remote servers shown to people can neither move the cursor nor reorder what
 * they read.
 */
export function stripControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
}
