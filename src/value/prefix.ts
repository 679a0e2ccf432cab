/**
 * What a stored value says about itself before any key is used: the provider and key name in its
 * `k8s:enc:` prefix. Key names (and KMS v1 names) may contain `:` (SPEC §2.3), so a name is taken
 * from the configuration when one fits, and otherwise guessed from the shape of what follows it.
 */
import { fromUtf8, isValidUtf8, startsWith, utf8 } from '../bytes.ts';

export type KeyedProvider = 'aescbc' | 'aesgcm' | 'secretbox';

export type ValuePrefix =
  | { kind: 'plaintext'; encoding: 'protobuf' | 'json' | 'opaque' }
  | { kind: 'keyed'; provider: KeyedProvider; keyName: string | null; guessed: boolean; body: Uint8Array }
  | { kind: 'kms'; apiVersion: 'v1' | 'v2'; name: string | null; guessed: boolean; body: Uint8Array }
  | { kind: 'unknown'; prefix: string };

const ENC = utf8('k8s:enc:');
const PROTOBUF = utf8('k8s\x00');
const COLON = 0x3a;

// Smallest well-formed body after `<name>:` (SPEC §3.3–3.6); used only to guess where a name ends.
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

function splitName(rest: Uint8Array, known: readonly string[], fits: ((b: Uint8Array) => boolean) | null): Named {
  let best: string | null = null;
  for (const n of known) {
    if (startsWith(rest, utf8(n + ':')) && (best === null || utf8(n).length > utf8(best).length)) best = n;
  }
  if (best !== null) return { name: best, guessed: false, body: rest.subarray(utf8(best).length + 1) };
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
  for (const provider of ['aescbc', 'aesgcm', 'secretbox'] as const) {
    const p = utf8(`k8s:enc:${provider}:v1:`);
    if (startsWith(value, p)) {
      const { name, guessed, body } = splitName(value.subarray(p.length), knownNames(provider), BODY_FITS[provider]);
      return { kind: 'keyed', provider, keyName: name, guessed, body };
    }
  }
  const v1 = utf8('k8s:enc:kms:v1:');
  if (startsWith(value, v1)) return { kind: 'kms', apiVersion: 'v1', ...splitName(value.subarray(v1.length), knownNames('kms:v1'), BODY_FITS['kms-v1']) };
  const v2 = utf8('k8s:enc:kms:v2:');
  // KMS v2 names cannot hold `:`, so the first one ends the name.
  if (startsWith(value, v2)) return { kind: 'kms', apiVersion: 'v2', ...splitName(value.subarray(v2.length), [], null) };
  // Show the readable start (`k8s:enc:foo:v1:…`) and nothing of the binary body.
  let n = ENC.length;
  while (n < value.length && n < 64 && value[n]! >= 0x20 && value[n]! < 0x7f) n++;
  return { kind: 'unknown', prefix: fromUtf8(value.subarray(0, n)) };
}
