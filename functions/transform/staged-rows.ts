// The shared row reader: a file's rows as cells (from any parser) → the staged CSV's lines, the
// columns and their inferred types, and what the run record says about the rows. Header row choice
// and renames, footer skipping, width/NUL/BOM checks, type inference over the whole stream (one pass:
// the staged values do not depend on the types: only trimmed, empty → NULL).
// transform-file.ts drives it for every parser; the CSV byte path (csv-bytes/) drives it too, for the
// header and for any row it does not stage from the bytes itself, so both paths say the same.
import type { ImportRule } from '../../shared/pipeline-definition';
import type { StagedColumn } from '../../shared/staged-sidecar';
import { formatCsvLine, formatTypedCsvLine } from './format-csv-line';
import { headerRowChoice, nonEmptyCells, type HeaderRowChoice } from './header-row';
import { ColumnTypeInference, type TimeRange } from './infer-column-types';
import { MalformedFileError } from './malformed-file-error';
import { isSourceRowError, type Cell, type ParseFacts, type SourceRowError } from './parsers/file-parser';
import { stagedColumnsOf } from './staged-columns';

export interface TransformSummary {
  columns: StagedColumn[];
  rows: number;
  timeRanges: Record<string, TimeRange>;
  // How the source was read, for the run record and the log (not the sidecar).
  facts: ParseFacts;
}

export interface TransformFileOptions {
  // Set when the format was detected from the content and differs from what the name says.
  detected?: string;
}

// Where the staged lines go (a string buffer, or the byte path's output buffer).
export interface StagedLines {
  text(line: string): void;
}

// Whether String.prototype.trim could change the value: only when it starts or ends with a character
// outside printable ASCII (trim strips Unicode spaces too, such as U+00A0, U+3000 and U+FEFF). The
// usual value then skips the call.
function mayNeedTrim(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first <= 0x20 || first >= 0x7f || last <= 0x20 || last >= 0x7f;
}

// Trimmed values, empty → NULL, written over the row's own cells (the reader owns the rows a parser
// yields: no second array per row); null for a row without any value (a blank row).
export function valuesOf(row: Cell[]): Array<string | null> | null {
  const n = row.length;
  let any = false;
  for (let i = 0; i < n; i++) {
    const cell = row[i];
    if (cell === null || cell === undefined) {
      row[i] = null;
      continue;
    }
    const value = cell.length > 0 && mayNeedTrim(cell) ? cell.trim() : cell;
    if (value === '') row[i] = null;
    else {
      row[i] = value;
      any = true;
    }
  }
  return any ? row : null;
}

interface HeldRow {
  values: Array<string | null>;
  first: Cell | undefined;
  sourceRow: number;
}

function withoutUndefined(facts: ParseFacts): ParseFacts {
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as unknown as ParseFacts;
}

export class StagedRows {
  readonly headerless: boolean;
  columns: StagedColumn[] | null = null;
  inference: ColumnTypeInference | null = null;
  // The header's width (0 until there is a header).
  width = 0;
  rows = 0;
  headerRow = 0;
  // Set when rows.stopAtEmptyRow ended the data: no more rows are taken.
  endedAtRow: number | undefined;
  private lastRow = 0;
  private readonly choice: HeaderRowChoice;
  private readonly skipFooter: number;
  private readonly held: HeldRow[] = [];
  private readonly notes: string[] = [];

  constructor(private readonly rule: ImportRule, private readonly strictWidth: boolean, private readonly out: StagedLines) {
    this.headerless = !rule.csv.header;
    this.choice = headerRowChoice(rule);
    this.skipFooter = rule.rows.skipFooter;
    if (this.headerless) {
      this.setColumns([...(rule.csv.columns ?? [])]);
      out.text(formatCsvLine((this.columns as StagedColumn[]).map((c) => c.name)));
    }
  }

  private setColumns(sourceNames: string[]): StagedColumn[] {
    const staged = stagedColumnsOf(sourceNames, this.rule);
    for (const key of staged.unusedRenames) this.notes.push(`rename "${key}" matched no column`);
    this.columns = staged.columns;
    this.inference = new ColumnTypeInference(staged.columns.map((c) => c.name), staged.declared);
    this.width = staged.columns.length;
    return staged.columns;
  }

  // Rows as the user counts them: data rows from 1 below the header (or from the top without one),
  // and the row of the source as well when the header is not its first row (a title block above).
  dataRow(sourceRow: number): number {
    return this.headerless ? sourceRow : sourceRow - this.headerRow;
  }

  rowName(sourceRow: number): string {
    const row = this.dataRow(sourceRow);
    return !this.headerless && this.headerRow > 1 ? `row ${row} (source row ${sourceRow})` : `row ${row}`;
  }

  // The next row of the source, as cells: offered as the header until there is one, then taken as
  // data. false: the data ended (rows.stopAtEmptyRow) and no more rows are to be read.
  next(row: Cell[], sourceRow: number, mayHoldNul: boolean): boolean {
    if (this.columns === null) {
      this.offerHeader(row, sourceRow);
      return true;
    }
    return this.take(row, sourceRow, mayHoldNul);
  }

  // What a reader throws for an error met while reading: a parser's SourceRowError in the user's
  // terms (fromSourceRowError), anything else as it is.
  reported(error: unknown): unknown {
    return isSourceRowError(error) ? this.fromSourceRowError(error) : error;
  }

