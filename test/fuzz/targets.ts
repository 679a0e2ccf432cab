/**
 * The fuzz targets: every decoder that reads untrusted bytes, each with real seed inputs (vectors,
 * fixtures, real snapshots) to mutate. A target's `run` returns (a value was decoded) or throws;
 * the runner's oracle accepts only K8sEncError, or an internal decoder's own typed error where its
 * callers turn that into a K8sEncError (listed in `typedErrors`).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseValueInput, INPUT_FORMATS } from '../../src/value/input.ts';
import { parseValuePrefix } from '../../src/value/prefix.ts';
import { parseEncryptionConfig } from '../../src/config/parse.ts';
import type { BackendName } from '../../src/crypto/backend.ts';
import { Node } from '../../src/etcd/bbolt/node.ts';
import { parseMeta } from '../../src/etcd/bbolt/meta.ts';
import { KeyValueDecodeError, decodeKeyValue } from '../../src/etcd/mvcc/keyvalue.ts';
import { EtcdWireError } from '../../src/etcd/wire-reader.ts';
import { decodeRangeResponse } from '../../src/etcd/rpc-codec.ts';
import { openSnapshot, type SnapshotSource } from '../../src/etcd/snapshot.ts';
import { openSnapshotBytes } from '../../src/etcd/snapshot-blob.ts';
import { openSalvage, openSalvageBytes } from '../../src/etcd/salvage/source.ts';
import { decodeV1beta1Data, decodeVersionResponse } from '../../src/kms/messages-v1beta1.ts';
import { KmsWireError } from '../../src/kms/wire-reader.ts';
import { decodeDecryptResponse, decodeEncryptResponse, decodeStatusResponse } from '../../src/kms/messages-v2.ts';
import { decodeObject } from '../../src/storage/decode.ts';
import { buildProviderChain } from '../../src/config/provider-chain.ts';
import { decodeEncryptedObject, validateEncryptedObject } from '../../src/transformers/kms-v2-object.ts';
import type { Transformer } from '../../src/transformers/types.ts';
import { b64, loadVectors, providerConfigs, vectorOptions, VECTOR_DIR, type TransformerVector } from '../support/vectors.ts';
import { SALVAGE_SNAPSHOT } from '../support/salvage-fixture.ts';
import { concat, mutate, seedOrNoise, type Rng } from './mutate.ts';
import { damageSnapshot, touchedPages } from './snapshot-damage.ts';
import { readPageMap, type PageMap } from '../support/page-map.ts';
import { salvageAll, salvageProblems } from '../support/salvage-oracle.ts';

export interface FuzzTarget<S = unknown> {
  name: string;
  /** What a run of this target feeds and to which decoder. */
  what: string;
  /** Loads seeds once per process. */
  setup(): Promise<S> | S;
  input(state: S, rng: Rng): Uint8Array;
  run(state: S, input: Uint8Array): unknown;
  /** Error classes other than K8sEncError that this decoder's contract allows (its callers wrap them). */
  typedErrors?: (new (
    ...args: never[]
  ) => Error)[];
  /** Inputs in `npm test` (the campaign sets its own count). */
  testRuns: number;
}

const te = new TextEncoder();

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

function allVectors(): TransformerVector[] {
  return ['positive.jsonl', 'negative.jsonl', 'chains.jsonl'].flatMap((f) => loadVectors(`${VECTOR_DIR}/${f}`));
}

