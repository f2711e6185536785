import { describe, expect, it, vi } from 'vitest';
import { FixProposalSchema } from '../../functions/core/contracts.ts';
import { isRetryableModelStatus, ModelUnavailableError } from '../../functions/core/ports/fix-advisor.ts';
import type { RepoEntry, RepoReader } from '../../functions/core/ports/repo-workspace.ts';
import {
  extractCodeBlocks,
  parseCodeBlockAnswer,
} from '../../functions/core/repair/fix-advisor/code-block-fallback.ts';
import {
  addTurnUsage,
  computeCostUsd,
  emptyUsage,
  estimateRequestCostUsd,
  findModelPrices,
} from '../../functions/core/repair/fix-advisor/model-cost.ts';
import {
  executeReadOnlyTool,
  MAX_TOOL_OUTPUT_CHARS,
  MAX_VIEW_LINES,
  normalizeRepoPath,
} from '../../functions/core/repair/fix-advisor/read-only-tools.ts';

// A stand-in rule, so these tests prove every tool output goes through redact() whatever
// the real rules are (those are tested with redact itself).
vi.mock('../../functions/core/text/redact.ts', () => ({
  redact: (text: string) => text.replaceAll(/tok_[a-z0-9]+/g, '[REDACTED:test]'),
}));

function makeRepo(files: Record<string, string | Uint8Array>): RepoReader {
  const contents = new Map(Object.entries(files));
  return {
    listFiles: async (): Promise<RepoEntry[]> => [...contents.keys()].map((path) => ({ path, kind: 'file' })),
    readFile: async (path) => {
      const content = contents.get(path);
      return typeof content === 'string' ? new TextEncoder().encode(content) : content;
    },
  };
}

const repo = makeRepo({
  'src/app.py': 'import os\n\ndef handler(event):\n    return event["id"]\n',
  'src/db/conn.py': 'TOKEN = "tok_abc123"\nconnect(TOKEN)\n',
  'src/win.py': 'a = 1\r\nb = 2\r\n',
  'README.md': '# Demo\nCall handler() to run.\n',
  'logo.png': new Uint8Array([0x89, 0x50, 0x00, 0x47]),
});

