/**
 * A deliberately tiny, schema-free protobuf field walker for the storage tests: it states docs/FORMATS.md#vector-files'
 * "re-encoding drops only removed fields and adds the always-written empty strings" at the wire
 * level, independently of src/storage's schema-driven codec.
 */
export interface WireField {
  field: number;
  wire: number;
  /** varint value, or the bytes of a length-delimited field */
  value: bigint | Uint8Array;
}

export function parseFields(b: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let s = 0n; ; s += 7n) {
      const x = b[i++];
      if (x === undefined) throw new Error('truncated varint');
      v |= BigInt(x & 0x7f) << s;
      if (x < 0x80) return v;
    }
  };
  while (i < b.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, value: b.subarray(i, i + n) });
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export function serializeFields(fields: WireField[]): Uint8Array {
  const out: number[] = [];
  const varint = (v: bigint) => {
    do {
      const x = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v > 0n ? x | 0x80 : x);
    } while (v > 0n);
  };
  for (const f of fields) {
    varint(BigInt(f.field * 8 + f.wire));
    if (typeof f.value === 'bigint') varint(f.value);
    else {
      varint(BigInt(f.value.length));
      out.push(...f.value);
    }
  }
  return Uint8Array.from(out);
}

/** Replace the bytes of the (single) length-delimited field `field` by `edit(bytes)`. */
export function editField(b: Uint8Array, field: number, edit: (inner: Uint8Array) => Uint8Array): Uint8Array {
  return serializeFields(
    parseFields(b).map((f) => (f.field === field && f.value instanceof Uint8Array ? { ...f, value: edit(f.value) } : f)),
  );
}
