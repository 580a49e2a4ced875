// csv.decimal ',': "1.234,56" → "1234.56". Only a cell that is a whole number in that notation is
// rewritten (digits, optional sign, thousands grouped by '.' or a space, one decimal comma); anything
// else — text, dates such as 01.02.2024, a lone "1,5x" — is left exactly as it is.
const SIMPLE = /^[+-]?\d+(?:,\d+)?$/;
// Groups of three after the first one to three digits, one kind of separator throughout.
const GROUPED = /^[+-]?\d{1,3}(?:(?:\.\d{3})+|(?:[ \u00a0\u202f]\d{3})+)(?:,\d+)?$/;

export function decimalCommaToPoint(cell: string): string {
  const value = cell.trim();
  if (value === '') return cell;
  const first = value.charCodeAt(0);
  // Cheap exit for text: a number starts with a digit or a sign.
  if (!((first >= 48 && first <= 57) || first === 43 || first === 45)) return cell;
  if (SIMPLE.test(value)) return value.includes(',') ? value.replace(',', '.') : cell;
  if (GROUPED.test(value)) return value.replace(/[. \u00a0\u202f]/g, '').replace(',', '.');
  return cell;
}
