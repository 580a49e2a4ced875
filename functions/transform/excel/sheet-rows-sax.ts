// A worksheet part's XML → rows, through a SAX parser (saxes): the reader for every part of the
// worksheet the byte scanner (sheet-data-scanner.ts) does not read — all that is outside
// <sheetData>, and the rest of the rows from the first one the scanner hands over. It is fed bytes;
// the scanner's bytes are simply never written to it, so from its side the rows the scanner read
// were never there, and it checks the whole document's structure as one.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Cell } from '../parsers/file-parser';
import { MalformedFileError } from '../malformed-file-error';
import { cellValue, columnOfRef, noColumnError, type SheetRowsTarget } from './sheet-cell-value';

interface OpenCell {
  column: number;
  type: string;
  style: number;
  formula: boolean;
  value: string | null;
  inline: string | null;
}

export class SaxSheetRows {
  // Set when the last write ended just after the <sheetData> start tag (the scanner may take over).
  sheetDataJustOpened = false;
  private readonly parser = new SaxesParser({ xmlns: false, position: false });
  private readonly decoder = new TextDecoder('utf-8');
  private row: Cell[] | null = null;
  private lastColumn = 0;
  private cell: OpenCell | null = null;
  // Text is collected only inside <v>, and inside <t> of an inline string (not its phonetic <rPh> runs).
  private capture: 'v' | 't' | null = null;
  private inInline = false;
  private inPhonetic = false;

  constructor(private readonly target: SheetRowsTarget) {
    // Thrown from inside the parser, so that the first fault in the part is the one reported: saxes
    // reads on after an error, and a later cell's own error (a missing shared string, say) would
    // otherwise win or not depending on where the chunks happen to end.
    this.parser.on('error', (error) => {
      throw new MalformedFileError(`the worksheet's XML is corrupt: ${error.message.split('\n')[0]}`);
    });
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('text', (text) => {
      const cell = this.cell;
      if (cell === null || this.capture === null) return;
      if (this.capture === 'v') cell.value += text;
      else cell.inline += text;
    });
    this.parser.on('closetag', (tag) => this.close(tag));
  }

  write(bytes: Uint8Array): void {
    this.sheetDataJustOpened = false;
    this.parser.write(this.decoder.decode(bytes, { stream: true }));
  }

  end(): void {
    this.parser.write(this.decoder.decode());
    this.parser.close();
  }

  private open(tag: SaxesTagPlain): void {
    const target = this.target;
    switch (localName(tag.name)) {
      case 'sheetData':
        this.sheetDataJustOpened = tag.name === 'sheetData' && !tag.isSelfClosing;
        break;
      case 'row': {
        const r = tag.attributes.r;
        target.rowNumber = r === undefined ? target.rowNumber + 1 : Number(r);
        this.row = [];
        this.lastColumn = 0;
        const hidden = tag.attributes.hidden;
        if (hidden === '1' || hidden === 'true') target.counts.hiddenRows++;
        break;
      }
      case 'c': {
        if (this.row === null) break;
        const ref = tag.attributes.r;
        let column = this.lastColumn + 1;
        if (ref !== undefined) {
          column = columnOfRef(ref);
          if (column === 0) throw noColumnError(ref);
        }
        this.lastColumn = column;
        this.cell = { column, type: tag.attributes.t ?? 'n', style: Number(tag.attributes.s ?? 0), formula: false, value: null, inline: null };
        break;
      }
      case 'f':
        if (this.cell) this.cell.formula = true;
        break;
      case 'v':
        if (this.cell) {
          this.capture = 'v';
          this.cell.value = '';
        }
        break;
      case 'is':
        if (this.cell) {
          this.inInline = true;
          this.cell.inline = '';
        }
        break;
      case 'rPh':
        this.inPhonetic = true;
        break;
      case 't':
        if (this.cell && this.inInline && !this.inPhonetic) this.capture = 't';
        break;
      case 'mergeCell':
        target.counts.mergedRanges++;
        break;
    }
  }

  private close(tag: { name: string }): void {
    switch (localName(tag.name)) {
      case 'v':
      case 't':
        this.capture = null;
        break;
      case 'is':
        this.inInline = false;
        break;
      case 'rPh':
        this.inPhonetic = false;
        break;
      case 'c': {
        const { row, cell } = this;
        if (row !== null && cell !== null) {
          if (cell.formula) this.target.counts.formulaCells++;
          row[cell.column - 1] = cellValue(cell, this.target.context, this.target.rowNumber);
        }
        this.cell = null;
        break;
      }
      case 'row':
        if (this.row !== null) this.target.batcher.add(this.target.rowNumber, this.row);
        this.row = null;
        break;
    }
  }
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}
