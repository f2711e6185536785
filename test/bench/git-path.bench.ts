// The analyzer's repair git path (clone → read the implicated files → commit → push) with our
// workspace, with naive isomorphic-git (checkout + index) and with native git, against the same
// local smart-HTTP server. Ours and naive run in a child process each so that peak RSS is theirs
// alone (`process.resourceUsage().maxRSS`); native is measured with /usr/bin/time -v.
// This file is also that child: `tsx git-path.bench.ts --worker '<json>'`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit, startGitServer } from '../support/git-server.ts';

const TOKEN = 'bench-token';
const TIME_BIN = '/usr/bin/time';
const RUNS = 3;

interface RepoShape {
  label: string;
  dirs: number;
  filesPerDir: number;
  commits: number;
}

const SHAPES: RepoShape[] = [
  { label: 'small', dirs: 6, filesPerDir: 5, commits: 1 },
  // ~4k files in ~600 dirs, 3 commits that each touch every file: ~13k objects in all
  { label: '13k-object', dirs: 600, filesPerDir: 7, commits: 3 },
  { label: '40k-file', dirs: 2000, filesPerDir: 20, commits: 1 },
];

interface WorkerInput {
  mode: 'ours' | 'naive' | 'idle';
  url: string;
  host: string;
  branch: string;
  paths: string[];
}

interface WorkerOutput {
  phases: Record<string, number>;
  totalMs: number;
  maxRssMb: number;
  commit: string;
}

interface Measurement {
  ms: number;
  rssMb: number;
  phases?: Record<string, number>;
}

export default async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'git-path-bench-'));
  const server = await startGitServer({ root: join(root, 'srv'), token: TOKEN });
  try {
    const idle = await runWorker({ mode: 'idle', url: '', host: '', branch: '', paths: [] });
    console.log(
      `node + tsx baseline RSS of a worker: ${idle.maxRssMb.toFixed(0)} MB (included in "ours"/"naive" RSS)`,
    );
    const rows: string[][] = [];
    for (const shape of SHAPES) {
      const { objects, paths } = await generateRepo({ root, server, shape });
      const url = server.repoUrl('bench', shape.label);
      const native: Measurement[] = [];
      const ours: Measurement[] = [];
      for (let i = 0; i < RUNS; i++) {
        native.push(await runNative({ root, url, paths, branch: `fix/native-${i}` }));
        const out = await runWorker({ mode: 'ours', url, host: server.host, branch: `fix/ours-${i}`, paths });
        ours.push({ ms: out.totalMs, rssMb: out.maxRssMb, phases: out.phases });
      }
      // naive once: it is the slow reference, not the thing being tuned
      const naive =
        shape.label === '40k-file'
          ? undefined
          : await runWorker({
              mode: 'naive',
              url,
              host: server.host,
              branch: 'fix/naive',
              paths,
            });
      const n = median(native.map((m) => m.ms));
      const o = median(ours.map((m) => m.ms));
      const oursPhases = ours.find((m) => m.ms === o)?.phases ?? {};
      rows.push([
        shape.label,
        String(objects),
        fmtMs(n),
        `${Math.max(...native.map((m) => m.rssMb)).toFixed(0)}`,
        fmtMs(o),
        `${(o / n).toFixed(2)}x`,
        `${Math.max(...ours.map((m) => m.rssMb)).toFixed(0)}`,
        Object.entries(oursPhases)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(' · '),
        naive
          ? `${fmtMs(naive.totalMs)} (${(naive.totalMs / n).toFixed(1)}x, ${naive.maxRssMb.toFixed(0)} MB)`
          : 'skipped',
      ]);
    }
    printTable(
      [
        'repo',
        'objects',
        'native ms',
        'native MB',
        'ours ms',
        'ours/native',
        'ours MB',
        'ours phases (ms)',
        'naive isomorphic-git',
      ],
      rows,
    );
    console.log(`median of ${RUNS}; MB = peak RSS; goal on 13k-object: ≤ 2x native and ≤ 256 MB`);
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

async function generateRepo(options: {
  root: string;
  server: Awaited<ReturnType<typeof startGitServer>>;
  shape: RepoShape;
}): Promise<{ objects: number; paths: string[] }> {
  const { root, server, shape } = options;
  const work = join(root, `work-${shape.label}`);
  runGit(['init', '--quiet', '--initial-branch=main', work]);
  const paths: string[] = [];
  for (let d = 0; d < shape.dirs; d++) {
    for (let f = 0; f < shape.filesPerDir; f++) {
      paths.push(`src/pkg${d % 40}/mod${d}/file${f}.py`);
    }
  }
  for (let c = 0; c < shape.commits; c++) {
    await Promise.all(
      chunk(paths, 500).map(async (group) => {
        for (const path of group) {
          const full = join(work, path);
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, sourceText(path, c));
        }
      }),
    );
    runGit(['add', '--all'], { cwd: work });
    runGit(['commit', '--quiet', '-m', `commit ${c}`], { cwd: work });
  }
  const bare = server.repoPath('bench', shape.label);
  await mkdir(dirname(bare), { recursive: true });
  runGit(['clone', '--quiet', '--bare', work, bare]);
  runGit(['repack', '-adq'], { cwd: bare });
  await rm(work, { recursive: true, force: true });
  const count = runGit(['count-objects', '-v'], { cwd: bare }).toString();
  const objects = Number(/in-pack: (\d+)/.exec(count)?.[1] ?? 0);
  // the implicated files of a trace: a handful, spread over the tree
  const step = Math.floor(paths.length / 5);
  return { objects, paths: [0, 1, 2, 3, 4].map((i) => paths[i * step] ?? '') };
}

