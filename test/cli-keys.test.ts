import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { etcdKeyPrefix, keyResource, parseEtcdKey, resolveResource, normalizeEtcdPrefix } from '../src/etcd/keys.ts';
import { K8sEncError } from '../src/errors.ts';

// Key layouts from docs/FORMATS.md#kubernetes-keys (the apiserver's storage factory and test/integration/etcd/data.go).
test('kubectl spellings map to the apiserver etcd paths', () => {
  const cases: [string, { namespace?: string; name?: string; etcdPrefix?: string }, string][] = [
    ['secrets', { namespace: 'default', name: 'mysecret' }, '/registry/secrets/default/mysecret'],
    ['secret', { namespace: 'default' }, '/registry/secrets/default/'],
    ['Secrets', {}, '/registry/secrets/'],
    ['cm', { namespace: 'kube-system', name: 'x' }, '/registry/configmaps/kube-system/x'],
    ['configmap', {}, '/registry/configmaps/'],
    ['deploy', { namespace: 'a', name: 'b' }, '/registry/deployments/a/b'],
    ['deployments.apps', { namespace: 'a' }, '/registry/deployments/a/'],
    ['deployment.v1.apps', {}, '/registry/deployments/'],
    ['rc', { namespace: 'a', name: 'b' }, '/registry/controllers/a/b'],
    ['endpoints', { namespace: 'a', name: 'b' }, '/registry/services/endpoints/a/b'],
    ['svc', { namespace: 'a', name: 'b' }, '/registry/services/specs/a/b'],
    ['nodes', { name: 'n1' }, '/registry/minions/n1'],
    ['ingresses.networking.k8s.io', { namespace: 'a', name: 'b' }, '/registry/ingress/a/b'],
    ['namespaces', { namespace: 'ignored', name: 'kube-system' }, '/registry/namespaces/kube-system'],
    ['clusterroles', { name: 'admin' }, '/registry/clusterroles/admin'],
    ['crd', { name: 'pandas.awesome.bears.com' }, '/registry/apiextensions.k8s.io/customresourcedefinitions/pandas.awesome.bears.com'],
    ['apiservices', { name: 'v1.' }, '/registry/apiregistration.k8s.io/apiservices/v1.'],
    ['pandas.awesome.bears.com', { name: 'p1' }, '/registry/awesome.bears.com/pandas/p1'],
    ['pandas.awesome.bears.com', { namespace: 'zoo', name: 'p1' }, '/registry/awesome.bears.com/pandas/zoo/p1'],
    ['events.events.k8s.io', { namespace: 'a' }, '/registry/events/a/'],
    ['foos.batch', {}, '/registry/foos/'],
    ['secrets', { etcdPrefix: '/kubernetes.io', namespace: 'a', name: 'b' }, '/kubernetes.io/secrets/a/b'],
    ['secrets', { etcdPrefix: 'registry/', name: 'b', namespace: 'a' }, '/registry/secrets/a/b'],
    ['serviceipallocations', {}, '/registry/ranges/serviceips'],
  ];
  for (const [res, opts, want] of cases) assert.equal(etcdKeyPrefix(res, opts), want, `${res} ${JSON.stringify(opts)}`);
});

test('resolveResource gives the qualified name EncryptionConfiguration uses', () => {
  assert.equal(resolveResource('deploy').qualified, 'deployments.apps');
  assert.equal(resolveResource('secret').qualified, 'secrets');
  assert.equal(resolveResource('ing').qualified, 'ingresses.networking.k8s.io');
  assert.equal(resolveResource('pandas.awesome.bears.example').qualified, 'pandas.awesome.bears.example');
  assert.equal(resolveResource('secret.foo.com').qualified, 'secret.foo.com', 'a CRD may reuse a built-in name');
  for (const bad of ['', '.', 'a/b', 'secrets.']) assert.throws(() => resolveResource(bad), K8sEncError);
});

test('names and namespaces with a slash are refused', () => {
  assert.throws(
    () => etcdKeyPrefix('secrets', { namespace: 'a/b' }),
    (e: K8sEncError) => e.code === 'ERR_USAGE',
  );
  assert.throws(() => etcdKeyPrefix('secrets', { namespace: 'a', name: '../x' }), K8sEncError);
});

