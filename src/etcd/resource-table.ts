/**
 * The Kubernetes resources a user is likely to name on the command line or meet in etcd, as data:
 * how kubectl spells them, their API group, whether they are namespaced, and where the apiserver
 * stores them (docs/FORMATS.md#kubernetes-keys). Resources not listed here still work; they are handled by rule in keys.ts.
 */
export interface ResourceEntry {
  /** Plural lower-case resource name, as in an EncryptionConfiguration. */
  resource: string;
  /** API group; '' for the core group. */
  group: string;
  namespaced: boolean;
  /** Singular and short names kubectl accepts besides the plural. */
  aliases: string[];
  /** The etcd path segment(s) after the etcd prefix, when not simply `resource`. */
  keyPrefix?: string;
  /** `keyPrefix` is the whole key of a single object named after its last segment (`ranges/serviceips`). */
  singleObject?: true;
  /** Other groups kubectl accepts for the same stored resource (events.k8s.io events live in core events). */
  alsoGroups?: string[];
}

// prettier-ignore
export const RESOURCES: readonly ResourceEntry[] = [
  // core
  { resource: 'secrets', group: '', namespaced: true, aliases: ['secret'] },
  { resource: 'configmaps', group: '', namespaced: true, aliases: ['configmap', 'cm'] },
  { resource: 'pods', group: '', namespaced: true, aliases: ['pod', 'po'] },
  { resource: 'services', group: '', namespaced: true, aliases: ['service', 'svc'], keyPrefix: 'services/specs' },
  { resource: 'endpoints', group: '', namespaced: true, aliases: ['endpoint', 'ep'], keyPrefix: 'services/endpoints' },
  { resource: 'namespaces', group: '', namespaced: false, aliases: ['namespace', 'ns'] },
  { resource: 'nodes', group: '', namespaced: false, aliases: ['node', 'no'], keyPrefix: 'minions' },
  { resource: 'replicationcontrollers', group: '', namespaced: true, aliases: ['replicationcontroller', 'rc'], keyPrefix: 'controllers' },
  { resource: 'serviceaccounts', group: '', namespaced: true, aliases: ['serviceaccount', 'sa'] },
  { resource: 'persistentvolumes', group: '', namespaced: false, aliases: ['persistentvolume', 'pv'] },
  { resource: 'persistentvolumeclaims', group: '', namespaced: true, aliases: ['persistentvolumeclaim', 'pvc'] },
  { resource: 'events', group: '', namespaced: true, aliases: ['event', 'ev'], alsoGroups: ['events.k8s.io'] },
  { resource: 'limitranges', group: '', namespaced: true, aliases: ['limitrange', 'limits'] },
  { resource: 'resourcequotas', group: '', namespaced: true, aliases: ['resourcequota', 'quota'] },
  { resource: 'podtemplates', group: '', namespaced: true, aliases: ['podtemplate'] },
  // Stored by the apiserver itself, no REST API (docs/FORMATS.md#validation forbids encrypting them by name).
  { resource: 'serviceipallocations', group: '', namespaced: false, aliases: [], keyPrefix: 'ranges/serviceips', singleObject: true },
  {
    resource: 'servicenodeportallocations',
    group: '',
    namespaced: false,
    aliases: [],
    keyPrefix: 'ranges/servicenodeports',
    singleObject: true,
  },
  { resource: 'apiserveripinfo', group: '', namespaced: false, aliases: [], keyPrefix: 'masterleases' },
  // apps, batch, autoscaling, policy
  { resource: 'deployments', group: 'apps', namespaced: true, aliases: ['deployment', 'deploy'] },
  { resource: 'replicasets', group: 'apps', namespaced: true, aliases: ['replicaset', 'rs'] },
  { resource: 'statefulsets', group: 'apps', namespaced: true, aliases: ['statefulset', 'sts'] },
  { resource: 'daemonsets', group: 'apps', namespaced: true, aliases: ['daemonset', 'ds'] },
  { resource: 'controllerrevisions', group: 'apps', namespaced: true, aliases: ['controllerrevision'] },
  { resource: 'jobs', group: 'batch', namespaced: true, aliases: ['job'] },
  { resource: 'cronjobs', group: 'batch', namespaced: true, aliases: ['cronjob', 'cj'] },
  { resource: 'horizontalpodautoscalers', group: 'autoscaling', namespaced: true, aliases: ['horizontalpodautoscaler', 'hpa'] },
  { resource: 'poddisruptionbudgets', group: 'policy', namespaced: true, aliases: ['poddisruptionbudget', 'pdb'] },
  // networking, discovery, coordination
  { resource: 'ingresses', group: 'networking.k8s.io', namespaced: true, aliases: ['ingress', 'ing'], keyPrefix: 'ingress' },
  { resource: 'ingressclasses', group: 'networking.k8s.io', namespaced: false, aliases: ['ingressclass'] },
  { resource: 'networkpolicies', group: 'networking.k8s.io', namespaced: true, aliases: ['networkpolicy', 'netpol'] },
  { resource: 'ipaddresses', group: 'networking.k8s.io', namespaced: false, aliases: ['ipaddress', 'ip'] },
  { resource: 'servicecidrs', group: 'networking.k8s.io', namespaced: false, aliases: ['servicecidr'] },
  { resource: 'endpointslices', group: 'discovery.k8s.io', namespaced: true, aliases: ['endpointslice'] },
  { resource: 'leases', group: 'coordination.k8s.io', namespaced: true, aliases: ['lease'] },
  // rbac
  { resource: 'roles', group: 'rbac.authorization.k8s.io', namespaced: true, aliases: ['role'] },
  { resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespaced: true, aliases: ['rolebinding'] },
  { resource: 'clusterroles', group: 'rbac.authorization.k8s.io', namespaced: false, aliases: ['clusterrole'] },
  { resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io', namespaced: false, aliases: ['clusterrolebinding'] },
  // storage, scheduling, node, certificates
  { resource: 'storageclasses', group: 'storage.k8s.io', namespaced: false, aliases: ['storageclass', 'sc'] },
  { resource: 'volumeattachments', group: 'storage.k8s.io', namespaced: false, aliases: ['volumeattachment'] },
  { resource: 'csidrivers', group: 'storage.k8s.io', namespaced: false, aliases: ['csidriver'] },
  { resource: 'csinodes', group: 'storage.k8s.io', namespaced: false, aliases: ['csinode'] },
  { resource: 'csistoragecapacities', group: 'storage.k8s.io', namespaced: true, aliases: ['csistoragecapacity'] },
  { resource: 'priorityclasses', group: 'scheduling.k8s.io', namespaced: false, aliases: ['priorityclass', 'pc'] },
  { resource: 'runtimeclasses', group: 'node.k8s.io', namespaced: false, aliases: ['runtimeclass'] },
  { resource: 'deviceclasses', group: 'resource.k8s.io', namespaced: false, aliases: ['deviceclass'] },
  { resource: 'resourceclaims', group: 'resource.k8s.io', namespaced: true, aliases: ['resourceclaim'] },
  { resource: 'resourceclaimtemplates', group: 'resource.k8s.io', namespaced: true, aliases: ['resourceclaimtemplate'] },
  { resource: 'resourceslices', group: 'resource.k8s.io', namespaced: false, aliases: ['resourceslice'] },
  {
    resource: 'certificatesigningrequests',
    group: 'certificates.k8s.io',
    namespaced: false,
    aliases: ['certificatesigningrequest', 'csr'],
  },
  // admission, flow control
  {
    resource: 'mutatingwebhookconfigurations',
    group: 'admissionregistration.k8s.io',
    namespaced: false,
    aliases: ['mutatingwebhookconfiguration'],
  },
  {
    resource: 'validatingwebhookconfigurations',
    group: 'admissionregistration.k8s.io',
    namespaced: false,
    aliases: ['validatingwebhookconfiguration'],
  },
  {
    resource: 'validatingadmissionpolicies',
    group: 'admissionregistration.k8s.io',
    namespaced: false,
    aliases: ['validatingadmissionpolicy'],
  },
  {
    resource: 'validatingadmissionpolicybindings',
    group: 'admissionregistration.k8s.io',
    namespaced: false,
    aliases: ['validatingadmissionpolicybinding'],
  },
  { resource: 'flowschemas', group: 'flowcontrol.apiserver.k8s.io', namespaced: false, aliases: ['flowschema'] },
  {
    resource: 'prioritylevelconfigurations',
    group: 'flowcontrol.apiserver.k8s.io',
    namespaced: false,
    aliases: ['prioritylevelconfiguration'],
  },
  // stored under their group (docs/FORMATS.md#kubernetes-keys)
  {
    resource: 'customresourcedefinitions',
    group: 'apiextensions.k8s.io',
    namespaced: false,
    aliases: ['customresourcedefinition', 'crd', 'crds'],
    keyPrefix: 'apiextensions.k8s.io/customresourcedefinitions',
  },
  {
    resource: 'apiservices',
    group: 'apiregistration.k8s.io',
    namespaced: false,
    aliases: ['apiservice'],
    keyPrefix: 'apiregistration.k8s.io/apiservices',
  },
];

/**
 * Groups served by kube-apiserver itself, whose resources are stored without the group. Every other
 * group (CRDs, aggregated APIs) is stored as `<group>/<resource>`.
 */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'discovery.k8s.io',
  'coordination.k8s.io',
  'events.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'admissionregistration.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'resource.k8s.io',
  'internal.apiserver.k8s.io',
  'storagemigration.k8s.io',
]);
