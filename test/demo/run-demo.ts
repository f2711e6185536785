// `npm run demo`: the seed's example end to end on this machine, offline, with no credentials.
// A small shop app's `process_data` raises ValueError; its repository is served over git smart
// HTTP; a GitHub stand-in takes the pull request; `ai-ops watch --once` finds the error in the
// log, asks Claude (a recorded conversation unless ANTHROPIC_API_KEY is set), pushes the fix
// branch, opens a draft PR and writes the email to an outbox folder. Then it shows all of it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SqliteIncidentStore } from '../../functions/adapters/sqlite-incident-store.ts';
import { runWatch } from '../../functions/local/commands/watch-command.ts';
import { createRepairPipeline } from '../../functions/local/pipeline/repair-pipeline.ts';
import { type AnthropicStandIn, startAnthropicStandIn } from '../support/anthropic-stand-in.ts';
import { createBareRepo, readBranchHead, runGit, startGitServer } from '../support/git-server.ts';
import { bareRepoBranchResolver, startGitHubStandIn } from '../support/github-stand-in.ts';
import { APP_PY, RECORDED_TRACEBACK, recordedConversation } from './shop-app.ts';

const OWNER = 'demo';
const REPO = 'shop';
const TOKEN = 'demo-token-not-a-secret';

const bold = (text: string) => (process.stdout.isTTY ? `\u001b[1m${text}\u001b[0m` : text);
const section = (title: string) =>
  console.log(`\n${bold(`── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`)}`);

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'ai-ops-demo-'));
  const realClaude = Boolean(process.env.ANTHROPIC_API_KEY);
  section('ai-ops demo');
  console.log(`working in ${work}`);
  console.log(
    realClaude
      ? 'ANTHROPIC_API_KEY is set: the analysis comes from real Claude (this costs a few cents).'
      : "No ANTHROPIC_API_KEY: Claude's replies below are a RECORDED conversation, played by a local\nstand-in of the Messages API. Nothing is sent to Anthropic. Set ANTHROPIC_API_KEY to ask real Claude.",
  );

  const git = await startGitServer({ token: TOKEN, root: join(work, 'git') });
  const github = await startGitHubStandIn({
    tokens: [TOKEN],
    gitOrigin: git.url,
    resolveBranch: bareRepoBranchResolver({ dirFor: git.repoPath }),
  });
  let anthropic: AnthropicStandIn | undefined;
  try {
    await createBareRepo({
      server: git,
      owner: OWNER,
      name: REPO,
      files: { 'app.py': APP_PY, 'README.md': "# shop\n\nThe seed design's example service.\n" },
      message: 'shop: process orders',
    });
    github.addRepo({ owner: OWNER, repo: REPO });
    console.log(
      `repository ${OWNER}/${REPO} served at ${git.url}/${OWNER}/${REPO}.git, GitHub API at ${github.baseUrl}`,
    );

    section('1. the application fails');
    const appDir = join(work, 'app');
    runGit(['clone', '--quiet', git.repoPath(OWNER, REPO), appDir]);
    const logFile = join(appDir, 'app.log');
    const python = spawnSync('python3', ['app.py'], { cwd: appDir, encoding: 'utf8' });
    if (python.error) {
      console.log('python3 is not installed here: writing the traceback it prints instead.');
      writeFileSync(logFile, RECORDED_TRACEBACK.replaceAll('{APP}', appDir));
    }
    console.log(`$ python3 app.py   # logs to ${logFile}\n`);
    console.log(readFileSync(logFile, 'utf8').trimEnd());

    const env: Record<string, string> = {
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPO: `${OWNER}/${REPO}`,
      GITHUB_API_URL: github.baseUrl,
      AI_OPS_STATE: join(work, 'state.db'),
      AI_OPS_OUTBOX: join(work, 'outbox'),
      AI_OPS_MAIL: 'outbox',
      SMTP_FROM: 'ai-ops@shop.example',
      SMTP_TO: 'you@shop.example',
    };
    if (realClaude) {
      env.ANTHROPIC_API_KEY = process.env.ANTHROPIC_API_KEY ?? '';
      if (process.env.ANTHROPIC_BASE_URL) env.ANTHROPIC_BASE_URL = process.env.ANTHROPIC_BASE_URL;
      if (process.env.AI_OPS_MODEL) env.AI_OPS_MODEL = process.env.AI_OPS_MODEL;
    } else {
      anthropic = await startAnthropicStandIn({ script: recordedConversation() });
      env.ANTHROPIC_API_KEY = 'recorded-conversation';
      env.ANTHROPIC_BASE_URL = anthropic.url;
    }

    section('2. ai-ops watch --once app.log');
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    const code = await runWatch(
      ['--once', logFile],
      { stdin: new PassThrough(), stdout: out, stderr: out },
      {
        env,
        cwd: appDir,
        isTty: false,
        createHandler: createRepairPipeline({ stderr: out }),
      },
    );

    const store = new SqliteIncidentStore({ path: env.AI_OPS_STATE ?? '' });
    const [incident] = store.list();
    if (!incident) throw new Error('the demo found no incident: the detector missed the traceback');
    section('3. what the detector saw');
    const inner = incident.sample.frames.at(-1);
    console.log(`${incident.sample.language} ${incident.sample.exceptionType}: ${incident.sample.message}`);
    console.log(`raised in ${inner?.function ?? '?'} (${inner?.file ?? '?'}:${inner?.line ?? '?'})`);
    console.log(
      `incident ${incident.incidentKey}, seen ${incident.count} time(s), status ${incident.status}`,
    );

    section(`4. Claude's analysis${realClaude ? '' : ' (recorded)'}`);
    const analysis = incident.analysis;
    console.log(
      analysis
        ? `${analysis.title}\n\nRoot cause: ${analysis.rootCause}\n\n${analysis.explanation}\n\nConfidence: ${analysis.confidence}`
        : `no analysis recorded (${incident.lastError ?? 'unknown'})`,
    );

    if (incident.branch && readBranchHead(git.repoPath(OWNER, REPO), incident.branch)) {
      section(`5. the fix, as pushed to ${incident.branch}`);
      console.log(
        runGit(['diff', 'main', incident.branch], { cwd: git.repoPath(OWNER, REPO) })
          .toString()
          .trimEnd(),
      );
    }
    if (incident.prUrl) {
      section('6. the draft pull request');
      const pr = github.pulls({ owner: OWNER, repo: REPO }).find((p) => p.number === incident.prNumber);
      console.log(`${incident.prUrl}  (draft: ${pr?.draft}, labels: ${pr?.labels.join(', ')})`);
      console.log(`title: ${pr?.title}`);
    }
    section('7. the email (outbox)');
    const outbox = env.AI_OPS_OUTBOX ?? '';
    for (const file of readdirSync(outbox).filter((f) => f.endsWith('.eml'))) {
      console.log(`${join(outbox, file)}:\n`);
      console.log(textPart(readFileSync(join(outbox, file), 'utf8')));
    }
    section('done');
    console.log(`exit status of ai-ops watch: ${code}. Everything above is in ${work}.`);
    if (!realClaude)
      console.log(
        'Reminder: the model replies were recorded; with ANTHROPIC_API_KEY set, real Claude answers.',
      );
    return code;
  } finally {
    await Promise.allSettled([github.close(), git.close(), anthropic?.close()]);
  }
}

/** The plain-text part of a multipart message, decoded enough to read. */
function textPart(eml: string): string {
  const headerEnd = eml.indexOf('\r\n\r\n') >= 0 ? eml.indexOf('\r\n\r\n') : eml.indexOf('\n\n');
  const headers = eml
    .slice(0, headerEnd)
    .split(/\r?\n/)
    .filter((l) => /^(From|To|Subject|Date):/i.test(l));
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(eml)?.[1];
  const parts = boundary ? eml.split(`--${boundary}`) : [eml];
  const plain = parts.find((p) => /Content-Type: text\/plain/i.test(p)) ?? '';
  const bodyStart = plain.search(/\r?\n\r?\n/);
  const text = bodyStart >= 0 ? plain.slice(bodyStart).trim() : '';
  const decoded = /Content-Transfer-Encoding: quoted-printable/i.test(plain)
    ? Buffer.from(
        text
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : /Content-Transfer-Encoding: base64/i.test(plain)
      ? Buffer.from(text, 'base64').toString('utf8')
      : text;
  return `${headers.join('\n')}\n\n${decoded.trimEnd()}`;
}

process.exitCode = await main();
