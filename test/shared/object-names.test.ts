// The bucket layout's names: what Cloud Storage and the layout can hold, and that every such name
// parses back to the location it was built from.
import { describe, expect, it } from 'vitest';
import { archiveMemberPath, archiveMemberPathProblem, cloudStorageNameProblem, fileLocationProblem, objectName, parseObjectName, printableName } from '../../shared/object-names';

const at = (path: string) => ({ pipeline: 'restaurant-pos', runId: 'run-20261121060000-17', path });

describe('fileLocationProblem', () => {
  it.each([
    ['U+2028 (line separator)', '20261121/Orders\u2028.csv', /U\+2028/],
    ['U+2029 (paragraph separator)', '20261121/Orders\u2029.csv', /U\+2029/],
    ['CR/LF', '20261121/Orders\r\n.csv', /U\+000D/],
    ['LF', '20261121/Orders\n.csv', /U\+000A/],
    ['NUL', '20261121/Orders\u0000.csv', /U\+0000/],
    ['a C1 control', '20261121/Orders\u0085.csv', /U\+0085/],
    ['DEL', '20261121/Orders\u007f.csv', /U\+007F/],
    ['a ../ segment', '20261121/../Orders.csv', /".." segment/],
    ['a ./ segment', '20261121/./Orders.csv', /"\." segment/],
    ['an absolute path', '/etc/passwd', /absolute/],
    ['an empty segment', '20261121//Orders.csv', /empty segment/],
    ['a lone surrogate', '20261121/Orders\uD800.csv', /surrogate/],
    ['1,025 bytes', `20261121/${'é'.repeat(300)}${'a'.repeat(1025 - 9 - 600)}`, /bytes of UTF-8, over Cloud Storage's 1024/],
  ])('refuses a name with %s', (_label, path, reason) => {
    expect(fileLocationProblem(at(path))).toMatch(reason);
  });

  it('refuses a name whose raw name fits but whose staged name would not', () => {
    const raw = objectName('raw', at('20261121/'));
    const path = `20261121/${'a'.repeat(1024 - Buffer.byteLength(raw))}`;
    expect(Buffer.byteLength(objectName('raw', at(path)))).toBe(1024);
    expect(fileLocationProblem(at(path))).toMatch(/staged area/);
  });

  it.each([
    ['a plain name', '20261121/OrderDetails.csv'],
    ['spaces, quotes and #', "20261121/Order Details 'final' #2.csv"],
    ['non-Latin letters and an emoji', '20261121/Заказы-注文-📦.csv'],
    ['a leading dot', '20261121/.hidden.csv'],
  ])('accepts %s, and it parses back from every area', (_label, path) => {
    expect(fileLocationProblem(at(path))).toBeNull();
    for (const area of ['raw', 'staged', 'archive', 'quarantine'] as const) {
      expect(parseObjectName(objectName(area, at(path)))).toEqual({ area, ...at(path) });
    }
  });
});

describe('parseObjectName', () => {
  it('takes the file path whatever it holds, line terminators included', () => {
    expect(parseObjectName('raw/p/run-1/20261121/a\u2028b\nc.csv')).toEqual({ area: 'raw', pipeline: 'p', runId: 'run-1', path: '20261121/a\u2028b\nc.csv' });
  });

  it.each(['raw/p/run-1', 'raw/p/run-1/', 'other/p/run-1/x.csv', 'raw/P/run-1/x.csv', 'raw/p/run.1/x.csv', 'raw//run-1/x.csv'])('returns null for %j', (name) => {
    expect(parseObjectName(name)).toBeNull();
  });
});

describe('cloudStorageNameProblem', () => {
  it.each([
    ['', /empty/],
    ['.', /refuses the name/],
    ['..', /refuses the name/],
    ['.well-known/acme-challenge/x', /acme-challenge/],
    ['a\rb', /carriage return or line feed/],
    ['a'.repeat(1025), /1025 bytes/],
  ])('refuses %j', (name, reason) => {
    expect(cloudStorageNameProblem(name)).toMatch(reason);
  });

  it('accepts 1,024 bytes', () => expect(cloudStorageNameProblem('a'.repeat(1024))).toBeNull());
});

it('printableName spells out what could break a line', () => {
  expect(printableName('a\r\nb\u2028c\u0000d')).toBe('a\\u000d\\u000ab\\u2028c\\u0000d');
});

describe('archive members', () => {
  it('live under their archive\'s path, so their base name is their own', () => {
    expect(archiveMemberPath('20261121/export.zip', 'sub/Items.csv')).toBe('20261121/export.zip/sub/Items.csv');
  });

  it('refuse names that leave the archive, start at a root or hold control characters', () => {
    for (const fine of ['Items.csv', 'sub/Items.csv', 'a..b.csv', 'Zoë/Prix €.csv']) expect(archiveMemberPathProblem(fine), fine).toBeNull();
    expect(archiveMemberPathProblem('../evil.csv')).toMatch(/climbs out/);
    expect(archiveMemberPathProblem('sub/../../evil.csv')).toMatch(/climbs out/);
    expect(archiveMemberPathProblem('/abs.csv')).toMatch(/absolute/);
    expect(archiveMemberPathProblem('C:/x.csv')).toMatch(/drive letter/);
    expect(archiveMemberPathProblem('c:x.csv')).toMatch(/drive letter/);
    expect(archiveMemberPathProblem('sub\\x.csv')).toMatch(/backslash/);
    expect(archiveMemberPathProblem('x\u0000.csv')).toMatch(/U\+0000/);
    expect(archiveMemberPathProblem('x\n.csv')).toMatch(/U\+000A/);
    expect(archiveMemberPathProblem('x\u2028.csv')).toMatch(/U\+2028/);
    expect(archiveMemberPathProblem('a//b.csv')).toMatch(/empty or "\." segment/);
    expect(archiveMemberPathProblem('./b.csv')).toMatch(/empty or "\." segment/);
    expect(archiveMemberPathProblem('')).toMatch(/empty/);
  });
});
