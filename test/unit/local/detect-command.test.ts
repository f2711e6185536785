import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/local/commands/cli.ts';

const root = join(import.meta.dirname, '../../..');
const TRACE = `Traceback (most recent call last):
  File "/app/shop/cart.py", line 12, in checkout
    total = price(item)
KeyError: 'sku'`;
const JS_TRACE = `TypeError: Cannot read properties of undefined (reading 'id')
    at handler (/var/task/index.js:10:21)`;

async function run(
  argv: string[],
  input: string | Buffer,
): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  stdin.end(input);
  const code = await main(argv, { stdin, stdout, stderr });
  return { code, out, err };
}

const records = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const subscription = (messages: string[]) => ({
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup: '/aws/lambda/shop',
  logStream: '2024/05/01/[$LATEST]abc',
  subscriptionFilters: ['ai-ops'],
  logEvents: messages.map((message, i) => ({ id: String(i), timestamp: 1_714_564_800_000 + i, message })),
});

describe('ai-ops detect', () => {
  it('reads plain text, one event per line, and prints one record with its fingerprint', async () => {
    const { code, out } = await run(['detect'], `INFO starting\n${TRACE}\nINFO done\n`);
    expect(code).toBe(0);
    const [record, ...rest] = records(out);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ language: 'python', exceptionType: 'KeyError', message: "'sku'" });
    expect(record?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(record ?? {})).toEqual(
      expect.arrayContaining([
        'language',
        'exceptionType',
        'message',
        'frames',
        'causes',
        'raw',
        'timestamp',
      ]),
    );
  });

  it('reads JSON Lines whose message holds the whole trace', async () => {
    const input = `${JSON.stringify({ timestamp: 1_714_564_800_000, message: TRACE })}\n`;
    const [record] = records((await run(['detect', '--log-group', '/app'], input)).out);
    expect(record).toMatchObject({
      exceptionType: 'KeyError',
      timestamp: 1_714_564_800_000,
      logGroup: '/app',
    });
  });

  it('reads a whole subscription event, its decoded JSON, and the bare base64 data', async () => {
    const decoded = subscription(TRACE.split('\n'));
    const data = gzipSync(JSON.stringify(decoded)).toString('base64');
    for (const input of [JSON.stringify({ awslogs: { data } }), JSON.stringify(decoded), data]) {
      const [record] = records((await run(['detect'], input)).out);
      expect(record).toMatchObject({ exceptionType: 'KeyError', logGroup: '/aws/lambda/shop' });
    }
  });

  it('reads structured log lines (JSON that is not an event) as the log text they are', async () => {
    const zap = JSON.stringify({ level: 'error', ts: 1.5, msg: 'payment failed', error: 'card declined' });
    const pino = JSON.stringify({
      level: 50,
      msg: 'request failed',
      err: { type: 'TypeError', stack: JS_TRACE },
    });
    const found = records((await run(['detect'], `${zap}\n${pino}\n`)).out);
    // zap's `error` field is the error's own text; `msg` only says what the program was doing.
    expect(found.map((r) => r.message)).toEqual([
      'card declined',
      "Cannot read properties of undefined (reading 'id')",
    ]);
    expect(found[1]).toMatchObject({ language: 'javascript', exceptionType: 'TypeError' });
  });

  it('exits 0 with no output when there is no error, or no input', async () => {
    expect(await run(['detect'], 'INFO all good\nDEBUG fine\n')).toEqual({ code: 0, out: '', err: '' });
    expect(await run(['detect'], '')).toEqual({ code: 0, out: '', err: '' });
  });

  it.each([
    ['a corrupt subscription payload', JSON.stringify({ awslogs: { data: 'H4sIAAAA-not-gzip' } })],
    ['JSON Lines with a broken line', '{"message": "ok"}\n{"message": \n'],
    ['JSON Lines with a line that is not an event', '{"timestamp": 1, "message": "a"}\n{"timestamp": 2}\n'],
    ['binary input', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00])],
  ])('exits 2 with a clear message on unreadable input: %s', async (_name, input) => {
    const { code, out, err } = await run(['detect'], input);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^ai-ops detect: cannot read the input: .+/);
  });

  it('documents itself and rejects unknown options', async () => {
    const help = await run(['detect', '--help'], '');
    expect(help.code).toBe(0);
    expect(help.out).toContain('JSON Lines');
    expect(help.out).toContain('Exit status');
    const bad = await run(['detect', '--nope'], '');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--nope');
  });

  it('works as `npx ai-ops detect` from the checkout (the package bin)', () => {
    const result = spawnSync('npx', ['--no-install', 'ai-ops', 'detect'], {
      cwd: root,
      input: `${TRACE}\n`,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(records(result.stdout)[0]).toMatchObject({ exceptionType: 'KeyError' });
  });
});
