/** What `ai-ops doctor` checked, by area, in the order it prints them. */
export type DoctorArea = 'configuration' | 'log files' | 'state file' | 'GitHub' | 'Anthropic' | 'mail';

/**
 * One finding of `ai-ops doctor`. A failure always says how to fix it; a warning may; a skipped
 * check says why it was not run (usually a missing setting, reported once under configuration).
 */
export type DoctorCheck =
  | { status: 'ok'; area: DoctorArea; message: string }
  | { status: 'warn'; area: DoctorArea; message: string; fix?: string }
  | { status: 'fail'; area: DoctorArea; message: string; fix: string }
  | { status: 'skip'; area: DoctorArea; message: string };

/** How long each network check may take before it is reported as unanswered. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

/** A network failure (refused, DNS, timeout) in words a person can act on; never throws. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  const chain = causeChain(error);
  if (chain.some(isTimeout)) return noAnswerWithin(timeoutMs);
  const code = chain.map(errorCode).find((c) => c !== undefined);
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found (DNS)';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code?.includes('CERT') || code?.startsWith('ERR_TLS')) return `TLS certificate problem (${code})`;
  return chain.map((e) => (e instanceof Error ? e.message : String(e)).replace(/\.$/, '')).join(': ');
}

/** The error and its causes, outermost first (fetch wraps the system error it failed with). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let e: unknown = error;
    e !== undefined && chain.length < 4;
    e = e instanceof Error ? e.cause : undefined
  )
    chain.push(e);
  return chain;
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    errorCode(error) === 'ETIMEDOUT' ||
    /timed? ?out/i.test(error.message)
  );
}

/** The `code` of a Node.js system error (ECONNREFUSED, EACCES…), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** "no answer within 5 s" (or "300 ms"): how a timed-out check reads. */
export function noAnswerWithin(timeoutMs: number): string {
  return `no answer within ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}`;
}

/** The file-system calls the local checks make; node:fs/promises by default, a fake in tests. */
export interface DoctorFs {
  stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean; size: number }>;
  /** rejects when the process may not access `path` with `mode` (fs.constants.R_OK / W_OK) */
  access(path: string, mode: number): Promise<void>;
  readdir(path: string): Promise<string[]>;
}
