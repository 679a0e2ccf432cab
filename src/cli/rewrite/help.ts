/** `k8s-enc rewrite --help`. */
export const REWRITE_HELP = `Re-encrypt stale values: offline into a new snapshot, or live in etcd.

Every selected value is read with CONFIG's providers and written with the first provider of the
write config (--to-config, default CONFIG) when it is stale (written with another provider or key
than the first), plaintext where an encrypting provider comes first, or unreadable by the write
config. Values the write config already reads as fresh are left alone. A value that cannot be
read is never touched: it is reported with its key and the error.

Usage:
  k8s-enc rewrite [RESOURCE...] --snapshot IN.db --out OUT.db -c CONFIG [--to-config NEW] [--compact]
  k8s-enc rewrite [RESOURCE...] --endpoints URLS [TLS flags] -c CONFIG [--to-config NEW] [--dry-run]

Examples:
  # A key leaked: after adding a new first key to enc.yaml, rewrite the backup and drop old revisions
  k8s-enc rewrite --snapshot backup.db --out backup-rotated.db -c enc.yaml --compact

  # Move a backup to a new cluster whose EncryptionConfiguration has other keys
  k8s-enc rewrite --snapshot backup.db --out for-new.db -c old.yaml --to-config new.yaml --compact

  # The apiserver is down: migrate the Secrets in the running etcd (look first with --dry-run)
  k8s-enc rewrite secrets --endpoints https://127.0.0.1:2379 --cacert ca.crt --cert c.crt --key c.key -c enc.yaml --dry-run

Options:
  RESOURCE                  resources to rewrite (secrets, configmaps, deployments.apps, ...); none:
                            every resource either config has a rule for (wildcard rules: every such
                            resource found under the prefix)
      --to-config FILE      write with this EncryptionConfiguration's first providers (default: -c)
      --force               rewrite every readable value, fresh or not
  Offline:
      --snapshot IN.db      read this snapshot (never modified)
      --out OUT.db          write a new snapshot here (0600; must not exist); \`etcdctl snapshot restore\`
                            takes it. Rewritten values are new revisions after IN's last one.
      --compact             keep only the latest revision of each key (compacted as etcd records it),
                            so no old revision written with an old key stays in OUT
      --skip-hash-check     read IN even if its sha256 trailer is missing or wrong
  Live:
      --endpoints URLS      etcd, comma-separated (http:// or https://)
      --cacert/--cert/--key FILE   TLS for --endpoints
      --dry-run             print what would be rewritten; write nothing
      --batch N             keys per transaction (default 64, at most 128: etcd's --max-txn-ops).
                            Each put happens only if the key is unchanged since it was read; a
                            concurrent writer wins and its key is read and decided again.
  -c, --encryption-provider-config FILE
                            the EncryptionConfiguration the data was written with (holds the keys)
      --etcd-prefix PREFIX  the apiserver's --etcd-prefix (default /registry)
      --kms-endpoint NAME=unix:///PATH
                            reach KMS provider NAME's plugin (of either config) at this socket

Output: errors on stderr (key and error, one per line), then a summary per resource on stdout:
rewritten, already fresh, failed. Key material is never printed. A progress line on a terminal.
Exit status: 0 when every selected value is fresh afterwards, 3 when some value could not be read,
1 on other errors (also when a key kept changing under a live rewrite), 2 usage error.
Interrupted? Run the same command again: values already rewritten are fresh and skipped.
`;
