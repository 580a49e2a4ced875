// Column types from the values, over all rows, and the time range of date/time columns. Only formats
// PostgreSQL reads the same way whatever its DateStyle/locale settings are: plain decimal numbers and
// ISO-8601 dates/times. Anything else stays text, so COPY never guesses.
import type { ColumnType } from '../../shared/pipeline-definition';

// Candidate bits: a column keeps the candidates every value so far fits.
const INTEGER = 1;
const BIGINT = 2;
const NUMERIC = 4;
const BOOLEAN = 8;
const DATE = 16;
const TIMESTAMP = 32; // without time zone; plain dates fit it too
const TIMESTAMPTZ = 64;
const ALL = INTEGER | BIGINT | NUMERIC | BOOLEAN | DATE | TIMESTAMP | TIMESTAMPTZ;
const TIME_CANDIDATES = DATE | TIMESTAMP | TIMESTAMPTZ;
const NUMBER_BITS = INTEGER | BIGINT | NUMERIC;

// The number shapes (numberShape below reads them character by character, without a regex call
// per value; test/transform/infer-column-types.test.ts holds it to these two, which define them).
// No leading zeros: "007" is an identifier (zip code, item code), not the number 7.
export const INTEGER_RE = /^[+-]?(?:0|[1-9]\d*)$/;
export const NUMERIC_RE = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d{1,3})?$/;
const BOOLEAN_RE = /^(?:true|false|t|f|yes|no)$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const INT32_MAX = 2147483647n;
const INT64_MAX = 9223372036854775807n;

export interface TimeRange {
  min: string;
  max: string;
}

export interface InferredColumns {
  types: ColumnType[];
  // Only for columns whose final type is date, timestamp or timestamptz and that had a value.
  timeRanges: Record<string, TimeRange>;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Year 0 does not exist for PostgreSQL (1 BC is "0001-01-01 BC"): "0000-01-01" would fail the whole
// load as SQLSTATE 22008, so such a column stays text (corpus case year-zero).
function validCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] as number));
}

const isDigit = (code: number) => code >= 48 && code <= 57;

export const NOT_A_NUMBER = 0;
export const INTEGER_SHAPE = 1; // matches INTEGER_RE (and NUMERIC_RE)
export const DECIMAL_SHAPE = 2; // matches NUMERIC_RE only

// Which of the number shapes `value` has.
export function numberShape(value: string): number {
  const n = value.length;
  let i = 0;
  let c = value.charCodeAt(0);
  if (c === 43 || c === 45) i = 1; // + -
  if (i >= n) return NOT_A_NUMBER;
  // The integer part: "0" alone, or a digit 1-9 and any digits.
  const intStart = i;
  c = value.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < n && isDigit(value.charCodeAt(i))) i++;
  }
  const intDigits = i - intStart;
  if (intDigits > 0 && i === n) return INTEGER_SHAPE;
  if (value.charCodeAt(i) === 46) { // '.' and at least one digit
    const fracStart = ++i;
    while (i < n && isDigit(value.charCodeAt(i))) i++;
    if (i === fracStart) return NOT_A_NUMBER;
  } else if (intDigits === 0) return NOT_A_NUMBER;
  if (i === n) return DECIMAL_SHAPE;
  // The exponent: e or E, a sign, one to three digits, the end.
  c = value.charCodeAt(i);
  if (c !== 101 && c !== 69) return NOT_A_NUMBER;
  i++;
  c = value.charCodeAt(i);
  if (c === 43 || c === 45) i++;
  const expStart = i;
  while (i < n && isDigit(value.charCodeAt(i))) i++;
  const expDigits = i - expStart;
  return i === n && expDigits >= 1 && expDigits <= 3 ? DECIMAL_SHAPE : NOT_A_NUMBER;
}

