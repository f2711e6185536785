// Cold start as deployed: each Lambda handler bundled exactly as `cdk synth` bundles it
// (infra/bundling.ts: minified ESM, source maps without sources) and imported in a fresh `node`
// with its deployed NODE_OPTIONS (infra/bundling.ts), against a bundle of only the SDK clients
// that function cannot do without, built and imported the same way. Alternating runs, median of
// RUNS. Extra columns: the handler with and without `--enable-source-maps`, and as deployed
// before (maps with the sources embedded, `--enable-source-maps` on every function).
// The analyzer loads isomorphic-git, the follow-up use cases and auth-app on the first job that
// needs them, so its import excludes them; the last line measures that deferred import alone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { nodeOptions, SOURCE_MAPS_IN_TRACES } from '../../infra/bundling.ts';
import { BUNDLE_OPTIONS } from './bundle-options.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Math.max(5, Number(process.env.AI_OPS_BENCH_COLD_RUNS ?? 7));
const GOAL = 1.2;

interface FunctionUnderTest {
  name: keyof typeof SOURCE_MAPS_IN_TRACES;
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

/**
 * CPU ms (user + system, all threads) to import() the bundle in a fresh node process, process
 * start excluded. CPU time rather than wall time: on a shared machine the wall time of one
 * import swung ±50% between neighbouring runs, while a Lambda cold start runs uncontended.
 */
function importTimeMs(file: string, nodeOptions: string): number {
  const script = `const c = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(file).href)}); const d = process.cpuUsage(c); console.log((d.user + d.system) / 1000);`;
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
      const before = join(dir, `${fn.name}-before.mjs`);
      const sdk = join(dir, `${fn.name}-sdk.mjs`);
      await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, fn.entry)], outfile: handler });
      await build({
        ...BUNDLE_OPTIONS,
        sourcesContent: true,
        entryPoints: [join(ROOT, fn.entry)],
        outfile: before,
      });
      await build({
        ...BUNDLE_OPTIONS,
        stdin: { contents: fn.sdkOnly, resolveDir: ROOT, loader: 'ts' },
        outfile: sdk,
      });
      const deployed = nodeOptions(SOURCE_MAPS_IN_TRACES[fn.name]);
      const samples = {
        handler: [] as number[],
        sdk: [] as number[],
        maps: [] as number[],
        noMaps: [] as number[],
        before: [] as number[],
      };
      // interleaved, so machine noise hits every variant alike
      for (let i = 0; i < RUNS; i++) {
        samples.handler.push(importTimeMs(handler, deployed));
        samples.sdk.push(importTimeMs(sdk, deployed));
        samples.maps.push(importTimeMs(handler, nodeOptions(true)));
        samples.noMaps.push(importTimeMs(handler, nodeOptions(false)));
        samples.before.push(importTimeMs(before, nodeOptions(true)));
      }
      const h = median(samples.handler);
      const s = median(samples.sdk);
      const b = median(samples.before);
      rows[fn.name] = {
        NODE_OPTIONS: deployed || '(none)',
        'handler ms': h.toFixed(0),
        'SDK-only ms': s.toFixed(0),
        'handler / SDK': `${(h / s).toFixed(2)}× ${h / s <= GOAL ? 'ok' : 'MISSED'}`,
        'with / without maps ms': `${median(samples.maps).toFixed(0)} / ${median(samples.noMaps).toFixed(0)}`,
        'before ms (/ SDK)': `${b.toFixed(0)} (${(b / s).toFixed(2)}×)`,
        'KB bundle / map': `${kb(handler).toFixed(0)} / ${kb(`${handler}.map`).toFixed(0)}`,
        'KB before map': kb(`${before}.map`).toFixed(0),
        'KB SDK-only': kb(sdk).toFixed(0),
      };
    }
    console.log(
      `CPU ms to import each deployed bundle in a fresh node with its deployed NODE_OPTIONS, the SDK-only bundle likewise; median of ${RUNS} alternating runs; goal handler / SDK ≤ ${GOAL}×`,
    );
    console.table(rows);
    for (const fn of FUNCTIONS) console.log(`  ${fn.name} SDK-only baseline: ${fn.sdkLabel}`);
    const git = join(dir, 'git-workspaces.mjs');
    await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [join(ROOT, 'functions/adapters/git-workspaces.ts')],
      outfile: git,
    });
    const gitMs = median(Array.from({ length: RUNS }, () => importTimeMs(git, nodeOptions(true))));
    console.log(
      `  deferred to the analyzer's first clone: the git workspaces (isomorphic-git) import in ${gitMs.toFixed(0)} ms on their own`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
