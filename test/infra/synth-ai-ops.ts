import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AiOpsStack } from '../../infra/ai-ops-stack.ts';
import type { AutoRepairProps } from '../../infra/auto-repair.ts';
import { AiOpsConfigError, parseAiOpsConfig } from '../../infra/config.ts';
import { useTempDirs } from '../support/temp-dirs.ts';

// Each synth's cloud assembly (bundled assets too) is written here and removed after the test file.
const tempDir = useTempDirs();

/** A valid configuration with two watched log groups; tests override what they examine. */
export function makeAutoRepairProps(overrides: Partial<AutoRepairProps> = {}): AutoRepairProps {
  return {
    defaultRepository: { repository: 'acme/shop', baseBranch: 'main', pathPrefix: '' },
    logGroups: {
      '/aws/lambda/shop-api': {},
      '/ecs/billing': { repository: 'acme/billing', baseBranch: 'develop', pathPrefix: 'services/billing' },
    },
    senderEmail: 'ai-ops@mail.acme.test',
    reviewerEmails: ['oncall@acme.test', 'lead@acme.test'],
    ...overrides,
  };
}

export interface SynthOptions {
  props?: AutoRepairProps;
  /** Run esbuild for real; off by default because it is the slow part of synth. */
  bundle?: boolean;
}

export function synthAiOps({ props = makeAutoRepairProps(), bundle = false }: SynthOptions = {}) {
  // The documented switch: an empty list of stacks to bundle skips esbuild entirely.
  const app = new App({
    outdir: tempDir('ai-ops-cdk.out-'),
    context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new AiOpsStack(app, 'AiOpsTest', { autoRepair: props });
  const template = Template.fromStack(stack);
  return { app, stack, template };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The logical id of the function whose Powertools service name is `serviceName`. */
export function findFunctionId(template: Template, serviceName: string): string {
  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  const match = Object.entries(functions).find(([, fn]) => {
    const env = fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
    return env?.Variables?.POWERTOOLS_SERVICE_NAME === serviceName;
  });
  if (!match) throw new Error(`no function with POWERTOOLS_SERVICE_NAME=${serviceName}`);
  return match[0];
}

export function functionProperties(template: Template, serviceName: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  const fn = functions[findFunctionId(template, serviceName)];
  if (!fn) throw new Error(`function ${serviceName} vanished`);
  return fn.Properties;
}

/** The function's environment variables, as synthesized (values may be tokens: see renderArn). */
export function functionEnvironment(template: Template, serviceName: string): Record<string, unknown> {
  const environment = functionProperties(template, serviceName).Environment as {
    Variables: Record<string, unknown>;
  };
  return environment.Variables;
}

/** Renders Fn::Join / Ref / Fn::GetAtt values as text, e.g. arn:<AWS::Partition>:ses:<AWS::Region>:…, for comparisons. */
export function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `<${String(value.Ref)}>`;
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
      return parts.map(renderArn).join(separator);
    }
    if ('Fn::GetAtt' in value) return `<${(value['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return JSON.stringify(value);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement attached (inline or as a managed policy) to the function's execution role. */
export function roleStatements(template: Template, serviceName: string): Statement[] {
  const role = functionProperties(template, serviceName).Role as { 'Fn::GetAtt': [string, string] };
  const roleId = role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  const statements: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = policy.Properties.Roles as Array<{ Ref: string }>;
    if (!roles.some((ref) => ref.Ref === roleId)) continue;
    const document = policy.Properties.PolicyDocument as { Statement: Statement[] };
    statements.push(...document.Statement);
  }
  return statements;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The statement's resources, rendered with renderArn. */
export function resourcesOf(statement: Statement): string[] {
  return (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(renderArn);
}

/** The problems parseAiOpsConfig lists for `raw`, one a line; throws when it accepts `raw`. */
export function configProblems(raw: unknown): string {
  try {
    parseAiOpsConfig(raw);
  } catch (error: unknown) {
    if (error instanceof AiOpsConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}
