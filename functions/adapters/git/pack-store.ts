// The objects of a fetched pack, indexed synchronously: each object is inflated once with
// node:zlib and hashed with node:crypto's SHA-1 (what `git index-pack` does). isomorphic-git's
// own indexer awaits a WebCrypto digest per object, which was ~75% of a 12k-object clone.
// Trees stay inflated (listing a repository walks all of them); blobs are inflated again from
// the pack when read, so memory holds the compressed pack, the trees and little else.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { GitWorkspaceError } from './git-errors.ts';

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

const TYPE_CODES: Record<number, GitObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;
const RECENT_BYTES = 16 * 1024 * 1024;

interface PackedObject {
  type: GitObjectType;
  data: Buffer;
}

interface ObjectHeader {
  typeCode: number;
  size: number;
  /** where the zlib stream starts */
  dataStart: number;
  /** base of a delta: a pack offset (ofs-delta) or an oid (ref-delta) */
  base?: number | string;
}

export class CorruptPackError extends GitWorkspaceError {
  constructor(message: string) {
    super('git_failed', `corrupt pack: ${message}`);
    this.name = 'CorruptPackError';
  }
}

/** A read-only object store over one pack. */
export class PackStore {
  readonly #pack: Buffer;
  readonly #offsets: Map<string, number>;
  readonly #trees: Map<string, Buffer>;

  private constructor(pack: Buffer, offsets: Map<string, number>, trees: Map<string, Buffer>) {
    this.#pack = pack;
    this.#offsets = offsets;
    this.#trees = trees;
  }

  /** Checks the pack's trailer and indexes every object; throws CorruptPackError. */
  static index(pack: Buffer): PackStore {
    if (pack.byteLength < 32 || pack.toString('latin1', 0, 4) !== 'PACK')
      throw new CorruptPackError('no PACK header');
    const version = pack.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw new CorruptPackError(`version ${version}`);
    const trailer = pack.subarray(-20);
    const sum = createHash('sha1').update(pack.subarray(0, -20)).digest();
    if (!sum.equals(trailer)) throw new CorruptPackError('checksum mismatch');
    const count = pack.readUInt32BE(8);
    const offsets = new Map<string, number>();
    const trees = new Map<string, Buffer>();
    const store = new PackStore(pack, offsets, trees);
    // recently inflated objects by offset: git writes a delta's base shortly before it, so a
    // bounded cache serves nearly every base (an evicted one is inflated again from the pack)
    // without keeping the whole repository inflated
    const recent = new Map<number, PackedObject>();
    let recentBytes = 0;
    const waiting: Array<{ offset: number; header: ObjectHeader; delta: Buffer }> = [];
    const record = (offset: number, object: PackedObject) => {
      const oid = hashObject(object.type, object.data);
      offsets.set(oid, offset);
      if (object.type === 'tree') trees.set(oid, object.data);
      recent.set(offset, object);
      recentBytes += object.data.byteLength;
      for (const [old, { data }] of recent) {
        if (recentBytes <= RECENT_BYTES) break;
        recent.delete(old);
        recentBytes -= data.byteLength;
      }
    };
    const resolve = (header: ObjectHeader, delta: Buffer): PackedObject | undefined => {
      const baseOffset = typeof header.base === 'number' ? header.base : offsets.get(header.base ?? '');
      if (baseOffset === undefined) return undefined;
      const base = recent.get(baseOffset) ?? store.#readAt(baseOffset, 0);
      return { type: base.type, data: applyDelta(base.data, delta) };
    };
    let at = 12;
    for (let i = 0; i < count; i++) {
      const offset = at;
      const header = readHeader(pack, offset);
      const { data, end } = inflateAt(pack, header);
      at = end;
      const type = TYPE_CODES[header.typeCode];
      const object = type ? { type, data } : resolve(header, data);
      if (object) record(offset, object);
      else waiting.push({ offset, header, delta: data });
    }
    if (at !== pack.byteLength - 20) throw new CorruptPackError('trailing bytes after the last object');
    // a ref-delta whose base comes later in the pack (git does not write these, but may)
    let progress = true;
    while (waiting.length > 0 && progress) {
      progress = false;
      for (let i = waiting.length - 1; i >= 0; i--) {
        const item = waiting[i] as (typeof waiting)[number];
        const object = resolve(item.header, item.delta);
        if (!object) continue;
        record(item.offset, object);
        waiting.splice(i, 1);
        progress = true;
      }
    }
    if (waiting.length > 0) throw new CorruptPackError(`${waiting.length} deltas without a base in the pack`);
    return store;
  }

  has(oid: string): boolean {
    return this.#offsets.has(oid);
  }

  get size(): number {
    return this.#offsets.size;
  }

  /** The content of a tree of the pack, or undefined when the pack has no such tree. */
  tree(oid: string): Buffer | undefined {
    return this.#trees.get(oid);
  }

