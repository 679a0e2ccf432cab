// The KMS plugin clients against REAL gRPC servers on unix sockets (test/support/kms-plugin.ts): servers built from
// proto/kms/*.proto with protobufjs reflection (not the clients' hand-written codec), serving the
// vectors' fake KMS. The vectors replay through createTransformer exactly as the vectors say.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { toBase64, utf8 } from '../src/bytes.ts';
import { createTransformer } from '../src/config/create-transformer.ts';
import type { EncryptionConfig, ProviderConfig } from '../src/config/types.ts';
import { K8sEncError } from '../src/errors.ts';
import { closeKmsPlugins, connectKmsPlugin, type KmsPlugin } from '../src/kms/connect.ts';
import { parseKmsEndpoint } from '../src/kms/endpoint.ts';
import { decodeEncryptedObject } from '../src/transformers/kms-v2-object.ts';
import type { KmsProviderInfo, KmsV1Service, KmsV2Service, TransformerOptions } from '../src/transformers/types.ts';
import { runCli } from './support/cli-io.ts';
import { roots, startPluginServer, v1Handlers, v2Handlers, type Handler, type Message, type PluginServer } from './support/kms-plugin.ts';
import { fakeKmsFor, fakeKmsV2, kmsV2ModeFor } from './support/fake-kms.ts';
import { b64, loadVectors, providerConfigs, VECTOR_DIR, type TransformerVector } from './support/vectors.ts';

const AD = '/registry/secrets/default/s1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---------------------------------------------------------------------------------------------
// plugin servers

let dir: string;
const servers: PluginServer[] = [];
let configCount = 0;

async function startPlugin(
  pkg: 'v1beta1' | 'v2',
  handlers: Record<string, Handler>,
  opts: { abstract?: boolean; raw?: Record<string, () => Uint8Array> } = {},
): Promise<PluginServer> {
  const plugin = await startPluginServer(dir, pkg, handlers, opts);
  servers.push(plugin);
  return plugin;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8s-enc-kms-'));
});

