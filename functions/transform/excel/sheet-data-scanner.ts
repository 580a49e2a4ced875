// The rows of a worksheet's <sheetData>, read straight from the part's bytes. Why hand-written: a
// SAX parser (saxes) builds a tag object, an attribute object and strings for every name and value
// of every cell, and that was most of the .xlsx transform's time (~1.5 s of 3.7 s for 200k rows × 10
// columns, with the GC it caused). This scanner reads only the shape spreadsheet writers produce —
// <row> elements holding <c> cells with <v>, <f> and inline <is><t> children, ASCII attribute
// values, the five named entities and character references, UTF-8 text — and makes no object but the cells' values.
//
// It never decides anything the SAX reader would decide differently. Whatever it does not know —
// a comment, CDATA, a processing instruction, a prefixed or unknown element, another entity,
// rich text, a CR or control character, invalid UTF-8, a malformed tag, a row number that is not
// plain digits, a row longer than its buffer — makes it stop at the start of that row, and the SAX
// reader (sheet-rows-sax.ts) reads the rest of the part from there, errors included. Because a
// row's cells are turned into values only once the whole row has been read (the values' counters
// have effects), a row is read by exactly one of the two. test/transform/excel/
// sheet-data-scanner.test.ts holds both to the same rows on generated well-formed and broken parts.
import { isUtf8 } from 'node:buffer';
import type { Cell } from '../parsers/file-parser';
import { cellValue, MAX_COLUMN, type CellXml, type SheetRowsTarget } from './sheet-cell-value';

// scan() results other than a position.
export const NEED_MORE = -1;
export const HAND_OVER = -2;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const AMP = 0x26;
const SEMI = 0x3b;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;
const RBRACKET = 0x5d;

// Cell types by the `t` attribute; OTHER (a value no writer uses) goes to the SAX reader.
const T_NUMBER = 0;
const T_SHARED = 1;
const T_STR = 2;
const T_INLINE = 3;
const T_BOOL = 4;
const T_ERROR = 5;
const T_DATE = 6;
const T_OTHER = 7;
const TYPE_NAMES = ['n', 's', 'str', 'inlineStr', 'b', 'e', 'd'];

// How a text range is turned into a string: ASCII as it is, or with entities or UTF-8 to decode.
const TEXT_ABSENT = 0;
const TEXT_ASCII = 1;
const TEXT_DECODE = 2;

// Per cell of the row being read, FIELDS numbers: column (0 = none given), type, style, formula
// (1 = it has one), then start, end and kind of the <v> text and of the <is><t> text.
const COLUMN = 0;
const TYPE = 1;
const STYLE = 2;
const FORMULA = 3;
const VALUE_TEXT = 4;
const INLINE_TEXT = 7;
const FIELDS = 10;
// Attributes kept per tag (name start, name end, value start, value end); more goes to the SAX reader.
const MAX_ATTRIBUTES = 16;

export class SheetDataScanner {
  // Rows this scanner read (for tests: that it did the reading).
  rowsRead = 0;
  private data: Buffer = Buffer.alloc(0);
  private end = 0;
  private cells = new Int32Array(FIELDS * 64);
  private cellCount = 0;
  private readonly attributes = new Int32Array(4 * MAX_ATTRIBUTES);
  private attributeCount = 0;
  private selfClosing = false;
  // The kind of the last text read by text().
  private textKind = TEXT_ABSENT;
  private readonly xml: CellXml = { type: 'n', style: 0, value: null, inline: null };

  constructor(private readonly target: SheetRowsTarget) {}

  // Reads whole rows from data[from..]: returns where the next row starts and why it stopped there —
  // NEED_MORE (the data ends inside it; call again with more) or HAND_OVER (the SAX reader reads on
  // from there, also at </sheetData>) — as [position, reason].
  scan(data: Buffer, from: number): [number, number] {
    this.data = data;
    this.end = data.length;
    let at = from;
    for (;;) {
      const start = this.skipSpace(at);
      if (start >= this.end) return [start, NEED_MORE];
      const next = this.row(start);
      if (next < 0) return [start, next];
      at = next;
    }
  }

