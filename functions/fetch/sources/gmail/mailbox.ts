// One mailbox as the Gmail source's modules reach it: the client, whose mail ('me' or a delegated
// user), and how its calls' failures are classified.
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import type { GmailCalls } from './gmail-errors';

export interface Mailbox {
  gmail: gmail_v1.Gmail;
  user: string;
  calls: GmailCalls;
}
