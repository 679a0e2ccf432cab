// node addon.mjs <etcdctl-get.bin> <encryption-config.yaml>: batch-decrypts the captured value
// (the path that uses the native addon) and says which .node files the process loaded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createTransformer, decodeObject, fromStorageMany, parseEncryptionConfig } from 'k8s-enc';
import { readCaptured } from './captured.mjs';

const { key, value } = readCaptured(process.argv[2]);
const config = parseEncryptionConfig(readFileSync(process.argv[3], 'utf8'));
const items = Array.from({ length: 64 }, () => ({ stored: value, authenticatedData: key }));
const results = await fromStorageMany(createTransformer(config, 'secrets'), items);
const objects = results.map((r) => (r instanceof Error ? r.code : decodeObject(r.data)));
const addons = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.endsWith('.node'));
process.stdout.write(JSON.stringify({ objects, addons }));