after(async () => {
  closeKmsPlugins();
  for (const s of servers) s.stop();
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// vectors through createTransformer and the gRPC clients

const KMS_PROVIDERS = new Set(['kms-v1', 'kms-v2-dek', 'kms-v2-seed']);
const VECTORS = ['positive', 'negative', 'chains']
  .flatMap((f) => loadVectors(`${VECTOR_DIR}/${f}.jsonl`))
  .filter((v) => KMS_PROVIDERS.has(v.provider));

function configFor(providers: ProviderConfig[]): EncryptionConfig {
  return { kind: 'EncryptionConfiguration', apiVersion: 'apiserver.config.k8s.io/v1', resources: [{ resources: ['secrets'], providers }] };
}

/** What upstream says, with the fake plugin's own text as it arrives over gRPC. */
function overGrpc(upstream: string, name: string, endpoint: string): string {
  return upstream.replaceAll('fakekms:', `KMS provider "${name}" at ${endpoint}: rpc error: code = Unknown desc = fakekms:`);
}

describe('KMS vectors over gRPC', () => {
  let current: { v1?: KmsV1Service; v2?: KmsV2Service } = {};
  let v1: PluginServer;
  let v2: PluginServer;
  before(async () => {
    v1 = await startPlugin(
      'v1beta1',
      v1Handlers(() => current.v1!),
    );
    v2 = await startPlugin(
      'v2',
      v2Handlers(() => current.v2!),
    );
  });

  async function replay(v: TransformerVector): Promise<void> {
    const p = v.providers[0]!;
    const info: KmsProviderInfo = { name: p.name!, apiVersion: p.apiVersion ?? 'v1', endpoint: '' };
    const server = info.apiVersion === 'v1' ? v1 : v2;
    current = { [info.apiVersion]: fakeKmsFor(v.providers)(info) };
    const providers = providerConfigs(v.providers).map((c) => (c.type === 'kms' ? { ...c, endpoint: server.endpoint } : c));
    const plugins: KmsPlugin[] = [];
    const options: TransformerOptions = {
      kms: (i) => {
        const plugin = connectKmsPlugin({ ...i, timeoutMs: 5000 });
        plugins.push(plugin);
        return plugin;
      },
      kmsV2Mode: kmsV2ModeFor(v.providers),
    };
    const t = createTransformer(configFor(providers), 'secrets', options);
    try {
      if (v.op === 'write') {
        await assert.rejects(t.toStorage(b64(v.plaintext), v.authenticatedData), K8sEncError);
        return;
      }
      const read = t.fromStorage(b64(v.stored), v.authenticatedData);
      if (v.expect === 'ok') {
        const r = await read;
        assert.deepEqual(r.data, b64(v.plaintext), 'plaintext');
        assert.equal(r.stale, v.stale, 'stale');
      } else if (v.expect === 'error') {
        const e = await read.then(
          () => assert.fail('read succeeded'),
          (e: unknown) => e,
        );
        assert.ok(e instanceof K8sEncError, String(e));
        const allowed = [v.error!, ...(v.errorAlternatives ?? [])].map((x) => overGrpc(x, info.name, server.endpoint));
        assert.ok(allowed.includes(e.message), `got ${JSON.stringify(e.message)}, want one of ${JSON.stringify(allowed)}`);
      } else {
        await assert.rejects(read, K8sEncError);
      }
      if (v.op === 'write+read') {
        const written = await t.toStorage(b64(v.plaintext), v.authenticatedData);
        const back = await t.fromStorage(written, v.authenticatedData);
        assert.deepEqual(back.data, b64(v.plaintext), 'written value reads back');
        assert.equal(back.stale, false);
      }
    } finally {
      for (const plugin of plugins) plugin.close();
    }
  }

  it(`replays the ${VECTORS.length} single-provider KMS vectors through a v1beta1 and a v2 plugin`, async () => {
    assert.ok(VECTORS.length > 300, `only ${VECTORS.length} KMS vectors found`);
    for (const v of VECTORS) await replay(v).catch((e: Error) => assert.fail(`${v.id} (${v.category}): ${e.message}`));
    // The plugins really were asked: every v1 and v2 RPC was served.
    for (const m of ['Version', 'Encrypt', 'Decrypt']) assert.ok(v1.calls[m]! > 0, `v1 ${m}`);
    for (const m of ['Status', 'Encrypt', 'Decrypt']) assert.ok(v2.calls[m]! > 0, `v2 ${m}`);
  });

  it('sends what the apiserver sends: v1beta1 version, v2 fresh UUIDs, key ID and annotations, authority localhost', async () => {
    const v = VECTORS.find((x) => x.provider === 'kms-v2-seed' && x.op === 'write+read' && x.providers[0]!.fakeKMS!.annotations)!;
    v2.requests.length = 0;
    await replay(v);
    const decrypts = v2.requests.filter((r) => r.method === 'Decrypt');
    const encrypts = v2.requests.filter((r) => r.method === 'Encrypt');
    assert.equal(decrypts.length, 1, 'the DEK of the written value is cached from Encrypt');
    assert.equal(encrypts.length, 1);
    const stored = decodeEncryptedObject(b64(v.stored).subarray(`k8s:enc:kms:v2:${v.providers[0]!.name}:`.length));
    const d = decrypts[0]!.request;
    assert.deepEqual(new Uint8Array(d.ciphertext), stored.encryptedDEKSource);
    assert.equal(d.keyId, stored.keyID);
    assert.deepEqual(Object.keys(d.annotations), Object.keys(stored.annotations));
    for (const [k, val] of Object.entries(stored.annotations)) assert.deepEqual(new Uint8Array(d.annotations[k]), val);
    assert.match(d.uid, UUID);
    assert.match(encrypts[0]!.request.uid, UUID);
    assert.notEqual(d.uid, encrypts[0]!.request.uid);
    assert.equal(encrypts[0]!.request.plaintext.length, 32, 'a 32-byte seed');
    for (const r of v2.requests) assert.equal(r.authority, 'localhost');
  });
});

// ---------------------------------------------------------------------------------------------
// upstream texts: Version, Status health, endpoints

describe('KMS v1beta1 Version check', () => {
  it('a plugin answering another version is refused with the apiserver text, before any Decrypt', async () => {
    const fake = { encrypt: async (b: Uint8Array) => b, decrypt: async (b: Uint8Array) => b };
    const server = await startPlugin(
      'v1beta1',
      v1Handlers(() => fake, 'v2'),
    );
    const kms = connectKmsPlugin({ name: 'k1', apiVersion: 'v1', endpoint: server.endpoint });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(kms.decrypt(utf8('x')), {
        name: 'K8sEncError',
        code: 'ERR_KMS',
        message: 'KMS provider api version v2 is not supported, only v1beta1 is supported now',
      });
    }
    assert.equal(server.calls.Version, 2, 'a failed check is retried on the next call');
    assert.equal(server.calls.Decrypt, undefined);
    kms.close();
  });

  it('a matching version is checked once, and every request says v1beta1', async () => {
    const fake = { encrypt: async (b: Uint8Array) => b, decrypt: async (b: Uint8Array) => b.slice().reverse() };
    const server = await startPlugin(
      'v1beta1',
      v1Handlers(() => fake),
    );
    const kms = connectKmsPlugin({ name: 'k1', apiVersion: 'v1', endpoint: server.endpoint });
    const results = await Promise.all([kms.decrypt(utf8('ab')), kms.decrypt(utf8('cd')), kms.encrypt(utf8('ef'))]);
    assert.deepEqual(results, [utf8('ba'), utf8('dc'), utf8('ef')]);
    assert.deepEqual(server.calls, { Version: 1, Decrypt: 2, Encrypt: 1 });
    for (const r of server.requests) assert.equal(r.request.version, 'v1beta1');
    kms.close();
  });
});

describe('KMS v2 Status health', () => {
  async function statusOf(...answers: Message[]): Promise<unknown[]> {
    let i = 0;
    const server = await startPlugin(
      'v2',
      v2Handlers(
        () => assert.fail('no fake'),
        () => answers[Math.min(i++, answers.length - 1)]!,
      ),
    );
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint, statusCacheMs: 0 });
    const out: unknown[] = [];
    for (let n = 0; n < answers.length; n++) out.push(await kms.status().catch((e: unknown) => e));
    kms.close();
    return out;
  }

  function assertUnhealthy(e: unknown, text: string): void {
    assert.ok(e instanceof K8sEncError, String(e));
    assert.equal(e.code, 'ERR_KMS');
    assert.equal(e.message, `kmsv2 Provider k2 is not healthy, error: ${text}`);
  }

  it('healthz "ok", version v2 or v2beta1 and a key ID make a healthy answer', async () => {
    assert.deepEqual(await statusOf({ version: 'v2', healthz: 'ok', keyId: 'key-1' }), [{ keyID: 'key-1' }]);
    assert.deepEqual(await statusOf({ version: 'v2beta1', healthz: 'ok', keyId: 'k' }), [{ keyID: 'k' }]);
  });

  it('each failed rule gives the apiserver text; several are aggregated as [a, b]', async () => {
    const [unhealthy] = await statusOf({ version: 'v2', healthz: 'unhealthy', keyId: 'key-1' });
    assertUnhealthy(unhealthy, 'got unexpected healthz status: unhealthy');
    const [v1] = await statusOf({ version: 'v1beta1', healthz: 'ok', keyId: 'key-1' });
    assertUnhealthy(v1, 'expected KMSv2 API version v2, got v1beta1');
    const [empty] = await statusOf({});
    assertUnhealthy(
      empty,
      '[got unexpected healthz status: , expected KMSv2 API version v2, got , got invalid KMSv2 KeyID hash "": keyID is empty]',
    );
    const long = 'k'.repeat(1025);
    const [tooLong] = await statusOf({ version: 'v2', healthz: 'ok', keyId: long });
    // sha256("k" × 1025), computed independently with coreutils: printf 'k%.0s' $(seq 1025) | sha256sum
    assertUnhealthy(
      tooLong,
      'got invalid KMSv2 KeyID hash "sha256:011cc8dcade24f43d2d7f95605d8481da1d0b86475def49be02bfc20cee86e65": keyID is 1025 bytes, which exceeds the max size of 1024',
    );
  });

  it('the version may not change after the first answer', async () => {
    const [first, second] = await statusOf({ version: 'v2', healthz: 'ok', keyId: 'a' }, { version: 'v2beta1', healthz: 'ok', keyId: 'a' });
    assert.deepEqual(first, { keyID: 'a' });
    assertUnhealthy(second, 'KMSv2 API version should not change after the initial status response version v2, got v2beta1');
  });

  it('an unhealthy plugin fails KMS v2 reads and writes through the transformer', async () => {
    const server = await startPlugin(
      'v2',
      v2Handlers(
        () => assert.fail('no fake'),
        () => ({ version: 'v2', healthz: 'down' }),
      ),
    );
    const config = configFor([{ type: 'kms', apiVersion: 'v2', name: 'k2', endpoint: server.endpoint, timeoutMs: 2000 }]);
    const t = createTransformer(config, 'secrets', { kms: connectKmsPlugin });
    const text =
      'failed to get the KMS v2 plugin status, error: kmsv2 Provider k2 is not healthy, error: ' +
      '[got unexpected healthz status: down, got invalid KMSv2 KeyID hash "": keyID is empty]';
    await assert.rejects(t.toStorage(utf8('x'), AD), { code: 'ERR_KMS', message: text });
    assert.equal(server.calls.Status, 1, 'the failure is reused for a few seconds');
    assert.equal(server.calls.Encrypt, undefined);
  });
});