// numberShape of the ASCII bytes bytes[start..end) (the CSV byte path's values), without a string:
// the same reading, character for character (test/transform/infer-column-types.test.ts holds both to
// INTEGER_RE and NUMERIC_RE).
export function numberShapeOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = bytes[i] as number;
  if (c === 43 || c === 45) i++;
  if (i >= end) return NOT_A_NUMBER;
  const intStart = i;
  c = bytes[i] as number;
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < end && isDigit(bytes[i] as number)) i++;
  }
  const intDigits = i - intStart;
  if (intDigits > 0 && i === end) return INTEGER_SHAPE;
  if (bytes[i] === 46) {
    const fracStart = ++i;
    while (i < end && isDigit(bytes[i] as number)) i++;
    if (i === fracStart) return NOT_A_NUMBER;
  } else if (intDigits === 0) return NOT_A_NUMBER;
  if (i === end) return DECIMAL_SHAPE;
  c = bytes[i] as number;
  if (c !== 101 && c !== 69) return NOT_A_NUMBER;
  i++;
  c = bytes[i] as number;
  if (i < end && (c === 43 || c === 45)) i++;
  const expStart = i;
  while (i < end && isDigit(bytes[i] as number)) i++;
  const expDigits = i - expStart;
  return i === end && expDigits >= 1 && expDigits <= 3 ? DECIMAL_SHAPE : NOT_A_NUMBER;
}

function integerWidth(value: string): number {
  // Short strings cannot overflow; only parse the long ones.
  const digits = value.length - (value[0] === '-' || value[0] === '+' ? 1 : 0);
  if (digits <= 9) return INTEGER | BIGINT | NUMERIC;
  const n = BigInt(value);
  const abs = n < 0n ? -n : n;
  if (abs <= INT32_MAX && n >= -INT32_MAX - 1n) return INTEGER | BIGINT | NUMERIC;
  if (n <= INT64_MAX && n >= -INT64_MAX - 1n) return BIGINT | NUMERIC;
  return NUMERIC;
}

function pad(n: number | string, width: number): string {
  return String(n).padStart(width, '0');
}

