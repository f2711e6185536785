import Anthropic from '@anthropic-ai/sdk';
import {
  findModelPrices,
  MODEL_PRICES,
  MODEL_PRICES_EXAMPLE,
  type ModelPrices,
} from '../../core/repair/fix-advisor/model-cost.ts';
import { DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck, describeNetworkError } from './doctor-check.ts';

export interface CheckAnthropicKeyOptions {
  apiKey: string;
  /** ANTHROPIC_BASE_URL; default the public API */
  baseUrl?: string;
  /** AI_OPS_MODEL */
  model: string;
  /** AI_OPS_MODEL_PRICES, for a model the built-in table does not know */
  prices?: ModelPrices;
  /** the SDK's fetch (tests pass a fake) */
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const area = 'Anthropic';
const KEYS_URL = 'https://console.anthropic.com/settings/keys';

/**
 * The key works and the model exists, asked through the free Models API (GET /v1/models/{id}),
 * never a paid generation; and ai-ops knows the model's prices (its spend caps need them).
 */
export async function checkAnthropicKey({
  apiKey,
  baseUrl,
  model,
  prices,
  fetch,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: CheckAnthropicKeyOptions): Promise<DoctorCheck[]> {
  const endpoint = baseUrl ?? 'https://api.anthropic.com';
  const client = new Anthropic({
    apiKey,
    // null, not undefined: the SDK would otherwise read ANTHROPIC_BASE_URL / ANTHROPIC_AUTH_TOKEN
    // from this process's environment rather than the settings being checked
    baseURL: baseUrl ?? null,
    authToken: null,
    timeout: timeoutMs,
    maxRetries: 0,
    ...(fetch ? { fetch } : {}),
  });
  const checks: DoctorCheck[] = [];
  try {
    const info = await client.models.retrieve(model);
    checks.push({
      status: 'ok',
      area,
      message: `key works; model ${model} is ${info.display_name}${info.id === model ? '' : ` (${info.id})`}`,
    });
  } catch (error: unknown) {
    checks.push(await failureOf({ error, client, model, endpoint, timeoutMs }));
  }
  if (prices === undefined && findModelPrices(model) === undefined)
    checks.push({
      status: 'fail',
      area,
      message: `ai-ops has no prices for ${model}, so it cannot enforce the per-repair dollar cap`,
      fix: `set AI_OPS_MODEL_PRICES to its prices in USD per million tokens, e.g. ${MODEL_PRICES_EXAMPLE}, or AI_OPS_MODEL to a model it knows: ${Object.keys(MODEL_PRICES).join(', ')}`,
    });
  return checks;
}

async function failureOf({
  error,
  client,
  model,
  endpoint,
  timeoutMs,
}: {
  error: unknown;
  client: Anthropic;
  model: string;
  endpoint: string;
  timeoutMs: number;
}): Promise<DoctorCheck> {
  if (error instanceof Anthropic.AuthenticationError)
    return {
      status: 'fail',
      area,
      message: 'key invalid (401 authentication_error)',
      fix: `create a key at ${KEYS_URL} and set ANTHROPIC_API_KEY`,
    };
  if (error instanceof Anthropic.NotFoundError) {
    const known = await listModels(client);
    return {
      status: 'fail',
      area,
      message: `model id unknown: ${model}`,
      fix: `set AI_OPS_MODEL to one of: ${known.length > 0 ? known.join(', ') : Object.keys(MODEL_PRICES).join(', ')}`,
    };
  }
  if (error instanceof Anthropic.PermissionDeniedError)
    return {
      status: 'fail',
      area,
      message: `the key may not use ${model} (403 permission_error)`,
      fix: `check the key's workspace and organization at ${KEYS_URL}`,
    };
  if (error instanceof Anthropic.RateLimitError)
    return {
      status: 'warn',
      area,
      message: 'the key was accepted but is rate-limited right now (429)',
      fix: 'repairs retry later on their own; raise the limit if this persists',
    };
  if (error instanceof Anthropic.APIConnectionError)
    return {
      status: 'fail',
      area,
      message: `cannot reach ${endpoint}: ${describeNetworkError(error, timeoutMs)}`,
      fix: 'check ANTHROPIC_BASE_URL (unset for the public API), the network and any proxy',
    };
  if (error instanceof Anthropic.APIError)
    return {
      status: 'fail',
      area,
      message: `GET /v1/models/${model} answered ${error.status ?? 'an error'}: ${error.message}`,
      fix:
        (error.status ?? 0) >= 500
          ? 'the API had a problem: try again later'
          : 'check ANTHROPIC_BASE_URL and AI_OPS_MODEL',
    };
  return {
    status: 'fail',
    area,
    message: `checking the key failed: ${error instanceof Error ? error.message : String(error)}`,
    fix: 'check ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL',
  };
}

/** Up to 20 model ids the key may use, for the hint; none when listing fails too. */
async function listModels(client: Anthropic): Promise<string[]> {
  try {
    const page = await client.models.list({ limit: 20 });
    return page.data.map((m) => m.id);
  } catch {
    return [];
  }
}
