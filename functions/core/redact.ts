/**
 * Secret and personal-data redaction for everything that leaves the detector or the analyzer.
 *
 * Log text is attacker-controlled, so every rule must run in linear time on hostile input:
 * - lines are capped (default 8192 chars) before matching, the cut is marked in the text;
 * - no nested or overlapping quantifiers; a quantified token that is followed by something
 *   it could also match is bounded (`{20,300}`, not `+`), so a failed attempt costs O(bound);
 * - token rules start with a negative lookbehind for their own alphabet, so inside a long
 *   run of token characters only the first position is a candidate start (no O(n²) rescans).
 * The multi-line private-key block is found procedurally (indexOf-style scans), not by a regex.
 */

/** One detection rule; `pattern` is global. */
export interface SecretRule {
  /** appears in the replacement `[REDACTED:<name>]` */
  readonly name: string;
  /**
   * Global regex. Named groups `pre` and `post`, when present, are kept in the output (the key
   * of `password=…`, the user and host of a URL); the rest of the match is replaced.
   */
  readonly pattern: RegExp;
  /** Rejects a match the regex cannot judge alone (Luhn, `token_count=5`, `password=null`). */
  readonly accept?: (secret: string, groups: Readonly<Record<string, string | undefined>>) => boolean;
  /** a substring every match contains: text without it skips the rule (most logs hold no `@`) */
  readonly requires?: string;
}

/** Where a secret was found: `index`/`length` cover the secret value, not its kept key or host. */
export interface SecretFinding {
  rule: string;
  index: number;
  length: number;
}

export interface RedactOptions {
  /** longer lines are cut before matching; the cut is marked `…[truncated N chars]` */
  maxLineLength?: number;
}

export const DEFAULT_MAX_LINE_LENGTH = 8192;

const PRIVATE_KEY_BEGIN = /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----/g;
const PRIVATE_KEY_END = /-----END[A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----/g;
// The body of a key whose END never arrived (a truncated log line): base64 and the JSON-escaped
// newline `\n`, on the header's line and on following lines made only of those characters.
const KEY_BODY_CHAR = /[A-Za-z0-9+/=\\\r]/;
const KEY_BODY_LINE = /^[A-Za-z0-9+/=\\]+\r?$/;
const KEY_HEADER_LINE = /^(?:Proc-Type|DEK-Info|Comment):[^\n]{0,200}$/;

function endOfKeyBody(text: string, from: number): number {
  let end = from;
  while (end < text.length && KEY_BODY_CHAR.test(text[end] ?? '')) end++;
  // PEM headers (Proc-Type, DEK-Info) are followed by one blank line, then the body.
  let isAfterHeader = false;
  while (text[end] === '\n') {
    const lineStart = end + 1;
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const isHeader = KEY_HEADER_LINE.test(line);
    const isBlankAfterHeader = isAfterHeader && /^\r?$/.test(line);
    if (!isHeader && !isBlankAfterHeader && !KEY_BODY_LINE.test(line)) break;
    isAfterHeader = isHeader;
    end = lineEnd;
  }
  return end;
}

// Values that hold no secret: leaving them makes redaction idempotent and keeps logs readable.
const EMPTY_VALUE =
  /^(?:null|nil|none|undefined|true|false|\*+|<redacted>|redacted|\[REDACTED[^\]]{0,40}\]?)$/i;
// Key tails that name a property of a secret, not the secret itself: `token_count=5`,
// `password_length=12`, `token_type=Bearer`, `session_ttl=300`, `tokens=42`.
const NOT_A_SECRET_KEY =
  /(?:count|length|len|size|type|limit|max|min|ttl|expires?_?in|expires?_?at|expiry|used|usage|index|idx|policy|rotation)$|^tokens$/i;

function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

// Issuer prefixes of the big card networks. Requiring one keeps epoch timestamps (1…) and
// yyyymmdd… numbers (20…) out even when they happen to pass Luhn (one in ten does).
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[0-9]|6)/;

function isCardNumber(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && isLuhnValid(digits);
}

function isSecretValue(secret: string): boolean {
  return !EMPTY_VALUE.test(secret.trim());
}

function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

