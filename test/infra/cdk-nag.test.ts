import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { makeAutoRepairProps, synthAiOps } from './synth-ai-ops.ts';

function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding', () => {
    const { app } = synthAiOps();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    expect(report.success).toBe(true);
  });

  it('still reports findings when the construct tree has them (the check is live)', () => {
    const { app, stack } = synthAiOps();
    // A role with a managed policy is exactly what AiOpsFunction avoids; nag must catch it.
    new iam.Role(stack, 'Careless', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toContain(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess]',
    );
  });

  it('acknowledges only with a reason, and only the DLQ rule and the per-log-group wildcards', () => {
    const props = makeAutoRepairProps();
    const { app } = synthAiOps({ props });
    const acks = acknowledgements(app);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(30);
    const ids = acks.map((ack) => ack.id.replace(/^annotation::/i, '')).sort();
    expect(ids).toEqual(
      [
        'AwsSolutions-SQS3',
        // the three webhook/incident-page routes: HMAC-verified in the function, not by API Gateway
        'AwsSolutions-APIG4',
        'AwsSolutions-APIG4',
        'AwsSolutions-APIG4',
        ...Object.keys(props.logGroups).map(
          (name) =>
            `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${name}:*]`,
        ),
      ].sort(),
    );
  });
});
