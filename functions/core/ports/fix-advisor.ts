import type { AdvisorOutcome, ModelUsage, RepoReader } from './repo-workspace.ts';

/**
 * The port through which the repair use case asks a model for one fix. The adapter
 * (functions/adapters/anthropic-fix-advisor.ts) runs the conversation; the core decides
 * what to do with the outcome (apply under policy, retry once, or email the analysis).
 */
export interface FixAdvisor {
  advise(request: AdviceRequest): Promise<AdviceResult>;
}

export interface AdviceRequest {
  /** the stable instructions (cached as the prompt prefix) */
  system: string;
  /** the job's first user message: fenced, redacted log excerpt and code windows */
  prompt: string;
  /** the checked-out tree the read-only tools look at */
  repo: RepoReader;
}

/** Why a conversation ended without a usable proposal. */
export type NoProposalReason =
  /** the model ended its turn with neither `submit_fix` nor `<code_block>` files */
  | 'no_fix_submitted'
  /** the turn cap was reached */
  | 'turns'
  /** the per-job dollar cap was reached (before a request, by estimate, or after the turn that crossed it) */
  | 'budget'
  | 'refusal'
  /** the conversation outgrew the model's context window */
  | 'context_window'
  /** the proposal was rejected and the single retry is already spent */
  | 'rejected';

/** Where a proposal came from: the `submit_fix` tool, or the seed's whole-file `<code_block>` fallback. */
export type ProposalSource = 'submit_fix' | 'code_block';

export type AdviceProposal = Extract<AdvisorOutcome, { kind: 'proposal' }> & {
  source: ProposalSource;
  /** everything the model wrote besides the tool calls */
  analysis: string;
  /** cumulative over the whole conversation, retry included */
  usage: ModelUsage;
  /**
   * Tell the model why the proposal failed validation and continue the same conversation.
   * Allowed once per advise(); a second call resolves to `no_proposal` / `rejected` with no request.
   */
  reject(reason: string): Promise<AdviceResult>;
};

export type AdviceNoProposal = Extract<AdvisorOutcome, { kind: 'no_proposal' }> & {
  reason: NoProposalReason;
  /** a sentence for logs and the email, e.g. which cap stopped the conversation and when */
  detail: string;
  usage: ModelUsage;
};

export type AdviceResult = AdviceProposal | AdviceNoProposal;

/** True when the advisor produced a proposal. */
export function isProposal(result: AdviceResult): result is AdviceProposal {
  return result.kind === 'proposal';
}

/**
 * The model API failed after the SDK's own retries. `retryable` says whether the job should
 * go back to the queue (throttling, overload, 5xx, timeouts, connection errors) or fail for
 * good (bad request, bad key, no permission).
 */
export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
  readonly code = 'MODEL_UNAVAILABLE';
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** what the conversation had already cost before the failure, so the job can still account for it */
  readonly usage: ModelUsage | undefined;
  /** epoch ms the API asked us to wait until (its `retry-after`), when it said */
  readonly resetAt: number | undefined;

  constructor(options: {
    message: string;
    retryable: boolean;
    status?: number;
    usage?: ModelUsage;
    resetAt?: number;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.usage = options.usage;
    this.resetAt = options.resetAt;
  }
}

/** Whether an HTTP status from the model API is worth another attempt later. */
export function isRetryableModelStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
