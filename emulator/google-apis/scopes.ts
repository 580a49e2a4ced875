// OAuth scope names and which of them each API route accepts (any one suffices, as at Google).
const AUTH = 'https://www.googleapis.com/auth/';

/** 'gmail.readonly' → its URL; full URLs and 'https://mail.google.com/' pass through. */
export function expandScope(scope: string): string {
  if (scope.includes('://') || scope === 'openid' || scope === 'email' || scope === 'profile') return scope;
  if (scope === 'mail.google.com') return 'https://mail.google.com/';
  return AUTH + scope;
}

export const SCOPES = {
  gmailFull: 'https://mail.google.com/',
  gmailModify: AUTH + 'gmail.modify',
  gmailReadonly: AUTH + 'gmail.readonly',
  gmailMetadata: AUTH + 'gmail.metadata',
  gmailLabels: AUTH + 'gmail.labels',
  drive: AUTH + 'drive',
  driveFile: AUTH + 'drive.file',
  driveReadonly: AUTH + 'drive.readonly',
} as const;

const s = SCOPES;
export const GMAIL_READ = [s.gmailFull, s.gmailModify, s.gmailReadonly, s.gmailMetadata];
export const GMAIL_READ_CONTENT = [s.gmailFull, s.gmailModify, s.gmailReadonly];
export const GMAIL_LABELS_READ = [s.gmailFull, s.gmailModify, s.gmailReadonly, s.gmailMetadata, s.gmailLabels];
export const GMAIL_LABELS_WRITE = [s.gmailFull, s.gmailModify, s.gmailLabels];
export const GMAIL_MODIFY = [s.gmailFull, s.gmailModify];
export const DRIVE_READ = [s.drive, s.driveFile, s.driveReadonly];
export const DRIVE_WRITE = [s.drive, s.driveFile];

export function grants(granted: ReadonlySet<string>, acceptable: readonly string[]): boolean {
  return acceptable.some((scope) => granted.has(scope));
}
