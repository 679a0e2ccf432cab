/**
 * EncryptionConfiguration against upstream ground truth: every fixture under
 * vectors/encryption-configs/ loads or fails with the apiserver's message (docs/FORMATS.md#vector-files), the captured
 * Kubernetes 1.8 config decrypts its Secret, and the `*-first` families interoperate as upstream's
 * TestEncryptionProviderConfigCorrect requires.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTransformer } from '../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import type { EncryptionConfig } from '../src/config/types.ts';
import { fromUtf8, startsWith, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { identityTransformer } from '../src/transformers/identity.ts';
import type { KmsProviderInfo, KmsV1Service, KmsV2Service, TransformerOptions } from '../src/transformers/types.ts';

const ROOT = 'vectors/encryption-configs';
const TESTDATA = `${ROOT}/pkg/server/options/encryptionconfig/testdata`;
const LEGACY_17 = `${ROOT}/legacy-release-1.7-inline`;

const load = (path: string): EncryptionConfig => parseEncryptionConfig(readFileSync(path), path);

function loadError(path: string): K8sEncError {
  try {
    load(path);
  } catch (e) {
    assert.ok(e instanceof K8sEncError, `expected a K8sEncError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${path} loaded but upstream rejects it`);
}

describe('valid fixtures load', () => {
  const valid = [
    ...['identity', 'aes-gcm', 'aes-cbc', 'secret-box', 'kms', 'kmsv2'].map((n) => `${TESTDATA}/valid-configs/${n}-first.yaml`),
    `${TESTDATA}/valid-configs/legacy.yaml`,
    ...['keys', 'keys-reversed', 'providers', 'providers-reversed'].map((n) => `${TESTDATA}/valid-configs/aes/aes-cbc-multiple-${n}.json`),
    `${TESTDATA}/valid-configs/aes/aes-gcm.yaml`,
    ...['default-timeout', 'multiple-providers-kmsv2', 'multiple-providers-mixed', 'multiple-providers'].map(
      (n) => `${TESTDATA}/valid-configs/kms/${n}.yaml`,
    ),
    `${ROOT}/pkg/server/options/encryptionconfig/controller/testdata/ec_config.yaml`,
    ...[
      'multiple-kms-providers-with-v2',
      'multiple-kms-providers',
      'multiple-kms-v2-providers',
      'no-kms-provider',
      'single-kms-provider',
    ].map((n) => `${ROOT}/pkg/server/options/testdata/encryption-configs/${n}.yaml`),
    ...['aes-cbc', 'aes-gcm', 'identity', 'secretbox'].map((n) => `${LEGACY_17}/correct-config-with-${n}-first.yaml`),
    'vectors/captured/k8s-1.8-aescbc/encryption-config.yaml',
  ];
  for (const path of valid) it(path.replace(`${ROOT}/`, ''), () => assert.ok(load(path).resources.length > 0));

  it('legacy.yaml decodes to the object of upstream TestLegacyConfig (kms defaults v1, 3s)', () => {
    const c = load(`${TESTDATA}/valid-configs/legacy.yaml`);
    assert.equal(c.kind, 'EncryptionConfig');
    assert.equal(c.apiVersion, 'v1');
    const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
    const twoKeys = [
      { name: 'key1', secret: b64('c2VjcmV0IGlzIHNlY3VyZQ==') },
      { name: 'key2', secret: b64('dGhpcyBpcyBwYXNzd29yZA==') },
    ];
    assert.deepEqual(c.resources, [
      {
        resources: ['secrets', 'namespaces'],
        providers: [
          { type: 'identity' },
          { type: 'aesgcm', keys: twoKeys },
          {
            type: 'kms',
            apiVersion: 'v1',
            name: 'testprovider',
            endpoint: 'unix:///tmp/testprovider.sock',
            cachesize: 10,
            timeoutMs: 3000,
          },
          { type: 'aescbc', keys: twoKeys },
          { type: 'secretbox', keys: [{ name: 'key1', secret: b64('YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=') }] },
        ],
      },
    ]);
  });

  it('KMS timeouts and cache sizes come through (100ms, 15s, v2 without cachesize)', () => {
    const c = load(`${ROOT}/pkg/server/options/testdata/encryption-configs/multiple-kms-providers-with-v2.yaml`);
    const kms = c.resources[0]!.providers.map((p) => (p.type === 'kms' ? [p.apiVersion, p.name, p.timeoutMs, p.cachesize] : null));
    assert.deepEqual(kms, [
      ['v1', 'kms-provider-1', 100, 1000],
      ['v1', 'kms-provider-2', 100, 1000],
      ['v2', 'kms-provider-3', 100, undefined],
    ]);
  });
});

describe('invalid fixtures fail with the upstream message', () => {
  const cases: [string, string, 'ERR_CONFIG_PARSE' | 'ERR_CONFIG_INVALID'][] = [
    [
      `${TESTDATA}/invalid-configs/invalid-aes-gcm.yaml`,
      'error while parsing file: resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required',
      'ERR_CONFIG_INVALID',
    ],
    [
      `${TESTDATA}/invalid-configs/invalid-typo.yaml`,
      `error while parsing file: error decoding encryption provider configuration file "${TESTDATA}/invalid-configs/invalid-typo.yaml": strict decoding error: unknown field "resources[0].providers[3].kms.pandas"`,
      'ERR_CONFIG_PARSE',
    ],
    [
      `${TESTDATA}/invalid-configs/kms/invalid-apiversion.yaml`,
      'error while parsing file: resources[0].providers[0].kms.apiVersion: Invalid value: "v3": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported',
      'ERR_CONFIG_INVALID',
    ],
    [
      `${TESTDATA}/invalid-configs/kms/invalid-content.yaml`,
      `error while parsing file: error while loading file: encryption provider configuration file "${TESTDATA}/invalid-configs/kms/invalid-content.yaml" is empty`,
      'ERR_CONFIG_PARSE',
    ],
    [
      `${LEGACY_17}/incorrect-config-no-secret-for-key.yaml`,
      'error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret: Required value: secret is a mandatory field for a key',
      'ERR_CONFIG_INVALID',
    ],
    [
      `${LEGACY_17}/incorrect-config-invalid-key.yaml`,
      'error while parsing file: resources[0].providers[0].aesgcm.keys[1].secret: Invalid value: "REDACTED": secret is not of the expected length, got 17, expected one of [16 24 32]',
      'ERR_CONFIG_INVALID',
    ],
  ];
  for (const [path, message, code] of cases) {
    it(path.replace(`${ROOT}/`, ''), () => {
      const e = loadError(path);
      assert.equal(e.message, message);
      assert.equal(e.code, code);
      assert.equal(e.file, path);
    });
  }

  it('invalid-config-type.yaml: no kind "EncryptionConfigurations" is registered …', () => {
    const path = `${TESTDATA}/invalid-configs/kms/invalid-config-type.yaml`;
    const e = loadError(path);
    const prefix = `error while parsing file: error decoding encryption provider configuration file "${path}": `;
    assert.ok(
      e.message.startsWith(`${prefix}no kind "EncryptionConfigurations" is registered for version "apiserver.config.k8s.io/v1"`),
      e.message,
    );
  });

  it('invalid-gvk.yaml: error decoding … (the Kind is missing)', () => {
    const path = `${TESTDATA}/invalid-configs/kms/invalid-gvk.yaml`;
    const e = loadError(path);
    const text = readFileSync(path, 'utf8');
    assert.equal(
      e.message,
      `error while parsing file: error decoding encryption provider configuration file "${path}": Object 'Kind' is missing in '${text}'`,
    );
  });

  it('without a file name a placeholder stands in the %q spot', () => {
    assert.throws(
      () => parseEncryptionConfig(''),
      (e: K8sEncError) =>
        e.message ===
        'error while parsing file: error while loading file: encryption provider configuration file "<encryption-config>" is empty',
    );
  });
});

describe('Kubernetes 1.8 captured cluster', () => {
  it('its config decrypts the etcdctl-captured Secret to the 136-byte plaintext', async () => {
    const config = load('vectors/captured/k8s-1.8-aescbc/encryption-config.yaml');
    const captured = readFileSync('vectors/captured/k8s-1.8-aescbc/etcdctl-get-aescbc.bin');
    const nl = captured.indexOf(0x0a);
    const key = fromUtf8(captured.subarray(0, nl));
    assert.equal(captured[captured.length - 1], 0x0a);
    const value = new Uint8Array(captured.subarray(nl + 1, captured.length - 1));
    assert.equal(key, '/registry/secrets/default/mysecret');
    assert.equal(value.length, 183);

    const { data, stale } = await createTransformer(config, 'secrets').fromStorage(value, key);
    assert.equal(data.length, 136);
    assert.ok(startsWith(data, utf8('k8s\x00')));
    assert.ok(fromUtf8(data).includes('ilovejapan\n'));
    assert.equal(stale, false);
  });

  it('resources it does not list use the bare identity transformer', () => {
    const config = load('vectors/captured/k8s-1.8-aescbc/encryption-config.yaml');
    assert.equal(createTransformer(config, 'configmaps'), identityTransformer);
    assert.equal(createTransformer(null, 'secrets'), identityTransformer);
  });
});

/** A KMS plugin stand-in: AES-256-GCM wrapping under one fixed key, key ID "1". */
function fakeKms(): (info: KmsProviderInfo) => KmsV1Service | KmsV2Service {
  const kek = randomBytes(32);
  const wrap = async (plain: Uint8Array) => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', kek, nonce);
    return new Uint8Array(Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]));
  };
  const unwrap = async (ct: Uint8Array) => {
    const d = createDecipheriv('aes-256-gcm', kek, ct.subarray(0, 12));
    d.setAuthTag(ct.subarray(ct.length - 16));
    return new Uint8Array(Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]));
  };
  const v1: KmsV1Service = { encrypt: wrap, decrypt: unwrap };
  const v2: KmsV2Service = {
    status: async () => ({ keyID: '1' }),
    encrypt: async (plain) => ({ ciphertext: await wrap(plain), keyID: '1' }),
    decrypt: async (req) => unwrap(req.ciphertext),
  };
  return (info) => (info.apiVersion === 'v1' ? v1 : v2);
}

