// Resumable upload sessions (Drive's documented protocol): the initiating POST answers a session
// URI; PUTs carry `Content-Range: bytes a-b/total` chunks (or `bytes */total` to ask how far it
// got) and are answered 308 with `Range: bytes=0-n` until the last byte, then 200 with the file.
import crypto from 'node:crypto';
import type { ContentSink } from './drive-content';

export interface PendingFile {
  name: string;
  mimeType: string;
  parentId: string;
  driveId?: string;
  owner?: string;
  appProperties: Record<string, string>;
  properties: Record<string, string>;
  description?: string;
}

export interface UploadSession {
  id: string;
  principal: string;
  pending: PendingFile;
  /** From X-Upload-Content-Length or the first Content-Range with a total. */
  total?: number;
  sink: ContentSink;
  /** `fields` of the initiating request: the final answer is trimmed to it. */
  fields: string | null;
  /** Set once the last byte arrived: later PUTs answer the same file again. */
  fileId?: string;
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  open(o: Omit<UploadSession, 'id'>): UploadSession {
    const session: UploadSession = { ...o, id: 'AHVrFxN' + crypto.randomBytes(24).toString('base64url') };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | null): UploadSession | undefined {
    return id ? this.sessions.get(id) : undefined;
  }

  async clear(): Promise<void> {
    for (const session of this.sessions.values()) if (!session.fileId) await session.sink.abort();
    this.sessions.clear();
  }
}

/** `bytes 0-99/1000`, `bytes 0-99/*`, `bytes *\/1000`. */
export function parseContentRange(header: string | undefined): { start?: number; end?: number; total?: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  return {
    start: m[1] !== undefined ? Number(m[1]) : undefined,
    end: m[2] !== undefined ? Number(m[2]) : undefined,
    total: m[3] !== '*' ? Number(m[3]) : undefined,
  };
}
