/**
 * metav1.Time in JSON: RFC 3339 in UTC with whole seconds, null for Go's zero time
 * (0001-01-01T00:00:00Z). Computed on bigint days so that every int64 second count a stored object
 * may hold maps to a string and back exactly; years outside 0000..9999 are written as Go's
 * formatter writes them (more digits, or a leading '-'), which Go itself cannot parse back.
 */
import type { Timestamp } from './types.ts';

export const ZERO_TIME_SECONDS = -62135596800n;

const DAY = 86400n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's civil_from_days). */
function civilFromDays(z: bigint): { y: bigint; m: number; d: number } {
  z += 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const m = Number(mp < 10n ? mp + 3n : mp - 9n);
  return { y: yoe + era * 400n + (m <= 2 ? 1n : 0n), m, d };
}

function daysFromCivil(y: bigint, m: number, d: number): bigint {
  y -= m <= 2 ? 1n : 0n;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mm = BigInt(m > 2 ? m - 3 : m + 9);
  const doy = (153n * mm + 2n) / 5n + BigInt(d) - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

const pad2 = (n: number | bigint) => String(n).padStart(2, '0');

export function formatTime(seconds: bigint): Timestamp {
  if (seconds === ZERO_TIME_SECONDS) return null;
  const days = floorDiv(seconds, DAY);
  const rest = Number(seconds - days * DAY);
  const { y, m, d } = civilFromDays(days);
  const year = y < 0n ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  const hh = Math.floor(rest / 3600);
  const mi = Math.floor((rest % 3600) / 60);
  return `${year}-${pad2(m)}-${pad2(d)}T${pad2(hh)}:${pad2(mi)}:${pad2(rest % 60)}Z`;
}

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: where Date's ISO text has Go's 4-digit years. */
const FOUR_DIGIT_YEARS_FROM = -62167219200;
const FOUR_DIGIT_YEARS_TO = 253402300799;
const ZERO_TIME_NUMBER = Number(ZERO_TIME_SECONDS);

const SECONDS_PER_DAY = 86400;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** `YYYY-MM-DDT` by day number for the days met so far: objects are created on comparatively few days. */
const dateTexts = new Map<number, string>();
const MAX_DATE_TEXTS = 4096;

/** formatTime for a seconds count that is a safe integer: through Date once per day, without bigints, where it can. */
export function formatUnixSeconds(seconds: number): Timestamp {
  if (seconds < FOUR_DIGIT_YEARS_FROM || seconds > FOUR_DIGIT_YEARS_TO) return formatTime(BigInt(seconds));
  if (seconds === ZERO_TIME_NUMBER) return null;
  const day = Math.floor(seconds / SECONDS_PER_DAY);
  const rest = seconds - day * SECONDS_PER_DAY;
  let date = dateTexts.get(day);
  if (date === undefined) {
    if (dateTexts.size >= MAX_DATE_TEXTS) dateTexts.clear();
    // toISOString gives `YYYY-MM-DDTHH:MM:SS.sssZ`, with Go's 4-digit years in this range.
    date = new Date(day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 11);
    dateTexts.set(day, date);
  }
  const minutes = Math.floor(rest / 60);
  return date + TWO_DIGITS[Math.floor(minutes / 60)]! + ':' + TWO_DIGITS[minutes % 60]! + ':' + TWO_DIGITS[rest % 60]! + 'Z';
}

const RFC3339 = /^(-?\d{4,})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):(\d\d))$/;

/** Go's time.Parse(time.RFC3339, …) → Unix seconds and nanoseconds; null when it does not parse. */
export function parseTime(s: string): { seconds: bigint; nanos: number } | null {
  const m = RFC3339.exec(s);
  if (m === null) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, z, sign, oh, om] = m;
  const month = Number(mos);
  const day = Number(ds);
  const [h, mi, sec] = [Number(hs), Number(mis), Number(ss)];
  const year = BigInt(ys!);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (h > 23 || mi > 59 || sec > 59) return null;
  let offset = 0;
  if (z === undefined) {
    const [ohn, omn] = [Number(oh), Number(om)];
    if (ohn > 23 || omn > 59) return null;
    offset = (sign === '-' ? -1 : 1) * (ohn * 3600 + omn * 60);
  }
  const seconds = daysFromCivil(year, month, day) * DAY + BigInt(h * 3600 + mi * 60 + sec - offset);
  return { seconds, nanos: frac === undefined ? 0 : Number(frac.padEnd(9, '0')) };
}

function daysIn(year: bigint, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  const leap = (year % 4n === 0n && year % 100n !== 0n) || year % 400n === 0n;
  return leap ? 29 : 28;
}