/** Upstream TestEncryptionProviderConfigCorrect: what any writes, all read, stale iff reader ≠ writer. */
async function assertInteroperable(paths: string[], resource: string, options: TransformerOptions): Promise<void> {
  const transformers = paths.map((p) => createTransformer(load(p), resource, options));
  const ad = '/registry/secrets/default/pandas';
  const plaintext = utf8('abcdefghijklmnopqrstuvwxyz');
  for (const [w, writer] of transformers.entries()) {
    const stored = await writer.toStorage(plaintext, ad);
    for (const [r, reader] of transformers.entries()) {
      const { data, stale } = await reader.fromStorage(stored, ad);
      assert.deepEqual(data, plaintext, `${paths[w]} → ${paths[r]}`);
      assert.equal(stale, r !== w, `stale reading ${paths[w]}'s write with ${paths[r]}`);
    }
  }
}

describe('valid-configs/*-first.yaml interoperate', () => {
  it('identity, aes-gcm, aes-cbc, secret-box, kms and kmsv2 first', async () => {
    const paths = ['identity', 'aes-gcm', 'aes-cbc', 'secret-box', 'kms', 'kmsv2'].map((n) => `${TESTDATA}/valid-configs/${n}-first.yaml`);
    await assertInteroperable(paths, 'secrets', { kms: fakeKms() });
  });

  it('the release-1.7 legacy correct-config-with-*-first.yaml', async () => {
    const paths = ['aes-cbc', 'aes-gcm', 'identity', 'secretbox'].map((n) => `${LEGACY_17}/correct-config-with-${n}-first.yaml`);
    await assertInteroperable(paths, 'secrets', {});
  });

  it('a KMS provider without a plugin fails clearly while the others still work', async () => {
    const t = createTransformer(load(`${TESTDATA}/valid-configs/kms-first.yaml`), 'secrets');
    await assert.rejects(t.toStorage(utf8('x'), '/registry/secrets/a/b'), (e: K8sEncError) => e.code === 'ERR_KMS');
    const other = createTransformer(load(`${TESTDATA}/valid-configs/aes-cbc-first.yaml`), 'secrets');
    const stored = await other.toStorage(utf8('x'), '/registry/secrets/a/b');
    assert.deepEqual(await t.fromStorage(stored, '/registry/secrets/a/b'), { data: utf8('x'), stale: true });
  });
});

