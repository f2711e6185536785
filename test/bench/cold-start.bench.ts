// Cold start as deployed: each Lambda handler bundled exactly as `cdk synth` bundles it
// (infra/bundling.ts: minified ESM, source maps without sources) and imported in a fresh `node`
// with the deployed NODE_OPTIONS (`--enable-source-maps`), against a bundle of only the SDK
// clients that function cannot do without, built and imported the same way. Alternating runs,
// median of RUNS. Extra rows: the same handler without `--enable-source-maps`, and with the
// sources embedded in its map (the bundling before this bench), to show what each costs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { AI_OPS_NODE_OPTIONS } from '../../infra/bundling.ts';
import { BUNDLE_OPTIONS } from './bundle-options.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Math.max(5, Number(process.env.AI_OPS_BENCH_COLD_RUNS ?? 7));
const GOAL = 1.2;

interface FunctionUnderTest {
  name: string;
  entry: string;
  /** the SDK clients the handler builds at module scope, built the same way */
  sdkOnly: string;
  sdkLabel: string;
}

const FUNCTIONS: FunctionUnderTest[] = [
  {
    name: 'detector',
    entry: 'functions/detector/handler.ts',
    sdkLabel: 'DynamoDB, SQS, CloudWatch Logs clients',
    sdkOnly: `
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
export const clients = [new DynamoDBClient({}), new SQSClient({}), new CloudWatchLogsClient({})];
`,
  },
  {
    name: 'analyzer',
    entry: 'functions/analyzer/handler.ts',
    sdkLabel: 'DynamoDB, SQS, SES, Secrets Manager clients + Anthropic SDK + Octokit REST',
    sdkOnly: `
import Anthropic from '@anthropic-ai/sdk';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Octokit } from '@octokit/rest';
export const clients = [new DynamoDBClient({}), new SQSClient({}), new SESClient({}), new SecretsManagerClient({}), Anthropic, Octokit];
`,
  },
  {
    name: 'webhook',
    entry: 'functions/webhook/handler.ts',
    sdkLabel: 'DynamoDB, SQS, Secrets Manager clients',
    sdkOnly: `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
export const clients = [new DynamoDBClient({}), new SQSClient({}), new SecretsManagerClient({})];
`,
  },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** ms to import() the bundle in a fresh node process (process start excluded). */
function importTimeMs(file: string, nodeOptions: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      // the handlers read their configuration lazily; the SDK's Node-version notice is noise
      env: { ...process.env, NODE_OPTIONS: nodeOptions, AWS_REGION: 'eu-west-1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim(),
  );
}

const kb = (file: string) => statSync(file).size / 1024;

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-cold-start-'));
  try {
    const rows: Record<string, Record<string, string>> = {};
    for (const fn of FUNCTIONS) {
      const handler = join(dir, `${fn.name}.mjs`);
      const withSources = join(dir, `${fn.name}-with-sources.mjs`);
      const sdk = join(dir, `${fn.name}-sdk.mjs`);
      await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, fn.entry)], outfile: handler });
      await build({
        ...BUNDLE_OPTIONS,
        sourcesContent: true,
        entryPoints: [join(ROOT, fn.entry)],
        outfile: withSources,
      });
      await build({
        ...BUNDLE_OPTIONS,
        stdin: { contents: fn.sdkOnly, resolveDir: ROOT, loader: 'ts' },
        outfile: sdk,
      });
      const samples = {
        handler: [] as number[],
        sdk: [] as number[],
        noMaps: [] as number[],
        sources: [] as number[],
      };
      // interleaved, so machine noise hits every variant alike
      for (let i = 0; i < RUNS; i++) {
        samples.handler.push(importTimeMs(handler, AI_OPS_NODE_OPTIONS));
        samples.sdk.push(importTimeMs(sdk, AI_OPS_NODE_OPTIONS));
        samples.noMaps.push(importTimeMs(handler, ''));
        samples.sources.push(importTimeMs(withSources, AI_OPS_NODE_OPTIONS));
      }
      const h = median(samples.handler);
      const s = median(samples.sdk);
      const ratio = h / s;
      rows[fn.name] = {
        'handler ms': h.toFixed(0),
        'SDK-only ms': s.toFixed(0),
        'handler / SDK': `${ratio.toFixed(2)}× ${ratio <= GOAL ? 'ok' : 'MISSED'}`,
        'no --enable-source-maps ms': median(samples.noMaps).toFixed(0),
        'maps with sources ms': median(samples.sources).toFixed(0),
        'bundle KB (map KB)': `${kb(handler).toFixed(0)} (${kb(`${handler}.map`).toFixed(0)})`,
        'with sources map KB': kb(`${withSources}.map`).toFixed(0),
        'SDK-only KB': kb(sdk).toFixed(0),
      };
    }
    console.log(
      `import of the deployed bundle in a fresh node (NODE_OPTIONS=${AI_OPS_NODE_OPTIONS}), median of ${RUNS} alternating runs; goal handler / SDK ≤ ${GOAL}×`,
    );
    console.table(rows);
    for (const fn of FUNCTIONS) console.log(`  ${fn.name} SDK-only baseline: ${fn.sdkLabel}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
