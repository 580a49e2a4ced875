// Which sheet of a workbook a rule reads: `rule.sheet` by name or by 1-based position (counting
// hidden sheets too, as Excel's tab order does), default the first visible sheet. One rule for every
// workbook format.
import type { ImportRule } from '../../../shared/pipeline-definition';
import { MalformedFileError } from '../malformed-file-error';

export interface SheetEntry {
  name: string;
  hidden: boolean;
}

export function chooseSheet(sheets: readonly SheetEntry[], wanted: ImportRule['sheet']): number {
  const listed = () => sheets.map((s) => `"${s.name}"${s.hidden ? ' (hidden)' : ''}`).join(', ');
  if (sheets.length === 0) throw new MalformedFileError('the workbook has no worksheet');
  if (wanted === undefined) {
    const first = sheets.findIndex((s) => !s.hidden);
    if (first < 0) throw new MalformedFileError(`the workbook has no visible sheet (sheets: ${listed()}); name one in the rule's sheet`);
    return first;
  }
  if (typeof wanted === 'number') {
    if (wanted > sheets.length) throw new MalformedFileError(`the workbook has no sheet ${wanted}: it has ${sheets.length} (${listed()})`);
    return wanted - 1;
  }
  const index = sheets.findIndex((s) => s.name === wanted);
  if (index < 0) throw new MalformedFileError(`the workbook has no sheet named "${wanted}" (sheets: ${listed()})`);
  return index;
}

export function hiddenSheetNames(sheets: readonly SheetEntry[]): string[] {
  return sheets.filter((s) => s.hidden).map((s) => s.name);
}
