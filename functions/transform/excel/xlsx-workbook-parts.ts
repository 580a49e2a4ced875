// The workbook-wide parts of an .xlsx, parsed by exceljs' part readers (those of its streaming
// WorkbookReader, used one part at a time): the workbook part (sheet names, visibility, date1904),
// its relationships (which worksheet part holds which sheet), the shared strings and the styles
// (number format codes). The zip walk and the worksheet rows are Sluice's (parsers/xlsx.ts,
// xlsx-sheet-rows.ts).
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { SheetEntry } from './choose-sheet';
import { unescapeXstring } from './sheet-cell-value';

// What is used of exceljs' reader beyond its published types (exceljs 4.4.0,
// lib/stream/xlsx/workbook-reader.js).
type SharedString = string | null | { richText: Array<{ text: string | null }> };
interface ReaderInternals {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  sharedStrings?: SharedString[];
  styles: { getStyleModel(id: number): { numFmt?: string } | null };
  properties?: { model?: { date1904?: boolean } };
  model?: { sheets?: Array<{ name: string; state?: string; rId: string }> };
  workbookRels?: Array<{ Id: string; Target: string }>;
}
const ReaderBase = (ExcelJS.stream.xlsx.WorkbookReader as unknown) as new (input: undefined, options: object) => ReaderInternals;

export const WORKBOOK_PART = 'xl/workbook.xml';
export const WORKBOOK_RELS_PART = 'xl/_rels/workbook.xml.rels';
export const SHARED_STRINGS_PART = 'xl/sharedStrings.xml';
export const STYLES_PART = 'xl/styles.xml';
export const isWorksheetPart = (path: string) => /^xl\/worksheets\/[^/]+\.xml$/.test(path);

export class WorkbookParts {
  private readonly reader = new ReaderBase(undefined, { sharedStrings: 'cache', styles: 'cache', worksheets: 'emit', hyperlinks: 'ignore', entries: 'ignore' });
  private readonly formats = new Map<number, string | undefined>();
  sharedStringsRead = false;
  stylesRead = false;

  isPart(path: string): boolean {
    return path === WORKBOOK_RELS_PART || path === WORKBOOK_PART || path === SHARED_STRINGS_PART || path === STYLES_PART;
  }

  // Reads `entry` when it is a workbook-wide part; false when it is not one.
  async read(path: string, entry: Readable): Promise<boolean> {
    switch (path) {
      case WORKBOOK_RELS_PART:
        await this.reader._parseRels(entry);
        return true;
      case WORKBOOK_PART:
        await this.reader._parseWorkbook(entry);
        return true;
      case SHARED_STRINGS_PART:
        // exceljs decodes each chunk on its own, so a multi-byte character split across two chunks
        // became U+FFFD; a stream with an encoding set hands it whole characters instead.
        entry.setEncoding('utf8');
        for await (const _ of this.reader._parseSharedStrings(entry));
        this.sharedStringsRead = true;
        return true;
      case STYLES_PART:
        await this.reader._parseStyles(entry);
        this.stylesRead = true;
        return true;
      default:
        return false;
    }
  }

  // Known once the workbook part and its relationships are read.
  get structureKnown(): boolean {
    return this.reader.model?.sheets !== undefined && this.reader.workbookRels !== undefined;
  }

  sheets(): SheetEntry[] {
    return (this.reader.model?.sheets ?? []).map((s) => ({ name: s.name, hidden: s.state === 'hidden' || s.state === 'veryHidden' }));
  }

  // The zip path of the part holding that sheet (relationship targets are relative to xl/, or absolute).
  partOf(sheetName: string): string | undefined {
    const sheet = this.reader.model?.sheets?.find((s) => s.name === sheetName);
    const target = this.reader.workbookRels?.find((rel) => rel.Id === sheet?.rId)?.Target;
    if (target === undefined) return undefined;
    return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
  }

  get date1904(): boolean {
    return this.reader.properties?.model?.date1904 === true;
  }

  sharedString(index: number): string | undefined {
    const strings = this.reader.sharedStrings ?? [];
    if (!(index in strings)) return undefined;
    const entry = strings[index];
    if (entry === null || entry === undefined) return '';
    return unescapeXstring(typeof entry === 'string' ? entry : entry.richText.map((run) => run.text ?? '').join(''));
  }

  formatCode(style: number): string | undefined {
    if (!this.formats.has(style)) this.formats.set(style, this.reader.styles.getStyleModel(style)?.numFmt);
    return this.formats.get(style);
  }
}
