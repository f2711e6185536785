/**
 * One obviously fake sample per secret format, modelled on gitleaks' common rules (the rule ids
 * in `gitleaks` name the rule a sample stands for). Every value is assembled from pieces and
 * spelled with EXAMPLE / FAKE / repeated filler, so secret scanners reading this repository do
 * not flag it and no reader mistakes it for a live credential.
 *
 * `secret` is the part that must never leave; `line` is how it shows up in a log line.
 */
export interface SecretFormat {
  name: string;
  /** the gitleaks rule id it corresponds to */
  gitleaks: string;
  secret: string;
  line: string;
}

const j = (...parts: string[]): string => parts.join('');
const rep = (unit: string, length: number): string =>
  unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
// Filler with upper, lower and digits, like a random token, still plainly fake.
const mixed = (length: number): string => rep('FaKe0Ex4mPle9', length);
const hex = (length: number): string => rep('fa4e0e8a3f1d', length);
const lowerAlnum = (length: number): string => rep('fake0example9', length);

const formats: Array<[name: string, gitleaks: string, secret: string, line?: (s: string) => string]> = [
  ['AWS access key id', 'aws-access-token', j('AKIA', 'EXAMPLEFAKE00000')],
  [
    'AWS secret access key, labelled',
    'aws-secret-key',
    j('FaKe0ExAmPlE/', mixed(27)),
    (s) => `aws_secret_access_key=${s}`,
  ],
  [
    'AWS secret access key, unlabelled',
    'aws-secret-key',
    j('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYFAKEKEY000'),
    (s) => `creds AKIDFAKE ${s} loaded`,
  ],
  ['GitHub personal access token', 'github-pat', j('gh', 'p_', mixed(36))],
  ['GitHub fine-grained PAT', 'github-fine-grained-pat', j('github', '_pat_', mixed(22), '_', mixed(59))],
  ['GitHub OAuth token', 'github-oauth', j('gh', 'o_', mixed(36))],
  ['GitHub app token', 'github-app-token', j('gh', 's_', mixed(36))],
  ['GitLab personal access token', 'gitlab-pat', j('gl', 'pat-', mixed(20))],
  ['GitLab pipeline trigger token', 'gitlab-ptt', j('gl', 'ptt-', hex(40))],
  ['GitLab runner token', 'gitlab-rrt', j('GR1348941', mixed(20))],
  ['Slack bot token', 'slack-bot-token', j('xo', 'xb-', '1234567890-1234567890-', mixed(24))],
  ['Slack app-level token', 'slack-app-token', j('xa', 'pp-1-', 'A0FAKE00000-1234567890123-', hex(64))],
  [
    'Slack webhook',
    'slack-webhook-url',
    j('https://hooks.', 'slack.com/services/', 'T00FAKE00/B00FAKE00/', mixed(24)),
  ],
  ['Stripe secret key', 'stripe-access-token', j('sk', '_live_', mixed(24))],
  ['SendGrid API key', 'sendgrid-api-token', j('S', 'G.', mixed(22), '.', mixed(43))],
  ['Twilio API key', 'twilio-api-key', j('S', 'K', hex(32))],
  ['Mailgun API key', 'mailgun-private-api-token', j('key', '-', hex(32))],
  ['Mailchimp API key', 'mailchimp-api-key', j(hex(32), '-us', '12')],
  ['npm access token', 'npm-access-token', j('np', 'm_', mixed(36))],
  ['PyPI upload token', 'pypi-upload-token', j('pypi-', 'AgEIcHlwaS5vcmc', mixed(60))],
  ['GCP API key', 'gcp-api-key', j('AI', 'za', 'SyFAKE-EXAMPLE_EXAMPLE0000000000000')],
  ['OpenAI API key', 'openai-api-key', j('sk-', 'proj-', mixed(40))],
  ['Anthropic API key', 'anthropic-api-key', j('sk-', 'ant-', 'api03-', mixed(80))],
  ['DigitalOcean PAT', 'digitalocean-pat', j('do', 'p_v1_', hex(64))],
  ['Shopify access token', 'shopify-access-token', j('sh', 'pat_', hex(32))],
  ['Square access token', 'square-access-token', j('EAAA', mixed(60))],
  ['Doppler API token', 'doppler-api-token', j('dp', '.pt.', lowerAlnum(43))],
  ['Databricks token', 'databricks-api-token', j('da', 'pi', hex(32))],
  ['HashiCorp Vault service token', 'vault-service-token', j('hv', 's.', mixed(95))],
  ['Terraform Cloud token', 'hashicorp-tf-api-token', j(lowerAlnum(14), '.atlas', 'v1.', lowerAlnum(64))],
  ['Linear API key', 'linear-api-key', j('lin', '_api_', lowerAlnum(40))],
  ['Postman API key', 'postman-api-token', j('PM', 'AK-', hex(24), '-', hex(34))],
  ['Pulumi access token', 'pulumi-api-token', j('pu', 'l-', hex(40))],
  ['Hugging Face token', 'huggingface-access-token', j('h', 'f_', rep('FakeExample', 34))],
  ['Grafana service account token', 'grafana-service-account-token', j('gl', 'sa_', mixed(32), '_', hex(8))],
  [
    'age secret key',
    'age-secret-key',
    j('AGE-SECRET', '-KEY-1', rep('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)),
  ],
  [
    'Dynatrace API token',
    'dynatrace-api-token',
    j('dt0', 'c01.', rep('FAKE0EXAMPLE', 24), '.', rep('FAKE0EXAMPLE', 64)),
  ],
  ['New Relic user API key', 'new-relic-user-api-key', j('NR', 'AK-', rep('FAKE0EXAMPLE', 27))],
  ['Docker Hub PAT', 'docker-hub-pat', j('dckr', '_pat_', mixed(27))],
  ['Telegram bot token', 'telegram-bot-api-token', j('123456789', ':AA', mixed(33))],
  [
    'JSON web token',
    'jwt',
    j('ey', 'JhbGciOiJIUzI1NiJ9', '.', 'ey', 'JzdWIiOiJmYWtlIn0', '.', 'ZmFrZXNpZ25hdHVyZQ'),
  ],
  [
    'Private key block',
    'private-key',
    j('-----BEGIN ', 'PRIVATE KEY-----\\nMIIEFAKEEXAMPLE\\n-----END ', 'PRIVATE KEY-----'),
  ],
  [
    'URL password containing @',
    'generic (url)',
    'p@ss@FakeWord1',
    (s) => `connect postgres://app:${s}@db.internal:5432/orders`,
  ],
  [
    'Go DSN user:pass@tcp(...)',
    'generic (dsn)',
    'FakePass0rd',
    (s) => `dial app:${s}@tcp(db:3306)/shop failed`,
  ],
  ['Generic password assignment', 'generic-api-key', 'Fake-Passw0rd-Example', (s) => `password=${s}`],
  [
    'Unlabelled token near a secret-ish key',
    'generic-api-key',
    j('q8Zr2vXw', 'FAKE7mN4pL0tYb9K', 'cH3sJd'),
    (s) => `the signing key was ${s} (rotated)`,
  ],
];

/** The table: at least 30 formats, each with the log line that carries it. */
export const SECRET_FORMATS: readonly SecretFormat[] = formats.map(([name, gitleaks, secret, line]) => ({
  name,
  gitleaks,
  secret,
  line: line ? line(secret) : `using ${secret} for the call`,
}));

/** The part of a secret that must not survive anywhere (long enough to be unique to it). */
export function secretCore(format: SecretFormat): string {
  return format.secret.length > 24 ? format.secret.slice(-16) : format.secret;
}
