/**
 * What `inspect` (and the web page, for KMS values) says about a stored value without any key:
 * provider, key name, lengths of its parts, a KMS value's key ID and annotations.
 */
import { K8sEncError } from '../errors.ts';
import { decodeObject } from '../storage/decode.ts';
import { decodeEncryptedObject } from '../transformers/kms-v2-object.ts';
import { parseValuePrefix, type ValuePrefix } from './prefix.ts';

export type Fields = Record<string, unknown>;

function errorText(e: unknown): string {
  return e instanceof K8sEncError || e instanceof Error ? e.message : String(e);
}

function plaintextFields(value: Uint8Array, encoding: string): Fields {
  if (encoding === 'opaque') return { encoding };
  try {
    const obj = decodeObject(value);
    const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    return { encoding, apiVersion: obj.apiVersion, kind: obj.kind, namespace: meta.namespace, name: meta.name };
  } catch (e) {
    return { encoding, decodeError: errorText(e) };
  }
}

// Layouts of docs/FORMATS.md; lengths only, nothing that depends on a key.
function keyedFields(provider: string, n: number): Fields {
  switch (provider) {
    case 'aescbc':
      return {
        ivLength: 16,
        ciphertextLength: Math.max(0, n - 16),
        paddedPlaintextLength: Math.max(0, n - 16),
        ...truncation(provider, n),
      };
    case 'aesgcm':
      return {
        nonceLength: 12,
        ciphertextLength: Math.max(0, n - 28),
        tagLength: 16,
        plaintextLength: Math.max(0, n - 28),
        ...truncation(provider, n),
      };
    default:
      return {
        nonceLength: 24,
        tagLength: 16,
        ciphertextLength: Math.max(0, n - 40),
        plaintextLength: Math.max(0, n - 40),
        ...truncation(provider, n),
      };
  }
}

/** A body too short (or, for aescbc, of a length no write gives) for its provider: cut somewhere on the way. */
function truncation(provider: string, n: number): Fields {
  const min = provider === 'aescbc' ? 32 : provider === 'aesgcm' ? 28 : 40;
  if (n >= min && (provider !== 'aescbc' || n % 16 === 0)) return {};
  const what = n < min ? `shorter than the ${min} bytes any ${provider} value has` : 'not a whole number of 16-byte blocks';
  return { truncated: true, problem: `the body is ${n} bytes: ${what} (the value was cut or damaged)` };
}

function kmsV1Fields(body: Uint8Array): Fields {
  if (body.length < 2) return { error: 'invalid data encountered by envelope transformer: failed to read uint16 length prefixed data' };
  const dek = (body[0]! << 8) | body[1]!;
  if (2 + dek > body.length)
    return {
      encryptedDEKLength: dek,
      error: 'invalid data encountered by envelope transformer: failed to read uint16 length prefixed data',
    };
  return { encryptedDEKLength: dek, payloadLength: body.length - 2 - dek };
}

const SOURCE_TYPES: Record<number, string> = { 0: 'AES_GCM_KEY', 1: 'HKDF_SHA256_XNONCE_AES_GCM_SEED' };

function kmsV2Fields(body: Uint8Array): Fields {
  try {
    const o = decodeEncryptedObject(body);
    const annotations = Object.fromEntries(Object.entries(o.annotations).map(([k, v]) => [k, { length: v.length }]));
    return {
      keyID: o.keyID,
      encryptedDEKSourceType: SOURCE_TYPES[o.encryptedDEKSourceType] ?? o.encryptedDEKSourceType,
      encryptedDEKSourceLength: o.encryptedDEKSource.length,
      encryptedDataLength: o.encryptedData.length,
      ...(Object.keys(annotations).length > 0 && { annotations }),
    };
  } catch (e) {
    return { error: errorText(e) };
  }
}

export function describeValue(value: Uint8Array, prefix: ValuePrefix = parseValuePrefix(value)): Fields {
  switch (prefix.kind) {
    case 'plaintext':
      return { encrypted: false, provider: 'identity', ...plaintextFields(value, prefix.encoding) };
    case 'keyed':
      return {
        encrypted: true,
        provider: prefix.provider,
        keyName: prefix.keyName,
        // Names may contain ':'; without the configuration the split is a best guess from the body's shape.
        ...(prefix.guessed && prefix.keyName !== null && { keyNameIsGuess: true }),
        bodyLength: prefix.body.length,
        ...keyedFields(prefix.provider, prefix.body.length),
      };
    case 'kms':
      return {
        encrypted: true,
        provider: `kms:${prefix.apiVersion}`,
        kmsName: prefix.name,
        ...(prefix.apiVersion === 'v1' && prefix.guessed && prefix.name !== null && { kmsNameIsGuess: true }),
        bodyLength: prefix.body.length,
        ...(prefix.apiVersion === 'v1' ? kmsV1Fields(prefix.body) : kmsV2Fields(prefix.body)),
      };
    case 'unknown':
      return { encrypted: true, provider: null, prefix: prefix.prefix, note: 'not a prefix kube-apiserver writes' };
  }
}