describe('KMS v2 Status cache', () => {
  const seed = VECTORS.find((v) => v.provider === 'kms-v2-seed' && v.op === 'write+read')!;

  it('a scan makes one Status call, not one per value; the answer expires after statusCacheMs', async () => {
    const fake = fakeKmsV2(seed.providers[0]!);
    const server = await startPlugin(
      'v2',
      v2Handlers(() => fake),
    );
    const cfg = providerConfigs(seed.providers).map((c) => ({ ...c, endpoint: server.endpoint })) as ProviderConfig[];
    const plugins: KmsPlugin[] = [];
    const t = createTransformer(configFor(cfg), 'secrets', {
      kms: (i) => {
        const plugin = connectKmsPlugin({ ...i, statusCacheMs: 300 });
        plugins.push(plugin);
        return plugin;
      },
    });
    const stored = b64(seed.stored);
    for (let i = 0; i < 100; i++) assert.deepEqual((await t.fromStorage(stored, seed.authenticatedData)).data, b64(seed.plaintext));
    assert.equal(server.calls.Status, 1);
    assert.equal(server.calls.Decrypt, 1, 'and the DEK cache keeps Decrypt to one');
    await new Promise((r) => setTimeout(r, 400));
    await t.fromStorage(stored, seed.authenticatedData);
    assert.equal(server.calls.Status, 2);
    for (const p of plugins) p.close();
  });

  it('concurrent callers share one Status call in flight', async () => {
    const fake = fakeKmsV2(seed.providers[0]!);
    const server = await startPlugin(
      'v2',
      v2Handlers(() => fake),
    );
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint });
    const all = await Promise.all(Array.from({ length: 20 }, () => kms.status()));
    assert.equal(new Set(all.map((s) => s.keyID)).size, 1);
    assert.equal(server.calls.Status, 1);
    kms.close();
  });
});

