/**
 * ValidateEncryptedObject of the apiserver's kmsv2 envelope: run after decoding (before any
 * plugin call) and before every write, first failure wins, in the upstream order.
 */
import { utf8, compareBytes } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { goQuote } from '../go-quote.ts';
import type { EncryptedObject } from './kms-v2-object.ts';

const MAX_SOURCE_SIZE = 1024;
const MAX_KEY_ID_SIZE = 1024;
const MAX_ANNOTATIONS_SIZE = 32 * 1024;

const SUBDOMAIN_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const SUBDOMAIN = new RegExp(`^${SUBDOMAIN_FMT}$`);
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character" +
  ` (e.g. 'example.com', regex used for validation is '${SUBDOMAIN_FMT}')`;

function invalid(message: string): K8sEncError {
  return new K8sEncError('ERR_KMS_DATA', message);
}

/**
 * Checks a KMS v2 {@link EncryptedObject} as the apiserver's ValidateEncryptedObject does (DEK
 * source type, non-empty data, sizes of DEK source, key ID and annotations, annotation key names),
 * in the upstream order. Throws ERR_KMS_DATA with the upstream message on the first failure.
 */
export function validateEncryptedObject(o: EncryptedObject): void {
  const t = o.encryptedDEKSourceType;
  if (t !== 0 && t !== 1) throw invalid(`unknown encryptedDEKSourceType: ${t}`);
  if (o.encryptedData.length === 0) throw invalid('encrypted data is empty');

  const source = o.encryptedDEKSource.length;
  if (source === 0) throw invalid('failed to validate encrypted DEK source: encrypted DEK source is empty');
  if (source > MAX_SOURCE_SIZE) {
    throw invalid(
      `failed to validate encrypted DEK source: encrypted DEK source is ${source} bytes, which exceeds the max size of ${MAX_SOURCE_SIZE}`,
    );
  }

  const keyID = utf8(o.keyID).length;
  if (keyID === 0) throw invalid('failed to validate key id: keyID is empty');
  if (keyID > MAX_KEY_ID_SIZE) {
    throw invalid(`failed to validate key id: keyID is ${keyID} bytes, which exceeds the max size of ${MAX_KEY_ID_SIZE}`);
  }

  const errs = annotationErrors(o.annotations);
  if (errs.length === 1) throw invalid(`failed to validate annotations: ${errs[0]}`);
  if (errs.length > 1) throw invalid(`failed to validate annotations: [${errs.join(', ')}]`);
}

/**
 * Upstream visits keys in Go's random map order; we use byte order so the text is reproducible.
 * Messages are de-duplicated as utilerrors.NewAggregate prints them.
 */
function annotationErrors(annotations: Record<string, Uint8Array>): string[] {
  const keys = Object.keys(annotations)
    .map((k) => ({ k, bytes: utf8(k) }))
    .sort((a, b) => compareBytes(a.bytes, b.bytes));
  const errs: string[] = [];
  let total = 0;
  for (const { k, bytes } of keys) {
    const e = fqdnError(k);
    if (e !== null && !errs.includes(e)) errs.push(e);
    total += bytes.length + annotations[k]!.length;
  }
  if (total > MAX_ANNOTATIONS_SIZE) {
    errs.push(`total size of annotations is ${total}, which exceeds the max size of ${MAX_ANNOTATIONS_SIZE}`);
  }
  return errs;
}

/** apimachinery validation.IsFullyQualifiedDomainName with field path `annotations`. */
function fqdnError(key: string): string | null {
  if (key.length === 0) return 'annotations: Required value';
  const name = key.endsWith('.') ? key.slice(0, -1) : key;
  const errs: string[] = [];
  if (utf8(name).length > 253) errs.push('must be no more than 253 characters');
  if (!SUBDOMAIN.test(name)) errs.push(SUBDOMAIN_MSG);
  if (errs.length > 0) return `annotations: Invalid value: ${goQuote(name)}: ${errs.join(',')}`;
  const labels = name.split('.');
  if (labels.length < 2) {
    return `annotations: Invalid value: ${goQuote(name)}: should be a domain with at least two segments separated by dots`;
  }
  // The subdomain pattern already holds, so only a label's length can still be wrong.
  const long = labels.find((l) => l.length > 63);
  if (long !== undefined) return `annotations: Invalid value: ${goQuote(long)}: must be no more than 63 characters`;
  return null;
}
