/**
 * Go's time.ParseDuration and time.Duration.String, for the KMS `timeout` field: the apiserver
 * decodes it with metav1.Duration and prints it back (e.g. `"0s"`) in validation errors.
 */
import { utf8 } from '../bytes.ts';

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/** Nanoseconds, or the exact error text Go returns. */
export function parseGoDuration(s: string): { ns: bigint } | { error: string } {
  const invalid = { error: `time: invalid duration ${timeQuote(s)}` };
  let rest = s;
  let negative = false;
  if (rest[0] === '-' || rest[0] === '+') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return { ns: 0n };
  if (rest === '') return invalid;
  let total = 0n;
  while (rest !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const [whole, intPart = '', fracPart] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) return invalid;
    rest = rest.slice(whole.length);
    const unitMatch = /^[^0-9.]*/.exec(rest)![0];
    if (unitMatch === '') return { error: `time: missing unit in duration ${timeQuote(s)}` };
    const unit = Object.hasOwn(UNITS, unitMatch) ? UNITS[unitMatch] : undefined;
    if (unit === undefined) return { error: `time: unknown unit ${timeQuote(unitMatch)} in duration ${timeQuote(s)}` };
    rest = rest.slice(unitMatch.length);
    const whole64 = BigInt(intPart === '' ? '0' : intPart);
    if (whole64 > MAX_INT64 / unit) return invalid;
    let v = whole64 * unit;
    if (fracPart !== undefined && fracPart !== '') {
      // Go truncates the fraction toward zero after scaling by the unit.
      v += (BigInt(fracPart) * unit) / 10n ** BigInt(fracPart.length);
    }
    total += v;
    if (total > MAX_INT64 + (negative ? 1n : 0n)) return invalid;
  }
  return { ns: negative ? -total : total };
}

/** time.Duration.String: `1h0m0s`, `1.5s`, `100ms`, `0s`. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let scale: bigint;
    if (u < 1_000n) return `${neg ? '-' : ''}${u}ns`;
    if (u < 1_000_000n) [unit, scale] = ['µs', 1_000n];
    else [unit, scale] = ['ms', 1_000_000n];
    out = withFraction(u, scale) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = withFraction(u, 1_000_000_000n) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function withFraction(v: bigint, scale: bigint): string {
  const whole = v / scale;
  const frac = v % scale;
  if (frac === 0n) return whole.toString();
  const digits = scale.toString().length - 1;
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** The time package's own quoting: non-ASCII and control bytes as `\xNN`, unlike strconv.Quote. */
function timeQuote(s: string): string {
  let out = '"';
  for (const b of utf8(s)) {
    if (b >= 0x80 || b < 0x20) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out + '"';
}
