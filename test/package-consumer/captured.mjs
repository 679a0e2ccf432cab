// The captured Kubernetes 1.8 etcdctl output (vectors/captured/k8s-1.8-aescbc): "key\nvalue\n".
import { readFileSync } from 'node:fs';

export function readCaptured(path) {
  const bytes = new Uint8Array(readFileSync(path));
  const nl = bytes.indexOf(10);
  return { key: new TextDecoder().decode(bytes.subarray(0, nl)), value: bytes.subarray(nl + 1, bytes.length - 1) };
}
