import type { FileEdit, FixProposal } from '../../contracts.ts';
import { functionBlockEdit } from './function-block.ts';
import { normalizeRepoPath } from './read-only-tools.ts';

/** One `<code_block filename="…">…</code_block>` of a whole-file answer. */
export interface CodeBlock {
  filename: string;
  content: string;
}

export type CodeBlockParse =
  | { kind: 'proposal'; proposal: FixProposal; skipped: SkippedBlock[] }
  | { kind: 'none'; reason: string; skipped: SkippedBlock[] };

export interface SkippedBlock {
  filename: string;
  /** `function_not_found`: the block is one function the file does not have (a whole file it is not) */
  why: 'not_in_repo' | 'bad_path' | 'unchanged' | 'function_not_found';
}

const CODE_BLOCK = /<code_block\s+filename\s*=\s*(["'])(.*?)\1\s*>([\s\S]*?)<\/code_block>/g;
const WHOLE_FENCE = /^\s*```[^\n]*\n([\s\S]*?)\n?```\s*$/;

/** The `<code_block>` blocks of a model answer, in order; inner markdown fences are unwrapped. */
export function extractCodeBlocks(answer: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const match of answer.matchAll(CODE_BLOCK)) {
    const filename = match[2] ?? '';
    let content = match[3] ?? '';
    const fenced = WHOLE_FENCE.exec(content);
    if (fenced) content = `${fenced[1] ?? ''}\n`;
    // The newline right after the opening tag is layout, not file content.
    content = content.replace(/^\r?\n/, '');
    blocks.push({ filename, content });
  }
  return blocks;
}

/**
 * Turn the seed's whole-file answer into a FixProposal: each block replaces the whole
 * current file (oldText = the file, newText = the block, in the file's own line endings
 * and final-newline habit), except a block holding just one function, which replaces that
 * function only. Files not in `currentFiles` are skipped: an edit must match text that exists.
 */
export function parseCodeBlockAnswer(options: {
  answer: string;
  /** current text of the files the blocks name, keyed by normalised repository path */
  currentFiles: ReadonlyMap<string, string>;
}): CodeBlockParse {
  const { answer, currentFiles } = options;
  const blocks = extractCodeBlocks(answer);
  if (blocks.length === 0)
    return { kind: 'none', reason: 'the answer holds no <code_block> files', skipped: [] };

  const byPath = new Map<string, FileEdit[]>();
  const functions: string[] = [];
  const skipped: SkippedBlock[] = [];
  for (const block of blocks) {
    const path = normalizeRepoPath(block.filename);
    if (path === undefined || path === '') {
      skipped.push({ filename: block.filename, why: 'bad_path' });
      continue;
    }
    const current = currentFiles.get(path);
    if (current === undefined) {
      skipped.push({ filename: block.filename, why: 'not_in_repo' });
      continue;
    }
    const partial = functionBlockEdit({ block: block.content, current });
    if (partial.kind === 'not_found') {
      skipped.push({ filename: block.filename, why: 'function_not_found' });
      continue;
    }
    if (partial.kind === 'function') {
      if (partial.newText === partial.oldText) {
        skipped.push({ filename: block.filename, why: 'unchanged' });
        continue;
      }
      const edits = byPath.get(path) ?? [];
      // The same function given twice: the later block is the model's final word.
      const others = edits.filter((e) => e.oldText !== partial.oldText);
      byPath.set(path, [...others, { path, oldText: partial.oldText, newText: partial.newText }]);
      functions.push(`${partial.name} in ${path}`);
      continue;
    }
    const newText = matchFileConventions({ text: block.content, like: current });
    if (newText === current) {
      skipped.push({ filename: block.filename, why: 'unchanged' });
      continue;
    }
    // A file given twice: the later block is the model's final word.
    byPath.set(path, [{ path, oldText: current, newText }]);
  }
  if (byPath.size === 0) {
    return { kind: 'none', reason: 'no <code_block> names an existing file it changes', skipped };
  }

  const prose = answer.replace(CODE_BLOCK, '').trim();
  const paths = [...byPath.keys()];
  const proposal: FixProposal = {
    title: titleFrom({ prose, paths }),
    rootCause: prose === '' ? 'Not stated: the model answered with whole files only.' : prose,
    explanation:
      prose !== ''
        ? prose
        : functions.length > 0
          ? `Replaced ${functions.join(', ')}.`
          : `Replaced the content of ${paths.join(', ')}.`,
    // The model skipped the structured tool, so it never stated a confidence; claim none.
    confidence: 'low',
    edits: [...byPath.values()].flat(),
  };
  return { kind: 'proposal', proposal, skipped };
}

function matchFileConventions(options: { text: string; like: string }): string {
  const { like } = options;
  let text = options.text.replace(/\r\n/g, '\n');
  const endsWithNewline = /\r?\n$/.test(like);
  if (endsWithNewline && !text.endsWith('\n')) text += '\n';
  if (!endsWithNewline) text = text.replace(/\n$/, '');
  return like.includes('\r\n') ? text.replace(/\n/g, '\r\n') : text;
}

function titleFrom(options: { prose: string; paths: string[] }): string {
  const firstLine = options.prose
    .split('\n')
    .map((line) => line.replace(/^[#>*\-\s]+/, '').trim())
    .find((line) => line !== '');
  const title = firstLine ?? `Update ${options.paths.join(', ')}`;
  return title.length > 200 ? `${title.slice(0, 197)}...` : title;
}
