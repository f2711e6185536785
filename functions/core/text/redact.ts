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
  /** a substring every match contains (or one of several): text without it skips the rule (most logs hold no `@`) */
  readonly requires?: string | readonly string[];
  /** the same for a case-insensitive pattern: lower-case substrings, one of which the lower-cased text holds */
  readonly requiresAnyCase?: readonly string[];
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

// A key that is really a source file name (`token_store.py`), and a value that is its line (and column).
const SOURCE_FILE_KEY =
  /\.(?:py|pyw|js|mjs|cjs|jsx|ts|tsx|mts|cts|vue|svelte|java|kt|scala|groovy|go|rb|erb|rake|php|cs|fs|vb|rs|c|cc|cpp|h|hpp|swift|m|mm|ex|exs|erl|clj|lua|pl|pm|sh|dart|cshtml|razor)$/i;
const LINE_NUMBER_VALUE = /^\d{1,7}(?::\d{1,7})?(?::[A-Za-z]{0,12})?$/;

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

// Key words that name a secret (each alternative of SECRET_KEY holds one: a cheap pre-check).
const SECRET_KEY_WORDS = [
  'passw',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'api',
  'access',
  'private',
  'credential',
  'session',
];
const SECRET_KEY = String.raw`(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|session(?:[_-]?(?:id|key|token))?)[\w.-]{0,30}`;

/** A key that names a secret, and its value: not a property of one, not a source file's line. */
function isSecretEntry(secret: string, groups: { key?: string }): boolean {
  const key = groups.key ?? '';
  if (NOT_A_SECRET_KEY.test(key)) return false;
  // `session.js:12:5`, `SessionManager.java:7`, .NET's `SessionStore.cs:line 42`: a source file
  // and a line number, not a key and a value.
  if (SOURCE_FILE_KEY.test(key) && (LINE_NUMBER_VALUE.test(secret) || secret === 'line')) return false;
  // PWD=/var/task is the shell's working directory, not a password.
  if (/^pwd$/i.test(key) && secret.startsWith('/')) return false;
  return isSecretValue(secret);
}

function isSecretValue(secret: string): boolean {
  return !EMPTY_VALUE.test(secret.trim());
}

function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

// Separator between a key and its value: `key=v`, `key: v`, `"key": "v"`, `\"key\":\"v\"`, `:key => v`,
// Scala's `Map(key -> v)` (the arrow between spaces: `PasswordReset->send()` is a PHP call).
const SEP = String.raw`(?:\\?["'])?[ \t]{0,5}(?::|=>?|(?<=[ \t])->(?=[ \t]))[ \t]{0,5}(?:\\?["'])?`;
// A value: up to the closing quote when the value is quoted, else up to whitespace or punctuation.
const VALUE = String.raw`(?<=["'])[^"'\\\r\n]{1,512}|[^\s"'\\,;&)}\]]{1,512}`;

