/** `--help` texts, kubectl-shaped: what it does, examples, options. */
import { REWRITE_HELP } from './rewrite/help.ts';

const SOURCE = `  Where the data is (exactly one):
      --snapshot FILE       an \`etcdctl snapshot save\` file, or a member's \`member/snap/db\`
      --endpoints URLS      live etcd, comma-separated (http:// or https://)
      --cacert/--cert/--key FILE   TLS for --endpoints
      --revision N          read as of this etcd revision
      --skip-hash-check     accept a snapshot whose sha256 trailer is missing or wrong
      --salvage             read a damaged snapshot: every value still intact, the damaged pages and
                            the revisions they could have held on stderr, exit 3 when anything was damaged
      --workers N           threads that read, decrypt and print a snapshot scan (default: one per
                            core, at most 8; never more than the cores or the scan's chunks; 1 = this
                            thread only; env K8S_ENC_WORKERS); the output is the same either way`;

const CONFIG = `  -c, --encryption-provider-config FILE
                            the EncryptionConfiguration the apiserver uses (holds the keys)
      --etcd-prefix PREFIX  the apiserver's --etcd-prefix (default /registry)
      --kms-endpoint NAME=unix:///PATH
                            reach KMS provider NAME's plugin at this socket (unix:///@NAME: abstract)
                            instead of the configured endpoint; repeat for several providers
  KMS providers: values they wrote are read (and written) through their running plugin, over gRPC
  on the unix socket of the configuration's \`endpoint\`, each call limited by its \`timeout\` (default 3s).`;

