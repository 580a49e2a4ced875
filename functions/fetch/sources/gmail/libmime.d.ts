// The part of libmime (no types of its own) the Gmail source uses: RFC 2047 encoded words and
// RFC 2231 parameters (charset, continuations) in a part's Content-Type / Content-Disposition.
declare module 'libmime' {
  interface ParsedHeaderValue {
    value: string;
    params: Record<string, string>;
  }
  interface Libmime {
    decodeWords(value: string): string;
    parseHeaderValue(value: string): ParsedHeaderValue;
  }
  const libmime: Libmime;
  export default libmime;
}
