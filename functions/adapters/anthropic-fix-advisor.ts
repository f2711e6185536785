import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  Message,
  MessageParam,
  TextBlock,
  TextBlockParam,
  Tool,
  ToolResultBlockParam,
  ToolUseBlock,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import * as z from 'zod/mini';
import { type FixProposal, FixProposalSchema } from '../core/contracts.ts';
import {
  type AdviceRequest,
  type AdviceResult,
  type FixAdvisor,
  isRetryableModelStatus,
  ModelUnavailableError,
  type NoProposalReason,
  type ProposalSource,
} from '../core/ports/fix-advisor.ts';
import type { ModelUsage, RepoReader } from '../core/ports/repo-workspace.ts';
import { extractCodeBlocks, parseCodeBlockAnswer } from '../core/repair/fix-advisor/code-block-fallback.ts';
import {
  addTurnUsage,
  emptyUsage,
  estimateRequestCostUsd,
  estimateTokens,
  findModelPrices,
  type ModelPrices,
} from '../core/repair/fix-advisor/model-cost.ts';
import {
  executeReadOnlyTool,
  isBinary,
  normalizeRepoPath,
  READ_ONLY_TOOLS,
} from '../core/repair/fix-advisor/read-only-tools.ts';
import { redact } from '../core/text/redact.ts';
import { wellFormed } from '../core/text/well-formed.ts';

export const SUBMIT_FIX_TOOL = 'submit_fix';

export interface AnthropicFixAdvisorOptions {
  /** a ready client (its own timeout and retries apply); otherwise one is built from apiKey/baseURL */
  client?: Anthropic;
  apiKey?: string;
  baseURL?: string;
  model: string;
  /** requests per conversation before the single retry */
  maxTurns?: number;
  /** extra requests the one `reject()` retry may use */
  retryTurns?: number;
  /** `max_tokens` of every request */
  maxOutputTokens?: number;
  /** per-job dollar cap, retry included */
  maxUsd?: number;
  /** per-request timeout of a client built here; the SDK retries timeouts too */
  timeoutMs?: number;
  /** the SDK's own retries for 408/409/429/5xx/529, timeouts and connection errors */
  maxRetries?: number;
  /**
   * The whole of one model call, body included and the SDK's retries with it. The SDK's
   * `timeout` stops when the headers arrive, so an answer that stalls mid-body would hang the
   * job; this bound ends it as a retryable ModelUnavailableError. Default 3 minutes.
   */
  callTimeoutMs?: number;
  /** USD per million tokens; required when `model` is not in MODEL_PRICES */
  prices?: ModelPrices;
}

export class UnknownModelPricesError extends Error {
  override readonly name = 'UnknownModelPricesError';
  readonly code = 'UNKNOWN_MODEL_PRICES';
  constructor(readonly model: string) {
    super(
      `No prices known for model "${model}": pass \`prices\` (USD per million tokens) so the per-job dollar cap can be enforced.`,
    );
  }
}

type UserBlock = TextBlockParam | ToolResultBlockParam;
type AssistantBlock = TextBlockParam | ToolUseBlockParam;
type Turn = { role: 'user'; content: UserBlock[] } | { role: 'assistant'; content: AssistantBlock[] };

/** What is left open when a proposal is handed back, so reject() can answer it in place. */
type PendingAnswer =
  | { kind: 'tool_result'; results: ToolResultBlockParam[]; submitId: string }
  | { kind: 'text' };

interface Settings {
  client: Anthropic;
  model: string;
  maxTurns: number;
  retryTurns: number;
  maxOutputTokens: number;
  maxUsd: number;
  prices: ModelPrices;
  tools: Tool[];
  callTimeoutMs: number;
}

/** The Claude adapter behind the FixAdvisor port: a bounded Messages API tool loop over read-only repo tools. */
export function makeAnthropicFixAdvisor(options: AnthropicFixAdvisorOptions): FixAdvisor {
  const {
    model,
    maxTurns = 12,
    retryTurns = 4,
    maxOutputTokens = 8192,
    maxUsd = 2,
    timeoutMs = 60_000,
    maxRetries = 3,
    callTimeoutMs = 180_000,
  } = options;
  const prices = options.prices ?? findModelPrices(model);
  if (prices === undefined) throw new UnknownModelPricesError(model);
  const client =
    options.client ??
    new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: timeoutMs,
      maxRetries,
    });
  const settings: Settings = {
    client,
    model,
    maxTurns,
    retryTurns,
    maxOutputTokens,
    maxUsd,
    prices,
    callTimeoutMs,
    tools: buildTools(),
  };
  return {
    advise: (request) => new Conversation({ settings, request }).start(),
  };
}

