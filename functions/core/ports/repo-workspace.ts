import type { FixProposal } from '../contracts.ts';

/**
 * The ports the repair use case needs, named for what it needs. Adapters in
 * functions/adapters implement them over one technology each; core tests use fakes.
 */

export type RepoEntryKind = 'file' | 'executable' | 'symlink' | 'submodule';

export interface RepoEntry {
  /** posix path relative to the repository root, no leading `./` */
  path: string;
  kind: RepoEntryKind;
}

/** Read access to one checked-out tree: what the model's read-only tools and the context builder use. */
export interface RepoReader {
  /** every entry of the tree (not directories) */
  listFiles(): Promise<RepoEntry[]>;
  /** the bytes of a file, or undefined when there is no such file */
  readFile(path: string): Promise<Uint8Array | undefined>;
}

export interface GitIdentity {
  name: string;
  email: string;
}

/** A working copy the analyzer may change: a clone of one branch, in memory. */
export interface RepoWorkspace extends RepoReader {
  /** the commit the workspace was cloned at */
  readonly headCommit: string;
  /** the branch that was cloned */
  readonly branch: string;
  writeFile(path: string, content: Uint8Array): Promise<void>;
  /** commit the written files on `branch` (created from the clone's head when new); returns the commit id */
  commit(options: { branch: string; message: string; author: GitIdentity }): Promise<string>;
  /** push `branch` to the remote; rejects with a GitPushRejectedError when the remote refuses */
  push(options: { branch: string }): Promise<void>;
}

/** Why a model conversation ended without a usable proposal. */
export type AdvisorOutcome =
  | { kind: 'proposal'; proposal: FixProposal }
  | { kind: 'no_proposal'; reason: string; analysis: string };

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  turns: number;
}
