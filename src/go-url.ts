/**
 * The part of Go's net/url.Parse that KMS endpoint validation observes: the (lower-cased) scheme,
 * or the parse error text, which the apiserver embeds in `invalid endpoint for kms provider`.
 * Shared by config validation (config/validate.ts) and the KMS socket dialer (kms/endpoint.ts).
 */
import { goQuote } from './go-quote.ts';

export function parseGoUrlScheme(raw: string): { scheme: string } | { error: string } {
  const fail = (why: string) => ({ error: `parse ${goQuote(raw)}: ${why}` });
  const hash = raw.indexOf('#');
  const beforeFragment = hash < 0 ? raw : raw.slice(0, hash);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses exactly these control characters
  if (/[\x00-\x1f\x7f]/.test(beforeFragment)) return fail('net/url: invalid control character in URL');

  let scheme = '';
  let rest = beforeFragment;
  for (let i = 0; i < beforeFragment.length; i++) {
    const c = beforeFragment[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme');
      scheme = beforeFragment.slice(0, i).toLowerCase();
      rest = beforeFragment.slice(i + 1);
    }
    break;
  }

  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/') && scheme !== '') {
    // An opaque URL such as `unix:sock`: Go accepts it without looking further.
    return checkFragment(raw, hash, scheme, fail);
  }
  if (scheme === '' && !rest.startsWith('/')) {
    const slash = rest.indexOf('/');
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':')) return fail('first path segment in URL cannot contain colon');
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const err = checkAuthority(authority);
    if (err !== null) return fail(err);
  }
  const badPath = badEscape(rest);
  if (badPath !== null) return fail(`invalid URL escape ${goQuote(badPath)}`);
  return checkFragment(raw, hash, scheme, fail);
}

function checkFragment(
  raw: string,
  hash: number,
  scheme: string,
  fail: (why: string) => { error: string },
): { scheme: string } | { error: string } {
  if (hash >= 0) {
    const bad = badEscape(raw.slice(hash + 1));
    if (bad !== null) return fail(`invalid URL escape ${goQuote(bad)}`);
  }
  return { scheme };
}

function checkAuthority(authority: string): string | null {
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) return 'net/url: invalid userinfo';
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return "missing ']' in host";
    const port = host.slice(close + 1);
    if (port !== '' && !/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const port = host.slice(colon);
      if (!/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
    }
  }
  const bad = badEscape(host);
  return bad === null ? null : `invalid URL escape ${goQuote(bad)}`;
}

/** The first malformed `%xx` sequence (as Go reports it: at most 3 characters), or null. */
function badEscape(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') continue;
    const seq = s.slice(i, i + 3);
    if (!/^%[0-9a-fA-F]{2}$/.test(seq)) return seq;
    i += 2;
  }
  return null;
}
