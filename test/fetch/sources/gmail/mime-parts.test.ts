// Unit tests: the attachments of Gmail's payload trees in the shapes real mail takes.
import { describe, expect, it } from 'vitest';
import { attachmentsOf, headerValue, numbered, withUniqueNames } from '../../../../functions/fetch/sources/gmail/mime-parts';
import { encodedNames, forwarded, mixedWithDuplicates, nestedInsideAlternative } from './payloads';

describe('attachments of a Gmail payload', () => {
  it('finds attachments beside a multipart/alternative body and names a repeated file uniquely, whatever its MIME type', () => {
    const found = attachmentsOf(mixedWithDuplicates);
    expect(found.map((a) => [a.partId, a.fileName, a.originalName, a.mimeType])).toEqual([
      ['1', 'prices.xlsx', 'prices.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['2', 'Prices (2).xlsx', 'Prices.xlsx', 'application/octet-stream'],
    ]);
    expect(found[0]).toMatchObject({ size: 1234, attachmentId: 'ANGjdJ_1_x' });
    expect(found[0]!.data).toBeUndefined();
  });

  it('finds a multipart/mixed nested in multipart/alternative, keeps inline body data, and ignores an inline image without a name', () => {
    const found = attachmentsOf(nestedInsideAlternative);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ partId: '2.0', fileName: 'orders.csv', size: 8 });
    expect(Buffer.from(found[0]!.data ?? '', 'base64url').toString()).toBe('a,b\n1,2\n');
    expect(found[0]!.attachmentId).toBeUndefined();
  });

  it('finds the attachment a forwarded message/rfc822 carries', () => {
    expect(attachmentsOf(forwarded).map((a) => [a.partId, a.fileName])).toEqual([['1.0.1', 'report.xls']]);
  });

  it('decodes RFC 2047 words and RFC 2231 parameters (charset, continuations)', () => {
    expect(attachmentsOf(encodedNames).map((a) => a.fileName)).toEqual(['Preise Änderung.xlsx', '東京売上.csv']);
  });

  it('reads headers case-insensitively and numbers names before the extension', () => {
    expect(headerValue(mixedWithDuplicates, 'subject')).toBe('Prices for March');
    expect(numbered('a.b.csv', 3)).toBe('a.b (3).csv');
    expect(numbered('README', 2)).toBe('README (2)');
    expect(numbered('.hidden', 2)).toBe('.hidden (2)');
    expect(withUniqueNames([{ fileName: 'x.csv' }, { fileName: 'x (2).csv' }, { fileName: 'X.csv' }]).map((i) => i.fileName)).toEqual(['x.csv', 'x (2).csv', 'X (3).csv']);
  });

  it('has nothing for an empty payload or a message without attachments', () => {
    expect(attachmentsOf(undefined)).toEqual([]);
    expect(attachmentsOf({ mimeType: 'text/plain', filename: '', body: { size: 3, data: 'YWJj' } })).toEqual([]);
  });
});
