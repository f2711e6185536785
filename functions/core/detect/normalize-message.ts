/**
 * Message normalisation for fingerprints: the parts of an error message that change from one
 * occurrence of the same bug to the next (ids, numbers, hex, addresses, timestamps, e-mails,
 * quoted values, URLs, `key=value` values) become placeholders. Every pattern is bounded or
 * anchored on a literal so hostile messages stay linear; the message is also capped first.
 */

const MAX_MESSAGE_LENGTH = 2048;

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}';
const WEEKDAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6}';

// Ordered: structured values first, so their digits are gone before the generic token pass.
const REPLACEMENTS: readonly (readonly [RegExp, string])[] = [
  // Ruby inspect output `#<BooksController:0x007f8dd9a0c738 @a=1>`: keep the class.
  [/#<([A-Za-z_][\w:]{0,100}):0x[0-9a-fA-F]{1,20}[^>\n]{0,500}>/g, '#<$1>'],
  [/(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s"'<>()[\]{}]{1,1000}/g, '<url>'],
  [/(?<![\w.!$%*+^{|}~-])[\w.!$%*+^{|}~-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}/g, '<email>'],
  // Placeholders left by redaction (ours: [REDACTED:email]; others': [REDACTED_EMAIL_ADDRESS]):
  // an address redacted in one occurrence and not in another is still one bug.
  [/\[(?:REDACTED|FILTERED|MASKED)[:_ -]?[A-Za-z_]{0,10}EMAIL[A-Za-z_]{0,20}\]/gi, '<email>'],
  [/\[(?:REDACTED|FILTERED|MASKED)(?:[:_ -][A-Za-z_]{1,40})?\]/gi, '<redacted>'],
  [
    /(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])/g,
    '<uuid>',
  ],
  [
    /(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?(?!\d)/g,
    '<date>',
  ],
  [new RegExp(`\\b${WEEKDAY},?\\s{1,3}\\d{1,2}\\s{1,3}${MONTH}\\s{1,3}\\d{4}`, 'g'), '<date>'],
  [new RegExp(`\\b${MONTH}\\s{1,3}\\d{1,2}\\b`, 'g'), '<date>'],
  [/(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?![\d:])/g, '<time>'],
  [/(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?(?![\d.])/g, '<ip>'],
  [/(?<![0-9a-fA-F:])(?:[0-9a-fA-F]{1,4}:){2,7}:?[0-9a-fA-F]{1,4}(?![0-9a-fA-F:])/g, '<ip>'],
  [/\b0x[0-9a-fA-F]{1,64}\b/g, '<hex>'],
  // `key=value` context a message carries (`payment failed user=alice plan=pro`): the value is the
  // request's, the key names the bug's place. (Quoted values, URLs and numbers are read above/below.)
  [/(?<![\w.-])([A-Za-z_][\w.-]{0,60})=(?![<'"`])[^\s,;'"`)\]}]{1,200}/g, '$1=<v>'],
  // Quoted values: Python/JS '…', "…", Ruby `…', Markdown-ish `…`.
  [/'[^'\n]{0,200}'/g, "'<str>'"],
  [/"[^"\n]{0,200}"/g, '"<str>"'],
  [/`[^`'\n]{0,200}['`]/g, "'<str>'"],
];

// A word that carries digits: a short one keeps its letters (`utf8` → `utf<n>`, `user42` →
// `user<n>`), a long one is an id whose letters vary too (`ord_8f3k2j9a`, a git sha).
function normalizeToken(token: string): string {
  if (!/\d/.test(token)) return token;
  if (/^\d+$/.test(token)) return '<n>';
  if (token.length >= 8) return /^[0-9a-fA-F]+$/.test(token) ? '<hex>' : '<id>';
  return token.replace(/\d+/g, '<n>');
}

// Ruby 3.3 reworded the receiver of NameError and NoMethodError: `for nil:NilClass` became `for
// nil`, `for main:Object` `for main`, `for Order:Class` `for class Order`, `for #<Order:0x… @a=1>`
// `for an instance of Order` (3.4 changed only the quotes). Where frames are missing (Puma's
// one-line report, a handler Lambda could not call) the message is the fingerprint, so the newer
// wording is read as the older one: the incidents a Ruby 3.1 or 3.2 service opened stay the same
// bugs after its upgrade. An instance reads as Ruby's default inspect, `#<Order:0x…>`, after the
// inspect rule below.
const RUBY_RECEIVER =
  /(\b(?:undefined (?:local variable or )?method|(?:private|protected) method) [`'][^`'\n]{1,200}' (?:called )?for )(?:(nil|true|false|main)|(class|module|an instance of) ([A-Z][\w:]{0,200}))(?![\w:])/g;
const RUBY_SPECIAL_RECEIVERS: Readonly<Record<string, string>> = {
  nil: 'nil:NilClass',
  true: 'true:TrueClass',
  false: 'false:FalseClass',
  main: 'main:Object',
};

function asRuby32Receiver(
  _match: string,
  lead: string,
  special: string | undefined,
  kind: string | undefined,
  name: string | undefined,
): string {
  if (special !== undefined) return `${lead}${RUBY_SPECIAL_RECEIVERS[special] ?? special}`;
  if (kind === 'class') return `${lead}${name}:Class`;
  if (kind === 'module') return `${lead}${name}:Module`;
  return `${lead}#<${name}>`;
}

/** The message with everything that varies between occurrences of one bug replaced by placeholders. */
export function normalizeMessage(message: string): string {
  let text = message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH) : message;
  if (text.includes(' for ')) text = text.replace(RUBY_RECEIVER, asRuby32Receiver);
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement);
  // `<n>` placeholders hold no digits, so this pass leaves earlier replacements alone.
  text = text.replace(/[A-Za-z0-9_]+/g, normalizeToken);
  return text.replace(/\s+/g, ' ').trim();
}
