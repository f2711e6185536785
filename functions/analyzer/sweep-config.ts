import { z } from 'zod';
import { describeEnvIssues, EnvConfigError } from '../core/env-config-error.ts';

const EnvSchema = z.object({
  /** where the sweep sends a regression's repair job (the analyzer's own queue) */
  REPAIR_QUEUE_URL: z.url(),
  /** incidents per status and run */
  SWEEP_LIMIT: z.coerce.number().int().positive().default(50),
  /** minutes a draft waits for a CI check before the no-CI policy applies */
  NO_CI_AFTER_MINUTES: z.coerce.number().positive().default(30),
  NO_CI_POLICY: z.enum(['leave_draft', 'mark_ready']).default('leave_draft'),
  /** repair attempts of one incident after which the sweep no longer resumes a failed one */
  MAX_REPAIR_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
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