function buildTools(): Tool[] {
  const readOnly: Tool[] = READ_ONLY_TOOLS.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: toInputSchema(tool.inputSchema),
  }));
  const submit: Tool = {
    name: SUBMIT_FIX_TOOL,
    description:
      'Submit the single best fix, once you understand the root cause. Each edit replaces `oldText`, ' +
      'which must occur exactly once in the current file, with `newText`. Keep edits minimal. ' +
      'Text shown as [REDACTED:…] is not the real file content: never put it in oldText or newText.',
    input_schema: toInputSchema(FixProposalSchema),
  };
  return [...readOnly, submit];
}

function toInputSchema(schema: z.ZodMiniType): Tool.InputSchema {
  // `io: 'input'` keeps defaulted fields optional for the model, as the parser treats them.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return { ...rest, type: 'object' };
}

class Conversation {
  private readonly settings: Settings;
  private readonly request: AdviceRequest;
  private readonly turns: Turn[];
  private usage: ModelUsage = emptyUsage();
  private readonly texts: string[] = [];
  private turnLimit: number;
  private hasRetried = false;
  private pending: PendingAnswer | undefined;
  /** prompt + output tokens the API reported for the last request: the floor of the next prompt */
  private knownTokens: number;
  /** estimated tokens appended since the last response, not yet counted by the API */
  private newTokens = 0;

  constructor(options: { settings: Settings; request: AdviceRequest }) {
    this.settings = options.settings;
    this.request = options.request;
    this.turns = [{ role: 'user', content: [{ type: 'text', text: options.request.prompt }] }];
    this.turnLimit = options.settings.maxTurns;
    this.knownTokens = estimateTokens(
      options.request.system + JSON.stringify(options.settings.tools) + options.request.prompt,
    );
  }

  start(): Promise<AdviceResult> {
    return this.loop();
  }

  private async loop(): Promise<AdviceResult> {
    for (;;) {
      if (this.usage.turns >= this.turnLimit) {
        return this.noProposal('turns', `stopped after ${this.usage.turns} requests (cap ${this.turnLimit})`);
      }
      const estimate = estimateRequestCostUsd({
        promptTokens: this.knownTokens + this.newTokens,
        maxOutputTokens: this.settings.maxOutputTokens,
        prices: this.settings.prices,
      });
      if (this.usage.costUsd + estimate > this.settings.maxUsd) {
        return this.noProposal(
          'budget',
          `stopped before request ${this.usage.turns + 1}: spent $${usd(this.usage.costUsd)}, ` +
            `the next request could cost up to $${usd(estimate)}, cap $${usd(this.settings.maxUsd)}`,
        );
      }

      const message = await this.send();
      this.record(message);

      const outcome = await this.handle(message);
      if (outcome !== undefined) return outcome;

      if (this.usage.costUsd >= this.settings.maxUsd) {
        return this.noProposal(
          'budget',
          `stopped after request ${this.usage.turns}, which brought the cost to $${usd(this.usage.costUsd)} ` +
            `(cap $${usd(this.settings.maxUsd)})`,
        );
      }
    }
  }

