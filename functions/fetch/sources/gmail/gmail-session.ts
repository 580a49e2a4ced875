// One run's session on a Gmail inbox: list the run's items (the mails since the run's cursor, matched
// against the rules), then — once fetch has durably staged them — label the mails and advance the
// cursor. Labelling comes strictly after staging: a crash between the two leaves the mail unlabelled
// and the run's cursor unmoved, so the redelivery (or the next run) lists the mail again, finds the
// ledger's claim, stages nothing twice and labels it then.
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import type { ListingOutcome, SourceItem, SourceRuntime, SourceSession } from '../source-connector';
import type { GmailSource } from './config';
import { isGoogleNotFound } from './gmail-errors';
import type { Mailbox } from './mailbox';
import { LabelIds } from './labels';
import { listCandidates } from './list-candidates';
import { beginListing, finishListing } from './listing-state';
import { mailItems, type MailItemsContext } from './mail-items';
import { compileRules, headersFit, matchRule } from './match-rule';
import { attachmentsInEmbedded } from './embedded-messages';
import { headerValue, mailPartsOf, withUniqueNames, type EmbeddedMessage } from './mime-parts';

interface ListedMail {
  id: string;
  labelIds: string[];
  // null: no rule matched.
  rule: string | null;
  itemKeys: string[];
  deferredKeys: string[];
}

// batchModify takes at most 1,000 ids (50 quota units for all of them, against 5 per messages.modify).
const MODIFY_BATCH = 1000;

export class GmailSession implements SourceSession {
  private readonly mails: ListedMail[] = [];
  private readonly labels: LabelIds;

  constructor(
    private readonly mailbox: Mailbox,
    private readonly source: GmailSource,
    private readonly runtime: SourceRuntime,
  ) {
    this.labels = new LabelIds(mailbox);
  }

  async *list(): AsyncIterable<SourceItem> {
    const { source, runtime, mailbox } = this;
    const log = runtime.logger;
    this.mails.length = 0;
    const profile = await mailbox.calls.call('Gmail users.getProfile', () => mailbox.gmail.users.getProfile({ userId: mailbox.user }));
    const current = profile.data.historyId ?? '0';
    const { cursor, deferred } = await beginListing(runtime.firestore, runtime.pipeline, runtime.runId, current, runtime.now());
    const candidates = await listCandidates({ mailbox, source, from: cursor.from, deferred, now: new Date(Date.parse(cursor.at)), log });
    const rules = compileRules(source.rules);
    const itemsContext: MailItemsContext = {
      mailbox,
      pipeline: runtime.pipeline,
      runId: runtime.runId,
      timeZone: source.timeZone ?? runtime.timeZone,
      maxAttachmentBytes: source.maxAttachmentBytes,
      maxRunBytes: source.maxRunBytes,
      takenPaths: new Set(),
      runBytes: { total: 0 },
    };
    for (const id of candidates.ids) {
      const message = await this.getMessage(id);
      if (!message) continue;
      const labelIds = message.labelIds ?? [];
      if (labelIds.includes('DRAFT') || labelIds.includes('SPAM') || labelIds.includes('TRASH')) continue;
      const payload = message.payload;
      const headers = { from: headerValue(payload, 'From') ?? '', subject: headerValue(payload, 'Subject') ?? '' };
      const parts = mailPartsOf(payload);
      // A forwarded message Gmail did not expand costs a read to look inside: only for mail whose
      // sender and subject some rule could take.
      const nested = parts.embedded.length > 0 && rules.some((rule) => headersFit(rule, headers))
        ? (await Promise.all(parts.embedded.map((e) => attachmentsInEmbedded(e, (part) => this.readEmbedded(id, part))))).flat()
        : [];
      const facts = { ...headers, attachments: withUniqueNames([...parts.attachments, ...nested]) };
      const match = await matchRule(rules, facts, (rule) => candidates.extraQueryHolds(rule, id, Number(message.internalDate ?? NaN)));
      if (!match) {
        this.mails.push({ id, labelIds, rule: null, itemKeys: [], deferredKeys: [] });
        log.info('gmail message matches no rule', { gmailMessageId: id, attachments: facts.attachments.length });
        continue;
      }
      const { items, deferredKeys } = mailItems(itemsContext, message, match.rule, match.attachments);
      this.mails.push({ id, labelIds, rule: match.rule.name, itemKeys: items.map((item) => item.key), deferredKeys });
      yield* items;
    }
    log.info('gmail listing done', { mode: candidates.mode, messages: this.mails.length, matched: this.mails.filter((m) => m.rule !== null).length });
  }

