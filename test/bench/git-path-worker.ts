// One run of the analyzer's git path in a process of its own, so that peak RSS is the path's:
// clone → list every file → read 3 → edit one → commit → push. The bench bundles this file with
// esbuild like the deployed Lambda and runs `node worker.mjs '<json>'`; it prints one JSON line.
import { cloneWorkspace } from '../../functions/adapters/git-workspace.ts';

export interface GitPathWorkerInput {
  /** `idle`: import only, for the process's baseline RSS */
  mode: 'ours' | 'idle';
  url: string;
  host: string;
  token: string;
  base: string;
  branch: string;
  paths: string[];
}

export interface GitPathWorkerOutput {
  phases: Record<string, number>;
  totalMs: number;
  /** user + system CPU of the whole process from the clone on */
  cpuMs: number;
  maxRssMb: number;
  files: number;
  commit: string;
}

async function runWorker(input: GitPathWorkerInput): Promise<GitPathWorkerOutput> {
  const phases: Record<string, number> = {};
  const cpu = process.cpuUsage();
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = now - mark;
    mark = now;
  };
  const bot = { name: 'ai-ops bot', email: 'bot@example.test' };
  let commit = '';
  let files = 0;
  if (input.mode === 'ours') {
    const ws = await cloneWorkspace({
      url: input.url,
      branch: input.base,
      token: input.token,
      allowedHost: input.host,
      author: bot,
    });
    lap('clone');
    files = (await ws.listFiles()).length;
    lap('list');
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
  }
  const totalMs = Object.values(phases).reduce((a, b) => a + b, 0);
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return { phases, totalMs, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, files, commit };
}

const input = JSON.parse(process.argv[2] ?? '{}') as GitPathWorkerInput;
console.log(JSON.stringify(await runWorker(input)));
