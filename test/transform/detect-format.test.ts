// Format by content signature: what the first bytes say wins over the name (format 'auto'), and a
// declared format the content contradicts is refused naming both.
import { deflateRawSync, gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { detectFormat, formatOfZipEntries } from '../../functions/transform/detect-format';
import { MalformedFileError } from '../../functions/transform/malformed-file-error';

// The first local file header of a zip (all detection can see), with its entry stored or deflated.
function zipStart(entryName: string, content: Buffer, stored = false): Buffer {
  const name = Buffer.from(entryName, 'utf8');
  const data = stored ? content : deflateRawSync(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(stored ? 0 : 8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(name.length, 26);
  return Buffer.concat([local, name, data]);
}

const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);

describe('detectFormat (auto)', () => {
  it('reads an HTML table named .xls as HTML, and says so', () => {
    for (const html of ['<html><body><table><tr><td>1</td></tr></table>', '\uFEFF  \r\n<!DOCTYPE html>\n<html>', '<table border=1><tr><th>a</th></tr></table>']) {
      expect(detectFormat(Buffer.from(html, 'utf8'), 'Prices.xls', 'auto')).toEqual({ kind: 'format', format: 'html', detected: 'an HTML table named .xls' });
    }
    expect(detectFormat(iconv.encode('\uFEFF<html><table>', 'utf-16le'), 'Prices.xls', 'auto')).toMatchObject({ format: 'html' });
  });

  it('reads CSV text named .xls as CSV, and says so', () => {
    expect(detectFormat(Buffer.from('id,name\n1,x\n'), 'Export.xls', 'auto')).toEqual({ kind: 'format', format: 'csv', detected: 'CSV text named .xls' });
  });

  it('says nothing when the name agrees or says nothing', () => {
    expect(detectFormat(Buffer.from('a,b\n'), 'x.csv', 'auto')).toEqual({ kind: 'format', format: 'csv' });
    expect(detectFormat(Buffer.from('a,b\n'), 'x.dat', 'auto')).toEqual({ kind: 'format', format: 'csv' });
    expect(detectFormat(OLE2, 'x.xls', 'auto')).toEqual({ kind: 'format', format: 'xls' });
  });

  it('tells workbooks in zip containers by their first entry', () => {
    expect(detectFormat(zipStart('xl/workbook.xml', Buffer.from('<workbook/>')), 'a.xlsx', 'auto')).toEqual({ kind: 'format', format: 'xlsx' });
    expect(detectFormat(zipStart('xl/workbook.bin', Buffer.from([1, 2])), 'a.xlsb', 'auto')).toEqual({ kind: 'format', format: 'xlsb' });
    expect(detectFormat(zipStart('mimetype', Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), true), 'a.ods', 'auto')).toEqual({ kind: 'format', format: 'ods' });
    // [Content_Types].xml first: an Office Open XML package; the name tells XLSB from XLSX.
    expect(detectFormat(zipStart('[Content_Types].xml', Buffer.from('<Types/>')), 'a.csv', 'auto')).toEqual({ kind: 'format', format: 'xlsx', detected: 'an XLSX workbook named .csv' });
    expect(detectFormat(zipStart('[Content_Types].xml', Buffer.from('<Types/>')), 'a.xlsb', 'auto')).toEqual({ kind: 'format', format: 'xlsb' });
    expect(formatOfZipEntries(['[Content_Types].xml', '_rels/.rels', 'xl/workbook.bin'])).toBe('xlsb');
    expect(formatOfZipEntries(['export.csv'])).toBeNull();
  });

  it('hands archives back: a plain zip, gzip', () => {
    expect(detectFormat(zipStart('export.csv', Buffer.from('a,b\n')), 'export.zip', 'auto')).toEqual({ kind: 'archive', archive: 'zip' });
    expect(detectFormat(zipStart('mimetype', Buffer.from('application/vnd.oasis.opendocument.text'), true), 'a.odt', 'auto')).toEqual({ kind: 'archive', archive: 'zip' });
    expect(detectFormat(gzipSync(Buffer.from('a,b\n')).subarray(0, 10), 'x.csv.gz', 'auto')).toEqual({ kind: 'archive', archive: 'gzip' });
    // An archive stays an archive whatever format the rule declares (its members are read as that format).
    expect(detectFormat(gzipSync(Buffer.from('a,b\n')), 'x.csv.gz', 'csv')).toEqual({ kind: 'archive', archive: 'gzip' });
  });
});

describe('detectFormat (declared)', () => {
  it('takes a declared format the content agrees with', () => {
    expect(detectFormat(Buffer.from('a;b\n'), 'x.txt', 'csv')).toEqual({ kind: 'format', format: 'csv' });
    expect(detectFormat(OLE2, 'x.bin', 'xls')).toEqual({ kind: 'format', format: 'xls' });
    expect(detectFormat(zipStart('[Content_Types].xml', Buffer.from('<Types/>')), 'x.zip', 'xlsb')).toEqual({ kind: 'format', format: 'xlsb' });
    expect(detectFormat(Buffer.from('<meta charset=utf-8><table>'), 'x.xls', 'html')).toEqual({ kind: 'format', format: 'html' });
  });

  it('reads an ODF package whose manifest comes before its mimetype (as SheetJS writes it) as ODS, and takes a declared zip workbook format', () => {
    expect(detectFormat(zipStart('META-INF/manifest.xml', Buffer.from('<manifest/>')), 'x.ods', 'auto')).toEqual({ kind: 'format', format: 'ods' });
    expect(detectFormat(zipStart('META-INF/manifest.xml', Buffer.from('<manifest/>')), 'x.ods', 'ods')).toEqual({ kind: 'format', format: 'ods' });
    // A package archive expansion left as a document, whose first entry says nothing: as declared.
    expect(detectFormat(zipStart('content.xml', Buffer.from('<x/>')), 'x.ods', 'ods')).toEqual({ kind: 'format', format: 'ods' });
  });

  it('refuses a declared format the content contradicts, naming both', () => {
    const refused = (head: Buffer, declared: 'xlsx' | 'xls' | 'csv') => {
      try {
        detectFormat(head, 'x.xlsx', declared);
      } catch (error) {
        expect(error).toBeInstanceOf(MalformedFileError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refused(Buffer.from('id,name\n1,x\n'), 'xlsx')).toBe('the rule declares format xlsx, but the content is CSV text');
    expect(refused(OLE2, 'csv')).toBe('the rule declares format csv, but the content is an XLS workbook (OLE2)');
    expect(refused(Buffer.from('<html><table>'), 'xls')).toBe('the rule declares format xls, but the content is an HTML table');
  });
});
