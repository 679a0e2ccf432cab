/** Kubernetes resource names ↔ etcd keys, as kube-apiserver lays them out (docs/FORMATS.md#kubernetes-keys). */
import { K8sEncError } from '../errors.ts';
import { BUILT_IN_GROUPS, RESOURCES, type ResourceEntry } from './resource-table.ts';

/**
 * A resource name resolved to where kube-apiserver stores it, as {@link resolveResource} returns it.
 */
export interface ResolvedResource {
  resource: string;
  group: string;
  /** `resource` or `resource.group`: the spelling EncryptionConfiguration and createTransformer use. */
  qualified: string;
  /** undefined for resources this package does not know (CRDs, newer built-ins). */
  namespaced: boolean | undefined;
  /** Path after the etcd prefix, without a trailing slash. */
  keyPrefix: string;
  singleObject: boolean;
}

const DEFAULT_ETCD_PREFIX = '/registry';
// kubectl accepts `deployments.v1.apps`; the version plays no part in where objects are stored.
const VERSION_SEGMENT = /^v\d+(?:(?:alpha|beta)\d+)?\./;

function fromEntry(e: ResourceEntry): ResolvedResource {
  return {
    resource: e.resource,
    group: e.group,
    qualified: e.group === '' ? e.resource : `${e.resource}.${e.group}`,
    namespaced: e.namespaced,
    keyPrefix: e.keyPrefix ?? e.resource,
    singleObject: e.singleObject === true,
  };
}

/** Resolves a resource as kubectl users type it: `secret`, `cm`, `deploy`, `deployments.apps`, `pandas.awesome.bears.example`. */
export function resolveResource(spelling: string): ResolvedResource {
  const s = spelling.trim().toLowerCase();
  const dot = s.indexOf('.');
  const name = dot < 0 ? s : s.slice(0, dot);
  const group = dot < 0 ? undefined : s.slice(dot + 1).replace(VERSION_SEGMENT, '');
  if (name === '' || name.includes('/') || group === '' || group?.includes('/')) {
    throw new K8sEncError('ERR_USAGE', `invalid resource name ${JSON.stringify(spelling)}`);
  }
  const entry = RESOURCES.find(
    (e) =>
      (e.resource === name || e.aliases.includes(name)) &&
      (group === undefined || group === e.group || (e.alsoGroups?.includes(group) ?? false)),
  );
  if (entry) return fromEntry(entry);
  const g = group ?? '';
  return {
    resource: name,
    group: g,
    qualified: g === '' ? name : `${name}.${g}`,
    namespaced: undefined,
    keyPrefix: BUILT_IN_GROUPS.has(g) ? name : `${g}/${name}`,
    singleObject: false,
  };
}

/** `--etcd-prefix` cleaned the way the apiserver's path.Join does: `registry`, `/registry/` → `/registry`. */
export function normalizeEtcdPrefix(etcdPrefix: string = DEFAULT_ETCD_PREFIX): string {
  // Scans ask once per value, nearly always with the same prefix.
  if (etcdPrefix === lastPrefix[0]) return lastPrefix[1];
  const parts = etcdPrefix.split('/').filter((p) => p !== '');
  const normalized = parts.length === 0 ? '' : '/' + parts.join('/');
  lastPrefix = [etcdPrefix, normalized];
  return normalized;
}
let lastPrefix: [string, string] = [DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_PREFIX];

function checkSegment(what: string, v: string): void {
  if (v === '' || v.includes('/')) throw new K8sEncError('ERR_USAGE', `invalid ${what} ${JSON.stringify(v)}`);
}

/**
 * The etcd key of one object (with `name`), or the key prefix (ending in `/`) under which a
 * resource's objects live, in one namespace or all. `namespace` is ignored for cluster-scoped resources,
 * as kubectl ignores `-n` for them.
 */
export function etcdKeyPrefix(resource: string, opts: { etcdPrefix?: string; namespace?: string; name?: string } = {}): string {
  const r = resolveResource(resource);
  const base = `${normalizeEtcdPrefix(opts.etcdPrefix)}/${r.keyPrefix}`;
  if (r.singleObject) return base;
  let path = base;
  if (opts.namespace !== undefined && r.namespaced !== false) {
    checkSegment('namespace', opts.namespace);
    path += `/${opts.namespace}`;
  }
  if (opts.name === undefined) return path + '/';
  checkSegment('name', opts.name);
  return `${path}/${opts.name}`;
}

