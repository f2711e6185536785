// Cold start as deployed: each Lambda handler bundled exactly as `cdk synth` bundles it
// (infra/bundling.ts: minified ESM, source maps without sources, split into chunks where
// CODE_SPLITTING says so) and imported in a fresh `node` with its deployed NODE_OPTIONS, against
// a bundle of only the SDK clients that function builds, bundled and imported the same way.
//
// Measured in pairs: each pair imports the handler and the SDK-only bundle back to back (which
// goes first alternates), and the result is the median of the per-pair ratios, with their
// interquartile range. Medians of each side taken independently let one slow stretch of the
// machine land on one side only; seven of them printed 1.40× and 1.19× for the same bundle in
// one afternoon. AI_OPS_BENCH_COLD_PAIRS sets the pairs (default 41), AI_OPS_BENCH_COLD_ONLY a
// function name, AI_OPS_BENCH_COLD_MAPS=1 adds the other source-map setting as a second row.
// The analyzer loads isomorphic-git, the follow-up use cases and auth-app on the first job that
// needs them, so its import excludes them; the last line measures that deferred import alone.
// AI_OPS_BENCH_NODE=/path/to/node imports under another Node.js, such as the major of the Lambda
// runtime infra deploys (nodejs24.x); by default the node running the bench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { CODE_SPLITTING, nodeOptions, SOURCE_MAPS_IN_TRACES, SPLIT_OUTPUT } from '../../infra/bundling.ts';
import { BUNDLE_OPTIONS } from './bundle-options.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOAL = 1.2;

export interface FunctionUnderTest {
  name: keyof typeof SOURCE_MAPS_IN_TRACES;
  entry: string;
  /** the SDK clients the handler builds at module scope, built the same way */
  sdkOnly: string;
  sdkLabel: string;
}

