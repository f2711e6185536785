import * as z from 'zod/mini';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';

const EnvSchema = z.object({
  /** where the sweep sends a regression's repair job (the analyzer's own queue) */
  REPAIR_QUEUE_URL: z.url(),
  /** incidents per status and run */
  SWEEP_LIMIT: z._default(z.pipe(z.coerce.number(), z.int()).check(z.positive()), 50),
  /** minutes a draft waits for a CI check before the no-CI policy applies */
  NO_CI_AFTER_MINUTES: z._default(z.coerce.number().check(z.positive()), 30),
  NO_CI_POLICY: z._default(z.enum(['leave_draft', 'mark_ready']), 'leave_draft'),
  /** repair attempts of one incident after which the sweep no longer resumes a failed one */
  MAX_REPAIR_ATTEMPTS: z._default(z.pipe(z.coerce.number(), z.int()).check(z.minimum(1), z.maximum(20)), 3),
});

export type SweepConfig = Readonly<{
  repairQueueUrl: string;
  limit: number;
  noCiAfterMs: number;
  noCiPolicy: 'leave_draft' | 'mark_ready';
  maxAttempts: number;
}>;

/** The scheduled sweep's part of the analyzer environment is incomplete or malformed. */
export class SweepConfigError extends EnvConfigError {
  override readonly name = 'SweepConfigError';
  constructor(issues: string[]) {
    super('analyzer sweep', issues);
  }
}

/** Reads and validates the sweep's settings once; throws SweepConfigError listing every problem. */
export function loadSweepConfig(env: Readonly<Record<string, string | undefined>>): SweepConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new SweepConfigError(describeEnvIssues(parsed.error.issues, env));
  const e = parsed.data;
  return Object.freeze({
    repairQueueUrl: e.REPAIR_QUEUE_URL,
    limit: e.SWEEP_LIMIT,
    noCiAfterMs: e.NO_CI_AFTER_MINUTES * 60 * 1000,
    noCiPolicy: e.NO_CI_POLICY,
    maxAttempts: e.MAX_REPAIR_ATTEMPTS,
  });
}
