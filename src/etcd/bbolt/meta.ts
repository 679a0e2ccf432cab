import { K8sEncError } from '../../errors.ts';
import type { BlockFile } from './block-file.ts';

/** bbolt's meta page body (docs/FORMATS.md#bbolt), read from byte 16 of page 0 or page 1. */
export interface Meta {
  /** Host order of the writer: bbolt stores integers natively (LE on amd64/arm64). */
  littleEndian: boolean;
  pageSize: number;
  rootPgid: number;
  /** High-water mark: every page of the database is below it. */
  pgid: number;
  txid: bigint;
  /** 0 or 1: the meta page this came from. */
  page: number;
}

export const META_OFFSET = 16;
export const META_SIZE = 64;
export const MAGIC = 0xed0cdaed;
export const VERSION = 2;
/** Page sizes seen in the wild (x86, Apple silicon, arm64/ppc64le 64K kernels), then the rare ones. */
const PROBE_PAGE_SIZES = [4096, 16384, 65536, 8192, 32768, 2048, 1024, 512];

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

export function fnv1a64(b: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const x of b) h = ((h ^ BigInt(x)) * FNV_PRIME) & U64;
  return h;
}

/** A u64 as a safe integer, or -1 when it cannot be a page number in any real file. */
export function u64AsNumber(dv: DataView, offset: number, le: boolean): number {
  const lo = dv.getUint32(offset + (le ? 0 : 4), le);
  const hi = dv.getUint32(offset + (le ? 4 : 0), le);
  return hi >= 0x200000 ? -1 : hi * 0x100000000 + lo;
}

/** Parses and validates a meta body; returns why it is invalid instead of throwing. */
export function parseMeta(body: Uint8Array, page: number): Meta | string {
  if (body.length < META_SIZE) return 'file too short for a meta page';
  const dv = new DataView(body.buffer, body.byteOffset, META_SIZE);
  let le: boolean;
  if (dv.getUint32(0, true) === MAGIC) le = true;
  else if (dv.getUint32(0, false) === MAGIC) le = false;
  else return 'bad magic (not a bbolt database)';
  if (dv.getUint32(4, le) !== VERSION) return `unsupported version ${dv.getUint32(4, le)}`;
  if (dv.getBigUint64(56, le) !== fnv1a64(body.subarray(0, 56))) return 'checksum mismatch';
  const pageSize = dv.getUint32(8, le);
  if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) {
    return `implausible page size ${pageSize}`;
  }
  const rootPgid = u64AsNumber(dv, 16, le);
  const pgid = u64AsNumber(dv, 40, le);
  if (pgid < 2 || rootPgid < 2 || rootPgid >= pgid) return `root page ${rootPgid} outside 2..${pgid - 1}`;
  return { littleEndian: le, pageSize, rootPgid, pgid, txid: dv.getBigUint64(48, le), page };
}

function metaAt(file: BlockFile, dataSize: number, pageOffset: number, page: number): Meta | string {
  if (pageOffset + META_OFFSET + META_SIZE > dataSize) return 'file too short for a meta page';
  return parseMeta(file.read(pageOffset + META_OFFSET, META_SIZE), page);
}

/**
 * bbolt's choice: the valid meta with the higher txid, else the other one. Page 1's position
 * depends on the page size, which a corrupt meta 0 cannot tell us, so then candidates are probed.
 */
export function readMeta(file: BlockFile, dataSize: number): Meta {
  const meta0 = metaAt(file, dataSize, 0, 0);
  let meta1: Meta | string = 'no page size candidate holds a valid meta';
  if (typeof meta0 !== 'string') {
    meta1 = metaAt(file, dataSize, meta0.pageSize, 1);
  } else {
    for (const size of PROBE_PAGE_SIZES) {
      const m = metaAt(file, dataSize, size, 1);
      if (typeof m !== 'string' && m.pageSize === size) {
        meta1 = m;
        break;
      }
    }
  }
  if (typeof meta1 !== 'string' && typeof meta0 !== 'string' && meta0.pageSize !== meta1.pageSize) {
    meta1 = 'page size differs from meta 0';
  }
  if (typeof meta0 !== 'string' && typeof meta1 !== 'string') return meta1.txid > meta0.txid ? meta1 : meta0;
  if (typeof meta0 !== 'string') return meta0;
  if (typeof meta1 !== 'string') return meta1;
  throw new K8sEncError('ERR_BBOLT_CORRUPT', `no valid bbolt meta page: page 0: ${meta0}; page 1: ${meta1}`, {
    page: 0,
    file: file.path,
  });
}
