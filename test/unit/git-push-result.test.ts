// The receive-pack answer of a push, read as the workspace's push reads it: report-status on
// side band 1, what the server's hooks say on band 2 (the reason a rejected push is worth reading).
import { describe, expect, it } from 'vitest';
import { FLUSH_PKT, pktLine } from '../../functions/adapters/git/pkt-line.ts';
import { readPushResult } from '../../functions/adapters/git/push-objects.ts';

const band = (n: number, text: string) => {
  const payload = Buffer.concat([Buffer.from([n]), Buffer.from(text)]);
  return Buffer.concat([Buffer.from((payload.byteLength + 4).toString(16).padStart(4, '0')), payload]);
};

describe('readPushResult', () => {
  it("reads a rule rejection as GitHub words it: the ng reason and the server's explanation, progress and colours left out", () => {
    const report = Buffer.concat([
      pktLine('unpack ok\n'),
      pktLine('ng refs/heads/fix/x push declined due to repository rule violations\n'),
      FLUSH_PKT,
    ]);
    const response = Buffer.concat([
      band(2, 'Resolving deltas:  50% (1/2)\rResolving deltas: 100% (2/2)\r'),
      band(2, '\u001b[31merror: GH013: Repository rule violations found for refs/heads/fix/x.\u001b[0m\n'),
      band(2, '\n- Cannot create ref due to creations being restricted.\n'),
      band(1, report.toString('latin1')),
      FLUSH_PKT,
    ]);

    const { lines, remote } = readPushResult(response, true);

    expect(lines).toEqual([
      'unpack ok',
      'ng refs/heads/fix/x push declined due to repository rule violations',
    ]);
    expect(remote).toBe(
      'error: GH013: Repository rule violations found for refs/heads/fix/x. / - Cannot create ref due to creations being restricted.',
    );
  });

  it('keeps a chatty or hostile server short and plain', () => {
    const response = Buffer.concat([
      band(2, `${'x'.repeat(5000)}\n`),
      band(3, 'fatal:\u0007 the remote hung up\u202e\n'),
      band(1, pktLine('unpack ok\n').toString('latin1')),
    ]);
    const { remote } = readPushResult(response, true);
    expect(remote.length).toBeLessThanOrEqual(601);
    expect(remote.endsWith('…')).toBe(true);
    expect(readPushResult(band(3, 'fatal:\u0007 hung up\u202e\n'), true).remote).toBe('fatal: hung up');
  });

  it('reads a report without side band as before', () => {
    const response = Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/fix/x\n'), FLUSH_PKT]);
    expect(readPushResult(response, false)).toEqual({
      lines: ['unpack ok', 'ok refs/heads/fix/x'],
      remote: '',
    });
  });
});
