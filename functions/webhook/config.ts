import * as z from 'zod/mini';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';

const EnvSchema = z.object({
  INCIDENTS_TABLE_NAME: z.string().check(z.minLength(1)),
  REPAIR_QUEUE_URL: z.url(),
  WEBHOOK_SECRET_ARN: z.string().check(z.minLength(1)),
  LINK_SIGNING_SECRET_ARN: z.string().check(z.minLength(1)),
  /** the public base of the incident pages; absent: taken from the request's host */
  INCIDENT_PAGE_BASE_URL: z.optional(z.url()),
  DELIVERY_TTL_DAYS: z._default(z.pipe(z.coerce.number(), z.int()).check(z.positive()), 7),
  POWERTOOLS_SERVICE_NAME: z._default(z.string().check(z.minLength(1)), 'ai-ops-webhook'),
});

export type WebhookConfig = Readonly<{
  incidentsTableName: string;
  repairQueueUrl: string;
  webhookSecretArn: string;
  linkSigningSecretArn: string;
  incidentPageBaseUrl: string | undefined;
  deliveryTtlSeconds: number;
  serviceName: string;
}>;

/** The webhook's environment is incomplete or malformed; `issues` names every variable at fault. */
export class WebhookConfigError extends EnvConfigError {
  override readonly name = 'WebhookConfigError';
  constructor(issues: string[]) {
    super('webhook', issues);
  }
}

/** Reads and validates the webhook's environment once; throws WebhookConfigError listing every problem. */
export function loadWebhookConfig(env: Readonly<Record<string, string | undefined>>): WebhookConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new WebhookConfigError(describeEnvIssues(parsed.error.issues, env));
  }
  const e = parsed.data;
  return Object.freeze({
    incidentsTableName: e.INCIDENTS_TABLE_NAME,
    repairQueueUrl: e.REPAIR_QUEUE_URL,
    webhookSecretArn: e.WEBHOOK_SECRET_ARN,
    linkSigningSecretArn: e.LINK_SIGNING_SECRET_ARN,
    incidentPageBaseUrl: e.INCIDENT_PAGE_BASE_URL,
    deliveryTtlSeconds: e.DELIVERY_TTL_DAYS * 86_400,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
  });
}
