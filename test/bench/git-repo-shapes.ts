// The repositories the git-path bench runs on. With AI_OPS_BENCH_REPOS pointing at a folder of
// real clones (bare repositories or `git bundle`s, see `findRealRepo`), the bench serves their
// head commit; without it, it generates a repository of the same shape at depth 1. The numbers
// below were measured on the real repositories' head commits (main, December 2026) with
// `git ls-tree -r -t -l HEAD`: unique blobs and trees, directories and files per depth (depth =
// path segments), and blob-size quantiles. Never commit their code, only these numbers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RepoShape {
  /** short label and the GitHub repository it stands for */
  label: string;
  github: string;
  files: number;
  uniqueBlobs: number;
  uniqueTrees: number;
  /** directories per depth: index 0 is depth 1 (top-level folders) */
  dirsByDepth: number[];
  /** files per depth: index 0 is depth 1 (files in the root) */
  filesByDepth: number[];
  /** blob size in bytes at the quantiles of SIZE_QUANTILES */
  sizeQuantiles: number[];
  executables: number;
  symlinks: number;
}

export const SIZE_QUANTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

export const REPO_SHAPES: RepoShape[] = [
  {
    // 8,339 blobs + 3,759 trees + 1 commit ≈ 12.1k objects at depth 1
    label: 'svelte',
    github: 'sveltejs/svelte',
    files: 9080,
    uniqueBlobs: 8339,
    uniqueTrees: 3759,
    dirsByDepth: [10, 8, 19, 48, 32, 3529, 48, 73, 3],
    filesByDepth: [19, 31, 37, 129, 130, 87, 8332, 116, 186, 13],
    sizeQuantiles: [0, 58, 108, 225, 476, 964, 1993, 10567, 43660, 256149],
    executables: 0,
    symlinks: 0,
  },
  {
    label: 'tldr',
    github: 'tldr-pages/tldr',
    files: 38491,
    uniqueBlobs: 38015,
    uniqueTrees: 369,
    dirsByDepth: [45, 360],
    filesByDepth: [18, 43, 38430],
    sizeQuantiles: [5, 121, 153, 371, 702, 994, 1196, 1737, 4088, 556216],
    executables: 14,
    symlinks: 1,
  },
  {
    // few files, but 39 MB of blobs (fixtures, the guides' images)
    label: 'rails',
    github: 'rails/rails',
    files: 4983,
    uniqueBlobs: 4673,
    uniqueTrees: 1038,
    dirsByDepth: [18, 59, 155, 368, 263, 125, 46, 25, 31, 15, 1],
    filesByDepth: [23, 111, 307, 1613, 1670, 836, 229, 81, 57, 35, 20, 1],
    sizeQuantiles: [0, 57, 249, 1221, 4310, 12959, 25753, 101205, 1124060, 1124062],
    executables: 31,
    symlinks: 1,
  },
];

/**
 * A real copy of `shape` under `root`: `<owner>+<name>/repo` (the layout of a mirror directory),
 * `<name>.git`, `<name>` (bare repositories) or `<name>.bundle`.
 */
export function findRealRepo(root: string, shape: RepoShape): string | undefined {
  const [owner = '', name = ''] = shape.github.split('/');
  const candidates = [
    join(root, `${owner}+${name}`, 'repo'),
    join(root, `${name}.git`),
    join(root, name),
    join(root, `${name}.bundle`),
  ];
  return candidates.find((path) => existsSync(path));
}

/** Deterministic PRNG (mulberry32), so every run generates the same repository. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A blob size drawn from the measured quantiles (log-linear between them). */
function sampleSize(shape: RepoShape, random: () => number): number {
  const u = random();
  const q = shape.sizeQuantiles;
  for (let i = 1; i < SIZE_QUANTILES.length; i++) {
    const hi = SIZE_QUANTILES[i] ?? 1;
    if (u <= hi) {
      const lo = SIZE_QUANTILES[i - 1] ?? 0;
      const a = Math.log1p(q[i - 1] ?? 0);
      const b = Math.log1p(q[i] ?? 0);
      return Math.round(Math.expm1(a + ((u - lo) / (hi - lo || 1)) * (b - a)));
    }
  }
  return q.at(-1) ?? 0;
}

