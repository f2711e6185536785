// A push that sends exactly the objects the workspace wrote. git.push works out what to send by
// walking the whole tree of the new commit and of the remote head (every tree, through delta
// chains): ~5 s on a 13k-object repository and ~40 s on a 40k-file one, for a one-file change.
// The workspace already knows its new objects, so this speaks receive-pack (protocol v0) itself.
import git, { type FsClient, type HttpClient } from 'isomorphic-git';
import { stripAnsiEscapes, stripControlCharacters } from '../../core/text/strip-control.ts';
import { GitAuthError, GitPushRejectedError, GitTransientError, GitWorkspaceError } from './git-errors.ts';
import {
  collectBody,
  FLUSH_PKT,
  oneChunk,
  parseAdvertisement,
  pktLine,
  readPktLines,
  readPktPayloads,
} from './pkt-line.ts';

const ZERO_OID = '0000000000000000000000000000000000000000';

export interface PushObjectsOptions {
  fs: FsClient;
  http: HttpClient;
  gitdir: string;
  cache: object;
  url: string;
  /** Authorization header value, only when the URL's host is the configured one */
  authorization: string | undefined;
  ref: string;
  oid: string;
  /** objects the remote lacks: everything written since the clone */
  objects: string[];
  /** remote values of `ref` this push may replace (our own commits): anything else is not a fast-forward */
  expectedOld: ReadonlySet<string>;
}

/** Pushes `oid` to `ref` sending only `objects`; throws named git errors. */
export async function pushObjects(options: PushObjectsOptions): Promise<void> {
  const { fs, http, gitdir, cache, url, authorization, ref, oid, objects, expectedOld } = options;
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const base = url.replace(/\/+$/, '');

  const discovery = await http.request({
    url: `${base}/info/refs?service=git-receive-pack`,
    method: 'GET',
    headers: { ...headers, Accept: 'application/x-git-receive-pack-advertisement' },
  });
  const advertised = await collectBody(discovery.body);
  checkStatus(discovery.statusCode, 'push discovery');
  const { refs, capabilities } = parseAdvertisement(advertised);
  const old = refs.get(ref) ?? ZERO_OID;
  if (old === oid) return;
  if (old !== ZERO_OID && !expectedOld.has(old)) {
    throw new GitPushRejectedError(
      `not-fast-forward: ${ref} is at ${old} on the remote, which this clone does not contain`,
    );
  }

  const { packfile } = await git.packObjects({ fs, gitdir, cache, oids: objects });
  if (!packfile) throw new GitWorkspaceError('git_failed', 'packObjects returned no packfile');
  // side-band-64k carries what the server's hooks say (GitHub's rule and push-protection
  // explanations, a pre-receive hook's stderr): the reason a rejected push is worth reading.
  const caps = ['report-status', 'side-band-64k', 'agent=ai-ops'].filter(
    (c) => c.startsWith('agent=') || capabilities.has(c),
  );
  const command = pktLine(`${old} ${oid} ${ref}\0${caps.join(' ')}\n`);
  const body = Buffer.concat([command, FLUSH_PKT, packfile]);
  const response = await http.request({
    url: `${base}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...headers,
      'Content-Type': 'application/x-git-receive-pack-request',
      Accept: 'application/x-git-receive-pack-result',
      'Content-Length': String(body.byteLength),
    },
    body: oneChunk(body),
  });
  const result = await collectBody(response.body);
  checkStatus(response.statusCode, 'push');
  const { lines, remote } = readPushResult(result, caps.includes('side-band-64k'));
  const said = remote ? ` (remote: ${remote})` : '';
  const unpack = lines.find((line) => line.startsWith('unpack '));
  if (unpack !== 'unpack ok')
    throw new GitPushRejectedError(`${unpack ?? 'the remote sent no status'}${said}`);
  const status = lines.find((line) => line.startsWith('ok ') || line.startsWith('ng '));
  if (!status?.startsWith('ok ')) {
    throw new GitPushRejectedError(
      `${status ? status.slice(3) : 'the remote sent no status for the ref'}${said}`,
    );
  }
}

// What the remote said is kept short and plain: it goes into lastError, the email and the page.
const MAX_REMOTE_CHARS = 600;
/**
 * The report-status lines of a receive-pack response and what the remote said besides. With
 * side-band-64k the report is band 1, the server's messages band 2 (progress drawn with `\r`
 * included) and a fatal error band 3.
 */
export function readPushResult(result: Buffer, sideband: boolean): { lines: string[]; remote: string } {
  const report: Buffer[] = [];
  const messages: string[] = [];
  if (sideband) {
    for (const payload of readPktPayloads(result)) {
      const band = payload[0];
      if (band === 1) report.push(payload.subarray(1));
      else if (band === 2 || band === 3) messages.push(payload.subarray(1).toString('utf8'));
    }
  }
  const lines = readPktLines(sideband ? Buffer.concat(report) : result).map((line) =>
    line.replace(/\n$/, ''),
  );
  const remote = messages
    .join('')
    .split(/\r\n|\r|\n/)
    // the server's text, shown to people
    // colours some servers add: dropped whole, not left as `[31m`
    .map((line) => stripControlCharacters(stripAnsiEscapes(line)).replace(/\t/g, ' ').trim())
    // progress meters (`Resolving deltas: 100% (3/3)`) say nothing about a rejection
    .filter((line) => line !== '' && !/^[\w ]{1,40}: +\d{1,3}% /.test(line))
    .join(' / ');
  return {
    lines,
    remote: remote.length > MAX_REMOTE_CHARS ? `${remote.slice(0, MAX_REMOTE_CHARS)}…` : remote,
  };
}

export function checkStatus(statusCode: number, action: string): void {
  if (statusCode === 200) return;
  if (statusCode === 401 || statusCode === 403) {
    throw new GitAuthError(
      `${action}: the git server answered HTTP ${statusCode}; check the token's write access`,
    );
  }
  if (statusCode >= 500 || statusCode === 429) {
    throw new GitTransientError('git_server', `${action}: the git server answered HTTP ${statusCode}`);
  }
  throw new GitWorkspaceError('git_failed', `${action}: the git server answered HTTP ${statusCode}`);
}
