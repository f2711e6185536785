import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { runWatch } from '../../../functions/local/commands/watch-command.ts';
import { createRepairPipeline } from '../../../functions/local/pipeline/repair-pipeline.ts';
import {
  type AnthropicStandIn,
  type StandInStep,
  startAnthropicStandIn,
} from '../../support/anthropic-stand-in.ts';
import {
  createBareRepo,
  type GitServer,
  type RepoFileSpec,
  startGitServer,
} from '../../support/git-server.ts';
import {
  bareRepoBranchResolver,
  type GitHubStandIn,
  startGitHubStandIn,
} from '../../support/github-stand-in.ts';

/** The stand-ins `ai-ops watch` runs against on one machine, started for one test file. */
export interface LocalStandIns {
  git: GitServer;
  github: GitHubStandIn;
  anthropic: AnthropicStandIn;
  /** `ai-ops watch <args>` from `dir` against them, on the repository demo/shop (see runWatchToEnd) */
  watch(options: { args: string[]; dir: string; env?: Record<string, string> }): Promise<{
    code: number;
    printed: string;
  }>;
}

/**
 * The git server, GitHub and Anthropic stand-ins for a test file, started before its tests and
 * closed after them, with the repository demo/shop holding `files` and the model answering
 * `script`. Filled in place: hold on to it before beforeAll has run.
 */
export function useLocalStandIns({
  token,
  files,
  script,
}: {
  token: string;
  files: Record<string, RepoFileSpec>;
  script: StandInStep[];
}): LocalStandIns {
  const local = {
    watch: (options) =>
      runWatchToEnd({
        ...options,
        token,
        repo: 'demo/shop',
        githubUrl: local.github.baseUrl,
        anthropicUrl: local.anthropic.url,
      }),
  } as LocalStandIns;
  beforeAll(async () => {
    local.git = await startGitServer({ token });
    local.github = await startGitHubStandIn({
      tokens: [token],
      gitOrigin: local.git.url,
      resolveBranch: bareRepoBranchResolver({ dirFor: local.git.repoPath }),
    });
    local.anthropic = await startAnthropicStandIn({ script });
    await createBareRepo({ server: local.git, owner: 'demo', name: 'shop', files });
    local.github.addRepo({ owner: 'demo', repo: 'shop' });
  });
  afterAll(async () => {
    await Promise.allSettled([local.github?.close(), local.git?.close(), local.anthropic?.close()]);
  });
  return local;
}

/**
 * `ai-ops watch <args>` on one machine, run to its end against the stand-ins, as a person runs it
 * from `dir`: its state in `dir/state.db`, its outbox in `dir/outbox`, mail by SMTP settings that
 * `env` may replace. Returns the exit code and all it printed.
 */
export async function runWatchToEnd({
  args,
  dir,
  token,
  repo,
  githubUrl,
  anthropicUrl,
  env = {},
}: {
  args: string[];
  dir: string;
  token: string;
  /** `owner/name` */
  repo: string;
  githubUrl: string;
  anthropicUrl: string;
  env?: Record<string, string>;
}): Promise<{ code: number; printed: string }> {
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => {
    printed += c.toString();
  });
  const code = await runWatch(
    args,
    { stdin: new PassThrough(), stdout: out, stderr: out },
    {
      env: {
        GITHUB_TOKEN: token,
        GITHUB_REPO: repo,
        GITHUB_API_URL: githubUrl,
        ANTHROPIC_API_KEY: 'stand-in',
        ANTHROPIC_BASE_URL: anthropicUrl,
        AI_OPS_STATE: join(dir, 'state.db'),
        AI_OPS_OUTBOX: join(dir, 'outbox'),
        SMTP_FROM: 'ai-ops@shop.example',
        SMTP_TO: 'you@shop.example',
        ...env,
      },
      cwd: dir,
      isTty: false,
      createHandler: createRepairPipeline({ stderr: out }),
    },
  );
  return { code, printed };
}
