/**
 * --for-restore drops what breaks a new cluster (issue #9 item 8): owner references with old UIDs
 * (unless --keep-owner-references), finalizers, kubectl's last-applied-configuration annotation,
 * and status.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forRestore } from '../src/storage/output.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { runCli } from './support/cli-io.ts';
import { craftSnapshot, secret, type CraftedSnapshot } from './support/crafted-snapshot.ts';
import { etcdSkipReason } from './support/etcd-server.ts';

const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '7d3c1a8e-0000-4000-8000-000000000001', controller: true };
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'prod',
    uid: 'u1',
    resourceVersion: '42',
    finalizers: ['example.com/cleanup'],
    ownerReferences: [owner],
    annotations: { [lastApplied]: '{"kind":"Deployment"}', team: 'a' },
    labels: { app: 'web' },
  },
  spec: { replicas: 3 },
  status: { replicas: 3, readyReplicas: 3 },
};

test('forRestore drops owner references, finalizers, last-applied-configuration and status; keeps the rest', () => {
  const r = forRestore(deployment);
  assert.deepEqual(r, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'prod', annotations: { team: 'a' }, labels: { app: 'web' } },
    spec: { replicas: 3 },
  });
  assert.deepEqual((deployment.metadata as { finalizers: string[] }).finalizers, ['example.com/cleanup'], 'input untouched');
  const onlyLastApplied = forRestore({ ...deployment, metadata: { name: 'x', annotations: { [lastApplied]: '{}' } } });
  assert.deepEqual(onlyLastApplied.metadata, { name: 'x' }, 'an annotations map left empty goes too');
  const kept = forRestore(deployment, { keepOwnerReferences: true });
  assert.deepEqual((kept.metadata as { ownerReferences: unknown }).ownerReferences, [owner]);
});

const skip = etcdSkipReason();
let snap: CraftedSnapshot;
before(async () => {
  if (skip !== false) return;
  snap = await craftSnapshot([
    [
      '/registry/secrets/prod/token',
      secret('prod', 'token', { metadata: { ...deployment.metadata, name: 'token', uid: 'u2' }, status: { x: 1 } }),
    ],
  ]);
});
after(async () => snap?.remove());

test('get --for-restore drops them too, on every output path; --keep-owner-references keeps the references', { skip }, async () => {
  for (const o of ['yaml', 'json', 'ndjson']) {
    for (const workers of ['1', '2']) {
      const r = await runCli(['get', 'secrets', '-A', ...snap.args, '--for-restore', '-o', o, '--workers', workers]);
      assert.equal(r.code, 0, r.err);
      for (const gone of ['ownerReferences', 'finalizers', 'last-applied-configuration', 'status', 'example.com/cleanup']) {
        assert.ok(!r.out.includes(gone), `-o ${o}: ${gone} dropped`);
      }
      assert.ok(r.out.includes('team'));
      const keep = await runCli([
        'get',
        'secrets',
        '-A',
        ...snap.args,
        '--for-restore',
        '--keep-owner-references',
        '-o',
        o,
        '--workers',
        workers,
      ]);
      assert.equal(keep.code, 0, keep.err);
      assert.ok(keep.out.includes('ownerReferences') && keep.out.includes(owner.uid), `-o ${o}: kept on request`);
      assert.ok(!keep.out.includes('finalizers'));
    }
  }
  const usage = await runCli(['get', 'secrets', '-A', ...snap.args, '--keep-owner-references']);
  assert.equal(usage.code, 2, 'only with --for-restore');
});
