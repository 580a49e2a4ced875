// The part of unzipper (0.10, exceljs' zip reader, declared here as a direct dependency) that the
// streamed .xlsx walk uses: a Transform from zip bytes to one stream per entry, in zip order.
declare module 'unzipper' {
  import type { PassThrough, Transform } from 'node:stream';
  export interface Entry extends PassThrough {
    path: string;
    type: 'File' | 'Directory';
    autodrain(): { promise(): Promise<void> };
  }
  export function Parse(options?: { forceStream?: boolean }): Transform;
  const unzipper: { Parse: typeof Parse };
  export default unzipper;
}
