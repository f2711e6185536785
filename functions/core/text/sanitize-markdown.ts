import { defangForeignUrls, isAllowedLink, type LinkScope } from './scrub-prose.ts';
import { stripControlCharacters } from './strip-control.ts';

/**
 * Model prose ends up in PR bodies and comments that GitHub renders. The model read
 * attacker-controlled log text, so whatever it writes is treated as untrusted Markdown:
 * it may not embed images (tracking pixels, not even as links: `?d=` exfiltration URLs),
 * raw HTML, links anywhere but the repository itself, mentions that page people, headings
 * that impersonate our sections, or an unclosed code fence that swallows the rest of the
 * body (and our hidden markers with it).
 */

const SAFE_SCHEME = /^(?:https?:|mailto:)/;
// Anything shaped like `scheme:` before the first `/`, `?` or `#` is a scheme.
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/;
const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const SETEXT_UNDERLINE = /^( {0,3})(=+|-+)\s*$/;
const ATX_HEADING = /^( {0,3})(#{1,6})(?=\s|$)/;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]*)>?/;
// Link destinations may hold one level of balanced parentheses (`javascript:alert(1)`).
// Mentions: `@user`, `@org/team`; not emails (`a@b.c`) or already-neutralised ones.
const MENTION = /(^|[^A-Za-z0-9_`\u200b])@(?=[A-Za-z0-9])/g;
const IMAGE = /!\[([^\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;
const LINK = /\[([^\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;

export interface SanitizeMarkdownOptions {
  /** longest output in characters before the text is cut (default 8000) */
  maxLength?: number;
  /** the shallowest heading level the text may use (default 4: below our `##` sections) */
  minHeadingLevel?: number;
  /** where links may point (default: nowhere; other links keep their label, bare URLs are defanged) */
  allowedLinks?: readonly LinkScope[];
}

/** Neutralise untrusted Markdown (model prose) so it renders as inert text inside our own documents. */
export function sanitizeMarkdown(
  text: string,
  { maxLength = 8000, minHeadingLevel = 4, allowedLinks = [] }: SanitizeMarkdownOptions = {},
): string {
  let input = stripControlCharacters(text).replace(/\r\n?/g, '\n');
  let truncated = false;
  if (input.length > maxLength) {
    input = input.slice(0, maxLength);
    truncated = true;
  }

  const out: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const line of input.split('\n')) {
    if (fence) {
      const close = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length) fence = undefined;
      // Inside a code block nothing renders: no HTML, no images, no mentions.
      out.push(line);
      continue;
    }
    const open = line.match(FENCE_OPEN);
    const marker = open?.[2];
    // A backtick fence's info string may not contain backticks; then it is inline code.
    if (open && marker && !(marker[0] === '`' && open[3]?.includes('`'))) {
      fence = { char: marker[0] ?? '`', length: marker.length };
      out.push(`${open[1] ?? ''}${marker}${sanitizeInfoString(open[3] ?? '')}`);
      continue;
    }
    out.push(sanitizeLine(line, minHeadingLevel, allowedLinks));
  }
  // Close a fence the text left open, or it would run over everything we append after it.
  if (fence) out.push(fence.char.repeat(fence.length));
  if (truncated) out.push('', '*(truncated)*');
  return out.join('\n').trim();
}

/** Render untrusted text as one inline code span that nothing inside can break out of. */
export function inlineCode(text: string): string {
  const flat = stripControlCharacters(text).replace(/\s*\n\s*/g, ' ');
  if (flat === '') return '` `';
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** Render untrusted text as a fenced code block whose fence is longer than any backtick run inside. */
export function fencedCode(text: string, language = 'text'): string {
  const body = stripControlCharacters(text).replace(/\r\n?/g, '\n');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body}\n${fence}`;
}

/** Neutralise mentions in plain one-line text (titles, table cells). */
export function neutralizeMentions(text: string): string {
  return text.replace(MENTION, '$1@\u200b');
}

function sanitizeLine(line: string, minHeadingLevel: number, allowedLinks: readonly LinkScope[]): string {
  const heading = line.match(ATX_HEADING);
  if (heading) {
    const level = Math.min(6, Math.max(minHeadingLevel, (heading[2]?.length ?? 1) + minHeadingLevel - 1));
    line = `${heading[1] ?? ''}${'#'.repeat(level)}${line.slice(heading[0].length)}`;
  } else if (SETEXT_UNDERLINE.test(line)) {
    // `===` / `---` under a paragraph would make it a top-level heading.
    return line.replace(/^( {0,3})/, '$1\\');
  }
  const reference = line.match(REFERENCE_DEFINITION);
  if (reference && !(isSafeUrl(reference[1] ?? '') && isAllowedLink(reference[1] ?? '', allowedLinks)))
    return '';
  return mapOutsideCodeSpans(line, (text) => sanitizeProse(text, allowedLinks));
}

function sanitizeProse(text: string, allowedLinks: readonly LinkScope[]): string {
  return neutralizeMentions(
    escapeHtml(
      defangForeignUrls(
        text
          // Never an image, not even as a link: its URL is the exfiltration channel.
          .replace(IMAGE, (_match, alt: string) => alt)
          .replace(/!\[/g, '!\\[')
          .replace(LINK, (match, label: string, url: string) =>
            isSafeUrl(url) && isAllowedLink(url, allowedLinks) ? match : label,
          ),
        allowedLinks,
      )
        // A `](javascript:` left over (its `[` earlier, or in text we append) cannot close a link once escaped.
        .replace(/\](\(\s*)([a-z][a-z0-9+.-]*:)/gi, (match, paren: string, scheme: string) =>
          SAFE_SCHEME.test(scheme.toLowerCase()) ? match : `\\]${paren}${scheme}`,
        ),
    ),
  );
}

function escapeHtml(text: string): string {
  // `&` too: `&#64;user` or `&lt;` would otherwise turn back into live text after rendering.
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function isSafeUrl(url: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme (`java\tscript:`).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  const normalized = url.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
  if (normalized.startsWith('//')) return false;
  const beforePath = normalized.split(/[/?#]/, 1)[0] ?? '';
  if (!HAS_SCHEME.test(beforePath)) return !normalized.includes('&');
  return SAFE_SCHEME.test(normalized);
}

function sanitizeInfoString(info: string): string {
  return info.replace(/[^A-Za-z0-9_+.#-]/g, '').slice(0, 20);
}

/** Apply `fn` to the parts of a line that are not inside inline code spans. */
function mapOutsideCodeSpans(line: string, fn: (text: string) => string): string {
  let result = '';
  let index = 0;
  let textStart = 0;
  while (index < line.length) {
    if (line[index] !== '`') {
      index++;
      continue;
    }
    let runEnd = index;
    while (line[runEnd] === '`') runEnd++;
    const run = line.slice(index, runEnd);
    const close = findClosingRun(line, runEnd, run.length);
    if (close === -1) {
      index = runEnd;
      continue;
    }
    result += fn(line.slice(textStart, index)) + line.slice(index, close + run.length);
    index = close + run.length;
    textStart = index;
  }
  return result + fn(line.slice(textStart));
}

function findClosingRun(line: string, from: number, length: number): number {
  let index = from;
  while (index < line.length) {
    if (line[index] !== '`') {
      index++;
      continue;
    }
    let runEnd = index;
    while (line[runEnd] === '`') runEnd++;
    if (runEnd - index === length) return index;
    index = runEnd;
  }
  return -1;
}