// Vendor tokens with a recognisable prefix, after gitleaks' common rules: [rule, a substring
// every match holds (a cheap pre-check), pattern]. Bounded quantifiers only.
const VENDOR_TOKENS: ReadonlyArray<readonly [string, string | readonly string[], string]> = [
  [
    'gitlab_token',
    [
      'glpat-',
      'glptt-',
      'glrt-',
      'gldt-',
      'glsoat-',
      'glcbt-',
      'glimt-',
      'glagent-',
      'glft-',
      'gloas-',
      'glffct-',
    ],
    'gl(?:pat|ptt|rt|dt|soat|cbt|imt|agent|ft|oas|ffct)-[0-9A-Za-z_-]{20,300}',
  ],
  ['gitlab_runner_token', 'GR1348941', 'GR1348941[0-9A-Za-z_-]{20,300}'],
  ['sendgrid_api_key', 'SG.', String.raw`SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}`],
  ['twilio_api_key', 'SK', 'SK[0-9a-fA-F]{32}'],
  ['mailgun_api_key', 'key-', 'key-[0-9a-f]{32}'],
  ['mailchimp_api_key', '-us', '[0-9a-f]{32}-us[0-9]{1,2}'],
  ['pypi_token', 'pypi-', 'pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,400}'],
  ['digitalocean_token', '_v1_', 'do[opr]_v1_[0-9a-f]{64}'],
  ['shopify_token', 'shp', 'shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}'],
  ['square_token', 'sq0', 'sq0(?:atp|csp)-[0-9A-Za-z_-]{22,60}'],
  ['square_access_token', 'EAAA', 'EAAA[0-9A-Za-z_+-]{60}'],
  ['doppler_token', 'dp.', String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z]{40,44}`],
  ['databricks_token', 'dapi', 'dapi[0-9a-f]{32}(?:-[0-9])?'],
  ['vault_token', 'hv', String.raw`hv[sbr]\.[0-9A-Za-z_-]{24,300}`],
  ['terraform_cloud_token', '.atlasv1.', String.raw`[0-9a-z]{14}\.atlasv1\.[0-9a-z_=-]{60,70}`],
  ['linear_api_key', 'lin_api_', 'lin_api_[0-9A-Za-z]{40}'],
  ['postman_api_key', 'PMAK-', 'PMAK-[0-9a-f]{24}-[0-9a-f]{34}'],
  ['pulumi_token', 'pul-', 'pul-[0-9a-f]{40}'],
  ['huggingface_token', 'hf_', 'hf_[A-Za-z]{34}'],
  ['grafana_token', ['glsa_', 'glc_'], 'glsa_[0-9A-Za-z]{32}_[0-9A-Fa-f]{8}|glc_[0-9A-Za-z+/]{32,400}={0,2}'],
  ['age_secret_key', 'AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}'],
  ['dynatrace_token', 'dt0c01.', String.raw`dt0c01\.[0-9A-Za-z]{24}\.[0-9A-Za-z]{64}`],
  ['newrelic_key', 'NR', 'NR(?:AK|AA|II|JS)-[0-9A-Za-z]{19,32}'],
  ['dockerhub_token', 'dckr_', 'dckr_(?:pat|oat)_[0-9A-Za-z_-]{27,32}'],
  ['telegram_bot_token', ':AA', '[0-9]{5,16}:AA[0-9A-Za-z_-]{33}'],
  ['atlassian_token', 'ATATT', 'ATATT3[0-9A-Za-z_=-]{150,300}'],
  ['sentry_token', 'sntr', 'sntr[ysu]_[0-9A-Za-z+/=_-]{30,400}'],
  ['rubygems_token', 'rubygems_', 'rubygems_[0-9a-f]{48}'],
  ['supabase_token', 'sbp_', 'sbp_[0-9a-f]{40}'],
  ['planetscale_token', 'pscale_', 'pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_.=-]{32,64}'],
  ['sendinblue_key', 'xkeysib-', 'xkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16}'],
  ['alibaba_key_id', 'LTAI', 'LTAI[0-9A-Za-z]{20}'],
  ['notion_token', 'ntn_', 'ntn_[0-9A-Za-z]{40,50}'],
];

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
    requires: [
      'AKIA',
      'ASIA',
      'ABIA',
      'ACCA',
      'AGPA',
      'AIDA',
      'AIPA',
      'ANPA',
      'ANVA',
      'AROA',
      'APKA',
      'ASCA',
    ],
    pattern:
      /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  },
  {
    name: 'aws_secret_access_key',
    requiresAnyCase: ['aws'],
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
    requiresAnyCase: ['accountkey', 'sharedaccess'],
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
    requires: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
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
  {
    name: 'slack_token',
    requires: ['xox', 'xapp-'],
    pattern: /(?<![A-Za-z0-9_-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,250}/g,
  },
  {
    name: 'slack_webhook',
    requires: 'hooks.slack.com/services/',
    pattern: /(?<pre>hooks\.slack\.com\/services\/)(?<secret>[A-Za-z0-9/_-]{10,200})/g,
  },
  {
    name: 'stripe_key',
    requires: ['_live_', '_test_', 'whsec_'],
    pattern: /(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{20,100})/g,
  },
  { name: 'npm_token', requires: 'npm_', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g },
  ...VENDOR_TOKENS.map(([name, requires, source]) => ({
    name,
    requires,
    // Each starts where its own alphabet does not continue, so a long run costs one attempt.
    pattern: new RegExp(`(?<![A-Za-z0-9_.-])(?:${source})(?![A-Za-z0-9_-])`, 'g'),
  })),
  {
    name: 'jwt',
    requires: 'eyJ',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,4096}\.eyJ[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{0,4096}/g,
  },
  {
    // scheme://user:pass@host keeps user and host, so the log still says where it connected. An
    // unencoded `@` inside the password (`p@ss@host`) is part of it: the authority ends at its last `@`.
    name: 'url_password',
    requires: '://',
    pattern:
      /(?<pre>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/@]{0,256}:)(?<secret>[^\s/]{1,256})(?<post>@)(?=[^\s/@]{0,256}(?:[/?#\s]|$))/g,
  },
  {
    // Go's database/sql DSN: `user:pass@tcp(host:3306)/db` has no scheme to anchor on.
    name: 'dsn_password',
    requires: ['@tcp', '@udp', '@unix'],
    pattern:
      /(?<pre>(?<![\w.+-])[\w.+-]{1,64}:)(?<secret>[^\s/]{1,256})(?<post>@(?:tcp6?|udp|unix|unixgram)\()/g,
  },
  {
    name: 'authorization',
    requiresAnyCase: ['authorization'],
    pattern: new RegExp(
      String.raw`(?<pre>\b(?:proxy-)?authorization${SEP}(?:(?:bearer|basic|token|digest|negotiate|apikey|aws4-hmac-sha256)[ \t]{1,5})?)(?<secret>[^\r\n"'\\]{1,2048})`,
      'gi',
    ),
    accept: isSecretValue,
  },
  {
    name: 'bearer_token',
    requiresAnyCase: ['bearer'],
    pattern: /(?<pre>\bbearer[ \t]{1,5})(?<secret>[A-Za-z0-9._~+/-]{8,4096}=*)/gi,
    // "bearer authentication" is prose; tokens have digits or are long.
    accept: (secret) => hasDigit(secret) || secret.length >= 20,
  },
  {
    name: 'cookie',
    requiresAnyCase: ['cookie'],
    pattern: new RegExp(String.raw`(?<pre>\b(?:set-)?cookie${SEP})(?<secret>[^\r\n"'\\]{1,4096})`, 'gi'),
    accept: isSecretValue,
  },
  {
    name: 'secret',
    requiresAnyCase: SECRET_KEY_WORDS,
    pattern: new RegExp(`(?<pre>(?<key>${SECRET_KEY})${SEP})(?<secret>${VALUE})`, 'gi'),
    accept: isSecretEntry,
  },
  {
    // An EDN map, as Clojure prints an ex-info's data in its message (`{:password "hunter2"}`, a
    // namespaced `:db/password`), or one keyed by strings (`{"api-key" "…"}`): no `:` or `=`
    // between key and value. A keyword counts only where a map's key stands (after `{`, `,` or a
    // line's indent): `(:session-id ctx)` is code, `the :token key` prose. Ruby's `:password =>`
    // is the rule above's.
    name: 'edn_secret',
    requiresAnyCase: SECRET_KEY_WORDS,
    pattern: new RegExp(
      String.raw`(?<pre>(?:(?<=(?:^|[{,\n])[ \t]{0,40}):(?:[\w.*+!?-]{1,60}/)?(?<key>${SECRET_KEY}[?!]?)[ \t,]{1,5}(?![=-]>)"?|"(?<quotedKey>${SECRET_KEY})"[ \t,]{1,5}"))(?<secret>${VALUE})`,
      'gi',
    ),
    accept: (secret, groups) => isSecretEntry(secret, { key: groups.key ?? groups.quotedKey ?? '' }),
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

const ANY_REQUIRED = anyOf(
  SECRET_RULES.flatMap((r) => (r.requires === undefined ? [] : [r.requires].flat())),
  '',
);
const ANY_REQUIRED_ANY_CASE = anyOf(
  SECRET_RULES.flatMap((r) => r.requiresAnyCase ?? []),
  'i',
);

/** By rule index: the rule has a pre-check substring. */
const IS_GATED = SECRET_RULES.map((r) => r.requires !== undefined || r.requiresAnyCase !== undefined);

const MAX_TOKEN_BACKOFF = 512;

function isTokenChar(code: number): boolean {
  // A-Z a-z 0-9 and the characters tokens are made of: + - . / = _ ~
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 43 ||
    code === 45 ||
    code === 46 ||
    code === 47 ||
    code === 61 ||
    code === 95 ||
    code === 126
  );
}

/** Cuts every line longer than `maxLineLength`, marking the cut, so matching stays linear. */
export function capLineLength(text: string, maxLineLength: number = DEFAULT_MAX_LINE_LENGTH): string {
  if (text.length <= maxLineLength) return text;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length > maxLineLength) {
      // A token running over the cut would leave a prefix too short for its rule: cut before it.
      // Runs longer than MAX_TOKEN_BACKOFF are no token a fixed-length rule knows; the
      // open-ended rules (JWT, key=value) still match their prefix.
      let cut = maxLineLength;
      if (isTokenChar(line.charCodeAt(cut)) && isTokenChar(line.charCodeAt(cut - 1))) {
        let start = cut;
        while (start > 0 && cut - start <= MAX_TOKEN_BACKOFF && isTokenChar(line.charCodeAt(start - 1)))
          start--;
        if (start > 0 && cut - start <= MAX_TOKEN_BACKOFF) cut = start;
      }
      lines[i] = `${line.slice(0, cut)}…[truncated ${line.length - cut} chars]`;
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

/**
 * Which pre-checks a text can pass at all: most log lines hold none of the rules' substrings, and
 * one scan for any of them is cheaper than a check per rule.
 */
interface Gates {
  text: string;
  /** the text holds some rule's `requires` substring */
  anyRequired: boolean;
  /** the text holds some rule's `requiresAnyCase` substring, in any case */
  anyRequiredAnyCase: boolean;
  /** the text lower-cased, made on first use */
  lower?: string;
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function anyOf(literals: readonly string[], flags: string): RegExp {
  return new RegExp([...new Set(literals)].map(escapeRegExp).join('|'), flags);
}

function gatesOf(text: string): Gates {
  return {
    text,
    anyRequired: ANY_REQUIRED.test(text),
    anyRequiredAnyCase: ANY_REQUIRED_ANY_CASE.test(text),
  };
}

function includesAny(text: string, literals: string | readonly string[]): boolean {
  if (typeof literals === 'string') return text.includes(literals);
  for (let i = 0; i < literals.length; i++) if (text.includes(literals[i] as string)) return true;
  return false;
}

function hasRequired(text: string, gates: Gates, { requires, requiresAnyCase }: SecretRule): boolean {
  if (requiresAnyCase !== undefined) {
    if (!gates.anyRequiredAnyCase) return false;
    gates.lower ??= gates.text.toLowerCase();
    if (!includesAny(gates.lower, requiresAnyCase)) return false;
  }
  if (requires === undefined) return true;
  return gates.anyRequired && includesAny(text, requires);
}

function applyRule(text: string, gates: Gates, rule: SecretRule): string {
  // The replacement callback lives in its own function: a closure over `rule` here would make
  // every call allocate its context, even the ~50 calls per line whose pre-check says no.
  return hasRequired(text, gates, rule) ? replaceMatches(text, rule) : text;
}

function replaceMatches(text: string, rule: SecretRule): string {
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

// Candidates for the unlabelled rules: a run of token characters that starts where the
// alphabet does not continue (one attempt per run, so linear) and is bounded.
const TOKEN_RUN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-][A-Za-z0-9+/=_-]{19,511}(?![A-Za-z0-9+/=_-])/g;
// Words that make a nearby random-looking token a credential: `signing key was …`, `auth …`.
const SECRETISH_WORD =
  /(?:key|token|secret|passw|pwd|auth|credential|signature|\bsig\b|bearer|cookie|session|private|cert|salt|nonce)/i;
const SECRETISH_WINDOW = 48;

interface TokenClasses {
  hasUpper: boolean;
  hasLower: boolean;
  hasDigit: boolean;
  /** identifiers and paths are made of words; random tokens rarely hold four lower-case letters in a row */
  isWordy: boolean;
}

/** One pass over a token (ASCII only, as TOKEN_RUN guarantees): character classes and wordiness. */
function tokenClasses(token: string): TokenClasses {
  let hasUpper = false;
  let hasLower = false;
  let hasDigit = false;
  let lowerRun = 0;
  let inWords = 0;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 97 && code <= 122) {
      hasLower = true;
      lowerRun++;
      continue;
    }
    if (lowerRun >= 4) inWords += lowerRun;
    lowerRun = 0;
    if (code >= 65 && code <= 90) hasUpper = true;
    else if (code >= 48 && code <= 57) hasDigit = true;
  }
  if (lowerRun >= 4) inWords += lowerRun;
  return { hasUpper, hasLower, hasDigit, isWordy: inWords * 2 >= token.length };
}

const counts = new Uint32Array(128);

/** Shannon entropy of an ASCII token, in bits per character (asked only of tokens that could be secrets). */
function entropyOf(token: string): number {
  counts.fill(0);
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i) & 127;
    counts[code] = (counts[code] ?? 0) + 1;
  }
  let entropy = 0;
  for (const n of counts) {
    if (n === 0) continue;
    const p = n / token.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * The unlabelled rules, found procedurally: a bare 40-character AWS secret access key, and the
 * entropy fallback (a long random-looking token within a few words after a secret-ish word).
 */
function findUnlabelledTokens(text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  // exec, not matchAll: on a megabyte of tokens the iterator's garbage costs more than the scan.
  // One global regex for every call (this loop neither recurses nor yields): a new RegExp per
  // call was most of what redacting a short line allocated.
  const run = TOKEN_RUN;
  run.lastIndex = 0;
  for (let match = run.exec(text); match !== null; match = run.exec(text)) {
    const token = match[0];
    const index = match.index;
    if (token.startsWith('/') || token.includes('//')) continue;
    const stats = tokenClasses(token);
    if (stats.isWordy || !stats.hasDigit || !stats.hasLower) continue;
    if (token.length === 40 && /^[A-Za-z0-9/+]+$/.test(token)) {
      if (stats.hasUpper && entropyOf(token) >= 4)
        findings.push({ rule: 'aws_secret_access_key', index, length: 40 });
      continue;
    }
    // Only the window before the token, and only its own line: bounded work per token.
    const window = text.slice(Math.max(0, index - SECRETISH_WINDOW), index);
    const before = window.slice(window.lastIndexOf('\n') + 1);
    if (!SECRETISH_WORD.test(before)) continue;
    const isHex = /^[0-9a-f]+$/i.test(token);
    if (entropyOf(token) >= (isHex ? 3 : 3.5))
      findings.push({ rule: 'high_entropy', index, length: token.length });
  }
  return findings;
}

function redactUnlabelled(text: string): string {
  let out = '';
  let copied = 0;
  for (const finding of findUnlabelledTokens(text)) {
    out += `${text.slice(copied, finding.index)}[REDACTED:${finding.rule}]`;
    copied = finding.index + finding.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// Trojan Source: bidi overrides and isolates reorder what a reader (or a model) sees; zero-width
// and other invisible characters hide text. Shown as `<U+XXXX>` so they can neither act nor hide.
const HIDDEN_CHARACTER =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0]/g;

/** Bidi, zero-width and invisible characters shown as `<U+XXXX>`; HTML comments shown as text. */
export function revealHiddenText(text: string): string {
  // One scan says whether any of the three replacements has work to do: most text has none.
  if (!HIDDEN_OR_COMMENT.test(text)) return text;
  return text
    .replace(HIDDEN_CHARACTER, (ch) => `<U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`)
    .replaceAll('<!--', '&lt;!--')
    .replaceAll('-->', '--&gt;');
}

const HIDDEN_OR_COMMENT = new RegExp(`${HIDDEN_CHARACTER.source}|<!--|-->`);

/** True when the text holds a bidi control or an invisible character. */
export function hasHiddenCharacter(text: string): boolean {
  return new RegExp(HIDDEN_CHARACTER.source).test(text);
}

/**
 * Replaces secrets and personal data with `[REDACTED:<rule>]` and reveals hidden characters and
 * HTML comments; long lines are cut first. What it returns is well-formed (see wellFormed).
 */
export function redact(
  text: string,
  { maxLineLength = DEFAULT_MAX_LINE_LENGTH }: RedactOptions = {},
): string {
  let out = redactPrivateKeys(capLineLength(text, maxLineLength));
  let gates = gatesOf(out);
  // Indexed, not for…of: redaction runs per line, and the iterator's results were garbage each time.
  for (let i = 0; i < SECRET_RULES.length; i++) {
    // Text that holds no rule's pre-check substring (most lines) needs only the rules without one.
    if (IS_GATED[i] && !gates.anyRequired && !gates.anyRequiredAnyCase) continue;
    const next = applyRule(out, gates, SECRET_RULES[i] as SecretRule);
    // A rule that replaced something changed the text the next rules' pre-checks read.
    if (next !== out) gates = gatesOf(next);
    out = next;
  }
  // A line cut at its cap may have split an emoji in two: its lone half must not leave here.
  return revealHiddenText(redactUnlabelled(out)).toWellFormed();
}

/** Lists the secrets in `text` by the same rules as `redact` (e.g. to vet model output). */
export function findSecrets(text: string): SecretFinding[] {
  // No line cap here: indices must point into `text`, and every rule's per-position work is
  // bounded by its quantifier bounds, which keeps the scan linear without one.
  const findings: SecretFinding[] = [];
  const gates = gatesOf(text);
  for (const rule of SECRET_RULES) {
    if (!hasRequired(text, gates, rule)) continue;
    for (const match of text.matchAll(rule.pattern)) {
      const groups = match.groups ?? {};
      const pre = groups.pre ?? '';
      const post = groups.post ?? '';
      const secret = groups.secret ?? match[0].slice(pre.length, match[0].length - post.length);
      if (rule.accept && !rule.accept(secret, groups)) continue;
      findings.push({ rule: rule.name, index: match.index + pre.length, length: secret.length });
    }
  }
  for (const finding of findUnlabelledTokens(text)) findings.push(finding);
  return findings.sort((a, b) => a.index - b.index || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}