/** Input = u16 index of the vector whose chain reads it, then the stored value. */
function chainTarget(backend: BackendName): FuzzTarget<{ chains: { t: Transformer; ad: string }[]; seeds: Uint8Array[] }> {
  return {
    name: `chain-${backend}`,
    what: `stored values through every vector's provider chain (${backend} backend)`,
    testRuns: 400,
    setup() {
      const chains: { t: Transformer; ad: string }[] = [];
      const seeds: Uint8Array[] = [];
      for (const v of allVectors()) {
        if (v.mode !== 'chain' || v.stored === undefined || chains.length >= 0xffff) continue;
        let t: Transformer;
        try {
          t = buildProviderChain(providerConfigs(v.providers), vectorOptions(v, backend));
        } catch {
          continue; // an invalid configuration is the vector's point, not a chain to read with
        }
        const i = chains.push({ t, ad: v.authenticatedData }) - 1;
        seeds.push(concat(new Uint8Array([i >> 8, i & 0xff]), b64(v.stored)));
      }
      return { chains, seeds };
    },
    input: (s, rng) => {
      const seed = rng.pick(s.seeds);
      // Mostly keep the vector index intact, so a chain sees values close to its own.
      return concat(seed.subarray(0, 2), rng.chance(0.05) ? seed.subarray(2) : mutate(rng, seed.subarray(2)));
    },
    run: async (s, input) => {
      const c = s.chains[((input[0]! << 8) | input[1]!) % s.chains.length]!;
      return c.t.fromStorage(input.subarray(2), c.ad);
    },
  };
}

function apiTestdata(ext: string): Uint8Array[] {
  const dir = 'vectors/k8s-api-testdata';
  const picked = readdirSync(dir).filter((d) => d === 'HEAD' || d === 'v1.14.0' || d === 'v1.25.0');
  return picked.flatMap((d) => files(join(dir, d), ext)).map((f) => new Uint8Array(readFileSync(f)));
}

const decodeObjectProtobuf: FuzzTarget<Uint8Array[]> = {
  name: 'decode-object-protobuf',
  what: 'decodeObject over k8s\\0 protobuf envelopes (kubernetes/api testdata, mutated)',
  testRuns: 400,
  setup: () => apiTestdata('.pb'),
  input: (seeds, rng) => seedOrNoise(rng, seeds),
  run: (_s, input) => decodeObject(input),
};

const decodeObjectJson: FuzzTarget<Uint8Array[]> = {
  name: 'decode-object-json',
  what: 'decodeObject over JSON-stored objects (kubernetes/api testdata, mutated)',
  testRuns: 400,
  setup: () => apiTestdata('.json'),
  input: (seeds, rng) => {
    const b = seedOrNoise(rng, seeds);
    if (b.length > 0 && rng.chance(0.9)) b[0] = 0x7b; // keep the JSON branch's `{`
    return b;
  },
  run: (_s, input) => decodeObject(input),
};

/** First byte picks the decoder. */
const WIRE_DECODERS: ((b: Uint8Array) => unknown)[] = [
  decodeKeyValue,
  decodeRangeResponse,
  decodeVersionResponse,
  decodeV1beta1Data,
  decodeStatusResponse,
  decodeEncryptResponse,
  decodeDecryptResponse,
];

function snapshotValues(): Uint8Array[] {
  // Real mvccpb.KeyValue bytes: the leaf values of the fixture's pages.
  const db = readFileSync(SALVAGE_SNAPSHOT);
  const out: Uint8Array[] = [];
  for (let p = 2; (p + 1) * 4096 <= db.length - 32; p++) {
    const page = new Uint8Array(db.buffer, db.byteOffset + p * 4096, 4096);
    try {
      const n = Node.parse(p, false, page, true);
      if (!n.isLeaf) continue;
      for (let i = 0; i < n.count; i++) if (n.value(i).length > 0 && n.value(i)[0] === 0x0a) out.push(n.value(i).slice());
    } catch {
      // not a node page
    }
  }
  return out;
}

const protobufWire: FuzzTarget<Uint8Array[]> = {
  name: 'protobuf-wire',
  what: 'etcd mvccpb.KeyValue and RangeResponse, KMS v1beta1/v2 plugin replies (wire readers)',
  // Each reader's own error: live.ts, the mvcc reader and grpc-js (an INTERNAL status) turn them into errors with context.
  typedErrors: [EtcdWireError, KeyValueDecodeError, KmsWireError],
  testRuns: 600,
  setup: () => snapshotValues().slice(0, 64),
  input: (seeds, rng) => concat(new Uint8Array([rng.int(WIRE_DECODERS.length)]), seedOrNoise(rng, seeds)),
  run: (_s, input) => WIRE_DECODERS[input[0]! % WIRE_DECODERS.length]!(input.subarray(1)),
};

