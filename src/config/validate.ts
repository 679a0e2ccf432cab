/**
 * The apiserver's EncryptionConfiguration validation (`validation_encryption.go`, docs/FORMATS.md#validation): the
 * same checks in the same order, each error printed as field.Error prints it
 * (`<path>: Required value: <detail>` / `<path>: Invalid value: <value>: <detail>`).
 */
import { decodeGoStdBase64 } from '../bytes.ts';
import { goQuote } from '../go-quote.ts';
import { durationJson, type RawConfig, type RawKey, type RawKeys, type RawKms, type RawProvider } from './decode.ts';
import { goJsonString } from './go-json-parse.ts';
import { parseGoUrlScheme } from '../go-url.ts';
import { parseGroupResource } from './resources.ts';

const AES_KEY_SIZES = [16, 24, 32];
const SECRETBOX_KEY_SIZES = [32];
const OVERLAP = "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked";
const NO_REST_API = new Set(['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations']);

const required = (path: string, detail: string) => `${path}: Required value: ${detail}`;
const invalid = (path: string, value: string, detail: string) => `${path}: Invalid value: ${value}: ${detail}`;

/** Every validation error message, in upstream order (duplicates included; the caller aggregates). */
export function validateEncryptionConfiguration(config: RawConfig): string[] {
  const errs: string[] = [];
  const entries = config.resources ?? [];
  if (entries.length === 0) return [required('resources', 'at least one resources is required')];

  const kmsNames = new Set<string>();
  entries.forEach((entry, i) => {
    const r = `resources[${i}].resources`;
    const p = `resources[${i}].providers`;
    const resources = entry.resources ?? [];
    if (resources.length === 0) errs.push(required(r, `at least one ${r} is required`));
    errs.push(...validateResourceOverlap(resources, r), ...validateResourceNames(resources, r));

    const providers = entry.providers ?? [];
    if (providers.length === 0) errs.push(required(p, `at least one ${p} is required`));
    providers.forEach((provider, j) => {
      const path = `${p}[${j}]`;
      errs.push(...validateSingleProvider(provider, path));
      if (provider.kms !== null) {
        errs.push(...validateKms(provider.kms, `${path}.kms`, kmsNames));
        kmsNames.add(provider.kms.name);
      } else if (provider.aesgcm !== null) {
        errs.push(...validateKeys(provider.aesgcm.keys, `${path}.aesgcm.keys`, AES_KEY_SIZES));
      } else if (provider.aescbc !== null) {
        errs.push(...validateKeys(provider.aescbc.keys, `${path}.aescbc.keys`, AES_KEY_SIZES));
      } else if (provider.secretbox !== null) {
        errs.push(...validateKeys(provider.secretbox.keys, `${path}.secretbox.keys`, SECRETBOX_KEY_SIZES));
      }
    });
  });
  return errs;
}

function validateResourceOverlap(resources: string[], path: string): string[] {
  if (resources.length < 2) return [];
  const grs = resources.map(parseGroupResource);
  let duplicate = false;
  let overlap = false;
  // The same pairwise walk as upstream, including its quirk that a duplicate pair found first
  // hides that pair from the overlap check.
  grs.forEach((r1, i) => {
    grs.forEach((r2, j) => {
      if (i === j) return;
      const same = r1.group === r2.group && r1.resource === r2.resource;
      if (same && !duplicate) {
        duplicate = true;
        return;
      }
      if (overlap) return;
      if (r1.group === '*' && r1.resource === '*') overlap = true;
      else if (r1.group === r2.group && (r1.resource === '*' || r2.resource === '*')) overlap = true;
    });
  });
  const value = `[${resources.map(goJsonString).join(',')}]`;
  const errs: string[] = [];
  if (duplicate) errs.push(invalid(path, value, 'the same resource cannot be specified multiple times'));
  if (overlap) errs.push(invalid(path, value, OVERLAP));
  return errs;
}

function validateResourceNames(resources: string[], path: string): string[] {
  const errs: string[] = [];
  resources.forEach((res, j) => {
    const detail = resourceNameProblem(res);
    if (detail !== null) errs.push(invalid(`${path}[${j}]`, goQuote(res), detail));
  });
  return errs;
}

function resourceNameProblem(res: string): string | null {
  if (res.toLowerCase() !== res) return 'resource name should not contain capital letters';
  if (res === '*') return "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources";
  if (NO_REST_API.has(res)) return 'resources which do not have REST API/s cannot be encrypted';
  const gr = parseGroupResource(res);
  if (gr.group === 'events.k8s.io') {
    return "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file";
  }
  if (gr.group === 'extensions') return "'extensions' group has been removed and cannot be used for encryption";
  if (gr.group === '*' && gr.resource !== '*') return 'encrypting the same resource across groups is not supported';
  return null;
}

