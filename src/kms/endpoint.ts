/**
 * A KMS plugin endpoint (docs/FORMATS.md#kms-plugin-grpc-api): `unix:///path`, or `unix:///@name` for a Linux abstract
 * socket, read the way the apiserver's util.ParseEndpoint reads it (Go net/url, then the path).
 */
import { parseGoUrlScheme } from '../go-url.ts';
import { K8sEncError } from '../errors.ts';
import { goQuote } from '../go-quote.ts';

export interface KmsSocket {
  /** The endpoint as configured, for messages. */
  endpoint: string;
  /** What to dial: a file path, or `\0name` for an abstract socket (Go writes it `@name`). */
  path: string;
  abstract: boolean;
  /** The grpc-js target for `path`. */
  target: string;
}

export function parseKmsEndpoint(endpoint: string): KmsSocket {
  if (endpoint === '') throw new K8sEncError('ERR_KMS', "remote KMS provider can't use empty string as endpoint");
  const parsed = parseGoUrlScheme(endpoint);
  if ('error' in parsed) {
    throw new K8sEncError('ERR_KMS', `invalid endpoint ${goQuote(endpoint)} for remote KMS provider, error: ${parsed.error}`);
  }
  if (parsed.scheme !== 'unix') {
    throw new K8sEncError('ERR_KMS', `unsupported scheme ${goQuote(parsed.scheme)} for remote KMS provider`);
  }
  const path = urlPath(endpoint);
  if (path === null || path === '' || path === '/@') {
    throw new K8sEncError(
      'ERR_KMS',
      `invalid endpoint ${goQuote(endpoint)} for remote KMS provider: it names no socket (want unix:///path or unix:///@name)`,
    );
  }
  if (path.startsWith('/@')) {
    const name = '\0' + path.slice(2);
    return { endpoint, path: name, abstract: true, target: `unix:${name}` };
  }
  return { endpoint, path, abstract: false, target: `unix:${path}` };
}

/** Go's URL.Path: after the scheme and any `//authority`, before `?`/`#`, unescaped; opaque URLs have none. */
function urlPath(endpoint: string): string | null {
  let rest = endpoint.slice(endpoint.indexOf(':') + 1).replace(/[?#].*$/s, '');
  if (!rest.startsWith('/')) return null;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  try {
    return decodeURIComponent(rest);
  } catch {
    return null;
  }
}
