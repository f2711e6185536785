import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSubscriptionEvent, PayloadError } from '../../functions/core/detect/decode-subscription.ts';

// The shape AWS documents for a subscription filter delivery to Lambda.
const message = {
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup: '/aws/lambda/orders',
  logStream: '2024/05/01/[$LATEST]0123456789abcdef',
  subscriptionFilters: ['ai-ops-errors'],
  logEvents: [
    {
      id: '37912345678901234567890123456789012345678901234567890123',
      timestamp: 1714564800000,
      message: 'ERROR boom',
    },
    {
      id: '37912345678901234567890123456789012345678901234567890124',
      timestamp: 1714564800001,
      message: 'next',
    },
  ],
};
const wrap = (bytes: Buffer) => ({ awslogs: { data: bytes.toString('base64') } });

describe('decodeSubscriptionEvent', () => {
  it('decodes base64 → gzip → JSON into log events carrying group and stream', () => {
    const decoded = decodeSubscriptionEvent(wrap(gzipSync(JSON.stringify(message))));
    expect(decoded).toMatchObject({ kind: 'data', logGroup: '/aws/lambda/orders', owner: '123456789012' });
    if (decoded.kind !== 'data') throw new Error('expected data');
    expect(decoded.events).toHaveLength(2);
    expect(decoded.events[0]).toEqual({
      ...message.logEvents[0],
      logGroup: message.logGroup,
      logStream: message.logStream,
    });
  });

  it('decodes UTF-8 text as UTF-8 and ASCII alike (the ASCII fast path changes no character)', () => {
    const texts = [
      'ERROR Zahlung für Bestellung fehlgeschlagen: ungültige Währung €',
      'ERROR 注文 失敗 😀',
      'ERROR plain',
    ];
    for (const text of texts) {
      const withText = { ...message, logEvents: [{ ...message.logEvents[0], message: text }] };
      const decoded = decodeSubscriptionEvent(wrap(gzipSync(JSON.stringify(withText))));
      if (decoded.kind !== 'data') throw new Error('expected data');
      expect(decoded.events[0]?.message).toBe(text);
    }
  });

  it('reports CONTROL_MESSAGE as control, with no events', () => {
    const control = {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [
        {
          id: '',
          timestamp: 1,
          message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.',
        },
      ],
    };
    expect(decodeSubscriptionEvent(wrap(gzipSync(JSON.stringify(control))))).toEqual({ kind: 'control' });
  });

  it.each([
    ['not_an_object', 'a string'],
    ['not_an_object', { awslogs: {} }],
    ['bad_base64', { awslogs: { data: '***not base64***' } }],
    ['bad_gzip', wrap(Buffer.from('plain text, not gzip'))],
    ['bad_json', wrap(gzipSync('{"messageType": "DATA_MESSAGE",'))],
    ['bad_shape', wrap(gzipSync(JSON.stringify({ ...message, logEvents: [{ id: 1 }] })))],
    ['bad_shape', wrap(gzipSync(JSON.stringify({ messageType: 'SOMETHING_ELSE' })))],
  ])('rejects a corrupt payload with a typed error (%s)', (code, event) => {
    let thrown: unknown;
    try {
      decodeSubscriptionEvent(event);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PayloadError);
    expect(thrown).toMatchObject({ code });
  });

  it('refuses a gzip bomb instead of inflating it without bound', () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x20));
    expect(() => decodeSubscriptionEvent(wrap(bomb))).toThrow(expect.objectContaining({ code: 'too_large' }));
  });
});