describe('KMS plugin endpoints and failures', () => {
  it('only unix sockets: other schemes and empty endpoints are ERR_KMS with upstream texts', () => {
    const cases: [string, string][] = [
      ['', "remote KMS provider can't use empty string as endpoint"],
      ['tcp://127.0.0.1:9000', 'unsupported scheme "tcp" for remote KMS provider'],
      ['HTTPS://kms', 'unsupported scheme "https" for remote KMS provider'],
      ['/run/kms.sock', 'unsupported scheme "" for remote KMS provider'],
      [
        'unix:kms.sock',
        'invalid endpoint "unix:kms.sock" for remote KMS provider: it names no socket (want unix:///path or unix:///@name)',
      ],
    ];
    for (const [endpoint, message] of cases) {
      assert.throws(() => connectKmsPlugin({ name: 'k', apiVersion: 'v2', endpoint }), { code: 'ERR_KMS', message });
    }
  });

  it('reads socket paths as Go net/url does', () => {
    assert.equal(parseKmsEndpoint('unix:///run/kms/plugin.sock').path, '/run/kms/plugin.sock');
    assert.equal(parseKmsEndpoint('unix://host/run/a%20b.sock?x#y').path, '/run/a b.sock');
    const abstract = parseKmsEndpoint('unix:///@kms-plugin');
    assert.deepEqual([abstract.abstract, abstract.path], [true, '\0kms-plugin']);
  });

  it('talks to a plugin on a Linux abstract socket (unix:///@name)', { skip: process.platform !== 'linux' }, async () => {
    const server = await startPlugin(
      'v2',
      v2Handlers(
        () => assert.fail('no fake'),
        () => ({ version: 'v2', healthz: 'ok', keyId: 'abs' }),
      ),
      {
        abstract: true,
      },
    );
    assert.match(server.endpoint, /^unix:\/\/\/@k8s-enc-test-/);
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint });
    assert.deepEqual(await kms.status(), { keyID: 'abs' });
    kms.close();
  });

  it('a plugin that is down fails within the timeout, naming the provider and the endpoint', async () => {
    const endpoint = `unix://${join(dir, 'nobody-listens.sock')}`;
    const v1 = connectKmsPlugin({ name: 'k1', apiVersion: 'v1', endpoint, timeoutMs: 200 });
    const v2 = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint, timeoutMs: 200 });
    const start = Date.now();
    const [e1, e2] = await Promise.all([v1.decrypt(utf8('x')).catch((e: unknown) => e), v2.status().catch((e: unknown) => e)]);
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
    const hint = ` (no socket at ${join(dir, 'nobody-listens.sock')}: is the KMS plugin running?)`;
    assert.ok(e1 instanceof K8sEncError && e2 instanceof K8sEncError);
    assert.equal(e1.code, 'ERR_KMS');
    assert.match(
      e1.message,
      new RegExp(
        `^KMS provider "k1" at ${endpoint}: failed get version from remote KMS provider: rpc error: code = DeadlineExceeded desc = .*`,
      ),
    );
    assert.match(e2.message, new RegExp(`^KMS provider "k2" at ${endpoint}: rpc error: code = DeadlineExceeded desc = .*`));
    assert.ok(e1.message.endsWith(hint) && e2.message.endsWith(hint), e2.message);
    v1.close();
    v2.close();
  });

  it('a plugin error reaches the caller as ERR_KMS with the Go status text', async () => {
    const server = await startPlugin('v2', {
      ...v2Handlers(() => assert.fail('no fake')),
      Decrypt: () => {
        throw new Error('key disabled');
      },
    });
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint });
    await assert.rejects(kms.decrypt({ ciphertext: utf8('c'), keyID: 'k' }), {
      code: 'ERR_KMS',
      provider: 'kms:v2:k2',
      message: `KMS provider "k2" at ${server.endpoint}: rpc error: code = Unknown desc = key disabled`,
    });
    kms.close();
  });

  it('any bytes a plugin answers with give a value or a K8sEncError', async () => {
    let answer = new Uint8Array(0);
    const server = await startPlugin('v2', {}, { raw: { Status: () => answer, Encrypt: () => answer, Decrypt: () => answer } });
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint, statusCacheMs: 0 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        answer = bytes;
        for (const call of [() => kms.status(), () => kms.encrypt(utf8('p')), () => kms.decrypt({ ciphertext: utf8('c'), keyID: 'k' })]) {
          await call().catch((e: unknown) => assert.ok(e instanceof K8sEncError && e.code === 'ERR_KMS', String(e)));
        }
      }),
      { numRuns: 60 },
    );
    kms.close();
  });

  it('plugin answers decode as protobuf does: last field wins, unknown fields skipped, annotations kept', async () => {
    const res = roots.v2.lookupType('v2.EncryptResponse');
    const annotations = { 'a.example.com': utf8('1'), 'b.example.com': new Uint8Array(0) };
    const first = res.encode(res.fromObject({ ciphertext: utf8('old'), keyId: 'old' })).finish();
    const second = res.encode(res.fromObject({ ciphertext: utf8('new'), keyId: 'key-2', annotations })).finish();
    const unknown = Uint8Array.of(0x48, 0x07, 0x52, 0x01, 0x00); // field 9 varint, field 10 bytes
    const server = await startPlugin('v2', {}, { raw: { Encrypt: () => Buffer.concat([first, unknown, second]) } });
    const kms = connectKmsPlugin({ name: 'k2', apiVersion: 'v2', endpoint: server.endpoint });
    const r = await kms.encrypt(utf8('p'));
    assert.deepEqual(r.ciphertext, utf8('new'));
    assert.equal(r.keyID, 'key-2');
    assert.deepEqual({ ...r.annotations }, annotations);
    kms.close();
  });
});