describe('executeReadOnlyTool', () => {
  it('shows a whole file with line numbers', async () => {
    const result = await executeReadOnlyTool({ name: 'view_file', input: { path: 'src/app.py' }, repo });
    expect(result).toEqual({
      isError: false,
      content:
        'src/app.py (lines 1-4 of 4)\n1\timport os\n2\t\n3\tdef handler(event):\n4\t    return event["id"]',
    });
  });

  it('shows a line range and normalises the path the model gave', async () => {
    const result = await executeReadOnlyTool({
      name: 'view_file',
      input: { path: './src//app.py', startLine: 3, endLine: 9 },
      repo,
    });
    expect(result.content).toBe(
      'src/app.py (lines 3-4 of 4)\n3\tdef handler(event):\n4\t    return event["id"]',
    );
  });

  it('splits CRLF lines without leaving carriage returns', async () => {
    const result = await executeReadOnlyTool({ name: 'view_file', input: { path: 'src/win.py' }, repo });
    expect(result.content).toBe('src/win.py (lines 1-2 of 2)\n1\ta = 1\n2\tb = 2');
  });

  it('caps a view and says how to continue', async () => {
    const big = makeRepo({ 'big.txt': Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n') });
    const result = await executeReadOnlyTool({
      name: 'view_file',
      input: { path: 'big.txt', startLine: 10 },
      repo: big,
    });
    const lines = result.content.split('\n');
    expect(lines[0]).toBe(`big.txt (lines 10-${9 + MAX_VIEW_LINES} of 1000)`);
    expect(lines[1]).toBe(' 10\tline 10');
    expect(lines.at(-1)).toBe(
      `[showing ${MAX_VIEW_LINES} lines; ask for startLine ${10 + MAX_VIEW_LINES} to continue]`,
    );
  });

  it('clips a result of very long lines to the output cap', async () => {
    const minified = makeRepo({
      'bundle.js': Array.from({ length: 300 }, () => 'x'.repeat(5000)).join('\n'),
    });
    const result = await executeReadOnlyTool({
      name: 'view_file',
      input: { path: 'bundle.js' },
      repo: minified,
    });
    expect(result.content.length).toBeLessThan(MAX_TOOL_OUTPUT_CHARS + 100);
    expect(result.content).toContain('…[line truncated]');
    expect(
      result.content.endsWith(`[output truncated at ${MAX_TOOL_OUTPUT_CHARS} characters; ask for less]`),
    ).toBe(true);
  });

  it('reports missing, binary, out-of-range and escaping paths as tool errors', async () => {
    const missing = await executeReadOnlyTool({ name: 'view_file', input: { path: 'src/nope.py' }, repo });
    expect(missing).toMatchObject({
      isError: true,
      content: expect.stringContaining('No such file: src/nope.py'),
    });
    const binary = await executeReadOnlyTool({ name: 'view_file', input: { path: 'logo.png' }, repo });
    expect(binary).toMatchObject({ isError: true, content: 'logo.png is a binary file (4 bytes).' });
    const past = await executeReadOnlyTool({
      name: 'view_file',
      input: { path: 'README.md', startLine: 5 },
      repo,
    });
    expect(past).toMatchObject({ isError: true, content: expect.stringContaining('past the end') });
    const escaping = await executeReadOnlyTool({ name: 'view_file', input: { path: '../etc/passwd' }, repo });
    expect(escaping.isError).toBe(true);
  });

  it('answers invalid input and unknown tools with the reason', async () => {
    const invalid = await executeReadOnlyTool({ name: 'view_file', input: { path: 3, startLine: 0 }, repo });
    expect(invalid.isError).toBe(true);
    expect(invalid.content).toContain('Invalid input for view_file');
    expect(invalid.content).toContain('path');
    expect(invalid.content).toContain('startLine');
    const unknown = await executeReadOnlyTool({ name: 'run_shell', input: { cmd: 'ls' }, repo });
    expect(unknown).toMatchObject({
      isError: true,
      content: expect.stringContaining('Unknown tool "run_shell"'),
    });
  });

  it('lists a directory one level deep, directories marked with a slash', async () => {
    const root = await executeReadOnlyTool({ name: 'list_directory', input: {}, repo });
    expect(root).toEqual({ isError: false, content: '(root):\nREADME.md\nlogo.png\nsrc/' });
    const src = await executeReadOnlyTool({ name: 'list_directory', input: { path: 'src/' }, repo });
    expect(src.content).toBe('src:\napp.py\ndb/\nwin.py');
    const none = await executeReadOnlyTool({ name: 'list_directory', input: { path: 'lib' }, repo });
    expect(none).toEqual({ isError: true, content: 'No such directory: lib' });
  });

  it('searches literal text with bounded, located hits', async () => {
    const hits = await executeReadOnlyTool({ name: 'search_text', input: { query: 'handler' }, repo });
    expect(hits).toEqual({
      isError: false,
      content: 'README.md:2: Call handler() to run.\nsrc/app.py:3: def handler(event):',
    });
    const scoped = await executeReadOnlyTool({
      name: 'search_text',
      input: { query: 'HANDLER', ignoreCase: true, path: 'src' },
      repo,
    });
    expect(scoped.content).toBe('src/app.py:3: def handler(event):');
    // A regex metacharacter is just text: the model cannot write a catastrophic pattern.
    const literal = await executeReadOnlyTool({ name: 'search_text', input: { query: '(.*)+$' }, repo });
    expect(literal.content).toBe('No matches for "(.*)+$".');
  });

  it('stops a search at maxResults and says so', async () => {
    const many = makeRepo({ 'a.txt': Array.from({ length: 50 }, () => 'needle').join('\n') });
    const result = await executeReadOnlyTool({
      name: 'search_text',
      input: { query: 'needle', maxResults: 5 },
      repo: many,
    });
    const lines = result.content.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[4]).toBe('a.txt:5: needle');
    expect(lines[5]).toContain('stopped at 5 matches');
    const tooMany = await executeReadOnlyTool({
      name: 'search_text',
      input: { query: 'needle', maxResults: 1000 },
      repo: many,
    });
    expect(tooMany.isError).toBe(true);
  });

  it('passes every output through redact()', async () => {
    const view = await executeReadOnlyTool({ name: 'view_file', input: { path: 'src/db/conn.py' }, repo });
    expect(view.content).toContain('1\tTOKEN = "[REDACTED:test]"');
    expect(view.content).not.toContain('tok_abc123');
    const search = await executeReadOnlyTool({ name: 'search_text', input: { query: 'tok_' }, repo });
    expect(search.content).toBe('src/db/conn.py:1: TOKEN = "[REDACTED:test]"');
    // Even an error echoing the model's input is redacted.
    const echo = await executeReadOnlyTool({ name: 'view_file', input: { path: 'tok_zzz9' }, repo });
    expect(echo.content).not.toContain('tok_zzz9');
  });
});

describe('normalizeRepoPath', () => {
  it.each([
    ['./src/app.py', 'src/app.py'],
    ['/src/app.py', 'src/app.py'],
    ['src\\app.py', 'src/app.py'],
    ['', ''],
    ['src/../secrets', undefined],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRepoPath(input)).toBe(expected);
  });
});