// Two-digit number at value[i..i+1], or -1.
function two(value: string, i: number): number {
  const a = value.charCodeAt(i) - 48;
  const b = value.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

// Four-digit year at value[0..3] (the regex has checked the digits), without a substring.
function year(value: string): number {
  return (value.charCodeAt(0) - 48) * 1000 + (value.charCodeAt(1) - 48) * 100 + (value.charCodeAt(2) - 48) * 10 + (value.charCodeAt(3) - 48);
}

// PostgreSQL refuses a UTC offset past ±15:59 (SQLSTATE 22009, failing the whole load), so a value
// with one is not a timestamptz here (corpus case zone-out-of-range). The offset ends the value:
// +HH, +HHMM or +HH:MM.
function offsetInRange(value: string): boolean {
  const m = /[+-](\d{2})(?::?(\d{2}))?$/.exec(value);
  return m !== null && Number(m[1]) <= 15 && Number(m[2] ?? 0) <= 59;
}

// Whether value[from..] ends in a UTC offset: +HH, +HHMM or +HH:MM (DATETIME_RE has checked the
// shape; this tells an offset from fractional seconds), without cutting a substring per value.
function hasOffset(value: string, from: number): boolean {
  const n = value.length;
  for (const length of [3, 5, 6]) {
    const at = n - length;
    if (at < from) continue;
    const sign = value.charCodeAt(at);
    if (sign !== 43 && sign !== 45) continue;
    if (!isDigit(value.charCodeAt(at + 1)) || !isDigit(value.charCodeAt(at + 2))) continue;
    if (length === 3) return true;
    if (length === 5 && isDigit(value.charCodeAt(at + 3)) && isDigit(value.charCodeAt(at + 4))) return true;
    if (length === 6 && value.charCodeAt(at + 3) === 58 && isDigit(value.charCodeAt(at + 4)) && isDigit(value.charCodeAt(at + 5))) return true;
  }
  return false;
}

// Which time candidates a value fits (0: none). Tests the shape with the regexes (irregexp beats a
// character-by-character reading here, measured), the calendar by arithmetic; allocates nothing,
// as it runs for every value of every time-like column.
function timeBits(value: string): number {
  if (value.length === 10) {
    if (!DATE_RE.test(value)) return 0;
    return validCalendarDate(year(value), two(value, 5), two(value, 8)) ? DATE | TIMESTAMP : 0;
  }
  if (value.length < 16 || !DATETIME_RE.test(value)) return 0;
  if (!validCalendarDate(year(value), two(value, 5), two(value, 8))) return 0;
  if (two(value, 11) > 23 || two(value, 14) > 59) return 0;
  const hasSeconds = value.charCodeAt(16) === 58; // ':'
  if (hasSeconds && two(value, 17) > 59) return 0;
  const last = value.charCodeAt(value.length - 1);
  const zoned = last === 90 /* Z */ || hasOffset(value, 16 + (hasSeconds ? 3 : 0));
  if (zoned && last !== 90 && !offsetInRange(value)) return 0;
  return zoned ? TIMESTAMPTZ : TIMESTAMP;
}

const digitAt = (bytes: Uint8Array, i: number) => (bytes[i] as number) - 48;
const twoDigits = (bytes: Uint8Array, i: number) => {
  const a = digitAt(bytes, i);
  const b = digitAt(bytes, i + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

// timeBits for the two shapes exports write most, read from bytes: "YYYY-MM-DD" and "YYYY-MM-DD
// HH:MM:SS" (or with a T), with `seconds` set to naiveSeconds' value. -1: some other shape, which
// timeBits reads from the text.
function plainTimeBitsOfBytes(bytes: Uint8Array, start: number, end: number, out: { seconds: number }): number {
  const n = end - start;
  if (n !== 10 && n !== 19) return -1;
  const y1 = twoDigits(bytes, start);
  const y2 = twoDigits(bytes, start + 2);
  const m = twoDigits(bytes, start + 5);
  const d = twoDigits(bytes, start + 8);
  if (y1 < 0 || y2 < 0 || m < 0 || d < 0 || bytes[start + 4] !== 45 || bytes[start + 7] !== 45) return n === 10 ? 0 : -1;
  const y = y1 * 100 + y2;
  if (!validCalendarDate(y, m, d)) return 0;
  const days = (y * 13 + m) * 32 + d;
  if (n === 10) {
    out.seconds = days * 86_400;
    return DATE | TIMESTAMP;
  }
  const separator = bytes[start + 10];
  if ((separator !== 32 && separator !== 84) || bytes[start + 13] !== 58 || bytes[start + 16] !== 58) return -1;
  const hh = twoDigits(bytes, start + 11);
  const mm = twoDigits(bytes, start + 14);
  const ss = twoDigits(bytes, start + 17);
  if (hh < 0 || mm < 0 || ss < 0) return -1;
  if (hh > 23 || mm > 59 || ss > 59) return 0;
  out.seconds = days * 86_400 + hh * 3600 + mm * 60 + ss;
  return TIMESTAMP;
}

const plainTime = { seconds: 0 };

// The canonical local time "YYYY-MM-DDTHH:MM:SS.ffffff" of a naive date or timestamp, character by
// character (naiveKey builds it for a new min or max).
function naiveCharAt(value: string, i: number): number {
  if (i < 10) return value.charCodeAt(i);
  if (value.length === 10) return i === 10 ? 84 : i === 13 || i === 16 ? 58 : i === 19 ? 46 : 48; // T : : . 0
  if (i === 10) return 84;
  if (i < 16) return value.charCodeAt(i);
  if (i < 19) return value.length > 16 ? value.charCodeAt(i) : i === 16 ? 58 : 48;
  if (i === 19) return 46;
  return i < value.length ? value.charCodeAt(i) : 48;
}

const NAIVE_KEY_LENGTH = 26;

// A naive date or timestamp (shape checked by timeBits) as a number that orders like its canonical
// local time: seconds on a scale where every month has 32 days (an order, not a duration), below
// 2^53 for any four-digit year. Fractions of a second are naiveMicros'. Two numbers compare in a few
// instructions where two strings compare character by character: this runs for every time value.
function naiveSeconds(value: string): number {
  const days = (year(value) * 13 + two(value, 5)) * 32 + two(value, 8);
  if (value.length === 10) return days * 86_400;
  const seconds = value.charCodeAt(16) === 58 ? two(value, 17) : 0;
  return days * 86_400 + two(value, 11) * 3600 + two(value, 14) * 60 + seconds;
}

// The fraction of a naive timestamp in microseconds (up to six digits after the '.' at 19).
function naiveMicros(value: string): number {
  if (value.length <= 20 || value.charCodeAt(19) !== 46) return 0;
  let micros = 0;
  for (let i = 20; i < 26; i++) {
    const digit = i < value.length ? value.charCodeAt(i) - 48 : 0;
    micros = micros * 10 + digit;
  }
  return micros;
}

function naiveKey(value: string): string {
  let key = '';
  for (let i = 0; i < NAIVE_KEY_LENGTH; i++) key += String.fromCharCode(naiveCharAt(value, i));
  return key;
}

// Zoned values compare as instants: epoch milliseconds plus the sub-millisecond digits.
interface Instant {
  ms: number;
  micros: number;
}

function instantOf(value: string): Instant | null {
  const dt = DATETIME_RE.exec(value);
  if (!dt) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = dt as unknown as [string, string, string, string, string, string, string?, string?, string?];
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (+digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2, 4) : 0));
  }
  const micros = frac.padEnd(6, '0');
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +micros.slice(0, 3)) - offsetMinutes * 60_000;
  return { ms, micros: +micros.slice(3) };
}

