// Real-world evaluation harness (not part of the project): real issue-thread traces against real repos.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEvent } from './functions/core/contracts.ts';
import { detectErrors } from './functions/core/detect/detect-errors.ts';
import { buildRepairPrompt } from './functions/core/repair/build-repair-prompt.ts';
import type { RepoEntry, RepoReader } from './functions/core/ports/repo-workspace.ts';

const CASES = '/tmp/rw/cases';
const mirrorOf = (repo: string) => {
  const dir = `/work/.mirror/${repo.replace('/', '+')}`;
  if (!existsSync(dir)) return undefined;
  // the git dir may be the folder itself or one level below
  if (existsSync(join(dir, 'HEAD'))) return dir;
  const sub = readdirSync(dir).map((d) => join(dir, d)).find((d) => existsSync(join(d, 'HEAD')));
  return sub;
};

function reader(gitDir: string): RepoReader {
  const out = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '-z', 'HEAD'], { maxBuffer: 1 << 28 }).toString();
  const entries: RepoEntry[] = [];
  const blobs = new Map<string, string>();
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const [meta, path] = rec.split('\t') as [string, string];
    const [mode, , oid] = meta.split(' ') as [string, string, string];
    const kind = mode === '120000' ? 'symlink' : mode === '100755' ? 'executable' : mode === '160000' ? 'submodule' : 'file';
    entries.push({ path, kind });
    blobs.set(path, oid);
  }
  return {
    listFiles: async () => entries,
    readFile: async (p) => {
      const oid = blobs.get(p);
      if (!oid) return undefined;
      return execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', oid], { maxBuffer: 1 << 28 });
    },
  };
}

const only = process.argv[2];
let total = 0, innermostHit = 0, expectedTotal = 0, expectedHit = 0, nothing = 0;
for (const name of readdirSync(CASES).sort()) {
  if (only && !name.includes(only)) continue;
  const dir = join(CASES, name);
  if (!existsSync(join(dir, 'meta.json')) || !existsSync(join(dir, 'trace.txt'))) continue;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const gitDir = mirrorOf(meta.repo);
  if (!gitDir) { console.log(`${name}: no mirror for ${meta.repo}`); continue; }
  const text = readFileSync(join(dir, 'trace.txt'), 'utf8').replace(/\n$/, '');
  const base = { logGroup: '/aws/app', logStream: 's' };
  for (const shape of ['lines', 'whole'] as const) {
    const events: LogEvent[] = shape === 'lines'
      ? text.split('\n').map((message, i) => ({ ...base, id: String(i), timestamp: 1_700_000_000_000 + i, message }))
      : [{ ...base, id: '0', timestamp: 1_700_000_000_000, message: text }];
    const found = detectErrors(events);
    const repo = reader(gitDir);
    const implicated = new Set<string>();
    const summary: string[] = [];
    for (const { record } of found) {
      const p = await buildRepairPrompt({ error: record, repo });
      for (const x of p.implicatedPaths) implicated.add(x);
      summary.push(`${record.exceptionType}: ${record.message.slice(0, 60)} [${record.frames.length}f${record.causes.length ? `+${record.causes.length}c` : ''}] in=${[...p.implicatedPaths].slice(0,3).join(',')}`);
      if (process.env.V) for (const m of p.mappings) console.log('   ', m.frame.file, m.frame.line, m.kind, m.kind === 'mapped' ? m.path : m.reason);
    }
    total++;
    const hit = implicated.has(meta.innermost);
    if (hit) innermostHit++;
    if (implicated.size === 0) nothing++;
    const exp: string[] = meta.expected ?? [];
    expectedTotal += exp.length;
    const eh = exp.filter((e) => implicated.has(e)).length;
    expectedHit += eh;
    console.log(`${hit ? 'OK  ' : 'MISS'} ${name} [${shape}] records=${found.length} expected ${eh}/${exp.length} innermost=${meta.innermost}`);
    if (!hit || process.env.V) for (const s of summary) console.log(`     ${s}`);
  }
}
console.log(`\ninnermost in scope: ${innermostHit}/${total}; expected files in scope: ${expectedHit}/${expectedTotal}; nothing in scope: ${nothing}/${total}`);