export const FUNCTIONS: readonly FunctionUnderTest[] = [
  {
    name: 'detector',
    entry: 'functions/detector/handler.ts',
    sdkLabel: 'DynamoDB, SQS, CloudWatch Logs clients',
    sdkOnly: `
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
export const clients = [new DynamoDBClient({ maxAttempts: 6 }), new SQSClient({ maxAttempts: 6 }), new CloudWatchLogsClient({ maxAttempts: 3 })];
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

/** The q-quantile of `values` (linear interpolation between the closest ranks). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const lower = sorted[low] ?? Number.NaN;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] ?? lower;
  return lower + (upper - lower) * (at - low);
}

const median = (values: readonly number[]) => quantile(values, 0.5);

/**
 * CPU ms (user + system, all threads) to import() the bundle in a fresh node process, process
 * start excluded. CPU time rather than wall time: on a shared machine the wall time of one
 * import swung ±50% between neighbouring runs, while a Lambda cold start runs uncontended.
 */
export function importCpuMs(file: string, nodeOptions: string): number {
  const script = `const c = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(file).href)}); const d = process.cpuUsage(c); console.log((d.user + d.system) / 1000);`;
  return Number(
    execFileSync(process.env.AI_OPS_BENCH_NODE || process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      // the handlers read their configuration lazily; the SDK's Node-version notice is noise
      env: { ...process.env, NODE_OPTIONS: nodeOptions, AWS_REGION: 'eu-west-1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim(),
  );
}

export interface PairedImport {
  handlerMs: number;
  sdkMs: number;
  /** median of the per-pair handler / SDK ratios */
  ratio: number;
  /** interquartile range of the per-pair ratios */
  q1: number;
  q3: number;
  pairs: number;
}

/**
 * Imports `handler` and `sdk` in `pairs` back-to-back pairs (alternating which goes first, so
 * neither always meets a cold page cache or a warm CPU) after two discarded warm-up pairs.
 */
export function pairedImport({
  handler,
  sdk,
  nodeOptions,
  pairs,
}: {
  handler: string;
  sdk: string;
  nodeOptions: string;
  pairs: number;
}): PairedImport {
  const handlerMs: number[] = [];
  const sdkMs: number[] = [];
  const ratios: number[] = [];
  for (let i = -2; i < pairs; i++) {
    let h: number;
    let s: number;
    if (i % 2 === 0) {
      h = importCpuMs(handler, nodeOptions);
      s = importCpuMs(sdk, nodeOptions);
    } else {
      s = importCpuMs(sdk, nodeOptions);
      h = importCpuMs(handler, nodeOptions);
    }
    if (i < 0) continue;
    handlerMs.push(h);
    sdkMs.push(s);
    ratios.push(h / s);
  }
  return {
    handlerMs: median(handlerMs),
    sdkMs: median(sdkMs),
    ratio: median(ratios),
    q1: quantile(ratios, 0.25),
    q3: quantile(ratios, 0.75),
    pairs,
  };
}

export interface BuiltFunction {
  /** the entry file to import */
  handler: string;
  sdk: string;
  handlerMeta: Metafile;
  sdkMeta: Metafile;
}

/**
 * Bundles the handler and its SDK-only counterpart into `dir` with the infra's options: one file,
 * or `index.mjs` and its chunks in a folder where the function is deployed split.
 */
export async function buildFunction(fn: FunctionUnderTest, dir: string): Promise<BuiltFunction> {
  const split = CODE_SPLITTING[fn.name];
  const output = (name: string) =>
    split ? { ...SPLIT_OUTPUT, outdir: join(dir, name) } : { outfile: join(dir, `${name}.mjs`) };
  const entryOf = (name: string) => (split ? join(dir, name, 'index.mjs') : join(dir, `${name}.mjs`));
  const built = await build({
    ...BUNDLE_OPTIONS,
    ...output(fn.name),
    entryPoints: [join(ROOT, fn.entry)],
    metafile: true,
  });
  const sdkBuilt = await build({
    ...BUNDLE_OPTIONS,
    ...output(`${fn.name}-sdk`),
    stdin: { contents: fn.sdkOnly, resolveDir: ROOT, loader: 'ts' },
    metafile: true,
  });
  return {
    handler: entryOf(fn.name),
    sdk: entryOf(`${fn.name}-sdk`),
    handlerMeta: built.metafile,
    sdkMeta: sdkBuilt.metafile,
  };
}

/** The output files an import of the entry reads before it returns (the entry and its static chunks). */
function loadedAtImport(metafile: Metafile, entryFile: string): string[] {
  const outputs = metafile.outputs;
  // (chunks that `import()` loads name an entry point too)
  const entry = Object.keys(outputs).find((path) => resolve(path) === entryFile);
  const seen = new Set(entry ? [entry] : []);
  const queue = [...seen];
  while (queue.length > 0) {
    for (const imported of outputs[queue.shift() as string]?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return [...seen];
}

/** KB of code an import of the entry reads, and of their source maps. */
function kbAtImport(metafile: Metafile, entryFile: string): { code: number; map: number } {
  const files = loadedAtImport(metafile, entryFile);
  const kb = (path: string) => (existsSync(path) ? statSync(path).size / 1024 : 0);
  return {
    code: files.reduce((sum, path) => sum + kb(path), 0),
    map: files.reduce((sum, path) => sum + kb(`${path}.map`), 0),
  };
}

/** Bundle bytes per package (or per ai-ops source folder) in the files read at import. */
function bytesByPackage(metafile: Metafile, entryFile: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const file of loadedAtImport(metafile, entryFile)) {
    for (const [path, { bytesInOutput }] of Object.entries(metafile.outputs[file]?.inputs ?? {})) {
      const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = inPackage?.[1] ?? path.replace(/\/[^/]+$/, '/');
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return sizes;
}

/** What the handler bundle holds beyond the SDK-only bundle, largest first, in KB. */
export function extraBytes(built: BuiltFunction, top = 6): string {
  const handler = bytesByPackage(built.handlerMeta, built.handler);
  const sdk = bytesByPackage(built.sdkMeta, built.sdk);
  return [...handler]
    .map(([key, bytes]) => [key, bytes - (sdk.get(key) ?? 0)] as const)
    .filter(([, bytes]) => bytes > 1024)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, bytes]) => `${key} ${(bytes / 1024).toFixed(0)}`)
    .join(', ');
}

const formatRatio = (r: PairedImport) =>
  `${r.ratio.toFixed(2)}× ${r.ratio <= GOAL ? 'ok' : 'MISSED'} (IQR ${r.q1.toFixed(2)}–${r.q3.toFixed(2)})`;

export default async function run(): Promise<void> {
  const pairs = Math.max(5, Number(process.env.AI_OPS_BENCH_COLD_PAIRS ?? 41));
  const only = process.env.AI_OPS_BENCH_COLD_ONLY;
  const withOtherMaps = process.env.AI_OPS_BENCH_COLD_MAPS === '1';
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-cold-start-'));
  try {
    const rows: Record<string, Record<string, string>> = {};
    const extras: string[] = [];
    for (const fn of FUNCTIONS.filter((f) => !only || f.name === only)) {
      const built = await buildFunction(fn, dir);
      const deployedMaps = SOURCE_MAPS_IN_TRACES[fn.name];
      const handlerKb = kbAtImport(built.handlerMeta, built.handler);
      const settings = withOtherMaps ? [deployedMaps, !deployedMaps] : [deployedMaps];
      for (const maps of settings) {
        const options = nodeOptions(maps);
        const r = pairedImport({ handler: built.handler, sdk: built.sdk, nodeOptions: options, pairs });
        rows[maps === deployedMaps ? fn.name : `${fn.name} (not deployed)`] = {
          NODE_OPTIONS: options || '(none)',
          'handler ms': r.handlerMs.toFixed(0),
          'SDK-only ms': r.sdkMs.toFixed(0),
          'handler / SDK, median of pairs': formatRatio(r),
          'KB at import: code / map / SDK-only': `${handlerKb.code.toFixed(0)} / ${handlerKb.map.toFixed(0)} / ${kbAtImport(built.sdkMeta, built.sdk).code.toFixed(0)}${CODE_SPLITTING[fn.name] ? ' (split)' : ''}`,
        };
      }
      extras.push(`  ${fn.name}: SDK-only is ${fn.sdkLabel}; KB beyond it: ${extraBytes(built)}`);
    }
    console.log(
      `CPU ms to import each deployed bundle in a fresh node (${process.env.AI_OPS_BENCH_NODE || process.execPath}) with its deployed NODE_OPTIONS, paired with the SDK-only bundle; ${pairs} pairs; goal handler / SDK ≤ ${GOAL}×`,
    );
    console.table(rows);
    for (const line of extras) console.log(line);
    if (only && only !== 'analyzer') return;
    const git = join(dir, 'git-workspaces.mjs');
    await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [join(ROOT, 'functions/adapters/git-workspaces.ts')],
      outfile: git,
    });
    const gitMs = median(Array.from({ length: 11 }, () => importCpuMs(git, nodeOptions(false))));
    console.log(
      `  deferred to the analyzer's first clone: the git workspaces (isomorphic-git) import in ${gitMs.toFixed(0)} ms on their own`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
