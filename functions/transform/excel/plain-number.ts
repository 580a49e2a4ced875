// A spreadsheet number as staged text: plain decimal, never an exponent, at most 15 significant
// digits. Workbooks store IEEE doubles, so 0.1 + 0.2 arrives as 0.30000000000000004; Excel itself
// shows (and computes with) 15 significant digits, so rounding there gives back the value the user
// typed or saw (0.3) and never invents digits a double cannot hold (12345678901234567 is staged as
// 12345678901234600, as Excel shows it). Infinity and NaN cannot be stored in a cell: they are null.
export function plainNumber(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return '0';
  // Fast paths: most cells are short values whose shortest round-trip form is already plain and has
  // at most 15 significant digits (16 characters leave room for the point).
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const shortest = String(value);
  if (shortest.length <= 16 && !shortest.includes('e')) return shortest;
  // toPrecision(15) is exact rounding to 15 significant digits; only its notation is rewritten.
  const [mantissa = '0', exponentText] = value.toPrecision(15).split('e');
  const negative = mantissa.startsWith('-');
  const unsigned = negative ? mantissa.slice(1) : mantissa;
  const [whole = '0', fraction = ''] = unsigned.split('.');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  // All significant digits, and where the decimal point falls among them.
  const digits = whole + fraction;
  const point = whole.length + exponent;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  text = text.replace(/^0+(?=\d)/, '');
  return negative ? `-${text}` : text;
}