  /** The type and content of `oid`, or undefined when the pack does not hold it. */
  read(oid: string): PackedObject | undefined {
    const offset = this.#offsets.get(oid);
    if (offset === undefined) return undefined;
    const tree = this.#trees.get(oid);
    if (tree) return { type: 'tree', data: tree };
    return this.#readAt(offset, 0);
  }

  #readAt(offset: number, depth: number): PackedObject {
    if (depth > 10_000) throw new CorruptPackError('delta chain too long');
    const header = readHeader(this.#pack, offset);
    const { data } = inflateAt(this.#pack, header);
    const type = TYPE_CODES[header.typeCode];
    if (type) return { type, data };
    const baseOffset = typeof header.base === 'number' ? header.base : this.#offsets.get(header.base ?? '');
    if (baseOffset === undefined)
      throw new CorruptPackError(`delta base of the object at ${offset} is missing`);
    const base = this.#readAt(baseOffset, depth + 1);
    return { type: base.type, data: applyDelta(base.data, data) };
  }
}

/** The git object id: SHA-1 of `<type> <size>\0<content>`. */
export function hashObject(type: GitObjectType, data: Uint8Array): string {
  return createHash('sha1').update(`${type} ${data.byteLength}\0`).update(data).digest('hex');
}

function readHeader(pack: Buffer, offset: number): ObjectHeader {
  let at = offset;
  let byte = pack[at++] ?? 0;
  const typeCode = (byte >> 4) & 7;
  let size = byte & 15;
  let shift = 4;
  while (byte & 0x80) {
    byte = pack[at++] ?? 0;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OFS_DELTA) {
    byte = pack[at++] ?? 0;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = pack[at++] ?? 0;
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    if (distance > offset) throw new CorruptPackError(`delta base before the start of the pack at ${offset}`);
    return { typeCode, size, dataStart: at, base: offset - distance };
  }
  if (typeCode === REF_DELTA) {
    return { typeCode, size, dataStart: at + 20, base: pack.toString('hex', at, at + 20) };
  }
  if (!TYPE_CODES[typeCode]) throw new CorruptPackError(`unknown object type ${typeCode} at ${offset}`);
  return { typeCode, size, dataStart: at };
}

function inflateAt(pack: Buffer, header: ObjectHeader): { data: Buffer; end: number } {
  // a zlib stream is at most a little longer than its content; bounding the input keeps
  // inflateSync from looking at the rest of the pack
  const limit = Math.min(pack.byteLength - 20, header.dataStart + header.size + 64 + (header.size >> 7));
  // chunkSize: the output is a slice of one chunk, so a default 16 KB chunk per small object
  // would keep 16 KB alive for each (600 MB for 38k objects); one byte more than the content
  // lets zlib see the end of the stream without a second chunk
  const { buffer, engine } = inflateSync(pack.subarray(header.dataStart, limit), {
    info: true,
    chunkSize: Math.max(64, header.size + 1),
  }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  if (buffer.byteLength !== header.size) {
    throw new CorruptPackError(
      `object at ${header.dataStart} inflated to ${buffer.byteLength} bytes, not ${header.size}`,
    );
  }
  return { data: buffer, end: header.dataStart + engine.bytesWritten };
}

/** Applies a git delta (base size, result size, then copy and insert instructions). */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  if (baseSize !== base.byteLength) throw new CorruptPackError('delta base size mismatch');
  const out = Buffer.allocUnsafe(varint());
  let written = 0;
  while (at < delta.byteLength) {
    const op = delta[at++] ?? 0;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += (delta[at++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (16 << bit)) size += (delta[at++] ?? 0) * 2 ** (8 * bit);
      if (size === 0) size = 0x10000;
      if (offset + size > base.byteLength || written + size > out.byteLength)
        throw new CorruptPackError('delta copy out of range');
      base.copy(out, written, offset, offset + size);
      written += size;
    } else if (op > 0) {
      if (at + op > delta.byteLength || written + op > out.byteLength)
        throw new CorruptPackError('delta insert out of range');
      delta.copy(out, written, at, at + op);
      at += op;
      written += op;
    } else {
      throw new CorruptPackError('delta opcode 0');
    }
  }
  if (written !== out.byteLength) throw new CorruptPackError('delta result size mismatch');
  return out;
}

export interface RawTreeEntry {
  mode: string;
  path: string;
  oid: string;
}

/** Parses a tree object; modes are six digits as isomorphic-git writes them (`040000`). */
export function parseTree(data: Buffer): RawTreeEntry[] {
  const entries: RawTreeEntry[] = [];
  let at = 0;
  while (at < data.byteLength) {
    const space = data.indexOf(0x20, at);
    const nul = data.indexOf(0, space);
    if (space === -1 || nul === -1 || nul + 21 > data.byteLength)
      throw new CorruptPackError('malformed tree');
    const mode = data.toString('latin1', at, space);
    entries.push({
      mode: mode.length === 5 ? `0${mode}` : mode,
      path: data.toString('utf8', space + 1, nul),
      oid: data.toString('hex', nul + 1, nul + 21),
    });
    at = nul + 21;
  }
  return entries;
}
