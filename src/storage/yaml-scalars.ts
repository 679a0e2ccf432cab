/**
 * The scalar rules of go-yaml v2 (the YAML library behind sigs.k8s.io/yaml and so behind
 * `kubectl get -o yaml`): which strings would read back as something else and must be quoted,
 * how numbers print, and the natural ("9" before "10") order it sorts map keys in.
 */
import { wrapInt } from './int64.ts';

// ------------------------------------------------------------ would the plain form be a string?

const RESOLVE_MAP = new Set(
  'y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF ~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF'.split(
    ' ',
  ),
);

function hint(c: string): string {
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return '';
}

/** go-yaml's resolve("", s) yields the string tag, and the value is not a base-60 float. */
export function plainIsString(s: string): boolean {
  if (s === '') return false; // resolves to null
  if (BASE60_FLOAT.test(s)) return false;
  const h = hint(s[0]!);
  if (h === '') return true;
  if (RESOLVE_MAP.has(s)) return false;
  if (h === 'M') return true;
  if (h === '.') return !goParseFloatOk(s);
  if (isYamlTimestamp(s)) return false;
  const plain = s.replaceAll('_', '');
  if (goParseIntOk(plain, true) || goParseIntOk(plain, false)) return false;
  if (YAML_STYLE_FLOAT.test(plain) && goParseFloatOk(plain)) return false;
  if (plain.startsWith('0b') && /^[01]+$/.test(plain.slice(2)) && BigInt('0b' + plain.slice(2)) < 2n ** 64n) return false;
  if (plain.startsWith('-0b') && /^[01]+$/.test(plain.slice(3)) && BigInt('0b' + plain.slice(3)) <= 2n ** 63n) return false;
  return true;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** strconv.ParseInt(s, 0, 64) (signed) or ParseUint(s, 0, 64) succeeds. */
function goParseIntOk(s: string, signed: boolean): boolean {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null || (!signed && m[1] !== '')) return false;
  const body = m[2]!;
  const digits = /^0[oO]/.test(body) ? '0o' + body.slice(2) : /^0[0-7]+$/.test(body) ? '0o' + body.slice(1) : body;
  const v = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return signed ? v >= -(2n ** 63n) && v < 2n ** 63n : v < 2n ** 64n;
}

/** strconv.ParseFloat(s, 64) succeeds (out-of-range values fail, as in Go). */
function goParseFloatOk(s: string): boolean {
  if (/^[+-]?(inf|infinity)$/i.test(s) || /^nan$/i.test(s)) return true;
  if (/^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(s)) return true;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return false;
  return Number.isFinite(Number(s));
}

/** go-yaml's parseTimestamp: the four layouts it tries, with Go's range checks. */
function isYamlTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-](\d\d):(\d\d)))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/.exec(
      s,
    );
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return false;
  const h = Number(m[4] ?? m[9] ?? 0);
  const mi = Number(m[5] ?? m[10] ?? 0);
  const sec = Number(m[6] ?? m[11] ?? 0);
  if (h > 23 || mi > 59 || sec > 59) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

// ------------------------------------------------------------ numbers

/**
 * How a number prints after sigs.k8s.io/yaml's JSON → YAML trip: integers that fit int64/uint64
 * stay integers; everything else is a float64 printed with strconv's shortest 'g' format.
 */
export function yamlNumber(jsonText: string): string {
  if (/^-?\d+$/.test(jsonText)) {
    const v = BigInt(jsonText);
    if (v >= -(2n ** 63n) && v < 2n ** 64n) return v.toString();
  }
  return goFormatG(Number(jsonText));
}

function goFormatG(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, e] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(e);
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

// ------------------------------------------------------------ key order

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

/** go-yaml v2's keyList.Less for string keys: letters before others, digit runs by value. */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = LETTER.test(ar[i]!);
    const bl = LETTER.test(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai]!); ai++) an = wrapInt(an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48), 64);
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi]!); bi++) bn = wrapInt(bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48), 64);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}
