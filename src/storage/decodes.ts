/**
 * `verify` only needs to know that a value decodes, not the object: `decodesCleanly` walks the
 * envelope and a Secret's or ConfigMap's fields with the decoder's own reader and checks, building
 * no strings, base64 or objects. It answers true only where decodeObject succeeds; false means
 * "ask decodeObject" (which then decodes or throws the error to report), so callers get the same
 * outcome either way. Rarer shapes (JSON, other kinds, merged repeats of an embedded message,
 * unusual map entries) are left to decodeObject.
 */
import { WIRE_BYTES, WIRE_VARINT } from '../protobuf/wire.ts';
import { openEnvelope } from './envelope.ts';
import { knownField, lengthDelimitedEnd, wireTypeOf } from './message-codec.ts';
import { TYPED_KINDS, type MessagePlan } from './schema.ts';
import { StorageWireReader } from './wire-reader.ts';

const JSON_OPEN_BRACE = 0x7b;

export function decodesCleanly(bytes: Uint8Array): boolean {
  if (bytes[0] === JSON_OPEN_BRACE) return false;
  try {
    const env = openEnvelope(bytes);
    const plan = TYPED_KINDS.get(`${env.apiVersion}/${env.kind}`);
    return plan !== undefined && messageDecodes(plan, env.raw);
  } catch {
    // Any reader fault: decodeObject words it.
    return false;
  }
}

/** decodeMessage's walk (message-codec.ts) with the values skipped; faults throw as there. */
function messageDecodes(plan: MessagePlan, bytes: Uint8Array): boolean {
  const r = new StorageWireReader(bytes, plan.name);
  let embedded = 0; // bit per slot of the singular embedded messages seen (ObjectMeta has 17 fields)
  while (!r.done) {
    const { field, wire } = r.tag();
    const f = knownField(r, plan, field, wire);
    if (f === undefined) continue;
    if (wire !== wireTypeOf(f)) return false;
    if (wire === WIRE_VARINT) {
      r.int64(f.name);
      continue;
    }
    const b = r.bytes(f.name);
    if (f.mapValue !== undefined) {
      if (!isPlainMapEntry(b)) return false;
    } else if (f.kind === 'message') {
      if (!f.repeated) {
        // Repeats merge in decodeMessage, decoded from their concatenation: leave those to it.
        const bit = 1 << f.slot;
        if (f.slot > 30 || (embedded & bit) !== 0) return false;
        embedded |= bit;
      }
      if (!messageDecodes(f.message!, b)) return false;
    } else if (f.kind === 'time') {
      if (!timeDecodes(b)) return false;
    } else if (f.kind === 'fieldsV1') {
      if (!fieldsV1Decodes(b)) return false;
    }
    // string and bytes: any bytes decode (invalid UTF-8 as lone surrogates, base64 of anything).
  }
  return true;
}

/** `0a len key 12 len value` and nothing else: addMapEntry's fast shape, which cannot fail. */
function isPlainMapEntry(entry: Uint8Array): boolean {
  if (entry[0] !== 0x0a) return false;
  const keyEnd = lengthDelimitedEnd(entry, 1);
  return keyEnd > 0 && entry[keyEnd] === 0x12 && lengthDelimitedEnd(entry, keyEnd + 1) === entry.length;
}

/** decodeTime's checks: Seconds and Nanos are varints; any seconds format. */
function timeDecodes(bytes: Uint8Array): boolean {
  const r = new StorageWireReader(bytes, 'Time');
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 || field === 2) {
      if (wire !== WIRE_VARINT) return false;
      r.int64('seconds');
    } else r.skip(wire, field);
  }
  return true;
}

/** decodeFieldsV1's checks: Raw is length-delimited (what it holds is parsed or kept as base64, never refused). */
function fieldsV1Decodes(bytes: Uint8Array): boolean {
  const r = new StorageWireReader(bytes, 'FieldsV1');
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire, field);
    else if (wire !== WIRE_BYTES) return false;
    else r.bytes('Raw');
  }
  return true;
}