/**
 * What an etcd key names, as {@link parseEtcdKey} returns it.
 */
export interface ParsedEtcdKey {
  /** Qualified resource, as createTransformer takes it: `secrets`, `deployments.apps`, `pandas.awesome.bears.com`. */
  resource: string;
  namespace?: string;
  name: string;
}

// Longest first, so `services/specs` wins over any shorter look-alike.
const BY_KEY_PREFIX = [...RESOURCES].sort(
  (a, b) => (b.keyPrefix ?? b.resource).split('/').length - (a.keyPrefix ?? a.resource).split('/').length,
);

/** BY_KEY_PREFIX with each key prefix split once (scans parse a key per value). */
const KEY_PREFIX_SEGMENTS = BY_KEY_PREFIX.map((e) => ({ e, kp: (e.keyPrefix ?? e.resource).split('/') }));

function startsWithSegments(segs: string[], prefix: string[]): boolean {
  return prefix.length <= segs.length && prefix.every((p, i) => segs[i] === p);
}

function scoped(resource: string, rest: string[], namespaced: boolean | undefined): ParsedEtcdKey | null {
  if (rest.some((s) => s === '')) return null;
  if (rest.length === 1 && namespaced !== true) return { resource, name: rest[0]! };
  if (rest.length === 2 && namespaced !== false) return { resource, namespace: rest[0]!, name: rest[1]! };
  return null;
}

interface Located {
  resource: string;
  /** The segments after the resource's key prefix. */
  rest: string[];
  namespaced: boolean | undefined;
  /** The resource is one object at its prefix itself (no namespace or name segments). */
  single: boolean;
}

function locate(key: string, etcdPrefix?: string): Located | null {
  const root = normalizeEtcdPrefix(etcdPrefix) + '/';
  if (!key.startsWith(root)) return null;
  const segs = key.slice(root.length).split('/');
  for (const { e, kp } of KEY_PREFIX_SEGMENTS) {
    if (!startsWithSegments(segs, kp)) continue;
    return { resource: fromEntry(e).qualified, rest: segs.slice(kp.length), namespaced: e.namespaced, single: e.singleObject === true };
  }
  const first = segs[0] ?? '';
  if (first === '') return null;
  // A dotted first segment is a group: CRDs and aggregated APIs are stored as <group>/<resource>.
  if (first.includes('.')) {
    const resource = segs[1];
    if (resource === undefined || resource === '') return null;
    return { resource: `${resource}.${first}`, rest: segs.slice(2), namespaced: undefined, single: false };
  }
  return { resource: first, rest: segs.slice(1), namespaced: undefined, single: false };
}

/** Splits an etcd key into resource, namespace and name; null when it is not shaped like an apiserver key. */
export function parseEtcdKey(key: string, etcdPrefix?: string): ParsedEtcdKey | null {
  const at = locate(key, etcdPrefix);
  if (at === null) return null;
  if (at.single) return at.rest.length === 0 ? { resource: at.resource, name: key.split('/').pop()! } : null;
  return scoped(at.resource, at.rest, at.namespaced);
}

/**
 * The resource whose storage holds `key`, by its key prefix alone, however the rest is shaped: the
 * apiserver reads every key under a resource's prefix with that resource's transformer, so
 * `/registry/secrets/default/a/b` is read as a Secret (by `verify` as by `get secrets`).
 */
export function keyResource(key: string, etcdPrefix?: string): string | null {
  // Scans ask once per value; the answer depends only on the prefix and the first few segments.
  const root = normalizeEtcdPrefix(etcdPrefix);
  let end = root.length;
  for (let n = 0; n < DECIDING_SEGMENTS && end >= 0; n++) end = key.indexOf('/', end + 1);
  const head = end < 0 ? key : key.slice(0, end);
  const id = `${root}\0${head}`;
  let found = resourceOfHead.get(id);
  if (found === undefined) {
    if (resourceOfHead.size >= 4096) resourceOfHead.clear();
    found = locate(head, etcdPrefix)?.resource ?? null;
    resourceOfHead.set(id, found);
  }
  return found;
}

/**
 * Segments after the prefix that decide a key's resource: the longest key prefix's, or a group and
 * a resource. A key cut after them (`/registry/secrets/ns`) locates as the whole key does, since
 * locate's answer never depends on later segments.
 */
const DECIDING_SEGMENTS = Math.max(2, ...KEY_PREFIX_SEGMENTS.map(({ kp }) => kp.length));
const resourceOfHead = new Map<string, string | null>();