function fixturePages(): Uint8Array[] {
  const db = readFileSync(SALVAGE_SNAPSHOT);
  const out: Uint8Array[] = [];
  for (let p = 0; (p + 1) * 4096 <= db.length - 32; p++) out.push(new Uint8Array(db.subarray(p * 4096, (p + 1) * 4096)));
  return out;
}

const bboltPage: FuzzTarget<Uint8Array[]> = {
  name: 'bbolt-page',
  what: 'bbolt meta bodies and branch/leaf pages (every element accessor), from a real snapshot, mutated',
  testRuns: 600,
  setup: fixturePages,
  input: (pages, rng) => mutate(rng, rng.pick(pages), 8192),
  run: (_s, page) => {
    if (page.length >= 80) parseMeta(page.subarray(16, 80), 0);
    const node = Node.parse(2, page.length > 0 && (page[0]! & 1) === 1, page, true);
    let sum = 0;
    for (let i = 0; i < node.count; i++) {
      sum += node.key(i).length;
      if (node.isLeaf) sum += node.value(i).length + node.elementFlags(i) + node.valueSize(i);
      else sum += node.child(i);
    }
    return sum;
  },
};

async function scanSnapshot(src: SnapshotSource): Promise<number> {
  try {
    await src.info();
    let n = 0;
    for await (const item of src.scan(new Uint8Array(0))) n += item.ok ? item.entry.value.length : 1;
    await src.get(te.encode('/registry/secrets/default/secret-1'));
    return n;
  } finally {
    await src.close();
  }
}

/** One scratch file per process, for the inputs that go through a real file. */
const scratch = join(tmpdir(), `k8s-enc-fuzz-${process.pid}-${Math.random().toString(36).slice(2)}.db`);

export function writeScratch(b: Uint8Array): string {
  writeFileSync(scratch, b);
  return scratch;
}

export function scratchPath(): string {
  return scratch;
}

/**
 * How a whole-snapshot input is opened, from a digest of its bytes (a run sees only the input, and
 * a kept input must replay the same way). Most are read from memory, which is what makes 10^6
 * inputs a night's work: 1 in 16 goes through a scratch file, so the file path (positioned reads,
 * the trailer hashed in a worker thread) is fuzzed too; 1 in 4 has its sha256 trailer checked.
 */
export function openingOf(input: Uint8Array): { viaFile: boolean; checkHash: boolean } {
  // A sum of 32-bit words: any changed byte changes it, at a quarter of the loop steps.
  const words = new Uint32Array(input.buffer, input.byteOffset, input.byteOffset % 4 === 0 ? input.length >>> 2 : 0);
  let h = input.length;
  for (let i = 0; i < words.length; i++) h = (h + words[i]!) | 0;
  for (let i = words.length * 4; i < input.length; i++) h = (h + input[i]!) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return { viaFile: (h & 15) === 0, checkHash: ((h >>> 4) & 3) === 0 };
}

const snapshotTarget: FuzzTarget<Uint8Array> = {
  name: 'snapshot',
  what: 'whole snapshots (vectors/salvage damaged page-wise, flipped, truncated) through open, info, scan and get',
  testRuns: 60,
  setup: () => new Uint8Array(readFileSync(SALVAGE_SNAPSHOT)),
  input: (snap, rng) => damageSnapshot(rng, snap, 4096).bytes,
  run: async (_s, input) => {
    const { viaFile, checkHash } = openingOf(input);
    const opts = { skipHashCheck: !checkHash };
    return scanSnapshot(viaFile ? await openSnapshot(writeScratch(input), opts) : (await openSnapshotBytes(input, opts)).source);
  },
};

/** Thrown when salvage ran but broke its promise: not a K8sEncError, so the runner counts it. */
class SalvageOracleError extends Error {}