describe('valid-configs/aes/aes-cbc-multiple-*.json', () => {
  const aes = (n: string) => load(`${TESTDATA}/valid-configs/aes/aes-cbc-multiple-${n}.json`);
  const cases: [string, string, string][] = [
    ['keys', 'keys-reversed', 'A'],
    ['keys-reversed', 'keys', 'B'],
    ['providers', 'providers-reversed', '1'],
    ['providers-reversed', 'providers', '2'],
  ];
  for (const [writerName, readerName, keyName] of cases) {
    it(`${writerName} writes k8s:enc:aescbc:v1:${keyName}: and ${readerName} reads it as stale`, async () => {
      const writer = createTransformer(aes(writerName), 'ignored');
      const reader = createTransformer(aes(readerName), 'ignored');
      const stored = await writer.toStorage(utf8('pandas'), '/registry/ignored/x');
      assert.ok(startsWith(stored, utf8(`k8s:enc:aescbc:v1:${keyName}:`)), fromUtf8(stored.subarray(0, 24)));
      assert.deepEqual(await writer.fromStorage(stored, '/registry/ignored/x'), { data: utf8('pandas'), stale: false });
      assert.deepEqual(await reader.fromStorage(stored, '/registry/ignored/x'), { data: utf8('pandas'), stale: true });
    });
  }
});