  // A row above or at the header (no columns yet): the header when the rule's choice says so.
  offerHeader(row: Cell[], sourceRow: number): void {
    if (nonEmptyCells(row) > 0) this.lastRow = sourceRow;
    if (!this.choice.isHeader(row, sourceRow)) return;
    this.headerRow = sourceRow;
    if (nonEmptyCells(row) === 0) throw new MalformedFileError(`row ${sourceRow}, the header row (rows.header), is empty`);
    let cells = row;
    // A sheet's used range often runs past the last header: those empty cells are not columns.
    if (!this.strictWidth) {
      let end = cells.length;
      while (end > 0 && nonEmptyCells([cells[end - 1] ?? null]) === 0) end--;
      cells = cells.slice(0, end);
    }
    const columns = this.setColumns(cells.map((cell) => (cell ?? '').trim()));
    this.out.text(formatCsvLine(columns.map((c) => c.name)));
  }

  // A row below the header, its cells as the parser gave them. false: the data ended here
  // (rows.stopAtEmptyRow) and no more rows are to be read.
  take(row: Cell[], sourceRow: number, mayHoldNul: boolean): boolean {
    const first = row[0];
    const values = valuesOf(row);
    if (values === null) {
      if (this.rule.rows.stopAtEmptyRow) {
        this.endedAtRow = sourceRow;
        return false;
      }
      return true;
    }
    if (this.skipFooter === 0) this.emit(values, first, sourceRow, mayHoldNul);
    else {
      // The last `skipFooter` rows with values are held back until the file shows more rows below
      // them: at the end, the ones still held are the footer.
      this.held.push({ values, first, sourceRow });
      if (this.held.length > this.skipFooter) {
        const next = this.held.shift() as HeldRow;
        this.emit(next.values, next.first, next.sourceRow, mayHoldNul);
      }
    }
    return true;
  }

  // One data row, checked and written.
  private emit(values: Array<string | null>, first: Cell | undefined, sourceRow: number, mayHoldNul: boolean): void {
    const cols = this.columns as StagedColumn[];
    const width = this.width;
    // A byte-order mark opening a later line is where a second export was appended to the first
    // (its header usually follows): loading on would take that header as data (corpus case bom-mid).
    if (typeof first === 'string' && first.charCodeAt(0) === 0xfeff) {
      throw new MalformedFileError(`${this.rowName(sourceRow)} starts with a byte-order mark: two files joined into one?`, this.dataRow(sourceRow));
    }
    if (values.length !== width) {
      if (this.strictWidth) throw new MalformedFileError(`${this.rowName(sourceRow)} has ${values.length} fields, the header has ${width}`, this.dataRow(sourceRow));
      if (values.length < width) {
        for (let i = values.length; i < width; i++) values.push(null);
      } else {
        for (let i = width; i < values.length; i++) {
          if (values[i] !== null) throw new MalformedFileError(`${this.rowName(sourceRow)} has a value in column ${i + 1}, past the header's ${width} columns`, this.dataRow(sourceRow));
        }
        values.length = width;
      }
    }
    if (mayHoldNul) {
      for (let i = 0; i < width; i++) {
        // PostgreSQL text cannot hold NUL: COPY would refuse the file at load; here the reason names
        // the column too (corpus case nul-in-cell).
        if (values[i]?.includes('\u0000')) {
          throw new MalformedFileError(`${this.rowName(sourceRow)}, column "${cols[i]?.sourceName}": a NUL character, which PostgreSQL text cannot hold`, this.dataRow(sourceRow));
        }
      }
    }
    const inference = this.inference as ColumnTypeInference;
    inference.observe(values);
    this.out.text(formatTypedCsvLine(values, inference.typed));
    this.rows++;
  }

  // A parser's SourceRowError in the user's terms: above the header, the header, or a data row (and
  // its column, when known).
  fromSourceRowError(error: SourceRowError): MalformedFileError {
    const columns = this.columns;
    if (!this.headerless && (columns === null || error.sourceRow <= this.headerRow)) {
      const header = this.rule.rows.header;
      const headerAt = columns !== null ? this.headerRow : typeof header === 'number' ? header : 0;
      if (error.sourceRow < headerAt) return new MalformedFileError(`${error.problem} (source row ${error.sourceRow}, above the header)`);
      return new MalformedFileError(error.column !== undefined ? `the header row has ${error.problem}` : `${error.problem} (the header row)`);
    }
    const row = this.dataRow(error.sourceRow);
    const column = error.column !== undefined ? columns?.[error.column] : undefined;
    if (column) return new MalformedFileError(`${this.rowName(error.sourceRow)}, column "${column.sourceName}": ${error.problem}`, row);
    return new MalformedFileError(`${error.problem} (${this.rowName(error.sourceRow)})`, row);
  }

  // The end of the rows: what a file without a header or without rows is refused for.
  end(): void {
    if (this.columns === null) throw new MalformedFileError(this.choice.missing(this.lastRow));
    // A header-only file is a legitimate "nothing today" export; a header-less file with no rows is just empty.
    if (this.headerless && this.rows === 0) throw new MalformedFileError('the file is empty: no rows');
  }

  // Once the staged lines are all written: the columns with their types, and the facts for the run.
  summary(source: ParseFacts, options: TransformFileOptions): TransformSummary {
    if (!this.columns || !this.inference) throw new MalformedFileError('the file is empty: no header row');
    const inferred = this.inference.result();
    const columns = this.columns.map((c, i) => ({ ...c, type: inferred.types[i] ?? 'text' }));
    const notes = [...(source.notes ?? []), ...this.notes];
    const facts = withoutUndefined({
      ...source,
      detected: options.detected ?? source.detected,
      headerRow: this.headerless ? undefined : this.headerRow,
      footerRows: this.skipFooter > 0 ? this.held.length : undefined,
      endedAtRow: this.endedAtRow,
      notes: notes.length > 0 ? notes : undefined,
    });
    return { columns, rows: this.rows, timeRanges: inferred.timeRanges, facts };
  }
}
