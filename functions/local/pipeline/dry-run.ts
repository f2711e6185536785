import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PullRequest, PullRequests } from '../../core/ports/pull-requests.ts';
import type { GitIdentity, RepoWorkspace } from '../../core/ports/repo-workspace.ts';
import type { Workspaces } from '../../core/repair/repair-incident.ts';
import { unifiedDiff } from '../../core/repair/unified-diff.ts';

const safeName = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);

/**
 * `--dry-run`: the repository is cloned and read for real, but nothing is pushed; the commit
 * becomes `<branch>.patch` in the outbox, for a person to read or `git apply`.
 */
export function dryRunWorkspaces({ inner, outbox }: { inner: Workspaces; outbox: string }): Workspaces {
  return {
    remoteBranchHead: async () => undefined,
    async clone(options) {
      const workspace = await inner.clone(options);
      return patchingWorkspace({ workspace, outbox });
    },
  };
}

function patchingWorkspace({
  workspace,
  outbox,
}: {
  workspace: RepoWorkspace;
  outbox: string;
}): RepoWorkspace {
  const originals = new Map<string, string>();
  const changed = new Map<string, string>();
  const decoder = new TextDecoder();
  let message = '';
  let author: GitIdentity | undefined;
  return {
    get headCommit() {
      return workspace.headCommit;
    },
    get branch() {
      return workspace.branch;
    },
    listFiles: () => workspace.listFiles(),
    readFile: async (path) => {
      const edited = changed.get(path);
      return edited === undefined ? workspace.readFile(path) : new TextEncoder().encode(edited);
    },
    async writeFile(path, content) {
      if (!originals.has(path))
        originals.set(path, decoder.decode((await workspace.readFile(path)) ?? new Uint8Array()));
      changed.set(path, decoder.decode(content));
    },
    async commit(options) {
      message = options.message;
      author = options.author;
      return `dry-run-${workspace.headCommit.slice(0, 12)}`;
    },
    async push({ branch }) {
      await mkdir(outbox, { recursive: true });
      const header = [
        `From: ${author ? `${author.name} <${author.email}>` : 'ai-ops'}`,
        `Subject: [PATCH] ${message.split('\n', 1)[0] ?? ''}`,
        '',
        message.split('\n').slice(1).join('\n').trim(),
        '---',
        '',
      ].join('\n');
      const diffs = [...changed].map(([path, after]) =>
        unifiedDiff({ path, before: originals.get(path) ?? '', after }),
      );
      await writeFile(join(outbox, `${safeName(branch)}.patch`), `${header}${diffs.join('')}`);
    },
  };
}

/** `--dry-run`: the PR that would have been opened is written to the outbox as Markdown. */
export function dryRunPullRequests({ outbox }: { outbox: string }): PullRequests {
  const opened = new Map<string, PullRequest>();
  const fail = (what: string) => () => Promise.reject(new Error(`dry run: ${what} is not available`));
  return {
    findOpen: async ({ branch }) => opened.get(branch),
    get: async ({ number }) => [...opened.values()].find((pr) => pr.number === number),
    async open(request) {
      const existing = opened.get(request.head);
      if (existing) return { kind: 'existing', pr: existing };
      await mkdir(outbox, { recursive: true });
      const file = join(outbox, `${safeName(request.head)}.pr.md`);
      await writeFile(file, `# ${request.title}\n\n${request.body}\n`);
      const pr: PullRequest = {
        number: opened.size + 1,
        url: `file://${file}`,
        nodeId: 'dry-run',
        title: request.title,
        body: request.body,
        headBranch: request.head,
        headSha: '',
        baseBranch: request.base,
        draft: true,
        state: 'open',
        merged: false,
        labels: request.labels ?? [],
      };
      opened.set(request.head, pr);
      return { kind: 'opened', pr };
    },
    updateBody: fail('updating a PR'),
    addLabels: async () => undefined,
    comment: fail('commenting'),
  };
}
