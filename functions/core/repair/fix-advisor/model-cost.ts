import * as z from 'zod/mini';
import type { ModelUsage } from '../../ports/repo-workspace.ts';

/** USD per million tokens, as on Anthropic's pricing page (5-minute cache writes). */
export interface ModelPrices {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** The four token counts the Messages API reports per response. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

const OPUS_45: ModelPrices = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };
const OPUS_4: ModelPrices = { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 };
const SONNET_4: ModelPrices = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const HAIKU_45: ModelPrices = { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 };
const HAIKU_35: ModelPrices = { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 };

/**
 * Prices by model alias. Dated ids (`claude-sonnet-4-5-20250929`) resolve to their alias.
 * A model missing here needs explicit prices in the configuration: the dollar cap cannot
 * be enforced on a guess.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrices>> = {
  'claude-opus-4-8': OPUS_45,
  'claude-opus-4-7': OPUS_45,
  'claude-opus-4-6': OPUS_45,
  'claude-opus-4-5': OPUS_45,
  'claude-opus-4-1': OPUS_4,
  'claude-opus-4-0': OPUS_4,
  'claude-opus-4': OPUS_4,
  'claude-sonnet-4-6': SONNET_4,
  'claude-sonnet-4-5': SONNET_4,
  'claude-sonnet-4-0': SONNET_4,
  'claude-sonnet-4': SONNET_4,
  'claude-haiku-4-5': HAIKU_45,
  'claude-3-5-haiku': HAIKU_35,
};

/**
 * Prices given in the configuration for a model the table does not know (USD per million
 * tokens). Cache rates default to Anthropic's usual ratios: writes 1.25× input, reads 0.1×.
 */
export const ModelPricesSchema = z.pipe(
  z.strictObject({
    input: z.number().check(z.positive()),
    output: z.number().check(z.positive()),
    cacheWrite: z.optional(z.number().check(z.positive())),
    cacheRead: z.optional(z.number().check(z.positive())),
  }),
  z.transform(
    (p): ModelPrices => ({
      input: p.input,
      output: p.output,
      cacheWrite: p.cacheWrite ?? p.input * 1.25,
      cacheRead: p.cacheRead ?? p.input * 0.1,
    }),
  ),
);

/** How a setting that holds prices as JSON (`AI_OPS_MODEL_PRICES`, `MODEL_PRICES`) is spelled, for messages. */
export const MODEL_PRICES_EXAMPLE = '{"input": 3, "output": 15}';

/** The issue with a model whose prices are neither known nor configured, or undefined when it can be priced. */
export function unpricedModelIssue(model: string, configured: ModelPrices | undefined): string | undefined {
  if (configured || findModelPrices(model)) return undefined;
  return `no prices are known for model "${model}": give its prices in USD per million tokens, e.g. ${MODEL_PRICES_EXAMPLE}, so the per-job dollar cap can be enforced`;
}

/** The prices of a model id, dated or not; undefined when the table does not know it. */
export function findModelPrices(model: string): ModelPrices | undefined {
  const exact = MODEL_PRICES[model];
  if (exact) return exact;
  const undated = model.replace(/-(\d{8}|latest)$/, '');
  return MODEL_PRICES[undated];
}

/** Dollar cost of a number of tokens at a model's prices. */
export function computeCostUsd(options: { tokens: TokenCounts; prices: ModelPrices }): number {
  const { tokens, prices } = options;
  const perToken =
    tokens.inputTokens * prices.input +
    tokens.outputTokens * prices.output +
    tokens.cacheWriteTokens * prices.cacheWrite +
    tokens.cacheReadTokens * prices.cacheRead;
  return perToken / 1_000_000;
}

/** The zero of ModelUsage, to accumulate into. */
export function emptyUsage(): ModelUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, turns: 0 };
}

/** Add one response's tokens (and its cost, and one turn) to a running total. */
export function addTurnUsage(options: {
  total: ModelUsage;
  tokens: TokenCounts;
  prices: ModelPrices;
}): ModelUsage {
  const { total, tokens, prices } = options;
  return {
    inputTokens: total.inputTokens + tokens.inputTokens,
    outputTokens: total.outputTokens + tokens.outputTokens,
    cacheReadTokens: total.cacheReadTokens + tokens.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + tokens.cacheWriteTokens,
    costUsd: total.costUsd + computeCostUsd({ tokens, prices }),
    turns: total.turns + 1,
  };
}

/**
 * A worst-case price for the next request, so a job can stop before crossing its cap:
 * the whole prompt billed as a cache write (the dearest input rate) plus every allowed
 * output token. `promptTokens` is an estimate (see estimateTokens).
 */
export function estimateRequestCostUsd(options: {
  promptTokens: number;
  maxOutputTokens: number;
  prices: ModelPrices;
}): number {
  const { promptTokens, maxOutputTokens, prices } = options;
  const inputRate = Math.max(prices.input, prices.cacheWrite);
  return (promptTokens * inputRate + maxOutputTokens * prices.output) / 1_000_000;
}

/**
 * A deliberately high token estimate for text (about three characters a token; real
 * English and code average nearer four), used only for the budget guard.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}
