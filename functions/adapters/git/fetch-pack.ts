// A shallow fetch of one branch over git's smart HTTP protocol (v0, stateless): the ref
// advertisement, then one POST of `want` + `deepen` + `done`, answered with the pack on
// side-band 1. Spoken here rather than through git.clone because isomorphic-git indexes the
// received pack by awaiting a WebCrypto SHA-1 per object (~75% of a 12k-object clone) with no
// way to pass a synchronous hash in; index-pack.ts indexes it with node:crypto instead.
import type { HttpClient } from 'isomorphic-git';
import { GitAuthError, GitNotFoundError, GitWorkspaceError } from './git-errors.ts';
import { collectBody, FLUSH_PKT, oneChunk, parseAdvertisement, pktLine } from './pkt-line.ts';
import { checkStatus } from './push-objects.ts';

export interface FetchPackOptions {
  http: HttpClient;
  url: string;
  /** Authorization header value, only when the URL's host is the configured one */
  authorization: string | undefined;
  branch: string;
  depth: number;
}

export interface FetchedPack {
  head: string;
  /** the pack as sent (`PACK`, objects, SHA-1 trailer) */
  pack: Buffer;
}

/** The refs the remote advertises to `service`, or the named error its answer means. */
export async function discoverRefs(options: {
  http: HttpClient;
  url: string;
  authorization: string | undefined;
  service: 'git-upload-pack' | 'git-receive-pack';
}): Promise<{ refs: Map<string, string>; capabilities: Set<string> }> {
  const { http, url, authorization, service } = options;
  const response = await http.request({
    url: `${url.replace(/\/+$/, '')}/info/refs?service=${service}`,
    method: 'GET',
    headers: { ...authHeader(authorization), Accept: `application/x-${service}-advertisement` },
  });
  const body = await collectBody(response.body);
  if ((response.statusCode === 401 || response.statusCode === 403) && authorization === undefined) {
    throw new GitAuthError(
      `${url}: the server asked for credentials, and the token is only sent to the configured git host`,
    );
  }
  if (response.statusCode === 401 || response.statusCode === 403) {
    throw new GitAuthError(
      `${url}: the git server answered HTTP ${response.statusCode}; check that the token is valid and may access the repository`,
    );
  }
  if (response.statusCode === 404) {
    throw new GitNotFoundError(
      `${url}: the git server answered HTTP 404; check the owner and repository name`,
    );
  }
  checkStatus(response.statusCode, 'ref discovery');
  return parseAdvertisement(body);
}

/** Fetches `branch` at `depth` as one pack; throws named git errors. */
export async function fetchPack(options: FetchPackOptions): Promise<FetchedPack> {
  const { http, url, authorization, branch, depth } = options;
  const { refs, capabilities } = await discoverRefs({ http, url, authorization, service: 'git-upload-pack' });
  const head = refs.get(`refs/heads/${branch}`);
  if (head === undefined) throw new GitNotFoundError(`${url} has no branch ${branch}`);
  const wanted = ['side-band-64k', 'ofs-delta', 'shallow', 'no-progress'].filter((c) => capabilities.has(c));
  if (!wanted.includes('side-band-64k')) {
    throw new GitWorkspaceError('git_failed', `${url}: the git server does not offer side-band-64k`);
  }
  const body = Buffer.concat([
    pktLine(`want ${head} ${[...wanted, 'agent=ai-ops'].join(' ')}\n`),
    ...(wanted.includes('shallow') ? [pktLine(`deepen ${depth}\n`)] : []),
    FLUSH_PKT,
    pktLine('done\n'),
  ]);
  const response = await http.request({
    url: `${url.replace(/\/+$/, '')}/git-upload-pack`,
    method: 'POST',
    headers: {
      ...authHeader(authorization),
      'Content-Type': 'application/x-git-upload-pack-request',
      Accept: 'application/x-git-upload-pack-result',
      'Content-Length': String(body.byteLength),
    },
    body: oneChunk(body),
  });
  const result = await collectBody(response.body);
  checkStatus(response.statusCode, 'fetch');
  return { head, pack: readPackFromResult(result, url) };
}

function authHeader(authorization: string | undefined): Record<string, string> {
  return authorization ? { Authorization: authorization } : {};
}

/** The pack inside an upload-pack answer: shallow lines, `NAK`, then side-band packets. */
function readPackFromResult(result: Buffer, url: string): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  let inPack = false;
  while (at + 4 <= result.byteLength) {
    const length = Number.parseInt(result.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(length))
      throw new GitWorkspaceError('git_failed', `${url}: malformed upload-pack answer`);
    if (length < 4) {
      at += 4;
      // the flush after the packets ends the answer; the one after the shallow lines does not
      if (inPack) break;
      continue;
    }
    const payload = result.subarray(at + 4, at + length);
    at += length;
    if (!inPack) {
      const text = payload.toString('latin1');
      if (text.startsWith('shallow ') || text.startsWith('unshallow ')) continue;
      if (text.startsWith('NAK') || text.startsWith('ACK')) {
        inPack = true;
        continue;
      }
      if (text.startsWith('ERR '))
        throw new GitWorkspaceError('git_failed', `${url}: ${text.slice(4).trim()}`);
    }
    inPack = true;
    const channel = payload[0];
    if (channel === 1) parts.push(payload.subarray(1));
    else if (channel === 3) {
      throw new GitWorkspaceError(
        'git_failed',
        `${url}: the git server failed: ${payload.subarray(1).toString().trim()}`,
      );
    }
  }
  const pack = Buffer.concat(parts);
  if (pack.subarray(0, 4).toString('latin1') !== 'PACK') {
    throw new GitWorkspaceError('git_failed', `${url}: the git server sent no pack`);
  }
  return pack;
}
