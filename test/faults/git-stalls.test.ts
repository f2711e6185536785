// A git server that goes silent, injected on the wire (a TCP proxy in front of git http-backend):
// before answering, halfway through a pack, or on a push. Each ends in a retryable error naming
// the silence, after the workspace's idle limit — never a clone that waits forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloneWorkspace,
  GitTransientError,
  isRetryableGitError,
} from '../../functions/adapters/git-workspace.ts';
import { createBareRepo, type GitServer, readBranchHead, startGitServer } from '../support/git-server.ts';
import { type StallingProxy, startStallingProxy } from '../support/stalling-proxy.ts';

// obviously fake, built so no scanner mistakes it for a credential
const TOKEN = ['test', 'token', 'not', 'secret'].join('-');
const BOT = { name: 'ai-ops bot', email: 'ai-ops-bot@example.test' };
const IDLE_MS = 300;

let server: GitServer;
const proxies: StallingProxy[] = [];

beforeAll(async () => {
  server = await startGitServer({ token: TOKEN });
  await createBareRepo({
    server,
    owner: 'acme',
    name: 'shop',
    files: {
      'src/app.py': 'def total(items):\n    return sum(i.price for i in items)\n',
      // enough bytes that the pack arrives in several pieces
      'data/table.csv': Array.from({ length: 4000 }, (_, i) => `${i},${(i * 7919) % 10007}`).join('\n'),
    },
  });
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await server?.close();
});

async function proxy(options: Omit<Parameters<typeof startStallingProxy>[0], 'target'> = {}) {
  const started = await startStallingProxy({ target: Number(new URL(server.url).port), ...options });
  proxies.push(started);
  return started;
}

const cloneThrough = (through: StallingProxy) =>
  cloneWorkspace({
    url: `${through.endpoint}/acme/shop.git`,
    branch: 'main',
    token: TOKEN,
    allowedHost: through.host,
    author: BOT,
    idleMs: IDLE_MS,
  });

async function failure(pending: Promise<unknown>): Promise<Error> {
  try {
    await pending;
  } catch (error: unknown) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a failure');
}

describe('a git server that goes silent', () => {
  it('that never answers: the clone fails after the idle limit, retryable, naming the request', async () => {
    const silent = await proxy({ stallFirst: Number.POSITIVE_INFINITY });

    const error = await failure(cloneThrough(silent));

    expect(error).toBeInstanceOf(GitTransientError);
    expect(isRetryableGitError(error)).toBe(true);
    expect(error.message).toMatch(
      /^cloning main of http:\/\/127\.0\.0\.1:\d+\/acme\/shop\.git: the git server sent nothing for 0\.3 s \(GET http:\/\/127\.0\.0\.1:\d+\/acme\/shop\.git\/info\/refs\)$/,
    );
    expect(silent.stalled()).toBe(1);
  });

  it('halfway through the pack: the clone fails the same way, not with a corrupt pack', async () => {
    // the whole answer's size, measured through a proxy that passes everything
    const whole = await proxy();
    await cloneThrough(whole);
    const cut = await proxy({ stallAfterBytes: whole.bytesPassed() - 64 });

    const error = await failure(cloneThrough(cut));

    expect(error).toBeInstanceOf(GitTransientError);
    expect(error.message).toMatch(/the git server sent nothing for 0\.3 s \(POST .*\/git-upload-pack\)$/);
    expect(cut.bytesPassed()).toBe(whole.bytesPassed() - 64);
  });

  it('on a push: the push fails after the idle limit, retryable, and the branch is not there', async () => {
    const through = await proxy();
    const ws = await cloneThrough(through);
    await ws.writeFile('src/app.py', new TextEncoder().encode('def total(items):\n    return 0\n'));
    await ws.commit({ branch: 'fix/stalled', message: 'fix(ai): stalled', author: BOT });
    through.silence();

    const error = await failure(ws.push({ branch: 'fix/stalled' }));

    expect(isRetryableGitError(error)).toBe(true);
    expect(error.message).toMatch(/the git server sent nothing for 0\.3 s/);
    expect(readBranchHead(server.repoPath('acme', 'shop'), 'fix/stalled')).toBeUndefined();
  });
});
