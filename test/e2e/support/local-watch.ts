import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runWatch } from '../../../functions/local/commands/watch-command.ts';
import { createRepairPipeline } from '../../../functions/local/pipeline/repair-pipeline.ts';

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
