import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret by ARN through Secrets Manager and keeps it for `ttlMs`, so a warm Lambda does
 * not pay a call per job yet picks up a rotated value within minutes. Never logs the value.
 * By default a JSON secret answers its first string field (`{"token": "…"}`); `whole` answers
 * the document itself (a GitHub App's `{"appId", "privateKey"}` needs both).
 */
export function makeSecretReader({
  client,
  ttlMs = 5 * 60 * 1000,
  now = Date.now,
  whole = false,
}: {
  client: Pick<SecretsManagerClient, 'send'>;
  ttlMs?: number;
  now?: () => number;
  whole?: boolean;
}): (secretId: string) => Promise<string> {
  const cache = new Map<string, { value: string; until: number }>();
  return async (secretId) => {
    const hit = cache.get(secretId);
    if (hit && hit.until > now()) return hit.value;
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString || SecretString.trim() === '') {
      throw new Error(
        `secret ${secretId} is empty: store the value with "aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string …"`,
      );
    }
    const value = whole ? SecretString : readSecretValue(SecretString);
    cache.set(secretId, { value, until: now() + ttlMs });
    return value;
  };
}

/** A plain string, or the first string field of a JSON secret ({"token": "…"}). */
function readSecretValue(secret: string): string {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'object' && parsed !== null) {
      const first = Object.values(parsed).find((v): v is string => typeof v === 'string' && v !== '');
      if (first) return first;
    }
  } catch {
    // not JSON after all: a token that happens to start with "{"
  }
  return trimmed;
}
