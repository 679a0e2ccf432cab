/**
 * One stored value, as `k8s-enc decrypt` reads it: the input auto-detected (etcdctl get text or
 * JSON, raw, base64, hex), the chain picked by the etcd key, the same error texts. KMS values need
 * their plugin, which a page cannot reach: for them the page says what the value is and what to run.
 */
import { fromUtf8, utf8 } from '../../src/bytes.ts';
import { parseValueInput } from '../../src/value/input.ts';
import { describeValue } from '../../src/value/describe.ts';
import { parseValuePrefix } from '../../src/value/prefix.ts';
import { createValueReader, reportError } from '../../src/value/reader.ts';
import { parseEncryptionConfig } from '../../src/config/parse.ts';
import { parseEtcdKey } from '../../src/etcd/keys.ts';
import { K8sEncError } from '../../src/errors.ts';
import { toYaml } from '../../src/storage/output.ts';
import type { Secret } from '../../src/storage/types.ts';
import { secretData } from './secret-data.ts';

export type OneValue =
  | { kind: 'object'; key: string; facts: [string, string][]; yaml: string; secretData?: [string, string][] }
  | { kind: 'kms'; facts: [string, string][]; explanation: string };

export async function decryptOne(configText: string, input: Uint8Array, etcdKey: string, etcdPrefix: string): Promise<OneValue> {
  if (configText.trim() === '') throw new K8sEncError('ERR_USAGE', 'paste or choose the EncryptionConfiguration first: it holds the keys');
  const config = parseEncryptionConfig(utf8(configText));
  if (input.length === 0) throw new K8sEncError('ERR_USAGE', 'paste a stored value or choose a file');
  const value = parseValueInput(input);
  const keyBytes = etcdKey !== '' ? utf8(etcdKey) : value.key;
  const prefix = parseValuePrefix(value.value);
  if (prefix.kind === 'kms') return kmsValue(value.value, keyBytes);
  if (keyBytes === undefined) {
    throw new K8sEncError(
      'ERR_USAGE',
      'the etcd key is needed (it is the authenticated data and picks the chain): fill in the etcd key or paste etcdctl get output',
    );
  }
  const key = fromUtf8(keyBytes);
  const resource = parseEtcdKey(key, etcdPrefix)?.resource;
  if (resource === undefined) {
    throw new K8sEncError(
      'ERR_USAGE',
      `cannot tell the resource from etcd key ${JSON.stringify(key)}: expected ${etcdPrefix}/<resource>/[<namespace>/]<name> (see the etcd prefix)`,
    );
  }
  const report = await createValueReader(config, etcdPrefix).read(keyBytes, value.value, resource);
  if (report.status === 'error') throw reportError(report); // as `k8s-enc decrypt` reports it
  const facts: [string, string][] = [
    ['input', value.format],
    ['provider', report.provider ?? '(unknown)'],
    ['key name', report.keyName ?? '-'],
    [
      'stale',
      report.stale === true
        ? 'true: written with a provider or key other than the first configured one; the apiserver would rewrite it'
        : 'false',
    ],
  ];
  const obj = report.object!;
  return { kind: 'object', key, facts, yaml: toYaml(obj), ...(obj.kind === 'Secret' && { secretData: secretData(obj as Secret) }) };
}

function kmsValue(value: Uint8Array, key: Uint8Array | undefined): OneValue {
  const fields = describeValue(value);
  const facts: [string, string][] = [
    ...(key === undefined ? [] : [['etcd key', fromUtf8(key)] as [string, string]]),
    ...Object.entries(fields).map(([k, v]): [string, string] => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  ];
  const provider = String(fields.provider);
  const name = fields.kmsName === null ? '' : ` "${String(fields.kmsName)}"`;
  const keyId = typeof fields.keyID === 'string' ? ` with key ID ${JSON.stringify(fields.keyID)}` : '';
  const explanation =
    `This value is encrypted by the ${provider} provider${name}${keyId}: its data key is itself encrypted by ` +
    `the KMS, so only the KMS plugin of that provider (with access to its key) can decrypt it. A web page cannot ` +
    `reach a plugin's unix socket: start the plugin and run \`k8s-enc decrypt -c CONFIG --kms-endpoint ` +
    `${fields.kmsName === null ? 'NAME' : String(fields.kmsName)}=unix:///path/to/plugin.sock\` instead.`;
  return { kind: 'kms', facts, explanation };
}
