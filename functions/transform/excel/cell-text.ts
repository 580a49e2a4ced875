// A spreadsheet cell's value → staged text, the same for every workbook reader (streamed XLSX and
// the SheetJS formats), so a date or a number reads the same whatever the file format:
// - numbers: plain decimal, 15 significant digits (plain-number.ts);
// - numbers whose format code is a date code (number-format.ts) are dates: 'YYYY-MM-DD' for a date,
//   ISO-8601 with the rule's zone offset for a date-time (zone-offset.ts), 'HH:MM:SS' for a time of
//   day, 'H:MM:SS' (hours past 24 allowed) for an elapsed duration; seconds rounded (serial-date.ts);
// - booleans 'true' / 'false'; error cells (#N/A, #DIV/0!, …) null, counted.
import type { Cell } from '../parsers/file-parser';
import { numberKind } from './number-format';
import { plainNumber } from './plain-number';
import { pad, serialSeconds, serialToWallClock } from './serial-date';
import { ZoneOffsets } from './zone-offset';

export interface CellTextOptions {
  // The workbook's date system (workbook property date1904).
  date1904: boolean;
  // The rule's zone: date-time cells are wall-clock times there.
  timeZone: string;
}

export class CellText {
  // Error cells staged as null (ParseFacts.errorCells).
  errorCells = 0;
  // Date cells whose serial names no day (Excel's phantom 1900-02-29, a negative serial), staged as null.
  impossibleDates = 0;
  private readonly zone: ZoneOffsets;

  constructor(private readonly options: CellTextOptions) {
    this.zone = new ZoneOffsets(options.timeZone);
  }

  number(value: number, formatCode: string | undefined): Cell {
    const kind = numberKind(formatCode);
    if (kind === 'number') return plainNumber(value);
    if (kind === 'time' || kind === 'duration') return this.clockText(value, kind);
    const clock = serialToWallClock(value, this.options.date1904);
    if (clock === null) {
      this.impossibleDates++;
      return null;
    }
    return kind === 'date' ? clock.date : this.zone.toIso(clock);
  }

  boolean(value: boolean): Cell {
    return value ? 'true' : 'false';
  }

  error(): Cell {
    this.errorCells++;
    return null;
  }

  // Notes for ParseFacts about what the counters hold.
  notes(): string[] {
    if (this.impossibleDates === 0) return [];
    return [`${this.impossibleDates} date cell(s) held a serial that names no day (Excel's nonexistent 1900-02-29, or a negative serial), staged as NULL`];
  }

  private clockText(value: number, kind: 'time' | 'duration'): Cell {
    if (!Number.isFinite(value)) return null;
    const total = serialSeconds(value);
    if (kind === 'time') {
      // A time of day: the date part (if any) is not shown by the format, so it is not staged.
      const ofDay = ((total % 86_400) + 86_400) % 86_400;
      return `${pad(Math.floor(ofDay / 3600))}:${pad(Math.floor(ofDay / 60) % 60)}:${pad(ofDay % 60)}`;
    }
    const sign = total < 0 ? '-' : '';
    const abs = Math.abs(total);
    return `${sign}${Math.floor(abs / 3600)}:${pad(Math.floor(abs / 60) % 60)}:${pad(abs % 60)}`;
  }
}