  private async send(): Promise<Message> {
    const { client, model, maxOutputTokens, tools, callTimeoutMs } = this.settings;
    // One deadline for the whole call: aborting the signal ends a body that stalls after its
    // headers (the SDK's own timeout no longer runs then); the race covers a body read that
    // does not watch the signal.
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CallTimeoutError(callTimeoutMs));
      }, callTimeoutMs);
    });
    try {
      const call = client.messages.create(
        {
          model,
          max_tokens: maxOutputTokens,
          // One breakpoint on the system prompt caches tools + system (the stable prefix) ...
          system: [
            { type: 'text', text: wellFormed(this.request.system), cache_control: { type: 'ephemeral' } },
          ],
          tools,
          // ... and one on the newest user turn caches the conversation so far for the next turn.
          // The API's JSON parser refuses half an emoji (a tool's output cut at its cap may end in one).
          messages: wellFormed(withConversationBreakpoint(this.turns)),
        },
        { signal: controller.signal },
      );
      return await Promise.race([call, deadline]);
    } catch (error: unknown) {
      if (controller.signal.aborted || error instanceof CallTimeoutError)
        throw new ModelUnavailableError({
          message: `The Anthropic API did not finish answering within ${callTimeoutMs} ms (headers or body); the job is retried`,
          retryable: true,
          usage: { ...this.usage },
          cause: error,
        });
      throw toModelUnavailable({ error, usage: { ...this.usage } });
    } finally {
      clearTimeout(timer);
    }
  }

  private record(message: Message): void {
    const tokens = {
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
      cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: message.usage.cache_creation_input_tokens ?? 0,
    };
    this.usage = addTurnUsage({ total: this.usage, tokens, prices: this.settings.prices });
    this.knownTokens =
      tokens.inputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens + tokens.outputTokens;
    this.newTokens = 0;
    const text = textOf(message).trim();
    if (text !== '') this.texts.push(text);
    const content = message.content.flatMap(toAssistantBlock);
    // The API refuses empty non-final turns; an empty answer adds nothing worth replaying.
    if (content.length > 0) this.turns.push({ role: 'assistant', content });
  }

  /** Decide what one response means: a result to return, or undefined to keep going. */
  private async handle(message: Message): Promise<AdviceResult | undefined> {
    const toolUses = message.content.filter(isToolUseBlock);
    if (toolUses.length > 0) return this.runTools(toolUses);

    switch (message.stop_reason) {
      case 'refusal':
        return this.noProposal('refusal', 'the model declined to answer');
      case 'model_context_window_exceeded':
        return this.noProposal('context_window', 'the conversation outgrew the model context window');
      case 'max_tokens':
        this.pushUser([
          {
            type: 'text',
            text: 'Your reply was cut off at the output limit. Call submit_fix now with a smaller proposal.',
          },
        ]);
        return undefined;
      case 'pause_turn':
        // The API resumes a paused turn when it is sent back unchanged.
        return undefined;
      case 'end_turn':
      case 'stop_sequence':
      case 'tool_use':
      case null:
        return this.fallBackToCodeBlocks(message);
    }
  }

  private async runTools(toolUses: ToolUseBlock[]): Promise<AdviceResult | undefined> {
    const results: ToolResultBlockParam[] = [];
    let accepted: { proposal: FixProposal; id: string } | undefined;
    for (const toolUse of toolUses) {
      if (toolUse.name !== SUBMIT_FIX_TOOL) {
        const execution = await executeReadOnlyTool({
          name: toolUse.name,
          input: toolUse.input,
          repo: this.request.repo,
        });
        results.push(toolResult({ id: toolUse.id, content: execution.content, isError: execution.isError }));
        continue;
      }
      const parsed = FixProposalSchema.safeParse(toolUse.input);
      if (!parsed.success) {
        const content = `submit_fix input is invalid:\n${z.prettifyError(parsed.error)}\nCall submit_fix again with every field.`;
        results.push(toolResult({ id: toolUse.id, content, isError: true }));
      } else if (accepted !== undefined) {
        results.push(
          toolResult({ id: toolUse.id, content: 'Only the first submit_fix is used.', isError: true }),
        );
      } else {
        accepted = { proposal: parsed.data, id: toolUse.id };
        // Placeholder: answered for real by reject() if the proposal fails our policy.
        results.push(toolResult({ id: toolUse.id, content: 'Received.', isError: false }));
      }
    }
    if (accepted !== undefined) {
      this.pending = { kind: 'tool_result', results, submitId: accepted.id };
      return this.proposal({ proposal: accepted.proposal, source: 'submit_fix' });
    }
    this.pushUser(results);
    return undefined;
  }

  private async fallBackToCodeBlocks(message: Message): Promise<AdviceResult> {
    const answer = textOf(message);
    const blocks = extractCodeBlocks(answer);
    const currentFiles = await readNamedFiles({
      repo: this.request.repo,
      filenames: blocks.map((block) => block.filename),
    });
    const parsed = parseCodeBlockAnswer({ answer, currentFiles });
    if (parsed.kind === 'proposal') {
      this.pending = { kind: 'text' };
      return this.proposal({ proposal: parsed.proposal, source: 'code_block' });
    }
    const detail =
      blocks.length === 0
        ? 'the model ended its turn without calling submit_fix'
        : `the model answered with <code_block> files but ${parsed.reason}`;
    return this.noProposal('no_fix_submitted', detail);
  }

  private async reject(reason: string): Promise<AdviceResult> {
    const pending = this.pending;
    if (this.hasRetried || pending === undefined) {
      return this.noProposal('rejected', `the retried proposal was rejected too: ${reason}`);
    }
    this.hasRetried = true;
    this.pending = undefined;
    this.turnLimit = this.usage.turns + this.settings.retryTurns;
    const feedback = redact(
      `The proposal was rejected: ${reason}\nFix the problem and call submit_fix again with a corrected proposal.`,
    );
    if (pending.kind === 'tool_result') {
      this.pushUser(
        pending.results.map((result) =>
          result.tool_use_id === pending.submitId
            ? toolResult({ id: result.tool_use_id, content: feedback, isError: true })
            : result,
        ),
      );
    } else {
      this.pushUser([{ type: 'text', text: feedback }]);
    }
    return this.loop();
  }

  private pushUser(content: UserBlock[]): void {
    this.turns.push({ role: 'user', content });
    this.newTokens += estimateTokens(JSON.stringify(content));
  }

  private proposal(options: { proposal: FixProposal; source: ProposalSource }): AdviceResult {
    return {
      kind: 'proposal',
      proposal: options.proposal,
      source: options.source,
      analysis: this.analysis(),
      usage: { ...this.usage },
      reject: (reason) => this.reject(reason),
    };
  }

  private noProposal(reason: NoProposalReason, detail: string): AdviceResult {
    return { kind: 'no_proposal', reason, detail, analysis: this.analysis(), usage: { ...this.usage } };
  }

  private analysis(): string {
    return this.texts.join('\n\n');
  }
}

