// Unit tests: attachments inside a forwarded message Gmail hands over whole (message/rfc822 leaf).
import { describe, expect, it } from 'vitest';
import { attachmentsInEmbedded } from '../../../../functions/fetch/sources/gmail/embedded-messages';
import { mailPartsOf } from '../../../../functions/fetch/sources/gmail/mime-parts';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));
const inner = (name: string) => [
  'From: vendor@elsewhere.example',
  'Subject: report',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="in"',
  '',
  '--in',
  'Content-Type: text/plain',
  '',
  'attached',
  '--in',
  'Content-Type: application/octet-stream',
  `Content-Disposition: attachment; ${name}`,
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('a,b\n1,2\n').toString('base64'),
  '--in',
  'Content-Type: image/png',
  'Content-Disposition: inline',
  'Content-ID: <logo>',
  'Content-Transfer-Encoding: base64',
  '',
  'iVBORw0KGgo=',
  '--in--',
  '',
];

describe('forwarded messages Gmail did not expand', () => {
  it('finds a message/rfc822 leaf in the payload, inline or by attachment id', () => {
    const parts = mailPartsOf({
      mimeType: 'multipart/mixed', partId: '', parts: [
        { partId: '0', mimeType: 'text/plain', filename: '', body: { size: 2, data: 'aGk' } },
        { partId: '1', mimeType: 'message/rfc822', filename: '', body: { size: 500, data: 'RnJvbTog' } },
        { partId: '2', mimeType: 'message/rfc822', filename: 'fwd.eml', body: { size: 900, attachmentId: 'att-2' } },
      ],
    });
    expect(parts.attachments).toEqual([]);
    expect(parts.embedded).toEqual([{ partId: '1', size: 500, data: 'RnJvbTog' }, { partId: '2', size: 900, attachmentId: 'att-2' }]);
  });

  it('reads its attachments (RFC 2231 names decoded), recursing into a forward inside it, skipping nameless inline images', async () => {
    const nested = crlf([
      'From: me@finance.example',
      'Subject: Fwd: report',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="out"',
      '',
      '--out',
      'Content-Type: text/plain',
      '',
      'see below',
      '--out',
      'Content-Type: message/rfc822',
      '',
      ...inner("filename*=UTF-8''%E6%9D%B1%E4%BA%AC.csv"),
      '--out--',
      '',
    ]);
    const found = await attachmentsInEmbedded({ partId: '1', size: nested.length, data: nested.toString('base64url') }, async (e) => Buffer.from(e.data ?? '', 'base64url'));
    expect(found.map((a) => [a.partId, a.fileName, a.size])).toEqual([['1:1:1', '東京.csv', 8]]);
    expect(Buffer.from(found[0]!.data ?? '', 'base64url').toString()).toBe('a,b\n1,2\n');
  });
});
