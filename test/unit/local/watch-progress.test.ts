import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WatchProgress } from '../../../functions/local/commands/watch-progress.ts';

function make(options: { json?: boolean; isTty?: boolean }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const progress = new WatchProgress({
    stdout,
    stderr,
    now: () => new Date('2024-05-01T12:00:00.123Z'),
    ...options,
  });
  return { progress, out: () => out };
}

describe('WatchProgress', () => {
  it('rewrites one live status line per incident on a TTY', () => {
    const { progress, out } = make({ isTty: true });
    progress.progress({ incidentKey: 'acme/shop#0123456789abcdef', stage: 'detected', detail: 'KeyError' });
    progress.progress({ incidentKey: 'acme/shop#fedcba9876543210', stage: 'detected', detail: 'ValueError' });
    progress.progress({
      incidentKey: 'acme/shop#0123456789abcdef',
      stage: 'pr',
      detail: 'https://github.com/acme/shop/pull/7',
    });

    const text = out();
    // The last redraw moves up over the two lines it drew and draws both again, the updated one last.
    const lastRedraw = text.slice(text.lastIndexOf('\x1b[2A\x1b[0J'));
    expect(lastRedraw).toBe(
      '\x1b[2A\x1b[0J\x1b[2Kacme/shop#fedcba98  detected: ValueError\n\x1b[2Kacme/shop#01234567  pull request open: https://github.com/acme/shop/pull/7\n',
    );
  });

  it('writes plain timestamped lines when not on a TTY, and JSON objects with --json', () => {
    const plain = make({});
    plain.progress.progress({ incidentKey: 'acme/shop#0123456789abcdef', stage: 'emailed' });
    expect(plain.out()).toBe('2024-05-01T12:00:00Z acme/shop#01234567  emailed\n');

    const json = make({ json: true });
    json.progress.notice({ kind: 'truncated', path: '/var/log/app.log', offset: 10, size: 0 });
    expect(JSON.parse(json.out())).toEqual({
      time: '2024-05-01T12:00:00.123Z',
      type: 'notice',
      kind: 'truncated',
      path: '/var/log/app.log',
      offset: 10,
      size: 0,
    });
  });
});
