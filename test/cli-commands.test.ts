import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { decodeGoStdBase64, fromUtf8, toBase64, toHex, utf8 } from '../src/bytes.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { runCli } from './support/cli-io.ts';
import { loadVectors, VECTOR_DIR, type VectorProvider } from './support/vectors.ts';

const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
const CONFIG = `${CAPTURED}/encryption-config.yaml`;
const KEY = '/registry/secrets/default/mysecret';
const expectedAescbc = JSON.parse(readFileSync(`${CAPTURED}/expected-aescbc.json`, 'utf8'));
const expectedIdentity = JSON.parse(readFileSync(`${CAPTURED}/expected-identity.json`, 'utf8'));
const aescbcFile = `${CAPTURED}/etcdctl-get-aescbc.bin`;
const aescbcValue = (() => {
  const b = new Uint8Array(readFileSync(aescbcFile));
  return b.subarray(KEY.length + 1, b.length - 1);
})();

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-cli-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function providerYaml(p: VectorProvider): string {
  if (p.type === 'identity') return '      - identity: {}\n';
  const keys = p
    .keys!.map((k) => `            - name: ${JSON.stringify(k.name)}\n              secret: ${JSON.stringify(k.secret)}\n`)
    .join('');
  return `      - ${p.type}:\n          keys:\n${keys}`;
}

