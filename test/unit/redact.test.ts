import { describe, expect, it } from 'vitest';
import { capLineLength, findSecrets, redact, SECRET_RULES } from '../../functions/core/text/redact.ts';

// Every credential below is fake and assembled from pieces, so secret scanners that read this
// repository find nothing that looks like a real key.
const j = (...parts: string[]): string => parts.join('');
const FAKE = {
  awsKeyId: j('AKIA', 'EXAMPLE0000000000'.slice(0, 16)),
  awsSessionKeyId: j('ASIA', 'EXAMPLE1111111111'.slice(0, 16)),
  awsSecret: j('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'),
  gcpKey: j('AI', 'za', 'SyEXAMPLE-EXAMPLE_EXAMPLE0000000000'),
  azureKey: j('Zm9vYmFy', 'ZXhhbXBsZQ==', 'ZmFrZWZha2VmYWtl'),
  github: j('gh', 'p_', 'EXAMPLE0000000000000000000000000000x'),
  githubOauth: j('gh', 'o_', 'EXAMPLE0000000000000000000000000000x'),
  githubPat: j('github', '_pat_', '11EXAMPLE0000000000000000_EXAMPLE'),
  anthropic: j('sk-', 'ant-', 'api03-EXAMPLE000000000000000000'),
  openai: j('sk-', 'proj-', 'EXAMPLE00000000000000000000'),
  slack: j('xo', 'xb-', '000000000-000000000-EXAMPLEexample'),
  slackHook: j('https://hooks.', 'slack.com/services/', 'T00000000/B00000000/EXAMPLEexample'),
  stripe: j('sk', '_live_', 'EXAMPLE00000000000000'),
  stripeRestricted: j('rk', '_live_', 'EXAMPLE00000000000000'),
  stripeTest: j('sk', '_test_', 'EXAMPLE00000000000000'),
  npm: j('np', 'm_', 'EXAMPLE00000000000000000000000000000'),
  jwt: j('ey', 'JhbGciOiJIUzI1NiJ9', '.', 'ey', 'JzdWIiOiJleGFtcGxlIn0', '.', 'c2lnbmF0dXJl'),
  // 4111 1111 1111 1111 is the card networks' public test number (Luhn-valid).
  card: j('4111', '1111', '1111', '1111'),
};