  private row(i: number): number {
    const d = this.data;
    if (i + 5 > this.end) return NEED_MORE;
    if (d[i] !== LT || d[i + 1] !== 0x72 || d[i + 2] !== 0x6f || d[i + 3] !== 0x77 || !endsName(d[i + 4]!)) return HAND_OVER;
    let j = this.tagAttributes(i + 4);
    if (j < 0) return j;
    let rowNumber = this.target.rowNumber + 1;
    let hidden = false;
    for (let a = 0; a < this.attributeCount; a++) {
      if (this.attributeIs(a, 'r')) {
        rowNumber = this.digits(a);
        if (rowNumber < 0) return HAND_OVER;
      } else if (this.attributeIs(a, 'hidden')) {
        hidden = this.valueIs(a, '1') || this.valueIs(a, 'true');
      }
    }
    this.cellCount = 0;
    if (!this.selfClosing) {
      for (;;) {
        j = this.skipSpace(j);
        if (j + 3 > this.end) return NEED_MORE;
        if (d[j] !== LT) return HAND_OVER;
        if (d[j + 1] === SLASH) {
          j = this.endTag(j, 'row');
          if (j < 0) return j;
          break;
        }
        if (d[j + 1] !== 0x63 || !endsName(d[j + 2]!)) return HAND_OVER;
        j = this.cell(j + 2);
        if (j < 0) return j;
      }
    }
    this.commit(rowNumber, hidden);
    return j;
  }

