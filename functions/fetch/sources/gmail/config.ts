// The Gmail source's configuration: plain data (zod only). A pipeline reads one inbox; each rule
// says which mails' attachments it takes and which import rules those files feed.
import { z } from 'zod';
import { regex, timeZone } from '../../../../shared/config-primitives';
import { googleAuthSchema } from '../../../../shared/google-auth-config';

const MiB = 1024 * 1024;

export const gmailRuleSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  // Regular expressions (JavaScript, case-insensitive) on the From header, the Subject header and
  // each attachment's file name. Gmail's own `q` has no regex, so the listing is narrowed by a
  // generated query and these are tested in code.
  from: regex.optional(),
  subject: regex.optional(),
  attachmentName: regex.optional(),
  // false: a mail without attachments may match too (only useful with saveMessage).
  hasAttachment: z.boolean().default(true),
  // Extra Gmail search terms ANDed to the generated query (e.g. "category:primary").
  q: z.string().optional(),
  // The import rules (by name) this rule's files may feed; empty: whichever import rule matches the name.
  imports: z.array(z.string()).default([]),
  // Also stage the whole message as `<yyyyMMdd>_<message id>.eml` beside its attachments.
  saveMessage: z.boolean().default(false),
}).strict();
export type GmailRule = z.infer<typeof gmailRuleSchema>;

export const gmailSourceSchema = z.object({
  kind: z.literal('gmail'),
  // The mailbox: 'me' is the authorised user (or the delegated subject).
  user: z.string().default('me'),
  auth: googleAuthSchema,
  // First match wins, in this order.
  rules: z.array(gmailRuleSchema).min(1),
  labels: z.object({
    // Added to a mail once all its matched files are staged (and INBOX removed).
    processed: z.string().min(1).default('Processed'),
    // Added to a mail no rule matched, when `labelUnmatched`.
    error: z.string().min(1).default('Error'),
  }).strict().default({ processed: 'Processed', error: 'Error' }),
  labelUnmatched: z.boolean().default(false),
  // File names carry the mail's Date in this zone (default: the schedule's, else UTC).
  timeZone: timeZone.optional(),
  // The first run (and a run whose stored history id expired) lists mail newer than this.
  initialWindowDays: z.number().int().min(1).max(3650).default(7),
  maxAttachmentBytes: z.number().int().min(1).default(35 * MiB),
  maxRunBytes: z.number().int().min(1).default(1024 * MiB),
  // Push: Gmail's users.watch publishes to a topic that triggers fetch at once; the schedule stays
  // the backstop. The Pulumi program declares the topic, Gmail's publisher grant and a daily renewal.
  push: z.boolean().default(false),
}).strict();
export type GmailSource = z.infer<typeof gmailSourceSchema>;
