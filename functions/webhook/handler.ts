import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { awsClientOptions } from '../adapters/aws-client-options.ts';
import { DynamoDbBranchLinks } from '../adapters/dynamodb-branch-links.ts';
import { DynamoDbDeliveryLog } from '../adapters/dynamodb-delivery-log.ts';
import { DynamoDbIncidentStore } from '../adapters/dynamodb-incident-store.ts';
import { makeSecretReader } from '../adapters/secrets.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import {
  type IncidentPageDeps,
  type IncidentPageResponse,
  serveIncidentPage,
} from '../core/incident/serve-incident-page.ts';
import {
  type ReceiveWebhookDeps,
  receiveWebhook,
  type WebhookOutcome,
} from '../core/webhook/receive-webhook.ts';
import { readRawBody } from '../core/webhook/webhook-signature.ts';
import { loadWebhookConfig } from './config.ts';

/** What the handler logs through: Powertools in Lambda, a fake in tests. */
export interface WebhookLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface WebhookHandlerDeps {
  webhook: ReceiveWebhookDeps;
  /** the page's deps; `baseUrl` undefined: taken from the request's host */
  page: Omit<IncidentPageDeps, 'baseUrl'> & { baseUrl: string | undefined };
  logger: WebhookLogger;
}

type Response = APIGatewayProxyStructuredResultV2;

const WEBHOOK_STATUS: Record<WebhookOutcome['kind'], number> = {
  unauthorized: 401,
  bad_request: 400,
  duplicate: 200,
  ignored: 200,
  queued: 202,
  linked: 200,
  enqueue_failed: 500,
};

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The signature is in the URL: keep it out of caches and other sites' Referer headers.
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/**
 * One Lambda behind the HTTP API: `POST /webhook` (GitHub) and the signed incident pages
 * (`GET /incidents/{key}`, `POST /incidents/{key}/{action}`). Routes by the API's route key.
 */
export function makeHandler({
  webhook,
  page,
  logger,
}: WebhookHandlerDeps): (event: APIGatewayProxyEventV2) => Promise<Response> {
  return async (event) => {
    const headers = lowerCaseHeaders(event.headers);
    if (event.routeKey === 'POST /webhook') {
      const rawBody = readRawBody({ body: event.body, isBase64Encoded: event.isBase64Encoded });
      const outcome = await receiveWebhook({ headers, rawBody }, webhook);
      const context = { delivery: headers['x-github-delivery'], event: headers['x-github-event'], outcome };
      if (outcome.kind === 'unauthorized') logger.warn('webhook refused: bad signature', context);
      else if (outcome.kind === 'enqueue_failed') logger.error('webhook job not queued', context);
      else logger.info(`webhook ${outcome.kind}`, context);
      return {
        statusCode: WEBHOOK_STATUS[outcome.kind],
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookBody(outcome)),
      };
    }
    const keySegment = event.pathParameters?.key;
    if (keySegment !== undefined && event.routeKey.includes('/incidents/')) {
      const baseUrl = page.baseUrl ?? `https://${event.requestContext.domainName}/`;
      const response = await serveIncidentPage(
        {
          method: event.requestContext.http.method,
          keySegment,
          ...(event.pathParameters?.action !== undefined ? { action: event.pathParameters.action } : {}),
          query: event.queryStringParameters ?? {},
        },
        { ...page, baseUrl },
      );
      logger.info(`incident page ${response.kind}`, {
        method: event.requestContext.http.method,
        ...(response.kind === 'refused' ? { reason: response.reason } : {}),
      });
      return pageResponse(response);
    }
    return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  };
}

// What GitHub shows under "Recent Deliveries": enough to see why, nothing secret.
function webhookBody(outcome: WebhookOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'unauthorized':
      return {
        error: `signature ${outcome.reason}: verify that the webhook secret in GitHub matches the ai-ops webhook secret, and that it is sent as X-Hub-Signature-256`,
      };
    case 'bad_request':
    case 'ignored':
      return { [outcome.kind === 'ignored' ? 'ignored' : 'error']: outcome.reason };
    case 'duplicate':
      return { ignored: `delivery ${outcome.deliveryId} was handled already` };
    case 'queued':
      return { queued: outcome.job, incident: outcome.incidentKey };
    case 'linked':
      return { linked: outcome.branch, incident: outcome.incidentKey };
    case 'enqueue_failed':
      return { error: 'the job could not be queued; redeliver this delivery later' };
  }
}

function pageResponse(response: IncidentPageResponse): Response {
  switch (response.kind) {
    case 'page':
      return { statusCode: 200, headers: PAGE_HEADERS, body: response.html };
    case 'refused':
      return { statusCode: 403, headers: PAGE_HEADERS, body: response.html };
    case 'not_found':
      return { statusCode: 404, headers: PAGE_HEADERS, body: response.html };
    case 'redirect':
      return {
        statusCode: 303,
        headers: { location: response.location, 'cache-control': 'no-store' },
        body: '',
      };
  }
}

function lowerCaseHeaders(
  headers: APIGatewayProxyEventV2['headers'] = {},
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

// Built once per container; warm invocations reuse them. GitHub waits 10 s for an answer: each
// attempt is bounded, so a stalled connection is retried in time rather than waited on.
const webhookCalls = awsClientOptions({ maxAttempts: 3, timeoutMs: 2_000 });
const dynamodb = new DynamoDBClient(webhookCalls);
const sqs = new SQSClient(webhookCalls);
const secretsManager = new SecretsManagerClient(webhookCalls);

let cached: ReturnType<typeof makeHandler> | undefined;

// Config is read on the first invocation, not on import, so importing this file needs no env.
function init(): ReturnType<typeof makeHandler> {
  const config = loadWebhookConfig(process.env);
  const logger = new Logger({ serviceName: config.serviceName });
  const secret = makeSecretReader({ client: secretsManager });
  const store = new DynamoDbIncidentStore({ client: dynamodb, tableName: config.incidentsTableName });
  const queue = new SqsJobQueue({ client: sqs, queueUrl: config.repairQueueUrl, entryRetries: 1 });
  return makeHandler({
    webhook: {
      secret: () => secret(config.webhookSecretArn),
      deliveries: new DynamoDbDeliveryLog({ client: dynamodb, tableName: config.incidentsTableName }),
      store,
      branchLinks: new DynamoDbBranchLinks({ client: dynamodb, tableName: config.incidentsTableName }),
      queue,
      deliveryTtlSeconds: config.deliveryTtlSeconds,
    },
    page: {
      secret: () => secret(config.linkSigningSecretArn),
      store,
      flags: store,
      baseUrl: config.incidentPageBaseUrl,
      queue,
    },
    logger: {
      info: (message, attributes = {}) => logger.info(message, attributes),
      warn: (message, attributes = {}) => logger.warn(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
    },
  });
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<Response> => {
  cached ??= init();
  return cached(event);
};
