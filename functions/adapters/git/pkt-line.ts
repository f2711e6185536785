// git's pkt-line framing (4 hex digits of length, then the payload; `0000` flushes) and the
// ref advertisement of the smart HTTP protocol, shared by the fetch and the push.

export function pktLine(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.byteLength + 4).toString(16).padStart(4, '0')), payload]);
}

export const FLUSH_PKT = Buffer.from('0000');

/** Every pkt-line payload of `buffer` as text; flushes and delimiters are skipped. */
export function readPktLines(buffer: Buffer): string[] {
  return readPktPayloads(buffer).map((payload) => payload.toString('utf8'));
}

/** Every pkt-line payload of `buffer` as bytes (a side band's first byte names its band). */
export function readPktPayloads(buffer: Buffer): Buffer[] {
  const payloads: Buffer[] = [];
  let at = 0;
  while (at + 4 <= buffer.byteLength) {
    const length = Number.parseInt(buffer.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(length)) break;
    if (length < 4) {
      at += 4;
      continue;
    }
    payloads.push(buffer.subarray(at + 4, at + length));
    at += length;
  }
  return payloads;
}

/** The refs and capabilities of a protocol v0 advertisement (`# service=…` line included or not). */
export function parseAdvertisement(buffer: Buffer): { refs: Map<string, string>; capabilities: Set<string> } {
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  for (const line of readPktLines(buffer)) {
    if (line.startsWith('#')) continue;
    const [head = '', caps] = line.replace(/\n$/, '').split('\0');
    if (caps !== undefined) capabilities = new Set(caps.split(' '));
    const [oid, name] = head.split(' ');
    if (oid && name && name !== 'capabilities^{}') refs.set(name, oid);
  }
  return { refs, capabilities };
}

export async function collectBody(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  if (body) for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function* oneChunk(buffer: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield buffer;
}
