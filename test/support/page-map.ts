/**
 * An independent map of an undamaged etcd bbolt file, for salvage test expectations: which pages
 * are `key` bucket leaves (reached by the tree, or old freed copies), which revisions each holds,
 * and the value bytes of each. Written from the bbolt and etcd formats (docs/FORMATS.md) with plain
 * DataViews and protobufjs over proto/mvcc.proto; it shares no code with src/etcd.
 */
import type protobuf from 'protobufjs';
import { loadEtcdProtos } from './etcd-data.ts';

export interface MapEntry {
  main: number;
  sub: number;
  tombstone: boolean;
  /** The etcd key, as a Buffer's latin1 string. */
  key: string;
  /** mvccpb.KeyValue.value. */
  value: Buffer;
  page: number;
  /** Element index in its leaf, and where its data ends, from the leaf page's start. */
  index: number;
  end: number;
}

export interface KeyLeaf {
  page: number;
  /** Pages the leaf spans: itself and its overflow pages. */
  pages: number[];
  live: boolean;
  entries: MapEntry[];
}

export interface PageMap {
  pageSize: number;
  /** The `key` bucket's branch pages of the live tree. */
  branches: number[];
  leaves: Map<number, KeyLeaf>;
}

let kvType: protobuf.Type | undefined;

export async function keyValueType(): Promise<protobuf.Type> {
  kvType ??= (await loadEtcdProtos()).lookupType('mvccpb.KeyValue');
  return kvType;
}

/** The KeyValue type, once a page map has been read (readPageMap loads it). */
export function loadedKeyValueType(): protobuf.Type {
  if (kvType === undefined) throw new Error('read a page map first: it loads the KeyValue type');
  return kvType;
}

function header(db: Buffer, pageSize: number, p: number) {
  const o = p * pageSize;
  return {
    id: Number(db.readBigUInt64LE(o)),
    flags: db.readUInt16LE(o + 8),
    count: db.readUInt16LE(o + 10),
    overflow: db.readUInt32LE(o + 12),
  };
}

/** Leaf elements as [flags, key, value]; branch elements as [0, key, child]. */
function elements(db: Buffer, pageSize: number, p: number): { flags: number; key: Buffer; value: Buffer; child: number; end: number }[] {
  const o = p * pageSize;
  const h = header(db, pageSize, p);
  const out = [];
  for (let i = 0; i < h.count; i++) {
    const e = o + 16 + i * 16;
    if (h.flags === 0x02) {
      const pos = db.readUInt32LE(e + 4);
      const ksize = db.readUInt32LE(e + 8);
      const vsize = db.readUInt32LE(e + 12);
      out.push({
        flags: db.readUInt32LE(e),
        key: db.subarray(e + pos, e + pos + ksize),
        value: db.subarray(e + pos + ksize, e + pos + ksize + vsize),
        child: 0,
        end: e + pos + ksize + vsize - o,
      });
    } else {
      const pos = db.readUInt32LE(e);
      const ksize = db.readUInt32LE(e + 4);
      out.push({
        flags: 0,
        key: db.subarray(e + pos, e + pos + ksize),
        value: Buffer.alloc(0),
        child: Number(db.readBigUInt64LE(e + 8)),
        end: 0,
      });
    }
  }
  return out;
}

function isRevisionKey(k: Buffer): boolean {
  return (k.length === 17 || (k.length === 18 && k[17] === 0x74)) && k[8] === 0x5f;
}

/** The map of `db` (a little-endian bbolt file whose meta page 0 or 1 is valid, sha256 trailer allowed). */
export async function readPageMap(file: Buffer): Promise<PageMap> {
  const KV = await keyValueType();
  const pageSize = file.readUInt32LE(16 + 8);
  const db = file.length % 512 === 32 ? file.subarray(0, file.length - 32) : file;
  const metas = [0, 1].map((m) => ({
    txid: db.readBigUInt64LE(m * pageSize + 16 + 48),
    root: Number(db.readBigUInt64LE(m * pageSize + 16 + 16)),
  }));
  const meta = metas[0]!.txid >= metas[1]!.txid ? metas[0]! : metas[1]!;
  const keyElem = elements(db, pageSize, meta.root).find((e) => e.key.toString() === 'key' && (e.flags & 1) === 1)!;
  const keyRoot = Number(keyElem.value.readBigUInt64LE(0));
  const branches: number[] = [];
  const leaves = new Map<number, KeyLeaf>();
  const leafAt = (p: number, live: boolean): KeyLeaf => {
    const h = header(db, pageSize, p);
    const entries = elements(db, pageSize, p).map((e, index) => {
      const kv = KV.decode(e.value) as unknown as { key: Uint8Array; value: Uint8Array };
      return {
        main: Number(e.key.readBigUInt64BE(0)),
        sub: Number(e.key.readBigUInt64BE(9)),
        tombstone: e.key.length === 18,
        key: Buffer.from(kv.key).toString('latin1'),
        value: Buffer.from(kv.value),
        page: p,
        index,
        end: e.end,
      };
    });
    return { page: p, pages: Array.from({ length: 1 + h.overflow }, (_, i) => p + i), live, entries };
  };
  const walk = (p: number): void => {
    const h = header(db, pageSize, p);
    if (h.flags === 0x01) {
      branches.push(p);
      for (const e of elements(db, pageSize, p)) walk(e.child);
    } else leaves.set(p, leafAt(p, true));
  };
  if (keyRoot === 0) throw new Error('inline key bucket: the page map wants a key bucket with pages');
  walk(keyRoot);
  // Freed copies: leaf pages no tree reaches whose every element looks like a key bucket entry.
  const spanned = new Set([...leaves.values()].flatMap((l) => l.pages));
  for (let p = 2; (p + 1) * pageSize <= db.length; p++) {
    if (spanned.has(p)) continue;
    const h = header(db, pageSize, p);
    if (h.id !== p || h.flags !== 0x02 || h.count === 0) continue;
    if (p + h.overflow >= db.length / pageSize) continue;
    if (!elements(db, pageSize, p).every((e) => isRevisionKey(e.key))) continue;
    try {
      leaves.set(p, leafAt(p, false));
    } catch {
      // not a key bucket leaf after all
    }
  }
  return { pageSize, branches, leaves };
}

/**
 * The deletes a damaged file's leaf `pages` still name (a leaf header, an 18-byte revision key
 * ending in 't', a KeyValue that decodes), as far as they parse. For the salvage oracle: a key byte
 * flipped inside a delete can make it name another live key, and nothing in the file then tells it
 * from a real delete of that key.
 */
export function deletesOn(file: Uint8Array, pages: Iterable<number>, pageSize: number, KV: protobuf.Type): { key: string; main: number }[] {
  const db = Buffer.from(file.buffer, file.byteOffset, file.length);
  const out: { key: string; main: number }[] = [];
  for (const p of pages) {
    if ((p + 1) * pageSize > db.length || header(db, pageSize, p).flags !== 0x02) continue;
    let els: ReturnType<typeof elements>;
    try {
      els = elements(db, pageSize, p);
    } catch {
      continue;
    }
    for (const e of els) {
      if (e.key.length !== 18 || !isRevisionKey(e.key)) continue;
      try {
        const kv = KV.decode(e.value) as unknown as { key: Uint8Array };
        out.push({ key: Buffer.from(kv.key).toString('latin1'), main: Number(e.key.readBigUInt64BE(0)) });
      } catch {
        // not a KeyValue: no delete to count
      }
    }
  }
  return out;
}