const before = (a: Instant, b: Instant) => a.ms < b.ms || (a.ms === b.ms && a.micros < b.micros);

function instantToIso(instant: Instant): string {
  const iso = new Date(instant.ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return instant.micros === 0 ? iso : `${iso.slice(0, -1)}${pad(instant.micros, 3)}Z`;
}

function trimFraction(naiveKey: string): string {
  return naiveKey.replace(/\.?0+$/, '').replace(/:$/, ':00');
}

class ColumnState {
  bits = ALL;
  seen = false;
  naiveMin: string | null = null;
  naiveMax: string | null = null;
  // The values that set naiveMin/naiveMax, as written: a value of the same shape (same length, same
  // date-time separator: the fields then sit at the same places) compares with them as plain strings.
  naiveMinSeconds = 0;
  naiveMinMicros = 0;
  naiveMaxSeconds = 0;
  naiveMaxMicros = 0;
  zonedMin: Instant | null = null;
  zonedMax: Instant | null = null;

  // Whether the column still fits a type other than text (the value included).
  observe(value: string): boolean {
    this.seen = true;
    let bits = this.bits;
    if (bits === 0) return false;
    if (bits & (INTEGER | BIGINT | NUMERIC)) {
      const shape = numberShape(value);
      if (shape === INTEGER_SHAPE) bits &= integerWidth(value) | ~(INTEGER | BIGINT | NUMERIC);
      else if (shape === DECIMAL_SHAPE) bits &= ~(INTEGER | BIGINT);
      else bits &= ~(INTEGER | BIGINT | NUMERIC);
    }
    if ((bits & BOOLEAN) && !BOOLEAN_RE.test(value)) bits &= ~BOOLEAN;
    if (bits & TIME_CANDIDATES) {
      const fits = timeBits(value);
      bits &= fits | ~TIME_CANDIDATES;
      if (fits & TIMESTAMPTZ) {
        const instant = instantOf(value);
        if (instant) {
          if (this.zonedMin === null || before(instant, this.zonedMin)) this.zonedMin = instant;
          if (this.zonedMax === null || before(this.zonedMax, instant)) this.zonedMax = instant;
        }
      } else if (fits !== 0) {
        const bounds = this.naiveBounds(naiveSeconds(value), naiveMicros(value));
        if (bounds !== 0) this.setNaiveKeys(bounds, naiveKey(value));
      }
    }
    this.bits = bits;
    return bits !== 0;
  }

  // observe() for a value given as bytes (the CSV byte path): a column that can only be a number
  // any more reads a short value's shape from the bytes; anything else takes the value as text.
  // Latin-1 decoding is exact for the ASCII every typed value is made of, and turns any other byte
  // into a character outside ASCII, which no type accepts (as its UTF-8 text would not be).
  observeBytes(bytes: Buffer, start: number, end: number): boolean {
    const bits = this.bits;
    if (bits === 0) {
      this.seen = true;
      return false;
    }
    if ((bits & ~NUMBER_BITS) === 0) {
      this.seen = true;
      const shape = numberShapeOfBytes(bytes, start, end);
      // An integer of more than 9 digits may not fit every width: integerWidth reads it as text.
      const digits = end - start - (bytes[start] === 45 || bytes[start] === 43 ? 1 : 0);
      if (shape === INTEGER_SHAPE && digits > 9) return this.observe(bytes.toString('latin1', start, end));
      if (shape === INTEGER_SHAPE) return true;
      this.bits = shape === DECIMAL_SHAPE ? bits & ~(INTEGER | BIGINT) : 0;
      return this.bits !== 0;
    }
    if ((bits & ~TIME_CANDIDATES) === 0) {
      const fits = plainTimeBitsOfBytes(bytes, start, end, plainTime);
      if (fits >= 0) {
        this.seen = true;
        this.bits = bits & (fits | ~TIME_CANDIDATES);
        const bounds = fits !== 0 ? this.naiveBounds(plainTime.seconds, 0) : 0;
        if (bounds !== 0) this.setNaiveKeys(bounds, naiveKey(bytes.toString('latin1', start, end)));
        return this.bits !== 0;
      }
    }
    return this.observe(bytes.toString('latin1', start, end));
  }

  // A naive date or timestamp value: 1 when it is the new min, 2 the new max, 3 both (the caller then
  // sets naiveMin/naiveMax to its key: built only for a new bound, not per value).
  private naiveBounds(seconds: number, micros: number): number {
    let bounds = 0;
    if (this.naiveMin === null || seconds < this.naiveMinSeconds || (seconds === this.naiveMinSeconds && micros < this.naiveMinMicros)) {
      this.naiveMinSeconds = seconds;
      this.naiveMinMicros = micros;
      bounds |= 1;
    }
    if (this.naiveMax === null || seconds > this.naiveMaxSeconds || (seconds === this.naiveMaxSeconds && micros > this.naiveMaxMicros)) {
      this.naiveMaxSeconds = seconds;
      this.naiveMaxMicros = micros;
      bounds |= 2;
    }
    return bounds;
  }

  private setNaiveKeys(bounds: number, key: string): void {
    if (bounds & 1) this.naiveMin = key;
    if (bounds & 2) this.naiveMax = key;
  }

  type(): ColumnType {
    const bits = this.bits;
    // A column with no values at all says nothing: text is the type every later value fits.
    if (!this.seen) return 'text';
    if (bits & INTEGER) return 'integer';
    if (bits & BIGINT) return 'bigint';
    if (bits & NUMERIC) return 'numeric';
    if (bits & BOOLEAN) return 'boolean';
    if (bits & DATE) return 'date';
    if (bits & TIMESTAMP) return 'timestamp';
    if (bits & TIMESTAMPTZ) return 'timestamptz';
    return 'text';
  }

  range(type: ColumnType): TimeRange | null {
    if (type === 'date' && this.naiveMin !== null && this.naiveMax !== null) {
      return { min: this.naiveMin.slice(0, 10), max: this.naiveMax.slice(0, 10) };
    }
    if (type === 'timestamp' && this.naiveMin !== null && this.naiveMax !== null) {
      return { min: trimFraction(this.naiveMin), max: trimFraction(this.naiveMax) };
    }
    if (type === 'timestamptz' && this.zonedMin !== null && this.zonedMax !== null) {
      return { min: instantToIso(this.zonedMin), max: instantToIso(this.zonedMax) };
    }
    return null;
  }
}

// Fed one row at a time (values already trimmed; null for empty), answers at the end.
export class ColumnTypeInference {
  private readonly states: ColumnState[];
  // typed[i] is 1 while every value of column i so far, the last observed row's included, fits a
  // type other than text (a number, boolean, date or time shape: none of them holds a quote, comma,
  // backslash or line break, which lets the staged CSV writer skip its quoting check).
  readonly typed: Uint8Array;

  constructor(private readonly names: readonly string[], private readonly declared: Readonly<Record<string, ColumnType>> = {}) {
    this.states = names.map(() => new ColumnState());
    this.typed = new Uint8Array(names.length).fill(1);
  }

  observe(values: ReadonlyArray<string | null>): void {
    const states = this.states;
    const typed = this.typed;
    for (let i = 0; i < states.length; i++) {
      const value = values[i];
      // A column already down to text (typed 0) has seen a value: nothing more to learn from it.
      if (value !== null && value !== undefined && typed[i] === 1 && !(states[i] as ColumnState).observe(value)) typed[i] = 0;
    }
  }

  // observe() for one column of a row given as bytes (the CSV byte path), value i being
  // bytes[start..end), never empty (an empty value is NULL and observes nothing).
  observeBytes(i: number, bytes: Buffer, start: number, end: number): void {
    if (this.typed[i] === 1 && !(this.states[i] as ColumnState).observeBytes(bytes, start, end)) this.typed[i] = 0;
  }

  result(): InferredColumns {
    const types: ColumnType[] = [];
    const timeRanges: Record<string, TimeRange> = {};
    this.names.forEach((name, i) => {
      const state = this.states[i] as ColumnState;
      // Declared types win; the range is still reported when the values were ISO times.
      const type = this.declared[name] ?? state.type();
      types.push(type);
      const range = state.range(type);
      if (range) timeRanges[name] = range;
    });
    return { types, timeRanges };
  }
}
