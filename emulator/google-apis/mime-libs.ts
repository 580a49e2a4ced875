// Typed handles on the two CommonJS MIME libraries the double parses mail with. Neither ships
// types, and an ambient `declare module` here could clash with another part of the project
// declaring its own; a createRequire with the few members we use keeps the types local.
// @zone-eu/mailsplit is mailparser's own splitter (same maintainer), present with it.
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';

const require = createRequire(import.meta.url);

export interface HeaderLine {
  key: string;
  line: string;
}

export interface SplitterNode {
  type: 'node';
  root: boolean;
  parentNode: SplitterNode | false | undefined;
  contentType: string | false;
  multipart: string | false;
  disposition: string | false;
  filename: string | false;
  charset: string | false;
  encoding: string | false;
  headers: { getList(): HeaderLine[]; getFirst(key: string): string };
  getDecoder(): Transform;
}

export type SplitterData = SplitterNode | { type: 'body'; value: Buffer; node: SplitterNode } | { type: 'data'; value: Buffer };

export interface MailSplit {
  Splitter: new (options?: { ignoreEmbedded?: boolean; defaultInlineEmbedded?: boolean }) => Transform;
}

export interface LibMime {
  decodeWords(value: string): string;
}

export const mailsplit = require('@zone-eu/mailsplit') as MailSplit;
export const libmime = require('libmime') as LibMime;
