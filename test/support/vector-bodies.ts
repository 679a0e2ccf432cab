/**
 * The bodies after `k8s:enc:<type>:v1:<keyName>:` of every aescbc/aesgcm/secretbox value in the
 * transformer vectors, grouped by the key their prefix names: the inputs of the batch and native
 * crypto suites, which compare fast paths against one backend call per body.
 */
import { readFileSync } from 'node:fs';
import { decodeGoStdBase64, startsWith, utf8 } from '../../src/bytes.ts';

export type Kind = 'aescbc' | 'aesgcm' | 'secretbox';

export interface VectorBody {
  id: string;
  body: Uint8Array;
  ad: Uint8Array;
  /** Set for upstream writes whose read-back is the plaintext: the ground truth for both directions. */
  plaintext?: Uint8Array;
  stored: Uint8Array;
}

export interface KeyGroup {
  kind: Kind;
  key: Uint8Array;
  prefix: Uint8Array;
  bodies: VectorBody[];
}

function b64(s: string): Uint8Array {
  const b = decodeGoStdBase64(s);
  if (b === null) throw new Error(`bad base64 in vector: ${s.slice(0, 20)}`);
  return b;
}

export function loadKeyGroups(kinds: readonly Kind[]): KeyGroup[] {
  const groups = new Map<string, KeyGroup>();
  for (const file of ['positive', 'negative', 'chains']) {
    for (const line of readFileSync(`vectors/transformers/${file}.jsonl`, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const v = JSON.parse(line) as {
        id: string;
        op: string;
        expect: string;
        stored?: string;
        plaintext?: string;
        authenticatedData: string;
        providers: { type: string; keys?: { name: string; secret: string }[] }[];
      };
      if (v.stored === undefined) continue;
      const stored = b64(v.stored);
      for (const p of v.providers) {
        const kind = p.type as Kind;
        if (!kinds.includes(kind)) continue;
        for (const k of p.keys ?? []) {
          const key = b64(k.secret);
          if (kind === 'secretbox' ? key.length !== 32 : ![16, 24, 32].includes(key.length)) continue;
          const prefix = utf8(`k8s:enc:${kind}:v1:${k.name}:`);
          if (!startsWith(stored, prefix)) continue;
          const id = `${kind}/${k.name}/${k.secret}`;
          let g = groups.get(id);
          if (!g) groups.set(id, (g = { kind, key, prefix, bodies: [] }));
          const upstreamWrite = v.op === 'write+read' && v.expect === 'ok' && v.plaintext !== undefined;
          g.bodies.push({
            id: v.id,
            body: stored.subarray(prefix.length),
            ad: utf8(v.authenticatedData),
            stored,
            ...(upstreamWrite ? { plaintext: b64(v.plaintext!) } : {}),
          });
        }
      }
    }
  }
  return [...groups.values()];
}

/** The aescbc provider's lax padding check (docs/FORMATS.md#aescbc, read step 4), as a caller of the batch does it. */
export function unpadLax(r: Uint8Array): Uint8Array | null {
  const c = r[r.length - 1]!;
  if (c === 0 || c > r.length) return null;
  for (let i = r.length - c; i < r.length; i++) if (r[i] !== c) return null;
  return r.subarray(0, r.length - c);
}