test('etcd keys parse back to resource, namespace, name', () => {
  const cases: [string, ReturnType<typeof parseEtcdKey>][] = [
    ['/registry/secrets/default/mysecret', { resource: 'secrets', namespace: 'default', name: 'mysecret' }],
    ['/registry/services/specs/default/kubernetes', { resource: 'services', namespace: 'default', name: 'kubernetes' }],
    ['/registry/services/endpoints/default/kubernetes', { resource: 'endpoints', namespace: 'default', name: 'kubernetes' }],
    ['/registry/minions/node1', { resource: 'nodes', name: 'node1' }],
    ['/registry/deployments/kube-system/coredns', { resource: 'deployments.apps', namespace: 'kube-system', name: 'coredns' }],
    ['/registry/ingress/a/b', { resource: 'ingresses.networking.k8s.io', namespace: 'a', name: 'b' }],
    ['/registry/namespaces/default', { resource: 'namespaces', name: 'default' }],
    [
      '/registry/apiextensions.k8s.io/customresourcedefinitions/x.y.z',
      { resource: 'customresourcedefinitions.apiextensions.k8s.io', name: 'x.y.z' },
    ],
    ['/registry/awesome.bears.com/pandas/zoo/p1', { resource: 'pandas.awesome.bears.com', namespace: 'zoo', name: 'p1' }],
    ['/registry/awesome.bears.com/pandas/p1', { resource: 'pandas.awesome.bears.com', name: 'p1' }],
    ['/registry/ranges/serviceips', { resource: 'serviceipallocations', name: 'serviceips' }],
    ['/registry/masterleases/10.0.0.1', { resource: 'apiserveripinfo', name: '10.0.0.1' }],
    ['/registry/somethingnew/ns/x', { resource: 'somethingnew', namespace: 'ns', name: 'x' }],
    ['/registry/secrets/onlyname', null],
    ['/registry/namespaces/a/b', null],
    ['/registry/secrets/a/b/c', null],
    ['/registry/secrets//b', null],
    ['/registry/', null],
    ['/other/secrets/a/b', null],
    ['/registryx/secrets/a/b', null],
  ];
  for (const [key, want] of cases) assert.deepEqual(parseEtcdKey(key), want, key);
  assert.deepEqual(parseEtcdKey('/kubernetes.io/secrets/a/b', '/kubernetes.io'), { resource: 'secrets', namespace: 'a', name: 'b' });
});

test('property: etcdKeyPrefix and parseEtcdKey are inverse for names without a slash', () => {
  const seg = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
  const res = fc.constantFrom('secrets', 'cm', 'deploy', 'svc', 'ep', 'leases', 'pandas.awesome.bears.com', 'rolebindings');
  fc.assert(
    fc.property(res, seg, seg, fc.constantFrom('/registry', '/kubernetes.io', '/a/b'), (r, ns, name, prefix) => {
      const key = etcdKeyPrefix(r, { namespace: ns, name, etcdPrefix: prefix });
      assert.deepEqual(parseEtcdKey(key, prefix), { resource: resolveResource(r).qualified, namespace: ns, name });
    }),
    { numRuns: 200 },
  );
});

test('property: parseEtcdKey never throws on any string', () => {
  fc.assert(
    fc.property(fc.string(), (k) => void parseEtcdKey('/registry/' + k)),
    { numRuns: 300 },
  );
});

test('keyResource names the resource of any key under its prefix, however the rest is shaped', () => {
  const cases: [string, string | undefined, string | null][] = [
    ['/registry/secrets/default/a', undefined, 'secrets'],
    ['/registry/secrets/default/a/b', undefined, 'secrets'],
    ['/registry/secrets', undefined, 'secrets'],
    ['/registry/services/specs/default/web', undefined, 'services'],
    ['/registry/services/endpoints/default/web', undefined, 'endpoints'],
    ['/registry/services/specs', undefined, 'services'],
    ['/registry/services', undefined, 'services'],
    ['/registry/awesome.bears.com/pandas/ns/p', undefined, 'pandas.awesome.bears.com'],
    ['/registry/awesome.bears.com', undefined, null],
    ['/registry//secrets/a', undefined, null],
    ['/registryX/secrets/a/b', undefined, null],
    ['/kubernetes.io/secrets/a/b', '/kubernetes.io', 'secrets'],
    ['/registry/secrets/a/b', '/kubernetes.io', null],
    ['/secrets/a/b', '/', 'secrets'],
  ];
  // Twice: the second round answers from the cache the first one filled.
  for (let round = 0; round < 2; round++) {
    for (const [key, prefix, want] of cases) assert.equal(keyResource(key, prefix), want, `${key} under ${prefix}`);
  }
});

test('property: keyResource agrees with parseEtcdKey on well-formed keys, cached or not', () => {
  const seg = fc.constantFrom('secrets', 'services', 'specs', 'endpoints', 'a.b', 'apps', 'x', '', 'deployments', 'awesome.bears.com');
  fc.assert(
    fc.property(fc.array(seg, { maxLength: 6 }), fc.constantFrom('/registry', '/a/b', '/'), (segs, prefix) => {
      const key = `${normalizeEtcdPrefix(prefix)}/${segs.join('/')}`;
      const parsed = parseEtcdKey(key, prefix);
      if (parsed !== null) assert.equal(keyResource(key, prefix), parsed.resource, key);
      assert.equal(keyResource(key, prefix), keyResource(key, prefix));
    }),
    { numRuns: 500 },
  );
});

test('etcd prefix normalisation follows path.Join', () => {
  assert.equal(normalizeEtcdPrefix(), '/registry');
  assert.equal(normalizeEtcdPrefix('//registry//'), '/registry');
  assert.equal(normalizeEtcdPrefix('/'), '');
  assert.equal(etcdKeyPrefix('secrets', { etcdPrefix: '/' }), '/secrets/');
});