describe('model cost', () => {
  it('prices the four token kinds per million', () => {
    const prices = findModelPrices('claude-sonnet-4-5');
    if (!prices) throw new Error('sonnet 4.5 should be priced');
    const tokens = {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cacheReadTokens: 2_000_000,
      cacheWriteTokens: 400_000,
    };
    // 3 + 1.5 + 0.6 + 1.5
    expect(computeCostUsd({ tokens, prices })).toBeCloseTo(6.6, 10);
  });

  it('resolves dated model ids and refuses to guess unknown ones', () => {
    expect(findModelPrices('claude-haiku-4-5-20251001')).toEqual({
      input: 1,
      output: 5,
      cacheWrite: 1.25,
      cacheRead: 0.1,
    });
    expect(findModelPrices('claude-opus-4-1-20250805')?.output).toBe(75);
    expect(findModelPrices('claude-opus-4-6')?.output).toBe(25);
    expect(findModelPrices('gpt-5')).toBeUndefined();
  });

  it('accumulates usage turn by turn', () => {
    const prices = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
    const once = addTurnUsage({
      total: emptyUsage(),
      tokens: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 5000 },
      prices,
    });
    const twice = addTurnUsage({
      total: once,
      tokens: { inputTokens: 200, outputTokens: 50, cacheReadTokens: 5000, cacheWriteTokens: 0 },
      prices,
    });
    expect(twice).toMatchObject({
      inputTokens: 1200,
      outputTokens: 150,
      cacheReadTokens: 5000,
      cacheWriteTokens: 5000,
      turns: 2,
    });
    expect(twice.costUsd).toBeCloseTo((1200 * 3 + 150 * 15 + 5000 * 0.3 + 5000 * 3.75) / 1e6, 12);
  });

  it('estimates the worst case of a request at the dearest input rate plus all output tokens', () => {
    const prices = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
    expect(estimateRequestCostUsd({ promptTokens: 10_000, maxOutputTokens: 1000, prices })).toBeCloseTo(
      0.0525,
      12,
    );
  });
});

describe('code_block fallback', () => {
  const current = 'def f(x):\n    return x[0]\n';

  it('turns a whole-file block into one edit replacing the whole current file', () => {
    const answer =
      'Guard the empty list.\n\n<code_block filename="src/f.py">\ndef f(x):\n    return x[0] if x else None\n</code_block>';
    const parsed = parseCodeBlockAnswer({ answer, currentFiles: new Map([['src/f.py', current]]) });
    expect(parsed).toEqual({
      kind: 'proposal',
      skipped: [],
      proposal: {
        title: 'Guard the empty list.',
        rootCause: 'Guard the empty list.',
        explanation: 'Guard the empty list.',
        confidence: 'low',
        edits: [
          { path: 'src/f.py', oldText: current, newText: 'def f(x):\n    return x[0] if x else None\n' },
        ],
      },
    });
    if (parsed.kind === 'proposal') expect(FixProposalSchema.safeParse(parsed.proposal).success).toBe(true);
  });

  it("keeps the file's CRLF line endings and missing final newline", () => {
    const crlf = 'a = 1\r\nb = 2';
    const answer = "<code_block filename='./w.py'>\na = 1\nb = 3\n</code_block>";
    const parsed = parseCodeBlockAnswer({ answer, currentFiles: new Map([['w.py', crlf]]) });
    expect(parsed.kind === 'proposal' && parsed.proposal.edits).toEqual([
      { path: 'w.py', oldText: crlf, newText: 'a = 1\r\nb = 3' },
    ]);
    expect(parsed.kind === 'proposal' && parsed.proposal.title).toBe('Update w.py');
  });

  it('unwraps a markdown fence inside the block', () => {
    expect(extractCodeBlocks('<code_block filename="a.py">\n```python\nx = 1\n```\n</code_block>')).toEqual([
      { filename: 'a.py', content: 'x = 1\n' },
    ]);
  });

  it('skips files that do not exist or do not change, and says none is left', () => {
    const answer = [
      '<code_block filename="src/new.py">\nprint(1)\n</code_block>',
      `<code_block filename="src/f.py">\n${current}</code_block>`,
      '<code_block filename="../x.py">\n1\n</code_block>',
    ].join('\n');
    const parsed = parseCodeBlockAnswer({ answer, currentFiles: new Map([['src/f.py', current]]) });
    expect(parsed).toEqual({
      kind: 'none',
      reason: 'no <code_block> names an existing file it changes',
      skipped: [
        { filename: 'src/new.py', why: 'not_in_repo' },
        { filename: 'src/f.py', why: 'unchanged' },
        { filename: '../x.py', why: 'bad_path' },
      ],
    });
  });

  it('finds nothing in an answer without blocks', () => {
    expect(parseCodeBlockAnswer({ answer: 'No fix needed.', currentFiles: new Map() }).kind).toBe('none');
  });
});

describe('ModelUnavailableError', () => {
  it('carries a code, the status and whether to retry', () => {
    const cause = new Error('HTTP 529');
    const error = new ModelUnavailableError({ message: 'overloaded', retryable: true, status: 529, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'ModelUnavailableError',
      code: 'MODEL_UNAVAILABLE',
      retryable: true,
      status: 529,
      cause,
    });
  });

  it.each([
    [429, true],
    [500, true],
    [529, true],
    [408, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryableModelStatus(status)).toBe(expected);
  });
});
