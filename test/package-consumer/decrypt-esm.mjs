// node decrypt-esm.mjs <etcdctl-get.bin> <encryption-config.yaml>: prints the decoded object as JSON.
import { readFileSync } from 'node:fs';
import { createTransformer, decodeObject, parseEncryptionConfig } from 'k8s-enc';
import { readCaptured } from './captured.mjs';

const { key, value } = readCaptured(process.argv[2]);
const config = parseEncryptionConfig(readFileSync(process.argv[3], 'utf8'));
const { data, stale } = await createTransformer(config, 'secrets').fromStorage(value, key);
process.stdout.write(JSON.stringify({ stale, object: decodeObject(data) }));