const WORDS = Array.from({ length: 1500 }, (_, i) => {
  const random = makeRandom(i + 1);
  const length = 2 + Math.floor(random() * 9);
  return Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
});

/** Source-like text (indented lines of identifiers and punctuation) that compresses like code. */
function sourceText(size: number, random: () => number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const indent = '  '.repeat(Math.floor(random() * 4));
    const words = 3 + Math.floor(random() * 8);
    let line = indent;
    for (let w = 0; w < words; w++)
      line += `${WORDS[Math.floor(random() * WORDS.length)]}${w % 3 === 2 ? '(' : ' '}`;
    line += random() < 0.5 ? ');\n' : '\n';
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

interface GeneratedEntry {
  path: string;
  mode: '100644' | '100755' | '120000';
  content: Buffer;
}

/** The files of a repository with `shape`'s directories per depth, files per depth and sizes. */
export function generateEntries(shape: RepoShape, seed = 1): GeneratedEntry[] {
  const random = makeRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  // directories level by level, each under a random directory one level up
  const levels: string[][] = [['']];
  shape.dirsByDepth.forEach((count, index) => {
    const parents = levels[index] ?? [''];
    levels.push(Array.from({ length: count }, (_, i) => `${pick(parents)}d${index + 1}x${i}/`));
  });
  const childCount = new Map<string, number>();
  for (const level of levels.slice(1)) {
    for (const dir of level) {
      const parent = dir.slice(0, dir.slice(0, -1).lastIndexOf('/') + 1);
      childCount.set(parent, (childCount.get(parent) ?? 0) + 1);
    }
  }
  const entries: GeneratedEntry[] = [];
  const contents: Buffer[] = [];
  const duplicateShare = 1 - shape.uniqueBlobs / shape.files;
  shape.filesByDepth.forEach((count, index) => {
    const dirs = levels[index] ?? [''];
    // directories with no subdirectory get a file first, or git would drop them
    const leaves = dirs.filter((dir) => !childCount.has(dir));
    for (let i = 0; i < count; i++) {
      const dir = i < leaves.length ? (leaves[i] as string) : pick(dirs);
      let content: Buffer;
      if (contents.length > 0 && random() < duplicateShare) content = pick(contents);
      else {
        content = sourceText(sampleSize(shape, random), random);
        contents.push(content);
      }
      entries.push({ path: `${dir}f${entries.length}.src`, mode: '100644', content });
    }
  });
  for (let i = 0; i < shape.executables && i < entries.length; i++) {
    const entry = entries[Math.floor((i * entries.length) / shape.executables)];
    if (entry) entry.mode = '100755';
  }
  for (let i = 0; i < shape.symlinks; i++) {
    entries.push({ path: `link${i}`, mode: '120000', content: Buffer.from(entries[0]?.path ?? 'x') });
  }
  return entries;
}

/** Writes the generated repository as one commit on `main` of the bare repository `bare` (git fast-import). */
export async function writeGeneratedRepo(bare: string, shape: RepoShape): Promise<void> {
  const entries = generateEntries(shape);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['--git-dir', bare, 'fast-import', '--quiet'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${stderr}`)),
    );
    const message = `generated like ${shape.github}\n`;
    const head = [
      'commit refs/heads/main',
      'committer bench <bench@example.test> 1764800000 +0000',
      `data ${Buffer.byteLength(message)}`,
      message,
    ].join('\n');
    const chunks: Buffer[] = [Buffer.from(head)];
    for (const entry of entries) {
      chunks.push(Buffer.from(`M ${entry.mode} inline ${entry.path}\ndata ${entry.content.byteLength}\n`));
      chunks.push(entry.content, Buffer.from('\n'));
    }
    chunks.push(Buffer.from('\n'));
    child.stdin.end(Buffer.concat(chunks));
  });
}
