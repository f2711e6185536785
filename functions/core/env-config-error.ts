import type * as z from 'zod/mini';

/**
 * A Lambda's environment is incomplete or malformed. Raised at cold start with every variable at
 * fault listed at once, so one deploy fixes them all. `component` names the function.
 */
export class EnvConfigError extends Error {
  readonly code = 'invalid_config';
  readonly issues: string[];
  constructor(component: string, issues: string[]) {
    super(`${component} configuration is invalid — set these environment variables: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

/** One line per zod issue: `NAME is missing` when unset, else `NAME: what is wrong`. */
export function describeEnvIssues(
  issues: readonly z.core.$ZodIssue[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    return env[String(issue.path[0])] === undefined ? `${name} is missing` : `${name}: ${issue.message}`;
  });
}