function withConversationBreakpoint(turns: Turn[]): MessageParam[] {
  const last = turns.length - 1;
  return turns.map((turn, index) => {
    if (index !== last || turn.role !== 'user') return { role: turn.role, content: [...turn.content] };
    const content = turn.content.map((block, blockIndex) =>
      blockIndex === turn.content.length - 1
        ? { ...block, cache_control: { type: 'ephemeral' as const } }
        : block,
    );
    return { role: 'user', content };
  });
}

function toolResult(options: { id: string; content: string; isError: boolean }): ToolResultBlockParam {
  return {
    type: 'tool_result',
    tool_use_id: options.id,
    content: options.content,
    ...(options.isError ? { is_error: true } : {}),
  };
}

function toAssistantBlock(block: ContentBlock): AssistantBlock[] {
  if (isTextBlock(block)) return block.text === '' ? [] : [{ type: 'text', text: block.text }];
  if (isToolUseBlock(block))
    return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
  // Thinking and server-tool blocks are not requested by this adapter.
  return [];
}

function textOf(message: Message): string {
  return message.content
    .filter(isTextBlock)
    .map((block) => block.text)
    .join('\n\n');
}

function isTextBlock(block: ContentBlock): block is TextBlock {
  return block.type === 'text';
}

function isToolUseBlock(block: ContentBlock): block is ToolUseBlock {
  return block.type === 'tool_use';
}

async function readNamedFiles(options: {
  repo: RepoReader;
  filenames: string[];
}): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const filename of options.filenames) {
    const path = normalizeRepoPath(filename);
    if (path === undefined || path === '' || files.has(path)) continue;
    const bytes = await options.repo.readFile(path);
    if (bytes === undefined || isBinary(bytes)) continue;
    files.set(path, new TextDecoder('utf-8').decode(bytes));
  }
  return files;
}

/** The whole-call deadline passed. */
class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
  }
}

/** `retry-after` (seconds or an HTTP date) or `retry-after-ms` of a failed response, as epoch ms. */
function resetAtOf(headers: unknown, now = Date.now()): number | undefined {
  if (!(headers instanceof Headers)) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return now + ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return now + seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? date : undefined;
}

function toModelUnavailable(options: { error: unknown; usage: ModelUsage }): unknown {
  const { error, usage } = options;
  // APIConnectionError (timeouts included) extends APIError, so it is tested first.
  if (error instanceof APIConnectionError) {
    return new ModelUnavailableError({
      message: `Could not reach the Anthropic API after the SDK's retries: ${error.message}`,
      retryable: true,
      usage,
      cause: error,
    });
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const retryable = status !== undefined && isRetryableModelStatus(status);
    const resetAt = resetAtOf(error.headers);
    return new ModelUnavailableError({
      ...(resetAt !== undefined ? { resetAt } : {}),
      message: retryable
        ? `The Anthropic API kept failing (HTTP ${status}) after the SDK's retries: ${error.message}`
        : `The Anthropic API refused the request (HTTP ${status ?? 'none'}); check the API key, model id and request: ${error.message}`,
      retryable,
      ...(status === undefined ? {} : { status }),
      usage,
      cause: error,
    });
  }
  return error;
}

function usd(amount: number): string {
  return amount.toFixed(4);
}
