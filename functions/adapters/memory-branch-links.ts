import { type BranchLinks, branchLinkKey } from '../core/ports/branch-links.ts';
import type { RepoCoordinates } from '../core/ports/pull-requests.ts';

/** BranchLinks in process memory, for tests and the one-machine runner. */
export class MemoryBranchLinks implements BranchLinks {
  readonly #links = new Map<string, string>();

  async link({
    repo,
    branch,
    incidentKey,
  }: {
    repo: RepoCoordinates;
    branch: string;
    incidentKey: string;
  }): Promise<void> {
    this.#links.set(branchLinkKey({ repo, branch }), incidentKey);
  }

  async find({ repo, branch }: { repo: RepoCoordinates; branch: string }): Promise<string | undefined> {
    return this.#links.get(branchLinkKey({ repo, branch }));
  }
}
