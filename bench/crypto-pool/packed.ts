/**
 * Lists of byte strings packed into one transferable ArrayBuffer, so a batch crosses a thread
 * boundary as one copy and one transfer instead of a structured clone per value.
 */
export interface Packed {
  buffer: ArrayBuffer;
  /** Length of each entry, -1 for a null entry. */
  lengths: Int32Array;
}

export function pack(items: readonly (Uint8Array | null)[]): Packed {
  let total = 0;
  for (const it of items) if (it) total += it.length;
  const bytes = new Uint8Array(total);
  const lengths = new Int32Array(items.length);
  let off = 0;
  items.forEach((it, i) => {
    if (it === null) {
      lengths[i] = -1;
      return;
    }
    bytes.set(it, off);
    lengths[i] = it.length;
    off += it.length;
  });
  return { buffer: bytes.buffer, lengths };
}

export function unpack(p: Packed): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = new Array(p.lengths.length);
  let off = 0;
  for (let i = 0; i < p.lengths.length; i++) {
    const n = p.lengths[i]!;
    if (n < 0) {
      out[i] = null;
      continue;
    }
    out[i] = new Uint8Array(p.buffer, off, n);
    off += n;
  }
  return out;
}

/** Entries known to be non-null (inputs, and the outputs of writes). */
export function unpackAll(p: Packed): Uint8Array[] {
  return unpack(p).map((x) => {
    if (x === null) throw new TypeError('unexpected null entry in a packed list');
    return x;
  });
}

export function transferables(...ps: (Packed | undefined)[]): ArrayBuffer[] {
  return ps.flatMap((p) => (p ? [p.buffer, p.lengths.buffer as ArrayBuffer] : []));
}
