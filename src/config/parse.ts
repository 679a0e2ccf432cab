/**
 * Loads an EncryptionConfiguration file the way kube-apiserver does at start-up (docs/FORMATS.md#encryptionconfiguration): decode
 * (YAML or JSON, strict), check kind/apiVersion (including the 1.7/1.8 `kind: EncryptionConfig`,
 * `apiVersion: v1` alias), default, validate, then build the per-resource chains so a masked rule
 * fails here too. Every failure is a K8sEncError whose message is the apiserver's text.
 */
import { decodeGoStdBase64, fromUtf8, isValidUtf8, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { goQuote } from '../go-quote.ts';
import { decodeEncryptionConfiguration, type RawConfig, type RawKeys, type RawProvider } from './decode.ts';
import { JsonSyntaxError, jsonKind, parseGoJson, type JValue } from './go-json-parse.ts';
import { YamlDecodeError, yamlToJson } from './go-yaml.ts';
import { resourceChains } from './resources.ts';
import type { EncryptionConfig, KeyConfig, ProviderConfig } from './types.ts';
import { validateEncryptionConfiguration } from './validate.ts';

/** Stands in for the file path in messages when the caller has none. */
const UNNAMED = '<encryption-config>';

const GROUP = 'apiserver.config.k8s.io';
/** utilyaml.IsJSONBuffer: `{` after Go's unicode.IsSpace characters (no BOM, unlike JS trim). */
const GO_SPACE_THEN_BRACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\{/;
const FIND_KIND_TYPE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * Parses an EncryptionConfiguration (YAML or JSON, `apiserver.config.k8s.io/v1` or the 1.7/1.8
 * `kind: EncryptionConfig, apiVersion: v1`) exactly as kube-apiserver does at start-up: strict
 * decoding, defaults, validation, and building every chain, so a file the apiserver refuses is
 * refused here with the same text.
 *
 * @param fileName used in messages and as the error's `file`, as the apiserver names the file.
 * @throws K8sEncError `ERR_CONFIG_PARSE` (not decodable) or `ERR_CONFIG_INVALID` (decoded, but
 *   invalid: unknown kind, bad key sizes, duplicate resources, …). Key material never appears in
 *   the message.
 * @example
 * ```ts
 * const config = parseEncryptionConfig(await readFile('encryption-config.yaml'), 'encryption-config.yaml');
 * ```
 */
export function parseEncryptionConfig(text: string | Uint8Array, fileName?: string): EncryptionConfig {
  const name = fileName ?? UNNAMED;
  const context = fileName === undefined ? {} : { file: fileName };
  const parseError = (code: 'ERR_CONFIG_PARSE' | 'ERR_CONFIG_INVALID', message: string) =>
    new K8sEncError(code, `error while parsing file: ${message}`, context);

  const bytes = typeof text === 'string' ? utf8(text) : text;
  if (bytes.length === 0) {
    throw parseError('ERR_CONFIG_PARSE', `error while loading file: encryption provider configuration file ${goQuote(name)} is empty`);
  }
  const decoded = decode(bytes, typeof text === 'string' ? text : fromUtf8(bytes));
  if ('error' in decoded) {
    throw parseError('ERR_CONFIG_PARSE', `error decoding encryption provider configuration file ${goQuote(name)}: ${decoded.error}`);
  }

  const problems = aggregateMessages(validateEncryptionConfiguration(decoded.raw));
  if (problems !== null) throw parseError('ERR_CONFIG_INVALID', problems);

  const config = toEncryptionConfig(decoded.raw, decoded.legacy);
  try {
    resourceChains(config);
  } catch (e) {
    if (e instanceof K8sEncError) throw e.with(context);
    throw e;
  }
  return config;
}

type Decoded = { raw: RawConfig; legacy: boolean } | { error: string };

/** The apiserver's UniversalDecoder: `{`-led input is JSON, anything else YAML. */
function decode(bytes: Uint8Array, text: string): Decoded {
  const isJson = GO_SPACE_THEN_BRACE.test(text);
  let tree: JValue;
  let strictErrors: string[] = [];
  try {
    if (isJson) {
      tree = parseGoJson(text);
    } else {
      if (!isValidUtf8(bytes)) return { error: 'yaml: invalid leading UTF-8 octet' };
      const converted = yamlToJson(text);
      tree = converted.json;
      if (converted.strictError !== null) strictErrors.push(converted.strictError);
    }
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { error: `couldn't get version/kind; json parse error: ${e.message}` };
    if (e instanceof YamlDecodeError) return { error: e.message };
    throw e;
  }

  const gvk = interpretKind(tree);
  if ('error' in gvk) return gvk;
  if (gvk.kind === '') return { error: `Object 'Kind' is missing in '${redactSecrets(text)}'` };
  if (gvk.version === '') return { error: `Object 'apiVersion' is missing in '${redactSecrets(text)}'` };
  const current = gvk.group === GROUP && gvk.version === 'v1' && gvk.kind === 'EncryptionConfiguration';
  // Registered "due to a docs bug" so the 1.7/1.8 guides' files keep working.
  const legacy = gvk.group === '' && gvk.version === 'v1' && gvk.kind === 'EncryptionConfig';
  if (!current && !legacy) {
    const groupVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
    // The apiserver names its scheme after the source line creating it; we name the file only.
    const scheme = 'k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go';
    return { error: `no kind ${goQuote(gvk.kind)} is registered for version ${goQuote(groupVersion)} in scheme ${goQuote(scheme)}` };
  }

  const typed = decodeEncryptionConfiguration(tree);
  if (!typed.ok) return { error: typed.error };
  strictErrors = [...strictErrors, ...typed.strictErrors];
  if (strictErrors.length > 0) return { error: `strict decoding error: ${strictErrors.join(', ')}` };
  return { raw: typed.config, legacy };
}

/**
 * Upstream quotes the whole file in "is missing" errors, key secrets included; this library never
 * outputs key material, so secret values are replaced (the rest of the text stays as upstream's).
 */
function redactSecrets(text: string): string {
  return text.replace(/(["']?secret["']?[ \t]*:[ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s,}\]]+)/g, '$1REDACTED');
}

/** runtime's SimpleMetaFactory.Interpret: a lenient (case-insensitive) look at kind and apiVersion. */
function interpretKind(tree: JValue): { group: string; version: string; kind: string } | { error: string } {
  const fail = (why: string) => ({ error: `couldn't get version/kind; json parse error: ${why}` });
  let kind = '';
  let apiVersion = '';
  if (tree !== null) {
    if (typeof tree !== 'object' || Array.isArray(tree) || tree.kind !== 'object') {
      return fail(`json: cannot unmarshal ${jsonKind(tree)} into Go value of type ${FIND_KIND_TYPE}`);
    }
    let typeError: string | null = null;
    for (const [key, value] of tree.entries) {
      const field = key.toLowerCase() === 'kind' ? 'kind' : key.toLowerCase() === 'apiversion' ? 'apiVersion' : null;
      if (field === null || value === null) continue;
      if (typeof value !== 'string') {
        typeError ??= `json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type string`;
        continue;
      }
      if (field === 'kind') kind = value;
      else apiVersion = value;
    }
    if (typeError !== null) return fail(typeError);
  }
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '', kind };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes > 1) return { error: `unexpected GroupVersion string: ${apiVersion}` };
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion, kind }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

/** field.ErrorList.ToAggregate + the aggregate's Error(): deduplicated, bare if one, else `[a, b]`. */
function aggregateMessages(messages: string[]): string | null {
  const unique = [...new Set(messages)];
  if (unique.length === 0) return null;
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

function toEncryptionConfig(raw: RawConfig, legacy: boolean): EncryptionConfig {
  return {
    kind: legacy ? 'EncryptionConfig' : 'EncryptionConfiguration',
    apiVersion: legacy ? 'v1' : `${GROUP}/v1`,
    resources: (raw.resources ?? []).map((entry) => ({
      resources: entry.resources ?? [],
      providers: (entry.providers ?? []).map(toProviderConfig),
    })),
  };
}

/** Only called on validated input: exactly one provider type, decodable secrets of valid sizes. */
function toProviderConfig(p: RawProvider): ProviderConfig {
  const keys = (k: RawKeys): KeyConfig[] => (k.keys ?? []).map((key) => ({ name: key.name, secret: decodeGoStdBase64(key.secret)! }));
  if (p.aesgcm !== null) return { type: 'aesgcm', keys: keys(p.aesgcm) };
  if (p.aescbc !== null) return { type: 'aescbc', keys: keys(p.aescbc) };
  if (p.secretbox !== null) return { type: 'secretbox', keys: keys(p.secretbox) };
  if (p.kms !== null) {
    const timeoutMs = Number(p.kms.timeout!) / 1e6;
    const common = { type: 'kms' as const, name: p.kms.name, endpoint: p.kms.endpoint, timeoutMs };
    return p.kms.apiVersion === 'v1' ? { ...common, apiVersion: 'v1', cachesize: p.kms.cachesize! } : { ...common, apiVersion: 'v2' };
  }
  return { type: 'identity' };
}
