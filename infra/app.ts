import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiOpsStack } from './ai-ops-stack.ts';
import { AiOpsConfigError } from './config.ts';

const app = new App();
try {
  // Environment-agnostic on purpose: `cdk synth` needs no credentials and does no lookups.
  new AiOpsStack(app, 'AiOps', {
    description: 'ai-ops: CloudWatch Logs errors to reviewed fix pull requests',
    autoRepair: app.node.tryGetContext('ai-ops') ?? {},
  });
} catch (error: unknown) {
  if (!(error instanceof AiOpsConfigError)) throw error;
  // A mistake in cdk.json is the user's to fix, not a crash: the list of problems, no stack trace.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
