import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret's whole `SecretString` by ARN and keeps it for `ttlMs`. Unlike `makeSecretReader`,
 * which answers the first field of a JSON secret, a JSON document comes back whole (a GitHub App's
 * `{"appId", "privateKey"}` needs both fields). Never logs the value.
 */
export function makeSecretStringReader({
  client,
  ttlMs = 5 * 60 * 1000,
  now = Date.now,
}: {
  client: Pick<SecretsManagerClient, 'send'>;
  ttlMs?: number;
  now?: () => number;
}): (secretId: string) => Promise<string> {
  const cache = new Map<string, { value: string; until: number }>();
  return async (secretId) => {
    const hit = cache.get(secretId);
    if (hit && hit.until > now()) return hit.value;
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString || SecretString.trim() === '') {
      throw new Error(
        `secret ${secretId} is empty: store the value with "aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://…"`,
      );
    }
    cache.set(secretId, { value: SecretString, until: now() + ttlMs });
    return SecretString;
  };
}
