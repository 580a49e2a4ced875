// Gmail `payload` trees (messages.get format=full) in the shapes real mail takes, for the unit tests.
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';

type Part = gmail_v1.Schema$MessagePart;

const h = (name: string, value: string) => ({ name, value });

export function textPart(partId: string, mimeType = 'text/plain'): Part {
  return { partId, mimeType, filename: '', headers: [h('Content-Type', `${mimeType}; charset="UTF-8"`)], body: { size: 5, data: 'aGVsbG8' } };
}

export function attachmentPart(partId: string, filename: string, options: { mimeType?: string; size?: number; data?: string; headers?: gmail_v1.Schema$MessagePartHeader[] } = {}): Part {
  const mimeType = options.mimeType ?? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  return {
    partId,
    mimeType,
    filename,
    headers: options.headers ?? [h('Content-Type', `${mimeType}; name="${filename}"`), h('Content-Disposition', `attachment; filename="${filename}"`), h('Content-Transfer-Encoding', 'base64')],
    body: options.data !== undefined ? { size: options.size ?? 3, data: options.data } : { size: options.size ?? 1234, attachmentId: `ANGjdJ_${partId}_x` },
  };
}

// multipart/mixed { multipart/alternative { text, html }, prices.xlsx, prices.xlsx (again) }
export const mixedWithDuplicates: Part = {
  partId: '',
  mimeType: 'multipart/mixed',
  filename: '',
  headers: [h('From', 'Acme Billing <billing@acme.example>'), h('Subject', 'Prices for March'), h('Date', 'Sun, 1 Mar 2026 23:30:00 -0500'), h('Content-Type', 'multipart/mixed; boundary="b1"')],
  body: { size: 0 },
  parts: [
    { partId: '0', mimeType: 'multipart/alternative', filename: '', headers: [h('Content-Type', 'multipart/alternative; boundary="b2"')], body: { size: 0 }, parts: [textPart('0.0'), textPart('0.1', 'text/html')] },
    attachmentPart('1', 'prices.xlsx'),
    attachmentPart('2', 'Prices.xlsx', { mimeType: 'application/octet-stream' }),
  ],
};

// multipart/alternative { text, multipart/related { html, logo.png (inline, no name) }, multipart/mixed { orders.csv inline in body.data } }
export const nestedInsideAlternative: Part = {
  partId: '',
  mimeType: 'multipart/alternative',
  filename: '',
  headers: [h('From', 'pos@store.example'), h('Subject', 'Orders')],
  body: { size: 0 },
  parts: [
    textPart('0'),
    {
      partId: '1', mimeType: 'multipart/related', filename: '', body: { size: 0 },
      parts: [textPart('1.0', 'text/html'), { partId: '1.1', mimeType: 'image/png', filename: '', headers: [h('Content-ID', '<logo>'), h('Content-Disposition', 'inline')], body: { size: 100, attachmentId: 'img' } }],
    },
    { partId: '2', mimeType: 'multipart/mixed', filename: '', body: { size: 0 }, parts: [attachmentPart('2.0', 'orders.csv', { mimeType: 'text/csv', data: Buffer.from('a,b\n1,2\n').toString('base64url'), size: 8 })] },
  ],
};

// multipart/mixed { text, message/rfc822 { multipart/mixed { text, report.xls } } }
export const forwarded: Part = {
  partId: '',
  mimeType: 'multipart/mixed',
  filename: '',
  headers: [h('From', 'me@finance.example'), h('Subject', 'Fwd: report')],
  body: { size: 0 },
  parts: [
    textPart('0'),
    {
      partId: '1', mimeType: 'message/rfc822', filename: '', headers: [h('Content-Type', 'message/rfc822')], body: { size: 0 },
      parts: [{ partId: '1.0', mimeType: 'multipart/mixed', filename: '', body: { size: 0 }, parts: [textPart('1.0.0'), attachmentPart('1.0.1', 'report.xls', { mimeType: 'application/vnd.ms-excel' })] }],
    },
  ],
};

// Encoded names: RFC 2047 in Content-Type's name, RFC 2231 (charset + continuations) in the disposition.
export const encodedNames: Part = {
  partId: '',
  mimeType: 'multipart/mixed',
  filename: '',
  headers: [h('From', 'x@y.example'), h('Subject', 'names')],
  body: { size: 0 },
  parts: [
    attachmentPart('0', '=?UTF-8?B?UHJlaXNlIMOEbmRlcnVuZy54bHN4?=', { headers: [h('Content-Type', 'application/octet-stream; name="=?UTF-8?B?UHJlaXNlIMOEbmRlcnVuZy54bHN4?="')] }),
    attachmentPart('1', 'ignored', {
      headers: [h('Content-Type', 'application/octet-stream'), h('Content-Disposition', "attachment; filename*0*=UTF-8''%E6%9D%B1%E4%BA%AC; filename*1*=%E5%A3%B2%E4%B8%8A.csv")],
    }),
  ],
};
