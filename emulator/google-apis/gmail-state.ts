// The mailboxes: per user, messages (raw bytes plus the parsed part tree), labels, the history
// log behind history.list, and the push watch. historyId is one counter per mailbox, bumped by
// every change and stamped on the changed message, as at Gmail.
import crypto from 'node:crypto';
import { ApiError, badRequest, notFound } from './errors';
import type { SearchableMessage } from './gmail-query';
import { headerOf, parseMessage, textOf, walkParts, type ParsedPart } from './mime-payload';

export interface GmailLabel {
  id: string;
  name: string;
  type: 'system' | 'user';
  messageListVisibility?: 'show' | 'hide';
  labelListVisibility?: 'labelShow' | 'labelShowIfUnread' | 'labelHide';
}

export interface StoredMessage {
  id: string;
  threadId: string;
  raw: Buffer;
  payload: ParsedPart;
  labelIds: Set<string>;
  internalDate: number;
  historyId: number;
  snippet: string;
  /** Attachments at most this large are answered inline in body.data instead of by attachmentId. */
  inlineAttachmentMaxBytes: number;
  searchable: SearchableMessage;
}

export interface MessageRef {
  id: string;
  threadId: string;
  labelIds?: string[];
}

export interface HistoryRecord {
  id: number;
  messages: MessageRef[];
  messagesAdded?: Array<{ message: MessageRef }>;
  labelsAdded?: Array<{ message: MessageRef; labelIds: string[] }>;
  labelsRemoved?: Array<{ message: MessageRef; labelIds: string[] }>;
}

export interface GmailWatch {
  topicName: string;
  labelIds: string[];
  labelFilterBehavior: 'include' | 'exclude';
  expiration: number;
}

const SYSTEM_LABELS = ['INBOX', 'SPAM', 'TRASH', 'UNREAD', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'CHAT', 'CATEGORY_PERSONAL', 'CATEGORY_SOCIAL', 'CATEGORY_PROMOTIONS', 'CATEGORY_UPDATES', 'CATEGORY_FORUMS'];
const FIRST_HISTORY_ID = 1000;
const labelKey = (name: string) => name.toLowerCase().replace(/[-_\s]+/g, ' ').trim();

export interface InsertOptions {
  labelIds?: string[];
  /** Epoch ms; default: the Date header, else now. */
  internalDate?: number;
  inlineAttachmentMaxBytes?: number;
}

export class Mailbox {
  readonly messages = new Map<string, StoredMessage>();
  readonly labels = new Map<string, GmailLabel>();
  readonly history: HistoryRecord[] = [];
  historyId = FIRST_HISTORY_ID;
  /** history.list answers 404 for a startHistoryId below this (Gmail keeps history about a week). */
  historyFloor = FIRST_HISTORY_ID;
  watch?: GmailWatch;
  private nextLabel = 1;

  constructor(readonly email: string, private readonly ids: () => string) {
    for (const id of SYSTEM_LABELS) {
      this.labels.set(id, { id, name: id, type: 'system', ...(id === 'INBOX' || id === 'SENT' ? { messageListVisibility: 'hide' as const, labelListVisibility: 'labelShow' as const } : {}) });
    }
  }

  labelIdOf(name: string): string | undefined {
    const key = labelKey(name);
    for (const label of this.labels.values()) if (labelKey(label.name) === key || label.id.toLowerCase() === name.toLowerCase()) return label.id;
    return undefined;
  }

  createLabel(o: { name: string; messageListVisibility?: GmailLabel['messageListVisibility']; labelListVisibility?: GmailLabel['labelListVisibility'] }): GmailLabel {
    const name = o.name?.trim();
    if (!name) throw badRequest('Invalid label name');
    const clash = [...this.labels.values()].find((l) => l.name.toLowerCase() === name.toLowerCase() || (l.type === 'system' && l.id.toLowerCase() === name.toLowerCase()));
    if (clash) throw new ApiError(409, 'Label name exists or conflicts', { reason: 'duplicate' }, {}, 'ALREADY_EXISTS');
    const label: GmailLabel = { id: `Label_${this.nextLabel++}`, name, type: 'user', messageListVisibility: o.messageListVisibility ?? 'show', labelListVisibility: o.labelListVisibility ?? 'labelShow' };
    this.labels.set(label.id, label);
    return label;
  }

  message(id: string): StoredMessage {
    const message = this.messages.get(id);
    if (!message) throw notFound();
    return message;
  }