// ---------------------------------------------------------------------------------------------
// the CLI

describe('CLI with a KMS v2 plugin', () => {
  const v = VECTORS.find((x) => x.provider === 'kms-v2-seed' && x.op === 'write+read' && b64(x.plaintext).length > 16)!;
  const name = v.providers[0]!.name!;
  let server: PluginServer;
  let valueFile: string;
  before(async () => {
    const fake = fakeKmsV2(v.providers[0]!);
    server = await startPlugin(
      'v2',
      v2Handlers(() => fake),
    );
    valueFile = join(dir, 'value.bin');
    await writeFile(valueFile, b64(v.stored));
  });

  /** `decrypt` of the vector's stored value through the KMS provider of `config`, printing the raw plaintext. */
  function decryptArgs(config: string): string[] {
    return ['decrypt', '-c', config, '--etcd-key', v.authenticatedData, '--input-format', 'raw', '-o', 'raw', '--no-check', valueFile];
  }

  async function configWith(endpoint: string, timeout = '2s'): Promise<string> {
    const path = join(dir, `config-${configCount++}.yaml`);
    const yaml = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - kms:
          apiVersion: v2
          name: ${name}
          endpoint: ${endpoint}
          timeout: ${timeout}
`;
    await writeFile(path, yaml);
    return path;
  }

  it('decrypt reads a KMS v2 value through the plugin at the configured endpoint', async () => {
    const config = await configWith(server.endpoint);
    const r = await runCli(decryptArgs(config));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.stdout, b64(v.plaintext));
    assert.doesNotMatch(r.err, /stale/);
  });

  it('--kms-endpoint points a provider at the socket its plugin listens on now', async () => {
    const config = await configWith(`unix://${join(dir, 'moved-away.sock')}`);
    const args = decryptArgs(config);
    const r = await runCli([...args, '--kms-endpoint', `${name}=${server.endpoint}`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.stdout, b64(v.plaintext));

    const unknown = await runCli([...args, '--kms-endpoint', `nope=${server.endpoint}`]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.err,
      new RegExp(`--kms-endpoint "nope=.*": want NAME=unix:///path with NAME a KMS provider \\(configured KMS providers: ${name}\\)`),
    );
    const tcp = await runCli([...args, '--kms-endpoint', `${name}=tcp://127.0.0.1:1`]);
    assert.equal(tcp.code, 2);
    assert.match(tcp.err, new RegExp(`--kms-endpoint ${name}: unsupported scheme "tcp" for remote KMS provider`));
  });

  it('encrypt writes through the plugin, and decrypt reads it back', async () => {
    const config = await configWith(server.endpoint);
    const plain = 'k8s\x00 any plaintext';
    const enc = await runCli(['encrypt', '-c', config, '--etcd-key', AD, '--input-format', 'raw', '-o', 'base64'], plain);
    assert.equal(enc.code, 0, enc.err);
    assert.ok(enc.out.startsWith(toBase64(utf8(`k8s:enc:kms:v2:${name}:`)).slice(0, 20)));
    const dec = await runCli(['decrypt', '-c', config, '--etcd-key', AD, '-o', 'raw', '--no-check'], enc.out);
    assert.equal(dec.code, 0, dec.err);
    assert.equal(Buffer.from(dec.stdout).toString('latin1'), plain);
  });

  it('a plugin that is down fails the command within the configured timeout, naming the endpoint', async () => {
    const endpoint = `unix://${join(dir, 'down.sock')}`;
    const config = await configWith(endpoint, '300ms');
    const start = Date.now();
    const r = await runCli(decryptArgs(config));
    assert.ok(Date.now() - start < 2500, `took ${Date.now() - start} ms`);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(`KMS provider "${name}" at ${endpoint}: rpc error: code = DeadlineExceeded`), r.err);
  });

  it('documents the KMS flag in --help of get, verify, decrypt and encrypt', async () => {
    for (const cmd of ['get', 'verify', 'decrypt', 'encrypt']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, /--kms-endpoint NAME=unix:\/\/\/PATH/);
      assert.match(r.out, /timeout/);
    }
  });
});
