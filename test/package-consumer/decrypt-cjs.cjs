// node decrypt-cjs.cjs <etcdctl-get.bin> <encryption-config.yaml>: as decrypt-esm.mjs, through require().
const { readFileSync } = require('node:fs');
const { createTransformer, decodeObject, parseEncryptionConfig } = require('k8s-enc');

const bytes = new Uint8Array(readFileSync(process.argv[2]));
const nl = bytes.indexOf(10);
const key = new TextDecoder().decode(bytes.subarray(0, nl));
const config = parseEncryptionConfig(readFileSync(process.argv[3], 'utf8'));
createTransformer(config, 'secrets')
  .fromStorage(bytes.subarray(nl + 1, bytes.length - 1), key)
  .then(({ data, stale }) => process.stdout.write(JSON.stringify({ stale, object: decodeObject(data) })));