  private async readEmbedded(messageId: string, part: EmbeddedMessage): Promise<Buffer> {
    if (part.attachmentId === undefined) return Buffer.from(part.data ?? '', 'base64url');
    const { gmail, user, calls } = this.mailbox;
    const id = part.attachmentId;
    const response = await calls.call(`Gmail messages.attachments.get (forwarded message in ${messageId})`, () => gmail.users.messages.attachments.get({ userId: user, messageId, id }));
    return Buffer.from(response.data.data ?? '', 'base64url');
  }

  // format=full: headers and the part tree (attachment bodies stay behind their attachmentId).
  private async getMessage(id: string): Promise<gmail_v1.Schema$Message | null> {
    try {
      return (await this.mailbox.gmail.users.messages.get({ userId: this.mailbox.user, id, format: 'full' })).data;
    } catch (error) {
      // Deleted since it was listed: nothing to fetch.
      if (isGoogleNotFound(error)) return null;
      throw this.mailbox.calls.classify(error, `Gmail messages.get ${id}`);
    }
  }

  // Labels every mail whose every item is staged or already fetched, marks unmatched mail when asked,
  // then moves the cursor. Repeating it changes nothing: labels already on a mail are not sent again,
  // and the cursor only moves forward.
  async finish(outcome: ListingOutcome): Promise<void> {
    const { source, runtime } = this;
    const settled = new Set([...outcome.staged, ...outcome.skipped].map((item) => item.key));
    const refused = new Set(outcome.refused.map((item) => item.key));
    const processedId = await this.labels.idOf(source.labels.processed);
    const toProcess: string[] = [];
    const toError: string[] = [];
    const waiting: string[] = [];
    for (const mail of this.mails) {
      if (mail.rule === null) {
        if (source.labelUnmatched) {
          const errorId = await this.labels.idOf(source.labels.error);
          if (!mail.labelIds.includes(errorId)) toError.push(mail.id);
        }
        continue;
      }
      if (mail.deferredKeys.length > 0) waiting.push(mail.id);
      const done = mail.deferredKeys.length === 0 && mail.itemKeys.every((key) => settled.has(key) && !refused.has(key));
      if (done && (!mail.labelIds.includes(processedId) || mail.labelIds.includes('INBOX'))) toProcess.push(mail.id);
    }
    await this.modify(toProcess, { addLabelIds: [processedId], removeLabelIds: ['INBOX'] }, 'labelling processed mail');
    if (toError.length > 0) {
      await this.modify(toError, { addLabelIds: [await this.labels.idOf(source.labels.error)] }, 'labelling unmatched mail');
    }
    await finishListing(runtime.firestore, runtime.pipeline, runtime.runId, { listed: this.mails.map((m) => m.id), deferred: waiting });
    runtime.logger.info('gmail mail labelled', { processed: toProcess.length, unmatched: toError.length, waiting: waiting.length });
  }

  private async modify(ids: string[], change: { addLabelIds?: string[]; removeLabelIds?: string[] }, doing: string): Promise<void> {
    for (let i = 0; i < ids.length; i += MODIFY_BATCH) {
      const batch = ids.slice(i, i + MODIFY_BATCH);
      await this.mailbox.calls.call(`Gmail messages.batchModify, ${doing} (${batch.length} messages)`, () => this.mailbox.gmail.users.messages.batchModify({ userId: this.mailbox.user, requestBody: { ids: batch, ...change } }));
    }
  }

  async close(): Promise<void> {
    // The Gmail client holds no connection of its own (each call is one HTTPS request).
  }
}
