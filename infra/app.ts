import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiOpsStack } from './ai-ops-stack.ts';

const app = new App();
// Environment-agnostic on purpose: `cdk synth` needs no credentials and does no lookups.
new AiOpsStack(app, 'AiOps', {
  description: 'ai-ops: CloudWatch Logs errors to reviewed fix pull requests',
  autoRepair: app.node.tryGetContext('ai-ops') ?? {},
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