/** Input = the damaged file; the touched pages are found by comparison with the original. */
const snapshotSalvage: FuzzTarget<{ snap: Uint8Array; map: PageMap }> = {
  name: 'snapshot-salvage',
  what: 'whole damaged snapshots through --salvage: every value on an untouched page recovered, lost newest revisions flagged',
  testRuns: 40,
  setup: async () => {
    const snap = new Uint8Array(readFileSync(SALVAGE_SNAPSHOT));
    return { snap, map: await readPageMap(Buffer.from(snap)) };
  },
  input: (s, rng) => damageSnapshot(rng, s.snap, 4096).bytes,
  run: async (s, input) => {
    const src = openingOf(input).viaFile ? await openSalvage(writeScratch(input)) : await openSalvageBytes(input);
    const { keys, errors } = await salvageAll(src);
    const problems = [...errors.map((e) => `error item: ${e}`), ...salvageProblems(s.map, touchedPages(s.snap, input, 4096), keys, input)];
    if (problems.length > 0) throw new SalvageOracleError(problems.slice(0, 5).join('; '));
    return keys.size;
  },
};

function configSeeds(): Uint8Array[] {
  return [...files('vectors/encryption-configs', '.yaml'), ...files('vectors', 'encryption-config.yaml')].map(
    (f) => new Uint8Array(readFileSync(f)),
  );
}

const encryptionConfig: FuzzTarget<Uint8Array[]> = {
  name: 'encryption-config',
  what: "EncryptionConfiguration text (upstream test configs and the vectors' configs, mutated)",
  testRuns: 400,
  setup: configSeeds,
  input: (seeds, rng) => seedOrNoise(rng, seeds),
  run: (_s, input) => parseEncryptionConfig(input, 'fuzz.yaml'),
};

function kmsV2Objects(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of allVectors()) {
    if (v.stored === undefined || !v.providers.some((p) => p.type === 'kms' && p.apiVersion === 'v2')) continue;
    const stored = b64(v.stored);
    const prefix = te.encode(`k8s:enc:kms:v2:${v.providers.find((p) => p.type === 'kms')!.name ?? ''}:`);
    if (Buffer.from(stored.subarray(0, prefix.length)).equals(prefix)) out.push(stored.subarray(prefix.length));
  }
  return out;
}

const kmsEncryptedObject: FuzzTarget<Uint8Array[]> = {
  name: 'kms-encrypted-object',
  what: 'KMS v2 EncryptedObject decode and validation (bodies of the KMS v2 vectors, mutated)',
  testRuns: 400,
  setup: kmsV2Objects,
  input: (seeds, rng) => seedOrNoise(rng, seeds),
  run: (_s, input) => {
    const o = decodeEncryptedObject(input);
    validateEncryptedObject(o);
    return o;
  },
};

function valueInputSeeds(): Uint8Array[] {
  const values = allVectors()
    .slice(0, 200)
    .flatMap((v) => (v.stored === undefined ? [] : [b64(v.stored)]));
  return values.flatMap((v, i) => {
    const key = te.encode(`/registry/secrets/default/s${i}`);
    const json = JSON.stringify({ kvs: [{ key: Buffer.from(key).toString('base64'), value: Buffer.from(v).toString('base64') }] });
    return [
      v,
      concat(key, te.encode('\n'), v, te.encode('\n')),
      te.encode(Buffer.from(v).toString('hex')),
      te.encode(Buffer.from(v).toString('base64')),
      te.encode(json),
    ];
  });
}

/** Input = format index, then the text; the parsed value also goes through the prefix parser `inspect` uses. */
const cliValueInput: FuzzTarget<Uint8Array[]> = {
  name: 'cli-value-input',
  what: 'decrypt/inspect value input (raw, etcdctl text and JSON, hex, base64; auto-detect) and its provider prefix',
  testRuns: 400,
  setup: valueInputSeeds,
  input: (seeds, rng) => concat(new Uint8Array([rng.int(INPUT_FORMATS.length)]), seedOrNoise(rng, seeds)),
  run: (_s, input) => {
    const v = parseValueInput(input.subarray(1), INPUT_FORMATS[input[0]! % INPUT_FORMATS.length]!);
    return parseValuePrefix(v.value);
  },
};

export const TARGETS: FuzzTarget<never>[] = [
  chainTarget('node'),
  chainTarget('noble'),
  decodeObjectProtobuf,
  decodeObjectJson,
  protobufWire,
  bboltPage,
  snapshotTarget,
  snapshotSalvage,
  encryptionConfig,
  kmsEncryptedObject,
  cliValueInput,
] as FuzzTarget<never>[];
