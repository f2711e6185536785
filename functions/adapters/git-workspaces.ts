import type { HttpClient } from 'isomorphic-git';
import type { RepoRef } from '../core/contracts.ts';
import type { GitIdentity } from '../core/ports/repo-workspace.ts';
import type { Workspaces } from '../core/repair/repair-incident.ts';
import { cloneWorkspace, gitUrlFromApiUrl, remoteBranchHead } from './git-workspace.ts';

/** Workspaces over the in-memory git workspace: the clone URL follows from the GitHub API URL. */
export function makeGitWorkspaces({
  apiUrl,
  token,
  author,
  http,
}: {
  apiUrl: string;
  token: () => Promise<string | undefined>;
  author: GitIdentity;
  http?: HttpClient;
}): Workspaces {
  const remote = async (repo: RepoRef) => {
    const url = gitUrlFromApiUrl(apiUrl, repo.owner, repo.name);
    const secret = await token();
    return {
      url,
      allowedHost: new URL(url).host,
      ...(secret ? { token: secret } : {}),
      ...(http ? { http } : {}),
    };
  };
  return {
    async clone({ repo, branch }) {
      return cloneWorkspace({ ...(await remote(repo)), branch, baseBranch: repo.baseBranch, author });
    },
    async remoteBranchHead({ repo, branch }) {
      return remoteBranchHead({ ...(await remote(repo)), branch });
    },
  };
}
