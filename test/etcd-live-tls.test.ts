// The live reader against an etcd that requires TLS client certificates, with etcdctl's flag
// names (--cacert, --cert, --key): it reads with them and is refused without them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { openEndpoints } from '../src/etcd/live.ts';
import { EtcdWriter } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';

describe('live etcd over TLS', { skip: etcdSkipReason(), timeout: 60_000 }, () => {
  test('reads with --cacert/--cert/--key; a client without a certificate is refused', async () => {
    const server = await startEtcd({ tls: true });
    try {
      const tls = server.tls!;
      const w = await EtcdWriter.connect(server.endpoint, tls);
      const rev = await w.put(utf8('/registry/secrets/default/tls'), utf8('over tls'));
      w.close();
      const live = await openEndpoints({ endpoints: [server.endpoint], cacert: tls.cacert, cert: tls.cert, key: tls.key });
      try {
        assert.deepEqual(await live.info(), { revision: rev, compactRevision: 0 });
        const items = [];
        for await (const it of live.scan(utf8('/registry/'))) items.push(it);
        assert.deepEqual(items, [
          {
            ok: true,
            entry: {
              key: utf8('/registry/secrets/default/tls'),
              value: utf8('over tls'),
              createRevision: rev,
              modRevision: rev,
              version: 1,
              lease: 0,
            },
          },
        ]);
      } finally {
        await live.close();
      }
      await assert.rejects(
        openEndpoints({ endpoints: [server.endpoint], cacert: tls.cacert, timeoutMs: 3000 }),
        (e: unknown) => e instanceof K8sEncError && e.code === 'ERR_ETCD_UNAVAILABLE',
      );
    } finally {
      await server.stop();
    }
  });
});
