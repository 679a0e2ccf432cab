// Typechecked (not run) by a strict consumer: decodeObject's result narrows on kind.
import { decodeObject, isK8sEncError, K8sEncError, toJson, type DecodedObject, type KubeObject } from 'k8s-enc';
import { decodeObject as decodeInBrowser } from 'k8s-enc/browser';

export function describe(stored: Uint8Array): string {
  const o = decodeObject(stored);
  if (o.kind === 'Secret') {
    const data: Record<string, string> | undefined = o.data;
    // @ts-expect-error Secret data values are base64 strings
    const wrong: number | undefined = o.data?.['password'];
    return `${Object.keys(data ?? {}).join(',')} ${wrong}`;
  }
  if (o.kind === 'ConfigMap') {
    const data: Record<string, string> | undefined = o.data;
    return Object.keys(data ?? {}).join(',');
  }
  const generic: KubeObject = o;
  return `${generic.kind} ${o.metadata.name} ${String(o['spec'])} ${toJson(o)}`;
}

export function sameShape(stored: Uint8Array): DecodedObject {
  return decodeInBrowser(stored);
}

export function code(e: unknown): string | undefined {
  if (e instanceof K8sEncError) return e.code;
  return isK8sEncError(e) ? e.code : undefined;
}
