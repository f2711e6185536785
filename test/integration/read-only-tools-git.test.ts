import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace } from '../../functions/adapters/git-workspace.ts';
import type { RepoReader } from '../../functions/core/ports/repo-workspace.ts';
import { executeReadOnlyTool } from '../../functions/core/repair/fix-advisor/read-only-tools.ts';
import { createBareRepo, type GitServer, startGitServer } from '../support/git-server.ts';

// obviously fake, built so no scanner mistakes it for a credential
const TOKEN = ['read', 'tools', 'not', 'secret'].join('-');

let server: GitServer;

beforeAll(async () => {
  server = await startGitServer({ token: TOKEN });
  await createBareRepo({
    server,
    owner: 'acme',
    name: 'tools',
    files: { 'app.py': 'def f():\n    return 1\n', 'pkg/mod.py': 'x = 1\n' },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('read-only tools on a real clone: read errors are tool errors (issue #11)', () => {
  it.each([
    ['view_file', { path: 'app.py/x' }],
    ['view_file', { path: 'app.py/x/y.py' }],
    ['view_file', { path: 'pkg' }],
    ['list_directory', { path: 'app.py/x' }],
  ])('%s %j answers the model instead of aborting the repair', async (name, input) => {
    const repo = await cloneWorkspace({
      url: server.repoUrl('acme', 'tools'),
      branch: 'main',
      token: TOKEN,
      allowedHost: server.host,
      author: { name: 'bot', email: 'bot@example.test' },
    });
    const result = await executeReadOnlyTool({ name, input, repo });
    expect(result.isError).toBe(true);
    expect(result.content.length).toBeGreaterThan(10);
  });

  it('turns a reader that throws into a tool error naming the code', async () => {
    const failing: RepoReader = {
      listFiles: async () => [{ path: 'app.py', kind: 'file' }],
      readFile: async () => {
        throw Object.assign(new Error('ENOTDIR: not a directory, open app.py/x'), { code: 'ENOTDIR' });
      },
    };
    const result = await executeReadOnlyTool({
      name: 'view_file',
      input: { path: 'app.py/x' },
      repo: failing,
    });
    expect(result).toEqual({
      isError: true,
      content:
        'view_file could not read the repository there: ENOTDIR (ENOTDIR: not a directory, open app.py/x)',
    });
  });
});