  // After "<c": the cell's attributes and children, recorded in `cells`.
  private cell(i: number): number {
    let j = this.tagAttributes(i);
    if (j < 0) return j;
    let column = 0;
    let type = T_NUMBER;
    let style = 0;
    for (let a = 0; a < this.attributeCount; a++) {
      if (this.attributeIs(a, 'r')) {
        column = this.column(a);
        if (column === 0) return HAND_OVER;
      } else if (this.attributeIs(a, 't')) {
        type = this.cellType(a);
        if (type === T_OTHER) return HAND_OVER;
      } else if (this.attributeIs(a, 's')) {
        style = this.digits(a);
        if (style < 0) return HAND_OVER;
      }
    }
    const k = this.cellCount * FIELDS;
    if (k + FIELDS > this.cells.length) {
      if (this.cells.length >= FIELDS * 65_536) return HAND_OVER;
      const grown = new Int32Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    const c = this.cells;
    c[k + COLUMN] = column;
    c[k + TYPE] = type;
    c[k + STYLE] = style;
    c[k + FORMULA] = 0;
    this.setText(k + VALUE_TEXT, 0, 0, TEXT_ABSENT);
    this.setText(k + INLINE_TEXT, 0, 0, TEXT_ABSENT);
    this.cellCount++;
    if (this.selfClosing) return j;
    const d = this.data;
    for (;;) {
      j = this.skipSpace(j);
      if (j + 4 > this.end) return NEED_MORE;
      if (d[j] !== LT) return HAND_OVER;
      const n = d[j + 1];
      if (n === SLASH) return this.endTag(j, 'c');
      if (n === 0x76 && endsName(d[j + 2]!)) {
        // <v>: the last one counts, as in the SAX reader.
        j = this.textElement(j + 2, 'v', k + VALUE_TEXT);
      } else if (n === 0x66 && endsName(d[j + 2]!)) {
        // <f>: its text is the formula, not kept; the cell's value is its cached <v>.
        c[k + FORMULA] = 1;
        j = this.textElement(j + 2, 'f', -1);
      } else if (n === 0x69 && d[j + 2] === 0x73 && endsName(d[j + 3]!)) {
        j = this.inlineString(j + 3, k + INLINE_TEXT);
      } else {
        return HAND_OVER;
      }
      if (j < 0) return j;
    }
  }

  // After "<is": exactly one <t> (rich text runs and phonetic parts go to the SAX reader).
  private inlineString(i: number, slot: number): number {
    let j = this.tagAttributes(i);
    if (j < 0) return j;
    // An empty <is/> or <is></is> is an empty string, as the SAX reader has it.
    this.setText(slot, j, j, TEXT_ASCII);
    if (this.selfClosing) return j;
    const d = this.data;
    let seenText = false;
    for (;;) {
      j = this.skipSpace(j);
      if (j + 4 > this.end) return NEED_MORE;
      if (d[j] !== LT) return HAND_OVER;
      if (d[j + 1] === SLASH) return this.endTag(j, 'is');
      if (seenText || d[j + 1] !== 0x74 || !endsName(d[j + 2]!)) return HAND_OVER;
      seenText = true;
      j = this.textElement(j + 2, 't', slot);
      if (j < 0) return j;
    }
  }

  // After "<v", "<f" or "<t": attributes, text, end tag. The text's range and kind go to cells[slot..]
  // (slot < 0: checked, not kept).
  private textElement(i: number, name: string, slot: number): number {
    let j = this.tagAttributes(i);
    if (j < 0) return j;
    if (this.selfClosing) {
      if (slot >= 0) this.setText(slot, j, j, TEXT_ASCII);
      return j;
    }
    const textEnd = this.text(j);
    if (textEnd < 0) return textEnd;
    if (slot >= 0) this.setText(slot, j, textEnd, this.textKind);
    return this.endTag(textEnd, name);
  }

  private setText(slot: number, start: number, end: number, kind: number): void {
    this.cells[slot] = start;
    this.cells[slot + 1] = end;
    this.cells[slot + 2] = kind;
  }

  // Character data up to the next '<'; sets textKind. Only what XML reads as written (and the five
  // named entities) is taken.
  private text(i: number): number {
    const d = this.data;
    const end = this.end;
    let kind = TEXT_ASCII;
    let nonAscii = false;
    let j = i;
    for (; j < end; j++) {
      const b = d[j]!;
      if (b >= 0x20 && b < 0x7f) {
        if (b === LT) break;
        if (b === AMP) {
          const after = referenceEnd(d, j, end);
          if (after < 0) return after;
          kind = TEXT_DECODE;
          j = after - 1;
        } else if (b === RBRACKET) {
          // "]]>" is not allowed in character data.
          if (j + 2 >= end) return NEED_MORE;
          if (d[j + 1] === RBRACKET && d[j + 2] === GT) return HAND_OVER;
        }
      } else if (b >= 0x80) {
        nonAscii = true;
      } else if (b !== 0x09 && b !== 0x0a && b !== 0x7f) {
        // A CR (XML reads CR LF and a lone CR as LF), or a control character XML does not allow.
        return HAND_OVER;
      }
    }
    if (j >= end) return NEED_MORE;
    if (nonAscii) {
      // Valid UTF-8 and none of the two noncharacters XML forbids (U+FFFE, U+FFFF).
      if (!isUtf8(d.subarray(i, j)) || hasFffeOrFfff(d, i, j)) return HAND_OVER;
      kind = TEXT_DECODE;
    }
    this.textKind = kind;
    return j;
  }

  // At "</": the end tag `name`, optional spaces, '>'.
  private endTag(i: number, name: string): number {
    const d = this.data;
    const after = i + 2 + name.length;
    if (after >= this.end) return NEED_MORE;
    for (let n = 0; n < name.length; n++) if (d[i + 2 + n] !== name.charCodeAt(n)) return HAND_OVER;
    const j = this.skipSpace(after);
    if (j >= this.end) return NEED_MORE;
    return d[j] === GT ? j + 1 : HAND_OVER;
  }

  // After a start tag's name: its attributes, then '>' or '/>' (selfClosing). Records the attributes'
  // ranges; a repeated name, or any value the SAX reader would normalise (whitespace other than
  // space, an entity) or reject, is handed over.
  private tagAttributes(i: number): number {
    const d = this.data;
    const end = this.end;
    this.attributeCount = 0;
    let j = i;
    for (;;) {
      const spaced = j;
      j = this.skipSpace(j);
      if (j >= end) return NEED_MORE;
      const b = d[j];
      if (b === GT) {
        this.selfClosing = false;
        return j + 1;
      }
      if (b === SLASH) {
        if (j + 1 >= end) return NEED_MORE;
        if (d[j + 1] !== GT) return HAND_OVER;
        this.selfClosing = true;
        return j + 2;
      }
      if (j === spaced || !startsName(b!) || this.attributeCount === MAX_ATTRIBUTES) return HAND_OVER;
      const nameStart = j;
      while (j < end && isNameByte(d[j]!)) j++;
      const nameEnd = j;
      j = this.skipSpace(j);
      if (j + 1 >= end) return NEED_MORE;
      if (d[j] !== EQ) return HAND_OVER;
      j = this.skipSpace(j + 1);
      if (j >= end) return NEED_MORE;
      const quote = d[j];
      if (quote !== QUOT && quote !== APOS) return HAND_OVER;
      const valueStart = j + 1;
      for (j = valueStart; j < end; j++) {
        const v = d[j]!;
        if (v === quote) break;
        if (v < 0x20 || v >= 0x7f || v === LT || v === AMP) return HAND_OVER;
      }
      if (j >= end) return NEED_MORE;
      const a = this.attributes;
      for (let n = 0; n < this.attributeCount; n++) {
        if (sameBytes(d, a[4 * n]!, a[4 * n + 1]!, nameStart, nameEnd)) return HAND_OVER;
      }
      const slot = 4 * this.attributeCount++;
      a[slot] = nameStart;
      a[slot + 1] = nameEnd;
      a[slot + 2] = valueStart;
      a[slot + 3] = j;
      j++;
      // XML needs a space between attributes; the loop's check sees none and hands over.
    }
  }

  private attributeIs(a: number, name: string): boolean {
    return bytesAre(this.data, this.attributes[4 * a]!, this.attributes[4 * a + 1]!, name);
  }

  private valueIs(a: number, text: string): boolean {
    return bytesAre(this.data, this.attributes[4 * a + 2]!, this.attributes[4 * a + 3]!, text);
  }

  // The attribute's value as a whole number of plain digits (what Number() reads the same), or -1.
  private digits(a: number): number {
    return wholeNumber(this.data, this.attributes[4 * a + 2]!, this.attributes[4 * a + 3]!, 9);
  }

  // The column an "r" attribute names, read as columnOfRef reads it (0: none).
  private column(a: number): number {
    const start = this.attributes[4 * a + 2]!;
    const end = this.attributes[4 * a + 3]!;
    let column = 0;
    for (let j = start; j < end; j++) {
      const code = this.data[j]! | 0x20;
      if (code < 0x61 || code > 0x7a) break;
      column = column * 26 + (code - 0x60);
      if (column > MAX_COLUMN) return 0;
    }
    return column;
  }

  private cellType(a: number): number {
    for (let t = 0; t < TYPE_NAMES.length; t++) if (this.valueIs(a, TYPE_NAMES[t]!)) return t;
    return T_OTHER;
  }

  private skipSpace(i: number): number {
    const d = this.data;
    const end = this.end;
    let j = i;
    while (j < end) {
      const b = d[j];
      if (b !== 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) break;
      j++;
    }
    return j;
  }

  // The row is whole: its cells become values, in order, as the SAX reader makes them.
  private commit(rowNumber: number, hidden: boolean): void {
    const target = this.target;
    target.rowNumber = rowNumber;
    if (hidden) target.counts.hiddenRows++;
    const row: Cell[] = [];
    const c = this.cells;
    let lastColumn = 0;
    for (let n = 0; n < this.cellCount; n++) {
      const k = n * FIELDS;
      const column = c[k + COLUMN] === 0 ? lastColumn + 1 : c[k + COLUMN]!;
      lastColumn = column;
      if (c[k + FORMULA] === 1) target.counts.formulaCells++;
      row[column - 1] = this.value(k, rowNumber);
    }
    target.batcher.add(rowNumber, row);
    this.rowsRead++;
  }

  private value(k: number, rowNumber: number): Cell {
    const c = this.cells;
    const type = c[k + TYPE]!;
    const vStart = c[k + VALUE_TEXT]!;
    const vEnd = c[k + VALUE_TEXT + 1]!;
    const vKind = c[k + VALUE_TEXT + 2]!;
    // The two commonest cells without a string for their <v>: a shared string's index, a whole number.
    if (vKind === TEXT_ASCII && (type === T_SHARED || type === T_NUMBER)) {
      const whole = wholeNumber(this.data, vStart, vEnd, 15);
      if (whole >= 0) {
        const context = this.target.context;
        if (type === T_NUMBER) return context.cellText.number(whole, context.formatCode(c[k + STYLE]!));
        const text = context.sharedString(whole);
        // Past the table's end: the reading below makes the error, with the index as written.
        if (text !== undefined) return text;
      }
    }
    const xml = this.xml;
    xml.type = TYPE_NAMES[type]!;
    xml.style = c[k + STYLE]!;
    xml.value = this.textOf(vStart, vEnd, vKind);
    xml.inline = this.textOf(c[k + INLINE_TEXT]!, c[k + INLINE_TEXT + 1]!, c[k + INLINE_TEXT + 2]!);
    return cellValue(xml, this.target.context, rowNumber);
  }

  private textOf(start: number, end: number, kind: number): string | null {
    if (kind === TEXT_ABSENT) return null;
    if (kind === TEXT_ASCII) return this.data.toString('latin1', start, end);
    return decodeText(this.data, start, end);
  }
}

// Plain digits, at most maxDigits of them (15 at most: exact as a double), as a number; -1 otherwise.
function wholeNumber(d: Buffer, start: number, end: number, maxDigits: number): number {
  if (end === start || end - start > maxDigits) return -1;
  let value = 0;
  for (let j = start; j < end; j++) {
    const digit = d[j]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// The longest entity or character reference the scanner reads, between '&' and ';' (#x10FFFF with
// a few leading zeros); longer ones go to the SAX reader.
const MAX_REFERENCE = 10;

// At '&': the position after the ';' of a named entity (amp, lt, gt, quot, apos) or a character
// reference to a character XML allows, else HAND_OVER (any other entity, a malformed or disallowed
// reference) or NEED_MORE.
function referenceEnd(d: Buffer, i: number, end: number): number {
  for (let j = i + 1; j < end && j <= i + 1 + MAX_REFERENCE; j++) {
    if (d[j] === SEMI) return referenceText(d, i + 1, j) === '' ? HAND_OVER : j + 1;
  }
  return i + 1 + MAX_REFERENCE < end ? HAND_OVER : NEED_MORE;
}

// The text of the reference between '&' (start) and ';' (end); '' when the scanner does not read it.
function referenceText(d: Buffer, start: number, end: number): string {
  if (d[start] === 0x23) return characterReference(d, start + 1, end);
  switch (d.toString('latin1', start, end)) {
    case 'amp':
      return '&';
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
    default:
      return '';
  }
}

// "#65" / "#x41" (after the '#'): the character, when XML allows it (Char: tab, LF, CR, U+0020–U+D7FF,
// U+E000–U+FFFD, U+10000–U+10FFFF; the 'x' lower case only), else ''.
function characterReference(d: Buffer, start: number, end: number): string {
  const hex = d[start] === 0x78;
  let j = hex ? start + 1 : start;
  if (j === end) return '';
  let code = 0;
  for (; j < end; j++) {
    const b = d[j]!;
    let digit: number;
    if (b >= 0x30 && b <= 0x39) digit = b - 0x30;
    else if (hex && (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) digit = (b | 0x20) - 0x57;
    else return '';
    code = code * (hex ? 16 : 10) + digit;
  }
  const allowed = code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  return allowed ? String.fromCodePoint(code) : '';
}

// Text the scanner accepted (valid UTF-8, the references referenceEnd takes) → its string.
function decodeText(d: Buffer, start: number, end: number): string {
  let text = '';
  let from = start;
  for (let j = start; j < end; j++) {
    if (d[j] !== AMP) continue;
    const semi = d.indexOf(SEMI, j);
    text += d.toString('utf8', from, j) + referenceText(d, j + 1, semi);
    from = semi + 1;
    j = semi;
  }
  return text + d.toString('utf8', from, end);
}

function hasFffeOrFfff(d: Buffer, start: number, end: number): boolean {
  for (let j = d.indexOf(0xef, start); j >= 0 && j + 2 < end; j = d.indexOf(0xef, j + 1)) {
    if (d[j + 1] === 0xbf && (d[j + 2] === 0xbe || d[j + 2] === 0xbf)) return true;
  }
  return false;
}

function bytesAre(d: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let n = 0; n < text.length; n++) if (d[start + n] !== text.charCodeAt(n)) return false;
  return true;
}

function sameBytes(d: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let n = 0; n < aEnd - aStart; n++) if (d[aStart + n] !== d[bStart + n]) return false;
  return true;
}

// What may follow an element's name: space, '>' or '/'.
function endsName(b: number): boolean {
  return b === 0x20 || b === GT || b === SLASH || b === 0x0a || b === 0x09 || b === 0x0d;
}

// ASCII name characters only; any other goes to the SAX reader.
function startsName(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || b === 0x3a;
}

function isNameByte(b: number): boolean {
  return startsName(b) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e;
}
