import { describe, expect, it } from 'vitest';
import { loadSweepConfig } from '../../functions/analyzer/sweep-config.ts';
import { configProblems, functionEnvironment, makeAutoRepairProps, synthAiOps } from './synth-ai-ops.ts';

function analyzerEnv(props = makeAutoRepairProps()): Record<string, unknown> {
  const { template } = synthAiOps({ props });
  return functionEnvironment(template, 'ai-ops-analyzer');
}

describe('infra: the no-CI policy and the attempt limit from cdk.json', () => {
  it('defaults to leaving the draft after 30 minutes, and the analyzer sweep reads what was set', () => {
    const defaults = analyzerEnv();
    const configured = analyzerEnv(makeAutoRepairProps({ noCiPolicy: 'mark_ready', noCiAfterMinutes: 90 }));

    expect(defaults).toMatchObject({ NO_CI_POLICY: 'leave_draft', NO_CI_AFTER_MINUTES: '30' });
    expect(configured).toMatchObject({ NO_CI_POLICY: 'mark_ready', NO_CI_AFTER_MINUTES: '90' });
    // the names and values the analyzer's own config loader accepts
    const sweep = loadSweepConfig({
      REPAIR_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      NO_CI_POLICY: String(configured.NO_CI_POLICY),
      NO_CI_AFTER_MINUTES: String(configured.NO_CI_AFTER_MINUTES),
    });
    expect(sweep).toMatchObject({ noCiPolicy: 'mark_ready', noCiAfterMs: 90 * 60 * 1000 });
  });

  it('hands maxRepairAttempts to the analyzer as MAX_REPAIR_ATTEMPTS (default 3), read back by its sweep config', () => {
    expect(analyzerEnv()).toMatchObject({ MAX_REPAIR_ATTEMPTS: '3' });
    const configured = analyzerEnv(makeAutoRepairProps({ maxRepairAttempts: 1 }));
    expect(configured).toMatchObject({ MAX_REPAIR_ATTEMPTS: '1' });
    const sweep = loadSweepConfig({
      REPAIR_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      MAX_REPAIR_ATTEMPTS: String(configured.MAX_REPAIR_ATTEMPTS),
    });
    expect(sweep.maxAttempts).toBe(1);
    expect(configProblems({ ...makeAutoRepairProps(), maxRepairAttempts: 0 })).toMatch(/maxRepairAttempts/);
  });

  it('keeps a job in the repair queue for as many receives as its attempts need before parking it', () => {
    const receives = (props = makeAutoRepairProps()) =>
      Object.values(synthAiOps({ props }).template.findResources('AWS::SQS::Queue'))
        .map((q) => (q as { Properties: { RedrivePolicy?: { maxReceiveCount?: number } } }).Properties)
        .map((p) => p.RedrivePolicy?.maxReceiveCount)
        .filter((n): n is number => n !== undefined)
        .sort((a, b) => a - b);
    // the repair queue and the detector failure queue
    expect(receives()).toEqual([5, 5]);
    expect(receives(makeAutoRepairProps({ maxRepairAttempts: 10 }))).toEqual([5, 12]);
  });

  it('rejects an unknown policy and a zero wait, naming both', () => {
    const problems = configProblems({ ...makeAutoRepairProps(), noCiPolicy: 'merge', noCiAfterMinutes: 0 });
    expect(problems).toMatch(/noCiPolicy/);
    expect(problems).toMatch(/noCiAfterMinutes/);
  });
});