export const HELP: Record<string, string> = {
  rewrite: REWRITE_HELP,
  main: `k8s-enc reads and writes Kubernetes encryption-at-rest data exactly as kube-apiserver does.

Commands:
  get       Print decrypted, decoded objects from a snapshot or a live etcd
  verify    Check that every value in etcd decrypts, and with which provider and key
  rewrite   Re-encrypt stale values: into a new snapshot, or live in etcd
  decrypt   Decrypt one stored value
  encrypt   Encrypt one object into the value the apiserver would store
  inspect   Describe a stored value (provider, key name, lengths) without any key
  keygen    Make a fresh key as an EncryptionConfiguration snippet

Examples:
  k8s-enc get secrets -A --snapshot snapshot.db -c encryption-config.yaml
  k8s-enc verify --endpoints https://127.0.0.1:2379 --cacert ca.crt --cert c.crt --key c.key -c enc.yaml
  etcdctl get /registry/secrets/default/db | k8s-enc decrypt -c enc.yaml

Use "k8s-enc <command> --help" for more about a command.
Exit status: 0 ok, 1 error, 2 usage error, 3 a scan went through but some values failed (verify: do not
decrypt or decode; get: could not be read or written; rewrite: could not be read, left as they are).
`,
  get: `Print decrypted, decoded objects, as \`kubectl get -o yaml\` would have shown them.

Usage:
  k8s-enc get RESOURCE [NAME] [-n NS | -A] (--snapshot FILE | --endpoints URLS) -c CONFIG [options]
  k8s-enc get RESOURCE/NAME …  (kubectl's spelling, the same)

Examples:
  # Every Secret in every namespace of a snapshot
  k8s-enc get secrets -A --snapshot snapshot.db -c encryption-config.yaml

  # One ConfigMap as JSON, from a live etcd
  k8s-enc get cm kube-proxy -n kube-system --endpoints http://127.0.0.1:2379 -c enc.yaml -o json

  # Manifests to re-create all Secrets in a new cluster, one private file per object
  k8s-enc get secrets -A --snapshot snapshot.db -c enc.yaml --for-restore --out ./restore
  kubectl apply -R -f ./restore

Options:
  -n, --namespace NS        namespace (default "default"; ignored for cluster-scoped resources)
  -A, --all-namespaces      every namespace (also the default for resources this tool cannot place)
  -o, --output FORMAT       yaml (default), json, ndjson (one object per line) or name
      --for-restore         manifests for \`kubectl apply -f\` in a new cluster: drops server-set metadata
                            (uid, resourceVersion, creationTimestamp, managedFields, generation, …),
                            finalizers (nothing would remove them), ownerReferences (old UIDs: the
                            garbage collector would delete the objects), the annotation
                            kubectl.kubernetes.io/last-applied-configuration, and status
      --keep-owner-references   with --for-restore, keep ownerReferences (restoring into the same cluster)
      --out DIR             write one file per object, DIR/<namespace|_cluster>/<resource>/<name>.yaml
                            (folders 0700, files 0600, written atomically; never through a symbolic
                            link under DIR; an object that cannot be written is skipped and named)
${CONFIG}
${SOURCE}

Exit status: 0 ok, 1 error (or the one object asked for by name failed), 2 usage error, 3 some
objects of a listing could not be read or written (the others were printed or written).
`,
  verify: `Check every value under the etcd prefix: does it decrypt and decode, with which provider and key,
is it stale (would the apiserver rewrite it)? Prints one record per key, then a summary.

Usage:
  k8s-enc verify (--snapshot FILE | --endpoints URLS) -c CONFIG [-o table|ndjson] [--report FILE.html]

Examples:
  # After rotating keys: is anything left under the old key, or still in plaintext?
  k8s-enc verify --snapshot snapshot.db -c encryption-config.yaml

  # Machine-readable records, then find the failures
  k8s-enc verify --endpoints http://127.0.0.1:2379 -c enc.yaml -o ndjson | jq 'select(.status=="error")'

  # Evidence for an audit: one self-contained HTML page (chart, totals, failed and stale keys)
  k8s-enc verify --snapshot snapshot.db -c encryption-config.yaml --report verify-report.html

Options:
  -o, --output FORMAT       table (default) or ndjson: {"key","resource","status","provider","keyName","stale","error"}
      --failures-only       print only the records that failed (the summary still counts every key)
                            per line, then {"summary":{…}}
      --report FILE.html    also write an HTML report: source (snapshot sha256 and revision, or endpoints),
                            config sha256 (never a key), date, values per resource by provider/key, failed
                            and stale keys; no script or external asset; written 0600, atomically
${CONFIG}
${SOURCE}

Exit status: 0 when every value decodes, 3 when any fails, 2 on usage errors.
`,
  decrypt: `Decrypt one stored value with the chain the apiserver uses for its etcd key.

Usage:
  k8s-enc decrypt -c CONFIG [--etcd-key KEY] [-o yaml|json|raw] [FILE|-]

The input (a file, or stdin) may be the raw value, \`etcdctl get\` output (key line, value; the key
then comes from the input), \`etcdctl get -w json\` output, hex or base64; it is detected, or set
with --input-format.

Examples:
  etcdctl get /registry/secrets/default/db | k8s-enc decrypt -c enc.yaml
  k8s-enc decrypt -c enc.yaml --etcd-key /registry/secrets/default/db -o raw value.bin > plaintext.bin

Options:
      --etcd-key KEY        the value's etcd key (the authenticated data); overrides a key in the input
  -o, --output FORMAT       yaml (default), json, or raw (the plaintext bytes)
      --no-check            with -o raw: print the plaintext even if it does not decode as an object
                            (by default it must: aescbc lets a wrong key through 1 time in 256)
      --input-format FMT    auto (default), raw, etcdctl, base64 or hex
${CONFIG}
`,
  encrypt: `Encrypt one object into the exact value the apiserver would store under KEY.

Usage:
  k8s-enc encrypt -c CONFIG --etcd-key KEY [FILE|-]

The input is an object in YAML or JSON (Secret and ConfigMap are encoded bit for bit as the apiserver
does), or, with --input-format raw or when it starts with "k8s\\0", plaintext bytes stored as they are.

Examples:
  kubectl create secret generic db --from-literal=password=s3cret --dry-run=client -o yaml \\
    | k8s-enc encrypt -c enc.yaml --etcd-key /registry/secrets/default/db \\
    | etcdctl put /registry/secrets/default/db

Options:
      --etcd-key KEY        where the value goes (required: it is the authenticated data and picks the chain)
  -o, --output FORMAT       raw (default), base64 or hex
      --input-format FMT    auto (default: object, or raw when it starts with "k8s\\0"), or raw
${CONFIG}
`,
  inspect: `Describe a stored value without any key: prefix, provider, key name, lengths, KMS fields.

Usage:
  k8s-enc inspect [FILE|-] [--input-format FMT] [-o yaml|json]

Examples:
  etcdctl get /registry/secrets/default/db | k8s-enc inspect
  echo 6b38733a656e633a... | k8s-enc inspect -o json

Options:
  -o, --output FORMAT       yaml (default) or json
      --input-format FMT    auto (default), raw, etcdctl, base64 or hex
`,
  keygen: `Make a fresh key from the operating system's CSPRNG, printed as an EncryptionConfiguration.
This is the only command that prints key material.

Usage:
  k8s-enc keygen aescbc|aesgcm|secretbox [--name NAME]

Examples:
  k8s-enc keygen aescbc --name key2 > new-key.yaml
  k8s-enc keygen secretbox

Options:
      --name NAME           the key's name in the configuration (default key1)
`,
};
