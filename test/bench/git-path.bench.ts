// The analyzer's git path (clone → list → read 3 → edit → commit → push) with our workspace
// against native git doing the same work, both on the same local smart-HTTP server, alternating,
// median of RUNS. Native does no checkout either: a bare depth-1 clone, `ls-tree -r`, `cat-file`,
// then `hash-object` + `mktree` (leaf to root) + `commit-tree` and a push of that commit.
// Repositories: the real svelte, tldr and rails when AI_OPS_BENCH_REPOS names a folder holding
// them (see findRealRepo), otherwise generated to their measured shape (git-repo-shapes.ts).
// Ours runs from an esbuild bundle (like the Lambda) in a process of its own, so its peak RSS
// is its own; native's is measured with /usr/bin/time -v.
// AI_OPS_BENCH_GIT_REPOS=svelte,tldr limits the repositories; AI_OPS_BENCH_GIT_RUNS sets RUNS.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { runGit, startGitServer } from '../support/git-server.ts';
import { BUNDLE_OPTIONS } from './bundle-options.ts';
import type { GitPathWorkerInput, GitPathWorkerOutput } from './git-path-worker.ts';
import { findRealRepo, REPO_SHAPES, type RepoShape, writeGeneratedRepo } from './git-repo-shapes.ts';

const TOKEN = 'bench-token';
const TIME_BIN = '/usr/bin/time';
const RUNS = Math.max(3, Number(process.env.AI_OPS_BENCH_GIT_RUNS ?? 3));
const GOAL_RATIO = 1.5;
const GOAL_RSS_MB = 200;

interface Measurement {
  ms: number;
  /** user + system CPU of the process(es), a check on the wall times of a busy machine */
  cpuMs: number;
  rssMb: number;
  phases?: Record<string, number>;
}

interface ServedRepo {
  url: string;
  base: string;
  source: string;
  objects: number;
  files: number;
  paths: string[];
}

export default async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'git-path-bench-'));
  const server = await startGitServer({ root: join(root, 'srv'), token: TOKEN });
  try {
    const worker = join(root, 'git-path-worker.mjs');
    await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [fileURLToPath(new URL('./git-path-worker.ts', import.meta.url))],
      outfile: worker,
    });
    const only = (process.env.AI_OPS_BENCH_GIT_REPOS ?? '').split(',').filter(Boolean);
    const shapes = REPO_SHAPES.filter((s) => only.length === 0 || only.includes(s.label));
    const idle = await runWorker(worker, {
      mode: 'idle',
      url: '',
      host: '',
      token: '',
      base: '',
      branch: '',
      paths: [],
    });
    console.log(
      `peak RSS of the bundled worker importing the adapter only: ${idle.maxRssMb.toFixed(0)} MB (in "ours MB")`,
    );
    const rows: string[][] = [];
    for (const shape of shapes) {
      const repo = await serveRepo({ root, server, shape });
      const native: Measurement[] = [];
      const ours: Measurement[] = [];
      for (let i = 0; i < RUNS; i++) {
        native.push(await runNative({ root, repo, branch: `fix/native-${i}` }));
        const out = await runWorker(worker, {
          mode: 'ours',
          url: repo.url,
          host: server.host,
          token: TOKEN,
          base: repo.base,
          branch: `fix/ours-${i}`,
          paths: repo.paths,
        });
        if (out.files !== repo.files) throw new Error(`ours listed ${out.files} files, native ${repo.files}`);
        ours.push({ ms: out.totalMs, cpuMs: out.cpuMs, rssMb: out.maxRssMb, phases: out.phases });
      }
      const n = median(native.map((m) => m.ms));
      const o = median(ours.map((m) => m.ms));
      const oursPhases = ours.find((m) => m.ms === o)?.phases ?? {};
      const oursRss = Math.max(...ours.map((m) => m.rssMb));
      const ratio = o / n;
      rows.push([
        `${shape.label} (${repo.source})`,
        `${repo.objects}`,
        `${repo.files}`,
        n.toFixed(0),
        Math.max(...native.map((m) => m.rssMb)).toFixed(0),
        o.toFixed(0),
        oursRss.toFixed(0),
        `${ratio.toFixed(2)}× ${ratio <= GOAL_RATIO ? 'ok' : 'MISSED'}`,
        `${median(ours.map((m) => m.cpuMs)).toFixed(0)} / ${median(native.map((m) => m.cpuMs)).toFixed(0)}`,
        Object.entries(oursPhases)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(' · '),
      ]);
    }
    printTable(
      [
        'repo',
        'objects',
        'files',
        'native ms',
        'native MB',
        'ours ms',
        'ours MB',
        'ours/native',
        'CPU ms ours / native',
        'ours phases (ms)',
      ],
      rows,
    );
    console.log(
      `median of ${RUNS} alternating runs, same server, same run; MB = peak RSS (max of the runs); CPU = user + system (native: all its git processes); goal: ours/native ≤ ${GOAL_RATIO}× and ours ≤ ${GOAL_RSS_MB} MB`,
    );
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Puts the head commit of the real repository (or a generated one) on the server at depth 1. */
async function serveRepo(options: {
  root: string;
  server: Awaited<ReturnType<typeof startGitServer>>;
  shape: RepoShape;
}): Promise<ServedRepo> {
  const { root, server, shape } = options;
  const bare = server.repoPath('bench', shape.label);
  await mkdir(dirname(bare), { recursive: true });
  const realRoot = process.env.AI_OPS_BENCH_REPOS;
  const real = realRoot ? findRealRepo(realRoot, shape) : undefined;
  let source = 'generated';
  if (real) {
    let from = real;
    if (real.endsWith('.bundle')) {
      from = join(root, `${shape.label}-unbundled.git`);
      runGit(['clone', '--quiet', '--bare', real, from]);
    }
    // only the head commit, as a shallow repository the server can serve
    runGit(['clone', '--quiet', '--bare', '--depth', '1', '--no-tags', `file://${from}`, bare]);
    source = 'real';
  } else {
    runGit(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await writeGeneratedRepo(bare, shape);
  }
  runGit(['config', 'http.receivepack', 'true'], { cwd: bare });
  runGit(['repack', '-adq'], { cwd: bare });
  const base = runGit(['symbolic-ref', '--short', 'HEAD'], { cwd: bare }).toString().trim();
  const count = runGit(['count-objects', '-v'], { cwd: bare }).toString();
  const objects = Number(/in-pack: (\d+)/.exec(count)?.[1] ?? 0);
  const listing = runGit(['ls-tree', '-r', '-l', 'HEAD'], { cwd: bare }).toString().trim().split('\n');
  // the implicated files of a trace: three ordinary source files spread over the tree
  const candidates = listing
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      const [mode, , , size] = meta.split(/\s+/);
      return { mode, path, size: Number(size) };
    })
    .filter((e) => e.mode === '100644' && e.size > 200 && e.size < 50_000 && /^[\w./-]+$/.test(e.path));
  const paths = [1, 2, 3].map((i) => candidates[Math.floor((i * candidates.length) / 4)]?.path ?? '');
  return { url: server.repoUrl('bench', shape.label), base, source, objects, files: listing.length, paths };
}