// Separator between a key and its value: `key=v`, `key: v`, `"key": "v"`, `\"key\":\"v\"`, `:key => v`.
const SEP = String.raw`(?:\\?["'])?[ \t]{0,5}(?::|=>?)[ \t]{0,5}(?:\\?["'])?`;
// A value: up to the closing quote when the value is quoted, else up to whitespace or punctuation.
const VALUE = String.raw`(?<=["'])[^"'\\\r\n]{1,512}|[^\s"'\\,;&)}\]]{1,512}`;

/** Every rule, in the order redaction applies them (specific before generic). */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    // Detection only: redaction removes the whole block procedurally first.
    name: 'private_key',
    requires: 'PRIVATE KEY',
    pattern: PRIVATE_KEY_BEGIN,
  },
  {
    name: 'aws_access_key_id',
    pattern:
      /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  },
  {
    name: 'aws_secret_access_key',
    pattern: new RegExp(
      `(?<pre>aws_?secret_?(?:access_?)?key${SEP})(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
  },
  {
    name: 'gcp_api_key',
    requires: 'AIza',
    pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
  },
  {
    name: 'azure_key',
    pattern:
      /(?<pre>(?:AccountKey|SharedAccessKey|SharedAccessSignature)=)(?<secret>[A-Za-z0-9+/=%]{10,400})/gi,
  },
  {
    name: 'azure_sas_signature',
    requires: 'sig=',
    pattern: /(?<pre>[?&]sig=)(?<secret>[A-Za-z0-9%+/=]{16,400})/g,
  },
  {
    name: 'github_token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})/g,
  },
  {
    name: 'anthropic_api_key',
    requires: 'sk-ant-',
    pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,300}/g,
  },
  {
    name: 'openai_api_key',
    requires: 'sk-',
    pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,300}/g,
    // `sk-` also starts long kebab-case words; real keys always carry digits.
    accept: hasDigit,
  },
  { name: 'slack_token', requires: 'xox', pattern: /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,250}/g },
  {
    name: 'slack_webhook',
    requires: 'hooks.slack.com/services/',
    pattern: /(?<pre>hooks\.slack\.com\/services\/)(?<secret>[A-Za-z0-9/_-]{10,200})/g,
  },
  {
    name: 'stripe_key',
    pattern: /(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{20,100})/g,
  },
  { name: 'npm_token', requires: 'npm_', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g },
  {
    name: 'jwt',
    requires: 'eyJ',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,4096}\.eyJ[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{0,4096}/g,
  },
  {
    // scheme://user:pass@host keeps user and host, so the log still says where it connected.
    name: 'url_password',
    requires: '://',
    pattern:
      /(?<pre>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/@]{0,256}:)(?<secret>[^\s/@]{1,256})(?<post>@)/g,
  },
  {
    name: 'authorization',
    pattern: new RegExp(
      String.raw`(?<pre>\b(?:proxy-)?authorization${SEP}(?:(?:bearer|basic|token|digest|negotiate|apikey|aws4-hmac-sha256)[ \t]{1,5})?)(?<secret>[^\r\n"'\\]{1,2048})`,
      'gi',
    ),
    accept: isSecretValue,
  },
  {
    name: 'bearer_token',
    pattern: /(?<pre>\bbearer[ \t]{1,5})(?<secret>[A-Za-z0-9._~+/-]{8,4096}=*)/gi,
    // "bearer authentication" is prose; tokens have digits or are long.
    accept: (secret) => hasDigit(secret) || secret.length >= 20,
  },
  {
    name: 'cookie',
    pattern: new RegExp(String.raw`(?<pre>\b(?:set-)?cookie${SEP})(?<secret>[^\r\n"'\\]{1,4096})`, 'gi'),
    accept: isSecretValue,
  },
  {
    name: 'secret',
    pattern: new RegExp(
      String.raw`(?<pre>(?<key>(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|session(?:[_-]?(?:id|key|token))?)[\w.-]{0,30})${SEP})(?<secret>${VALUE})`,
      'gi',
    ),
    accept: (secret, groups) => {
      const key = groups.key ?? '';
      if (NOT_A_SECRET_KEY.test(key)) return false;
      // PWD=/var/task is the shell's working directory, not a password.
      if (/^pwd$/i.test(key) && secret.startsWith('/')) return false;
      return isSecretValue(secret);
    },
  },
  {
    name: 'email',
    requires: '@',
    pattern: /(?<![\w.!$%*+^{|}~-])[\w.!$%*+^{|}~-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}/g,
  },
  {
    name: 'card_number',
    pattern: /(?<!\d[ -]?)[2-6](?:[ -]?\d){12,18}(?!\d)/g,
    accept: isCardNumber,
  },
];

/** Cuts every line longer than `maxLineLength`, marking the cut, so matching stays linear. */
export function capLineLength(text: string, maxLineLength: number = DEFAULT_MAX_LINE_LENGTH): string {
  if (text.length <= maxLineLength) return text;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length > maxLineLength) {
      lines[i] = `${line.slice(0, maxLineLength)}…[truncated ${line.length - maxLineLength} chars]`;
    }
  }
  return lines.join('\n');
}

function redactPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY')) return text;
  const begin = new RegExp(PRIVATE_KEY_BEGIN.source, 'g');
  const end = new RegExp(PRIVATE_KEY_END.source, 'g');
  let out = '';
  let copiedUpTo = 0;
  // Once a search for END failed, no later BEGIN can find one either: one scan in total.
  let hasNoEndAfter = Number.POSITIVE_INFINITY;
  for (let match = begin.exec(text); match !== null; match = begin.exec(text)) {
    const headerEnd = match.index + match[0].length;
    let blockEnd = -1;
    if (headerEnd < hasNoEndAfter) {
      end.lastIndex = headerEnd;
      const endMatch = end.exec(text);
      if (endMatch) blockEnd = endMatch.index + endMatch[0].length;
      else hasNoEndAfter = headerEnd;
    }
    if (blockEnd < 0) blockEnd = endOfKeyBody(text, headerEnd);
    out += `${text.slice(copiedUpTo, match.index)}[REDACTED:private_key]`;
    copiedUpTo = blockEnd;
    begin.lastIndex = blockEnd;
  }
  return out + text.slice(copiedUpTo);
}

function applyRule(text: string, rule: SecretRule): string {
  if (rule.requires !== undefined && !text.includes(rule.requires)) return text;
  return text.replace(rule.pattern, (...args: unknown[]) => {
    const match = String(args[0]);
    const last = args[args.length - 1];
    const groups = (typeof last === 'object' && last !== null ? last : {}) as Record<
      string,
      string | undefined
    >;
    const pre = groups.pre ?? '';
    const post = groups.post ?? '';
    const secret = groups.secret ?? match.slice(pre.length, match.length - post.length);
    if (rule.accept && !rule.accept(secret, groups)) return match;
    return `${pre}[REDACTED:${rule.name}]${post}`;
  });
}

/** Replaces secrets and personal data with `[REDACTED:<rule>]`; long lines are cut first. */
export function redact(
  text: string,
  { maxLineLength = DEFAULT_MAX_LINE_LENGTH }: RedactOptions = {},
): string {
  let out = redactPrivateKeys(capLineLength(text, maxLineLength));
  for (const rule of SECRET_RULES) out = applyRule(out, rule);
  return out;
}

/** Lists the secrets in `text` by the same rules as `redact` (e.g. to vet model output). */
export function findSecrets(text: string): SecretFinding[] {
  // No line cap here: indices must point into `text`, and every rule's per-position work is
  // bounded by its quantifier bounds, which keeps the scan linear without one.
  const findings: SecretFinding[] = [];
  for (const rule of SECRET_RULES) {
    if (rule.requires !== undefined && !text.includes(rule.requires)) continue;
    for (const match of text.matchAll(rule.pattern)) {
      const groups = match.groups ?? {};
      const pre = groups.pre ?? '';
      const post = groups.post ?? '';
      const secret = groups.secret ?? match[0].slice(pre.length, match[0].length - post.length);
      if (rule.accept && !rule.accept(secret, groups)) continue;
      findings.push({ rule: rule.name, index: match.index + pre.length, length: secret.length });
    }
  }
  return findings.sort((a, b) => a.index - b.index || a.rule.localeCompare(b.rule));
}