function sourceText(path: string, version: number): string {
  const lines = [`# ${path} v${version}`];
  let seed = [...path].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, version + 7);
  for (let i = 0; i < 40; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    lines.push(`def f${i}_${seed.toString(36)}(x):\n    return x * ${seed % 997} + ${i}`);
  }
  return `${lines.join('\n')}\n`;
}

async function runNative(options: {
  root: string;
  url: string;
  paths: string[];
  branch: string;
}): Promise<Measurement> {
  const { root, url, paths, branch } = options;
  const dir = join(root, `native-${Date.now()}`);
  const authed = url.replace('http://', `http://x-access-token:${TOKEN}@`);
  const script = [
    `git clone --quiet --depth 1 --single-branch --branch main '${authed}' '${dir}'`,
    `cd '${dir}'`,
    `cat ${paths.map((p) => `'${p}'`).join(' ')} > /dev/null`,
    `echo '# fixed' >> '${paths[0]}'`,
    `git -c user.name=bot -c user.email=bot@example.test commit --quiet -am 'fix(ai): bench'`,
    `git push --quiet origin 'HEAD:refs/heads/${branch}'`,
  ].join(' && ');
  const hasTime = existsSync(TIME_BIN);
  const start = performance.now();
  const { stderr } = await spawnAsync(
    hasTime ? TIME_BIN : 'sh',
    hasTime ? ['-v', 'sh', '-c', script] : ['-c', script],
  );
  const ms = performance.now() - start;
  await rm(dir, { recursive: true, force: true });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  return { ms, rssMb: kb / 1024 };
}

async function runWorker(input: WorkerInput): Promise<WorkerOutput> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await spawnAsync(process.execPath, [
    '--import',
    'tsx',
    self,
    '--worker',
    JSON.stringify(input),
  ]);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as WorkerOutput;
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

async function worker(input: WorkerInput): Promise<WorkerOutput> {
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = now - mark;
    mark = now;
  };
  const bot = { name: 'ai-ops bot', email: 'bot@example.test' };
  let commit = '';
  if (input.mode === 'ours') {
    const { cloneWorkspace } = await import('../../functions/adapters/git-workspace.ts');
    mark = performance.now();
    const ws = await cloneWorkspace({
      url: input.url,
      branch: 'main',
      token: TOKEN,
      allowedHost: input.host,
      author: bot,
    });
    lap('clone');
    const first = input.paths[0] ?? '';
    let content: Uint8Array = new Uint8Array();
    for (const path of input.paths) {
      const bytes = await ws.readFile(path);
      if (path === first && bytes) content = bytes;
    }
    lap('read');
    await ws.writeFile(first, Buffer.concat([content, Buffer.from('# fixed\n')]));
    commit = await ws.commit({ branch: input.branch, message: 'fix(ai): bench', author: bot });
    lap('commit');
    await ws.push({ branch: input.branch });
    lap('push');
  } else if (input.mode === 'naive') {
    const git = (await import('isomorphic-git')).default;
    const http = (await import('isomorphic-git/http/node')).default;
    const { createFsFromVolume, Volume } = await import('memfs');
    const fs = createFsFromVolume(new Volume());
    const dir = '/repo';
    const onAuth = () => ({ username: 'x-access-token', password: TOKEN });
    mark = performance.now();
    await git.clone({
      fs,
      http,
      dir,
      url: input.url,
      ref: 'main',
      singleBranch: true,
      depth: 1,
      noTags: true,
      onAuth,
    });
    lap('clone');
    for (const path of input.paths) await fs.promises.readFile(`${dir}/${path}`);
    lap('read');
    const first = input.paths[0] ?? '';
    await fs.promises.appendFile(`${dir}/${first}`, '# fixed\n');
    await git.add({ fs, dir, filepath: first });
    await git.branch({ fs, dir, ref: input.branch, checkout: true });
    commit = await git.commit({ fs, dir, message: 'fix(ai): bench', author: bot });
    lap('commit');
    await git.push({ fs, http, dir, url: input.url, ref: input.branch, remoteRef: input.branch, onAuth });
    lap('push');
  }
  const totalMs = Object.values(phases).reduce((a, b) => a + b, 0);
  return { phases, totalMs, maxRssMb: process.resourceUsage().maxRSS / 1024, commit };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function fmtMs(ms: number): string {
  return ms.toFixed(0);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

if (process.argv[2] === '--worker' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const input = JSON.parse(process.argv[3] ?? '{}') as WorkerInput;
  const output = await worker(input);
  console.log(JSON.stringify(output));
}