test('decrypt: the captured Kubernetes 1.8 values decode to the recorded Secrets', async () => {
  const r = await runCli(['decrypt', '-c', CONFIG, aescbcFile]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(parseYaml(r.out), expectedAescbc);
  const j = await runCli(['decrypt', '-c', CONFIG, '-o', 'json', '-'], readFileSync(`${CAPTURED}/etcdctl-get-identity.bin`));
  assert.equal(j.code, 0, j.err);
  assert.deepEqual(JSON.parse(j.out), expectedIdentity);
  // [aescbc, identity] reading plaintext: identity is not the first provider, so stale (docs/FORMATS.md#stale).
  assert.match(j.err, /stale/);
  assert.doesNotMatch(r.err, /stale/);
});

test('decrypt -o raw: the 136-byte Kubernetes 1.8 plaintext, from hex or base64 input with --etcd-key', async () => {
  for (const text of [toHex(aescbcValue), toBase64(aescbcValue)]) {
    const r = await runCli(['decrypt', '-c', CONFIG, '--etcd-key', KEY, '-o', 'raw'], text + '\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.stdout.length, 136);
    assert.equal(fromUtf8(r.stdout.subarray(0, 4)), 'k8s\x00');
  }
});

test('decrypt with the wrong key: a plain sentence naming the writer, the apiserver text kept', async () => {
  await withTemp(async (dir) => {
    const cfg = join(dir, 'wrong.yaml');
    // Same key name, different secret: what a cluster restored with the wrong config looks like.
    await writeFile(
      cfg,
      readFileSync(CONFIG, 'utf8').replace('cSNmGdfrr/IZeYN9npkl3F7/ScQcer2We9VxmM4X5ww=', toBase64(new Uint8Array(32).fill(7))),
    );
    const r = await runCli(['decrypt', '-c', cfg, aescbcFile]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(
      r.err,
      /^error: no configured key decrypts this value \(written with aescbc key1\) \(apiserver: (invalid padding on input|invalid PKCS7 data \(empty or not padded\))\)/,
    );
  });
});

test('decrypt needs an etcd key; usage errors exit 2 with a hint', async () => {
  const r = await runCli(['decrypt', '-c', CONFIG, '--input-format', 'hex'], toHex(aescbcValue));
  assert.equal(r.code, 2);
  assert.match(r.err, /--etcd-key/);
  assert.match(r.err, /See 'k8s-enc decrypt --help' for usage\./);
  for (const argv of [
    ['nope'],
    ['get'],
    ['get', 'secrets', '-c', CONFIG, '--snapshot', 'a', '--endpoints', 'b'],
    ['verify', '-o', 'xml'],
    ['get', 'secrets', 'x', '-A'],
    ['decrypt', '--bogus'],
    [],
  ]) {
    const u = await runCli(argv);
    assert.equal(u.code, 2, `${argv.join(' ')}: ${u.err}`);
    assert.match(u.err, /error: |Commands:/);
  }
});

test('--help on every command shows usage and examples', async () => {
  for (const cmd of ['get', 'verify', 'decrypt', 'encrypt', 'inspect', 'keygen', 'rewrite']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage:/);
    assert.match(r.out, /Examples:/);
    assert.match(r.out, new RegExp(`k8s-enc ${cmd}`));
  }
  assert.match((await runCli(['--help'])).out, /Commands:/);
});

test('encrypt then decrypt: the recorded Secret round-trips, 183 bytes under aescbc key1 like the 1.8 capture', async () => {
  const enc = await runCli(['encrypt', '-c', CONFIG, '--etcd-key', KEY, '-o', 'base64'], JSON.stringify(expectedAescbc));
  assert.equal(enc.code, 0, enc.err);
  const stored = decodeGoStdBase64(enc.out.trim())!;
  assert.equal(fromUtf8(stored.subarray(0, 23)), 'k8s:enc:aescbc:v1:key1:');
  // 134-byte plaintext today (clusterName no longer written), padded to 144, + IV + prefix (docs/FORMATS.md#the-captured-18-secret).
  assert.equal(stored.length, 183);
  const dec = await runCli(['decrypt', '-c', CONFIG, '--etcd-key', KEY, '-o', 'json'], stored);
  assert.equal(dec.code, 0, dec.err);
  assert.deepEqual(JSON.parse(dec.out), expectedAescbc);
  const yamlIn = await runCli(['encrypt', '-c', CONFIG, '--etcd-key', KEY], readFileSync(`${CAPTURED}/expected-identity.json`));
  assert.equal(yamlIn.code, 0, yamlIn.err);
  const back = await runCli(['decrypt', '-c', CONFIG, '--etcd-key', KEY, '--input-format', 'raw'], yamlIn.stdout);
  assert.deepEqual(parseYaml(back.out), expectedIdentity);
  const notObject = await runCli(['encrypt', '-c', CONFIG, '--etcd-key', KEY], 'just text');
  assert.equal(notObject.code, 1);
  assert.match(notObject.err, /--input-format raw/);
});

test('decrypt reproduces transformer vectors through the command line (aescbc, aesgcm, secretbox chains)', async () => {
  const vectors = [...loadVectors(`${VECTOR_DIR}/positive.jsonl`), ...loadVectors(`${VECTOR_DIR}/chains.jsonl`)].filter(
    (v) =>
      v.mode === 'chain' &&
      v.stored !== undefined &&
      v.authenticatedData.startsWith('/registry/secrets/') &&
      v.authenticatedData.split('/').length === 5 &&
      v.providers.every((p) => p.type !== 'kms'),
  );
  assert.ok(vectors.length > 100, `${vectors.length} vectors`);
  await withTemp(async (dir) => {
    let i = 0;
    for (const v of vectors.filter((_, n) => n % 4 === 0)) {
      const cfg = join(dir, `c${i++}.yaml`);
      await writeFile(
        cfg,
        `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${v.providers.map(providerYaml).join('')}`,
      );
      const r = await runCli(
        ['decrypt', '-c', cfg, '--etcd-key', v.authenticatedData, '-o', 'raw', '--no-check', '--input-format', 'base64'],
        v.stored === '' ? '' : v.stored!,
      );
      if (v.expect === 'ok') {
        assert.equal(r.code, 0, `${v.id}: ${r.err}`);
        assert.equal(toBase64(r.stdout), v.plaintext, v.id);
        assert.equal(/stale/.test(r.err), v.stale === true, `${v.id} stale`);
      } else {
        assert.equal(r.code, 1, v.id);
        const texts = [v.error, ...(v.errorAlternatives ?? [])].filter((t) => t !== undefined);
        if (v.expect === 'error')
          assert.ok(
            texts.some((t) => r.err.includes(t!)),
            `${v.id}: ${r.err} vs ${texts.join(' | ')}`,
          );
      }
    }
  });
});

test('inspect: provider, key name and lengths of the captured values without any key', async () => {
  const r = await runCli(['inspect', '-o', 'json', aescbcFile]);
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  assert.deepEqual(
    {
      etcdKey: d.etcdKey,
      inputFormat: d.inputFormat,
      length: d.length,
      encrypted: d.encrypted,
      provider: d.provider,
      keyName: d.keyName,
      body: d.bodyLength,
      iv: d.ivLength,
      ct: d.ciphertextLength,
    },
    { etcdKey: KEY, inputFormat: 'etcdctl', length: 183, encrypted: true, provider: 'aescbc', keyName: 'key1', body: 160, iv: 16, ct: 144 },
  );
  const p = await runCli(['inspect', `${CAPTURED}/etcdctl-get-identity.bin`]);
  const doc = parseYaml(p.out);
  assert.deepEqual(
    {
      encrypted: doc.encrypted,
      encoding: doc.encoding,
      kind: doc.kind,
      apiVersion: doc.apiVersion,
      name: doc.name,
      namespace: doc.namespace,
      length: doc.length,
    },
    { encrypted: false, encoding: 'protobuf', kind: 'Secret', apiVersion: 'v1', name: 'mysecret', namespace: 'default', length: 136 },
  );
});

test('inspect: KMS v2 fields from a vector, read from its EncryptedObject', async () => {
  const v = loadVectors(`${VECTOR_DIR}/positive.jsonl`).find((x) => x.provider === 'kms-v2-seed' && x.stored !== undefined)!;
  const r = await runCli(['inspect', '-o', 'json'], v.stored!);
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  const kms = v.kms as { keyID: string; encryptedDEK: string };
  assert.equal(d.inputFormat, 'base64');
  assert.equal(d.provider, 'kms:v2');
  assert.equal(d.kmsName, v.providers[0]!.name);
  assert.equal(d.keyID, kms.keyID);
  assert.equal(d.encryptedDEKSourceType, 'HKDF_SHA256_XNONCE_AES_GCM_SEED');
  assert.equal(d.encryptedDEKSourceLength, decodeGoStdBase64(kms.encryptedDEK)!.length);
});

test('keygen output is accepted by the configuration parser', async () => {
  const r = await runCli(['keygen', 'secretbox', '--name', 'k2']);
  assert.equal(r.code, 0);
  const cfg = parseEncryptionConfig(utf8(r.out), 'keygen.yaml');
  const p = cfg.resources[0]!.providers[0]!;
  assert.ok(p.type === 'secretbox' && p.keys[0]!.name === 'k2' && p.keys[0]!.secret.length === 32);
});

test('property: inspect and decrypt on any bytes exit 0 or 1 with a K8sEncError message, never crash', async () => {
  const prefixes = [
    '',
    'k8s:enc:aescbc:v1:key1:',
    'k8s:enc:aesgcm:v1:',
    'k8s:enc:secretbox:v1:key1:',
    'k8s:enc:kms:v1:k:',
    'k8s:enc:kms:v2:k:',
    'k8s\x00',
    '/registry/secrets/default/mysecret\n',
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...prefixes),
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom('auto', 'raw'),
      async (prefix, tail, fmt) => {
        const input = Uint8Array.from([...utf8(prefix), ...tail]);
        for (const argv of [
          ['inspect', '--input-format', fmt],
          ['decrypt', '-c', CONFIG, '--etcd-key', KEY, '-o', 'raw', '--input-format', fmt],
        ]) {
          const r = await runCli(argv, input);
          assert.ok(r.code === 0 || r.code === 1, `${argv[0]} exit ${r.code}: ${r.err}`);
          assert.doesNotMatch(r.err, /internal error/);
        }
      },
    ),
    { numRuns: 150 },
  );
});
