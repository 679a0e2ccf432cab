/**
 * What a stored value says about itself before any key is used: the provider and key name in its
 * `k8s:enc:` prefix. Key names (and KMS v1 names) may contain `:` (docs/FORMATS.md#identity-and-overlapping-prefixes), so a name is taken
 * from the configuration when one fits, and otherwise guessed from the shape of what follows it.
 */
import { fromUtf8, isValidUtf8, startsWith, utf8 } from '../bytes.ts';

/**
 * The providers whose values name a key from the EncryptionConfiguration.
 */
export type KeyedProvider = 'aescbc' | 'aesgcm' | 'secretbox';

/**
 * What {@link parseValuePrefix} reads from a value's prefix: plaintext (and its encoding), a keyed or
 * KMS provider with the key or KMS name (null when unknown; `guessed` when not from the
 * configuration) and the body after it, or an unknown `k8s:enc:` prefix.
 */
export type ValuePrefix =
  | { kind: 'plaintext'; encoding: 'protobuf' | 'json' | 'opaque' }
  | { kind: 'keyed'; provider: KeyedProvider; keyName: string | null; guessed: boolean; body: Uint8Array }
  | { kind: 'kms'; apiVersion: 'v1' | 'v2'; name: string | null; guessed: boolean; body: Uint8Array }
  | { kind: 'unknown'; prefix: string };

const ENC = utf8('k8s:enc:');
const PROTOBUF = utf8('k8s\x00');
const COLON = 0x3a;
const KEYED_PREFIXES = (['aescbc', 'aesgcm', 'secretbox'] as const).map((p) => [p, utf8(`k8s:enc:${p}:v1:`)] as const);
const KMS_V1 = utf8('k8s:enc:kms:v1:');
const KMS_V2 = utf8('k8s:enc:kms:v2:');

// Smallest well-formed body after `<name>:` (docs/FORMATS.md#providers); used only to guess where a name ends.
const BODY_FITS: Record<KeyedProvider | 'kms-v1', (b: Uint8Array) => boolean> = {
  aescbc: (b) => b.length >= 32 && b.length % 16 === 0,
  aesgcm: (b) => b.length >= 28,
  secretbox: (b) => b.length >= 40,
  'kms-v1': (b) => b.length >= 2 && 2 + ((b[0]! << 8) | b[1]!) <= b.length,
};

interface Named {
  name: string | null;
  guessed: boolean;
  body: Uint8Array;
}

function printableName(b: Uint8Array): string | null {
  if (b.length === 0 || !isValidUtf8(b)) return null;
  const s = fromUtf8(b);
  return /[\p{Cc}]/u.test(s) ? null : s;
}

/** `name:` as bytes, per configured name: scans ask for the same few names on every value. */
const nameBytes = new Map<string, Uint8Array>();
function withColon(name: string): Uint8Array {
  let b = nameBytes.get(name);
  if (b === undefined) nameBytes.set(name, (b = utf8(name + ':')));
  return b;
}

function splitName(rest: Uint8Array, known: readonly string[], fits: ((b: Uint8Array) => boolean) | null): Named {
  let best: Uint8Array | null = null;
  let bestName = '';
  for (const n of known) {
    const b = withColon(n);
    if (startsWith(rest, b) && (best === null || b.length > best.length)) [best, bestName] = [b, n];
  }
  if (best !== null) return { name: bestName, guessed: false, body: rest.subarray(best.length) };
  let first: Named | null = null;
  for (let i = rest.indexOf(COLON); i >= 0; i = rest.indexOf(COLON, i + 1)) {
    const name = printableName(rest.subarray(0, i));
    if (name === null) break;
    const cand = { name, guessed: true, body: rest.subarray(i + 1) };
    first ??= cand;
    if (fits === null || fits(cand.body)) return cand;
  }
  return first ?? { name: null, guessed: true, body: rest };
}

/** `knownNames`: the key names (or KMS names) configured for the value's provider type, if any. */
export function parseValuePrefix(value: Uint8Array, knownNames: (provider: string) => readonly string[] = () => []): ValuePrefix {
  if (!startsWith(value, ENC)) {
    if (startsWith(value, PROTOBUF)) return { kind: 'plaintext', encoding: 'protobuf' };
    return { kind: 'plaintext', encoding: value[0] === 0x7b ? 'json' : 'opaque' };
  }
  for (const [provider, p] of KEYED_PREFIXES) {
    if (startsWith(value, p)) {
      const { name, guessed, body } = splitName(value.subarray(p.length), knownNames(provider), BODY_FITS[provider]);
      return { kind: 'keyed', provider, keyName: name, guessed, body };
    }
  }
  if (startsWith(value, KMS_V1))
    return { kind: 'kms', apiVersion: 'v1', ...splitName(value.subarray(KMS_V1.length), knownNames('kms:v1'), BODY_FITS['kms-v1']) };
  // KMS v2 names cannot hold `:`, so the first one ends the name.
  if (startsWith(value, KMS_V2)) return { kind: 'kms', apiVersion: 'v2', ...splitName(value.subarray(KMS_V2.length), [], null) };
  // Show the readable start (`k8s:enc:foo:v1:…`) and nothing of the binary body.
  let n = ENC.length;
  while (n < value.length && n < 64 && value[n]! >= 0x20 && value[n]! < 0x7f) n++;
  return { kind: 'unknown', prefix: fromUtf8(value.subarray(0, n)) };
}