describe('redact: one rule at a time', () => {
  it.each([
    ['aws_access_key_id', `key id ${FAKE.awsKeyId} used`, 'key id [REDACTED:aws_access_key_id] used'],
    ['aws_access_key_id (session)', `id=${FAKE.awsSessionKeyId}`, 'id=[REDACTED:aws_access_key_id]'],
    [
      'aws_secret_access_key',
      `aws_secret_access_key=${FAKE.awsSecret}`,
      'aws_secret_access_key=[REDACTED:aws_secret_access_key]',
    ],
    [
      'aws_secret_access_key (JSON)',
      `{"AWS_SECRET_ACCESS_KEY": "${FAKE.awsSecret}"}`,
      '{"AWS_SECRET_ACCESS_KEY": "[REDACTED:aws_secret_access_key]"}',
    ],
    ['gcp_api_key', `url?key=${FAKE.gcpKey}&q=1`, 'url?key=[REDACTED:gcp_api_key]&q=1'],
    [
      'azure_key',
      `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${FAKE.azureKey};EndpointSuffix=core.windows.net`,
      'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=[REDACTED:azure_key];EndpointSuffix=core.windows.net',
    ],
    ['github_token (ghp_)', `token ${FAKE.github}`, 'token [REDACTED:github_token]'],
    ['github_token (gho_)', `got ${FAKE.githubOauth}.`, 'got [REDACTED:github_token].'],
    ['github_token (github_pat_)', `pat ${FAKE.githubPat}`, 'pat [REDACTED:github_token]'],
    ['anthropic_api_key', `using ${FAKE.anthropic}`, 'using [REDACTED:anthropic_api_key]'],
    ['openai_api_key', `using ${FAKE.openai}`, 'using [REDACTED:openai_api_key]'],
    ['slack_token', `slack ${FAKE.slack}`, 'slack [REDACTED:slack_token]'],
    [
      'slack_webhook',
      `POST ${FAKE.slackHook} failed`,
      'POST https://hooks.slack.com/services/[REDACTED:slack_webhook] failed',
    ],
    ['stripe_key (sk_live_)', `stripe ${FAKE.stripe}`, 'stripe [REDACTED:stripe_key]'],
    ['stripe_key (rk_live_)', `stripe ${FAKE.stripeRestricted}`, 'stripe [REDACTED:stripe_key]'],
    ['stripe_key (sk_test_)', `stripe ${FAKE.stripeTest}`, 'stripe [REDACTED:stripe_key]'],
    [
      'npm_token',
      `//registry.npmjs.org/:_authToken ${FAKE.npm}`,
      '//registry.npmjs.org/:_authToken [REDACTED:npm_token]',
    ],
    ['jwt', `jwt ${FAKE.jwt} rejected`, 'jwt [REDACTED:jwt] rejected'],
    [
      'url_password keeps user and host',
      'connect postgres://app_user:hunter2@db.internal:5432/orders',
      'connect postgres://app_user:[REDACTED:url_password]@db.internal:5432/orders',
    ],
    [
      'url_password with no user',
      'redis://:s3cr3t@cache:6379',
      'redis://:[REDACTED:url_password]@cache:6379',
    ],
    [
      'authorization: Bearer',
      'Authorization: Bearer abc.def',
      'Authorization: Bearer [REDACTED:authorization]',
    ],
    [
      'authorization: Basic',
      'authorization: Basic dXNlcjpwYXNz',
      'authorization: Basic [REDACTED:authorization]',
    ],
    [
      'authorization: token (JSON)',
      '{"Authorization":"token abcdef123456","Host":"api"}',
      '{"Authorization":"token [REDACTED:authorization]","Host":"api"}',
    ],
    ['bearer token in prose', 'sent Bearer abcdef0123456789', 'sent Bearer [REDACTED:bearer_token]'],
    ['cookie header', 'Cookie: sid=abc; theme=dark', 'Cookie: [REDACTED:cookie]'],
    ['password=', 'login password=hunter2 user=bob', 'login password=[REDACTED:secret] user=bob'],
    ['passwd:', 'passwd: hunter2', 'passwd: [REDACTED:secret]'],
    ['pwd=', 'db pwd=hunter2', 'db pwd=[REDACTED:secret]'],
    ['SECRET (upper case)', 'SECRET=abc123', 'SECRET=[REDACTED:secret]'],
    ['client_secret', 'client_secret=abc123', 'client_secret=[REDACTED:secret]'],
    ['api_key', 'api_key=abc123', 'api_key=[REDACTED:secret]'],
    ['apiKey (camel case)', 'apiKey: abc123', 'apiKey: [REDACTED:secret]'],
    ['x-api-key header', 'x-api-key: abc123', 'x-api-key: [REDACTED:secret]'],
    ['access_key', 'access_key=abc123', 'access_key=[REDACTED:secret]'],
    ['private_key', 'private_key=abc123', 'private_key=[REDACTED:secret]'],
    ['credentials', 'credentials=abc123', 'credentials=[REDACTED:secret]'],
    ['session_id', 'session_id=abc123', 'session_id=[REDACTED:secret]'],
    ['sessionToken', 'sessionToken=abc123', 'sessionToken=[REDACTED:secret]'],
    [
      'JSON-quoted value with spaces',
      '{"password": "correct horse battery"}',
      '{"password": "[REDACTED:secret]"}',
    ],
    [
      'escaped JSON inside a JSON log line',
      String.raw`{"msg":"{\"password\":\"hunter 2\",\"user\":\"bob\"}"}`,
      String.raw`{"msg":"{\"password\":\"[REDACTED:secret]\",\"user\":\"bob\"}"}`,
    ],
    ['Ruby hash', `{:password => 'hunter2'}`, `{:password => '[REDACTED:secret]'}`],
    // Clojure prints an ex-info's data in its message
    [
      'EDN map (ex-info data)',
      'clojure.lang.ExceptionInfo: login failed {:user "bob", :password "hunter2", :api-key "k3y-1"}',
      'clojure.lang.ExceptionInfo: login failed {:user "bob", :password "[REDACTED:edn_secret]", :api-key "[REDACTED:edn_secret]"}',
    ],
    ['EDN namespaced key', '{:db/password "s3cr3t"}', '{:db/password "[REDACTED:edn_secret]"}'],
    ['EDN string keys', '{"api_key" "zz9-1"}', '{"api_key" "[REDACTED:edn_secret]"}'],
    [
      'EDN pretty-printed',
      '{:user "bob",\n :session-token "zzz111"}',
      '{:user "bob",\n :session-token "[REDACTED:edn_secret]"}',
    ],
    ['Scala Map', 'Map(password -> hunter2)', 'Map(password -> [REDACTED:secret])'],
    ['email', 'sent to jane.doe+tag@example.co.uk today', 'sent to [REDACTED:email] today'],
    ['card number', `card ${FAKE.card} declined`, 'card [REDACTED:card_number] declined'],
    ['card number with spaces', 'card 4111 1111 1111 1111 declined', 'card [REDACTED:card_number] declined'],
    ['card number with dashes', 'card 5555-5555-5555-4444 ok', 'card [REDACTED:card_number] ok'],
    ['amex (15 digits)', 'card 378282246310005', 'card [REDACTED:card_number]'],
  ])('%s', (_rule, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('removes a multi-line private key block whole', () => {
    const block = j(
      '-----BEGIN RSA ',
      'PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0000\nEXAMPLE==\n-----END RSA ',
      'PRIVATE KEY-----',
    );
    expect(redact(`before\n${block}\nafter`)).toBe('before\n[REDACTED:private_key]\nafter');
  });

  it('removes a JSON-escaped private key (service-account files)', () => {
    const key = j('-----BEGIN ', 'PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END ', 'PRIVATE KEY-----\\n');
    expect(redact(`{"private_key": "${key}", "client_email": "x"}`)).toBe(
      '{"private_key": "[REDACTED:private_key]\\n", "client_email": "x"}',
    );
  });

  it('removes the body of a private key whose END line never arrived', () => {
    const text = j(
      '-----BEGIN OPENSSH ',
      'PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nAAAABG5vbmU=\n',
      'ERROR next line',
    );
    expect(redact(text)).toBe('[REDACTED:private_key]\nERROR next line');
    const encrypted = j(
      '-----BEGIN RSA ',
      'PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,00\r\n\r\nMIIEpA==\r\n',
    );
    expect(redact(`${encrypted}after the key`)).toBe('[REDACTED:private_key]\nafter the key');
  });
});

describe('redact: what it leaves alone (decisions)', () => {
  it.each([
    ['a git sha', 'deployed 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['a uuid', 'request 123e4567-e89b-12d3-a456-426614174000 failed'],
    ['an epoch-ms timestamp', 'at 1700000000000 the job ended'],
    // Luhn fails: not a card, even with a card prefix.
    ['a 16-digit number that fails Luhn', 'order 4111111111111112'],
    // Luhn passes (1700000000006) but no card network issues numbers starting with 1.
    ['a Luhn-valid timestamp', 'ts=1700000000006'],
    ['a 20-digit id', 'id 41111111111111111111'],
    ['a count named after a token', 'token_count=5 tokens=1200 max_tokens=4096'],
    ['a property of a password', 'password_length=12 token_type=Bearer'],
    ['an empty or null password', 'password=null password: "" password=***'],
    ['the shell working directory', 'PWD=/var/task'],
    ['the word bearer in prose', 'uses bearer authentication'],
    ['an npm package with a version', 'loaded @scope/pkg@1.2.3'],
    ['an sk- word without digits', 'see sk-learn-compatible-estimators-api'],
    ['a url without a password', 'GET http://host:8080/x?user=bob'],
    ['an ordinary log line', 'INFO 2024-01-01T00:00:00Z GET /orders/42 200 12ms'],
    // a .NET frame's `:line N` in a file named like a secret: the raw trace the model, the pull
    // request and the email show kept `SessionStore.cs:[REDACTED:secret] 42`
    [
      'a .NET frame in a file named like a secret',
      '   at Shop.SessionStore.Load(String id) in /app/src/SessionStore.cs:line 42',
    ],
    ['a .NET frame, Windows path', '   at Shop.TokenService.Verify() in C:\\build\\TokenService.cs:line 17'],
    [
      'a PHP method call on a class named like a secret',
      '#0 /app/src/PasswordReset.php(42): Shop\\PasswordReset->send()',
    ],
    ['a PHP call on a password object', '$this->password->hash($plain)'],
    // a keyword where no map key stands is code or prose, not a key and its value
    ['a keyword called as a function', '(:session-id ctx)'],
    ['a keyword named in prose', 'the :token key is missing'],
    ['a quoted key word in prose', 'invalid "token" provided'],
    ['an EDN count and a nil password', '{:token-count 5, :password nil}'],
  ])('%s', (_case, input) => {
    expect(redact(input)).toBe(input);
  });

  it('treats an e-mail-shaped user in a URL as an e-mail', () => {
    expect(redact('GET https://jane@example.com/path')).toBe('GET https://[REDACTED:email]/path');
  });

  it('is idempotent', () => {
    const text = `password=hunter2 ${FAKE.awsKeyId} jane@example.com ${FAKE.jwt} postgres://u:p@h/db`;
    expect(redact(redact(text))).toBe(redact(text));
  });
});

describe('findSecrets', () => {
  it('reports the rule and where the secret value starts', () => {
    const text = `x ${FAKE.github} y password=hunter2`;
    expect(findSecrets(text)).toEqual([
      { rule: 'github_token', index: 2, length: FAKE.github.length },
      { rule: 'secret', index: text.indexOf('hunter2'), length: 7 },
    ]);
  });

  it('finds nothing in clean text and keeps indices on lines longer than the cap', () => {
    expect(findSecrets('all good here, 42 items')).toEqual([]);
    const text = `${'x'.repeat(20_000)} ${FAKE.npm}`;
    expect(findSecrets(text)).toEqual([{ rule: 'npm_token', index: 20_001, length: FAKE.npm.length }]);
  });

  it('names every exported rule uniquely, with a global pattern', () => {
    const names = SECRET_RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of SECRET_RULES) expect(rule.pattern.flags).toContain('g');
  });
});

describe('line cap', () => {
  it('cuts long lines and marks the cut', () => {
    const text = `short\n${'y'.repeat(10_000)}\nend`;
    expect(capLineLength(text, 8192)).toBe(`short\n${'y'.repeat(8192)}…[truncated 1808 chars]\nend`);
    expect(redact('z'.repeat(5_000_000))).toBe(`${'z'.repeat(8192)}…[truncated 4991808 chars]`);
  });

  it('honours a custom cap', () => {
    expect(redact('abcdef', { maxLineLength: 3 })).toBe('abc…[truncated 3 chars]');
  });
});

/** A trivial linear pass over the same input: the yardstick for the ratio bound. */
function linearPass(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}

function timeMs(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

describe('redact and findSecrets run in linear time on hostile input', () => {
  const MB5 = 5 * 1024 * 1024;
  const logLine = 'INFO 2024-01-01T00:00:00Z request handled in 12ms for tenant acme path=/orders/42\n';
  const cases: [string, string][] = [
    ['a 5 MB single line', 'x'.repeat(MB5)],
    [
      '5 MB of ordinary log lines with a secret every tenth line',
      `${logLine.repeat(9)}password=hunter2 jane@example.com ${FAKE.card}\n`.repeat(
        Math.floor(MB5 / (logLine.length * 10)),
      ),
    ],
    ["'a@' repeated", 'a@'.repeat(MB5 / 2)],
    ["'password=' repeated", 'password='.repeat(MB5 / 9)],
    ["'password' repeated with no separator", 'password'.repeat(MB5 / 8)],
    ['BEGIN PRIVATE KEY without END, one line', j('-----BEGIN ', 'PRIVATE KEY-----').repeat(MB5 / 27)],
    ['BEGIN PRIVATE KEY without END, many lines', j('-----BEGIN ', 'PRIVATE KEY-----\n').repeat(MB5 / 28)],
    ["'eyJ' segments", 'eyJ'.repeat(MB5 / 3)],
    ["'eyJa.' segments", 'eyJa.'.repeat(MB5 / 5)],
    ["'x:' * 100000 + '@'", `${'x:'.repeat(100_000)}@`],
    ["'a://' + 'x:' * 100000 + '@'", `a://${'x:'.repeat(100_000)}@`],
    ['digits separated by spaces', '4 '.repeat(MB5 / 2)],
    ['lines of 30 digits', `${'4'.repeat(30)}\n`.repeat(MB5 / 31)],
    ['dotted words (email/URL shaped)', `${'a.'.repeat(4000)}\n`.repeat(MB5 / 8001)],
    ['\'"password":"\' repeated', '"password":"'.repeat(MB5 / 12)],
    ["'authorization: ' repeated", 'authorization: '.repeat(MB5 / 15)],
    ["'{:password ' repeated", '{:password '.repeat(MB5 / 11)],
    ["', :token' after 40 spaces, repeated", `,${' '.repeat(40)}:token`.repeat(MB5 / 47)],
  ];

  it.each(cases)('%s', (_name, input) => {
    linearPass(input); // warm up the yardstick
    const baseline = Math.max(
      timeMs(() => linearPass(input)),
      1,
    );
    const redactMs = timeMs(() => redact(input));
    const findMs = timeMs(() => findSecrets(input));
    // Coarse absolute bound, plus a ratio to a trivial pass that survives a slow, busy machine:
    // a quadratic blow-up on 5 MB is thousands of times slower than either.
    expect(redactMs).toBeLessThan(2000);
    expect(findMs).toBeLessThan(4000);
    expect(redactMs / baseline).toBeLessThan(500);
    expect(findMs / baseline).toBeLessThan(1000);
  });
});