async function runNative(options: { root: string; repo: ServedRepo; branch: string }): Promise<Measurement> {
  const { root, repo, branch } = options;
  const dir = join(root, `native-${Date.now()}`);
  const authed = repo.url.replace('http://', `http://x-access-token:${TOKEN}@`);
  const [first = '', ...rest] = repo.paths;
  const script = `
set -e
git clone --quiet --bare --depth 1 --single-branch --no-tags --branch '${repo.base}' '${authed}' '${dir}'
cd '${dir}'
git ls-tree -r --full-tree HEAD > /dev/null
for p in '${first}' ${rest.map((p) => `'${p}'`).join(' ')}; do git cat-file blob "HEAD:$p" > /dev/null; done
oid=$( { git cat-file blob 'HEAD:${first}'; echo '# fixed'; } | git hash-object -w --stdin )
path='${first}'
while :; do
  dir=$(dirname "$path"); name=$(basename "$path")
  if [ "$dir" = . ]; then parent='HEAD^{tree}'; else parent="HEAD:$dir"; fi
  oid=$(git ls-tree "$parent" | awk -v n="$name" -v o="$oid" 'BEGIN{FS=OFS="\\t"} $2==n {split($1,a," "); $1=a[1]" "a[2]" "o} {print}' | git mktree)
  [ "$dir" = . ] && break
  path=$dir
done
commit=$(git -c user.name=bot -c user.email=bot@example.test commit-tree "$oid" -p HEAD -m 'fix(ai): bench')
git push --quiet '${authed}' "$commit:refs/heads/${branch}"
`;
  const hasTime = existsSync(TIME_BIN);
  const start = performance.now();
  const { stderr } = await spawnAsync(
    hasTime ? TIME_BIN : 'sh',
    hasTime ? ['-v', 'sh', '-c', script] : ['-c', script],
  );
  const ms = performance.now() - start;
  await rm(dir, { recursive: true, force: true });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  const seconds = (label: string) =>
    Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
  return { ms, cpuMs: (seconds('User') + seconds('System')) * 1000, rssMb: kb / 1024 };
}

async function runWorker(worker: string, input: GitPathWorkerInput): Promise<GitPathWorkerOutput> {
  const { stdout } = await spawnAsync(process.execPath, [worker, JSON.stringify(input)]);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as GitPathWorkerOutput;
}

function spawnAsync(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
