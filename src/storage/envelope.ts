/**
 * The `k8s\x00` + runtime.Unknown envelope (docs/FORMATS.md#envelope). Every Unknown field and both TypeMeta
 * strings are always written, so stored protobuf ends `1a 00 22 00`; runtime.TypeMeta numbers
 * apiVersion 1 and kind 2, the opposite of meta/v1 TypeMeta.
 */
import { concatBytes, startsWith, toHex, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { WIRE_BYTES, WireWriter } from '../protobuf/wire.ts';
import { stringFromRange } from './byte-range.ts';
import { stringFromRawBytes, rawBytesFromString } from './raw-string.ts';
import { protobufError, StorageWireReader } from './wire-reader.ts';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);
const ENCRYPTED_PREFIX = utf8('k8s:enc:');

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

export function isProtobufEnvelope(bytes: Uint8Array): boolean {
  return startsWith(bytes, PROTOBUF_MAGIC);
}

/** Explains bytes that are neither protobuf nor JSON, saying what they start with. */
export function notAnObjectError(bytes: Uint8Array): K8sEncError {
  if (bytes.length === 0) return new K8sEncError('ERR_ENVELOPE', 'empty data');
  if (startsWith(bytes, ENCRYPTED_PREFIX)) {
    const prefix = stringFromRawBytes(bytes.subarray(0, Math.min(bytes.length, 64)))
      .split(':')
      .slice(0, 4)
      .join(':');
    return new K8sEncError(
      'ERR_ENVELOPE',
      `data is still encrypted (starts with ${JSON.stringify(prefix + ':')}); decrypt it with the encryption configuration first`,
    );
  }
  const head = toHex(bytes.subarray(0, 8)) + (bytes.length > 8 ? '…' : '');
  return new K8sEncError(
    'ERR_ENVELOPE',
    `provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ("k8s\\x00") or JSON "{"; found ${head}`,
  );
}

const UNKNOWN_FIELDS = ['typeMeta', 'raw', 'contentEncoding', 'contentType'];

export function openEnvelope(bytes: Uint8Array): Envelope {
  if (!isProtobufEnvelope(bytes)) throw notAnObjectError(bytes);
  if (bytes.length === PROTOBUF_MAGIC.length) throw new K8sEncError('ERR_ENVELOPE', 'empty body');
  const r = new StorageWireReader(bytes, 'Unknown', '', PROTOBUF_MAGIC.length);
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0) };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field > 4) {
      r.skip(wire, field);
      continue;
    }
    const name = UNKNOWN_FIELDS[field - 1]!;
    if (wire !== WIRE_BYTES) throw protobufError('Unknown', `wrong wireType = ${wire} for field ${name}`);
    const from = r.lengthDelimited(name);
    if (field === 1) readTypeMeta(bytes, from, r.pos, env);
    else if (field === 2) env.raw = bytes.subarray(from, r.pos);
  }
  return env;
}

/**
 * The last TypeMeta read that set both strings, and those strings: a scan reads the same kind
 * again and again, and the same bytes always read as the same strings.
 */
let lastTypeMeta = new Uint8Array(0);
let lastApiVersion = '';
let lastKind = '';

function readTypeMeta(bytes: Uint8Array, start: number, end: number, env: Envelope): void {
  if (end - start === lastTypeMeta.length && end > start) {
    let i = 0;
    while (i < lastTypeMeta.length && lastTypeMeta[i] === bytes[start + i]) i++;
    if (i === lastTypeMeta.length) {
      env.apiVersion = lastApiVersion;
      env.kind = lastKind;
      return;
    }
  }
  const r = new StorageWireReader(bytes, 'Unknown.typeMeta (TypeMeta)', '', start, end);
  let set = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 && field !== 2) {
      r.skip(wire, field);
      continue;
    }
    const name = field === 1 ? 'apiVersion' : 'kind';
    if (wire !== WIRE_BYTES) throw protobufError(r.where, `wrong wireType = ${wire} for field ${name}`);
    const from = r.lengthDelimited(name);
    env[name] = stringFromRange(bytes, from, r.pos);
    set |= field;
  }
  if (set === 3) {
    lastTypeMeta = bytes.slice(start, end);
    lastApiVersion = env.apiVersion;
    lastKind = env.kind;
  }
}

export function sealEnvelope(env: Envelope): Uint8Array {
  const typeMeta = new WireWriter().bytes(1, rawBytesFromString(env.apiVersion)).bytes(2, rawBytesFromString(env.kind)).finish();
  const empty = new Uint8Array(0);
  const unknown = new WireWriter().bytes(1, typeMeta).bytes(2, env.raw).bytes(3, empty).bytes(4, empty).finish();
  return concatBytes(PROTOBUF_MAGIC, unknown);
}