function validateSingleProvider(provider: RawProvider, path: string): string[] {
  const found = [provider.kms, provider.aesgcm, provider.aescbc, provider.secretbox, provider.identity].filter((x) => x !== null).length;
  if (found === 0) {
    return [
      invalid(
        path,
        providerJson(provider),
        'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity',
      ),
    ];
  }
  if (found > 1) {
    return [
      invalid(
        path,
        providerJson(provider),
        'more than one provider specified in a single element, should split into different list elements',
      ),
    ];
  }
  return [];
}

function validateKeys(keys: RawKey[] | null, path: string, sizes: number[]): string[] {
  if (keys === null || keys.length === 0) return [required(path, 'at least one keys is required')];
  return keys.flatMap((key, i) => validateKey(key, `${path}[${i}]`, sizes));
}

function validateKey(key: RawKey, path: string, sizes: number[]): string[] {
  const errs: string[] = [];
  if (key.name === '') errs.push(required(`${path}.name`, 'name is a mandatory field for a key'));
  if (key.secret === '') return [...errs, required(`${path}.secret`, 'secret is a mandatory field for a key')];
  const secret = decodeGoStdBase64(key.secret);
  if (secret === null) return [...errs, invalid(`${path}.secret`, '"REDACTED"', 'secrets must be base64 encoded')];
  if (!sizes.includes(secret.length)) {
    const detail = `secret is not of the expected length, got ${secret.length}, expected one of [${sizes.join(' ')}]`;
    errs.push(invalid(`${path}.secret`, '"REDACTED"', detail));
  }
  return errs;
}

function validateKms(kms: RawKms, path: string, seenNames: Set<string>): string[] {
  const errs: string[] = [];
  const namePath = `${path}.name`;
  if (kms.name === '') errs.push(required(namePath, 'name is a mandatory field for a provider'));
  if (kms.apiVersion !== 'v1' && kms.name.includes(':')) {
    errs.push(invalid(namePath, goQuote(kms.name), `invalid KMS provider name ${kms.name}, must not contain ':'`));
  }
  // Only v2 names must be unique: v1 ones too only under --encryption-provider-config-automatic-reload.
  if (kms.apiVersion !== 'v1' && seenNames.has(kms.name)) {
    errs.push(invalid(namePath, goQuote(kms.name), `duplicate KMS provider name ${kms.name}, names must be unique`));
  }

  const timeout = kms.timeout ?? 0n;
  if (timeout <= 0n) errs.push(invalid(`${path}.timeout`, durationJson(timeout), 'timeout should be a positive value'));

  errs.push(...validateEndpoint(kms.endpoint, `${path}.endpoint`));

  const cachePath = `${path}.cachesize`;
  if (kms.apiVersion !== 'v1' && kms.cachesize !== null) {
    errs.push(invalid(cachePath, String(kms.cachesize), 'cachesize is not supported in v2'));
  }
  if (kms.apiVersion === 'v1' && kms.cachesize === 0) {
    errs.push(invalid(cachePath, '0', 'cachesize should be a positive value, or negative to disable'));
  }

  if (kms.apiVersion !== 'v1' && kms.apiVersion !== 'v2') {
    // "apiVersion apiVersion": upstream formats the field name where it meant the value.
    const detail = 'unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported';
    errs.push(invalid(`${path}.apiVersion`, goQuote(kms.apiVersion), detail));
  }
  return errs;
}

function validateEndpoint(endpoint: string, path: string): string[] {
  if (endpoint === '') return [invalid(path, '""', 'endpoint is a mandatory field for a kms')];
  const parsed = parseGoUrlScheme(endpoint);
  if ('error' in parsed) return [invalid(path, goQuote(endpoint), `invalid endpoint for kms provider, error: ${parsed.error}`)];
  if (parsed.scheme !== 'unix') {
    return [invalid(path, goQuote(endpoint), `unsupported scheme ${goQuote(parsed.scheme)} for KMS provider, only unix is supported`)];
  }
  return [];
}

/**
 * The provider element as upstream prints it (json.Marshal of the internal Go struct, whose fields
 * have no json tags), except that key secrets print as "REDACTED": upstream prints them verbatim,
 * and this library never outputs key material.
 */
function providerJson(p: RawProvider): string {
  const keys = (k: RawKeys | null) => {
    if (k === null) return 'null';
    if (k.keys === null) return '{"Keys":null}';
    const list = k.keys.map((key) => `{"Name":${goJsonString(key.name)},"Secret":${key.secret === '' ? '""' : '"REDACTED"'}}`);
    return `{"Keys":[${list.join(',')}]}`;
  };
  const kms =
    p.kms === null
      ? 'null'
      : `{"APIVersion":${goJsonString(p.kms.apiVersion)},"Name":${goJsonString(p.kms.name)},"CacheSize":${p.kms.cachesize ?? 'null'},` +
        `"Endpoint":${goJsonString(p.kms.endpoint)},"Timeout":${p.kms.timeout === null ? 'null' : durationJson(p.kms.timeout)}}`;
  return `{"AESGCM":${keys(p.aesgcm)},"AESCBC":${keys(p.aescbc)},"Secretbox":${keys(p.secretbox)},"Identity":${p.identity === null ? 'null' : '{}'},"KMS":${kms}}`;
}