  async insert(raw: Buffer, o: InsertOptions, defaults: { inlineAttachmentMaxBytes: number; now: number }): Promise<StoredMessage> {
    const labelIds = o.labelIds ?? ['INBOX', 'UNREAD'];
    for (const id of labelIds) if (!this.labels.has(id)) throw badRequest(`Invalid label: ${id}`);
    const payload = await parseMessage(raw);
    const dateHeader = headerOf(payload, 'Date');
    const fromDate = dateHeader ? Date.parse(dateHeader) : NaN;
    const internalDate = o.internalDate ?? (Number.isFinite(fromDate) ? fromDate : defaults.now);
    const parts = [...walkParts(payload)];
    const textPart = parts.find((p) => p.mimeType === 'text/plain' && !p.isAttachment);
    const text = textPart ? textOf(textPart) : '';
    const id = this.ids();
    const message: StoredMessage = {
      id,
      threadId: id,
      raw,
      payload,
      labelIds: new Set(labelIds),
      internalDate,
      historyId: 0,
      snippet: text.replace(/\s+/g, ' ').trim().slice(0, 200),
      inlineAttachmentMaxBytes: o.inlineAttachmentMaxBytes ?? defaults.inlineAttachmentMaxBytes,
      searchable: undefined as unknown as SearchableMessage,
    };
    message.searchable = {
      from: headerOf(payload, 'From') ?? '',
      to: headerOf(payload, 'To') ?? '',
      subject: headerOf(payload, 'Subject') ?? '',
      text,
      internalDate,
      labelIds: message.labelIds,
      filenames: parts.filter((p) => p.isAttachment && p.filename !== '').map((p) => p.filename),
    };
    this.messages.set(id, message);
    message.historyId = this.record((hid) => ({ id: hid, messages: [refOf(message)], messagesAdded: [{ message: refOf(message, true) }] }));
    return message;
  }

  /** Applies a label change; records history only for labels that really changed. */
  modify(id: string, add: readonly string[], remove: readonly string[]): StoredMessage {
    const message = this.message(id);
    for (const labelId of [...add, ...remove]) if (!this.labels.has(labelId)) throw badRequest(`Invalid label: ${labelId}`);
    const added = [...new Set(add)].filter((l) => !message.labelIds.has(l));
    const removed = [...new Set(remove)].filter((l) => message.labelIds.has(l) && !added.includes(l));
    if (added.length === 0 && removed.length === 0) return message;
    for (const l of added) message.labelIds.add(l);
    for (const l of removed) message.labelIds.delete(l);
    message.historyId = this.record((hid) => ({
      id: hid,
      messages: [refOf(message)],
      ...(added.length ? { labelsAdded: [{ message: refOf(message, true), labelIds: added }] } : {}),
      ...(removed.length ? { labelsRemoved: [{ message: refOf(message, true), labelIds: removed }] } : {}),
    }));
    return message;
  }

  private record(build: (historyId: number) => HistoryRecord): number {
    this.historyId += 1 + crypto.randomInt(3); // ids grow but are not dense, as at Gmail
    this.history.push(build(this.historyId));
    return this.historyId;
  }

  /** Whether the watch on this mailbox (if any) is told about this message: its label filter. */
  watchCovers(message: StoredMessage): boolean {
    const w = this.watch;
    if (!w) return false;
    if (w.labelIds.length === 0) return true;
    const hit = w.labelIds.some((l) => message.labelIds.has(l));
    return w.labelFilterBehavior === 'include' ? hit : !hit;
  }

  /** Newest first, as messages.list orders them. */
  sorted(): StoredMessage[] {
    return [...this.messages.values()].sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }
}

export function refOf(message: StoredMessage, withLabels = false): MessageRef {
  return withLabels ? { id: message.id, threadId: message.threadId, labelIds: [...message.labelIds] } : { id: message.id, threadId: message.threadId };
}

export interface GmailSettings {
  inlineAttachmentMaxBytes: number;
  /** false (default, as at Gmail): every messages.get answers fresh attachmentIds for the same parts. */
  stableAttachmentIds: boolean;
}

export type MessageAddedListener = (mailbox: Mailbox, message: StoredMessage) => void;

export class GmailState {
  private readonly boxes = new Map<string, Mailbox>();
  private seq = 0n;
  readonly settings: GmailSettings = { inlineAttachmentMaxBytes: 0, stableAttachmentIds: false };
  private listeners: MessageAddedListener[] = [];

  private nextId = (): string => {
    this.seq += 1n;
    return (0x18f3a0000000000n + this.seq * 0x1b3n).toString(16).padStart(16, '0');
  };

  mailbox(email: string): Mailbox {
    const key = email.toLowerCase();
    let box = this.boxes.get(key);
    if (!box) {
      box = new Mailbox(key, this.nextId);
      this.boxes.set(key, box);
    }
    return box;
  }

  onMessageAdded(listener: MessageAddedListener): void {
    this.listeners.push(listener);
  }

  async insert(email: string, raw: Buffer, o: InsertOptions, now: number): Promise<StoredMessage> {
    const box = this.mailbox(email);
    const message = await box.insert(raw, o, { inlineAttachmentMaxBytes: this.settings.inlineAttachmentMaxBytes, now });
    for (const listener of this.listeners) listener(box, message);
    return message;
  }

  clear(): void {
    this.boxes.clear();
    this.settings.inlineAttachmentMaxBytes = 0;
    this.settings.stableAttachmentIds = false;
  }
}
