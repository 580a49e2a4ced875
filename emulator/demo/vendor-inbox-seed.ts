// Seeds the local Google API double for the vendor-inbox demo: an OAuth client and the finance
// mailbox's refresh token (what `npm run auth -- vendor-inbox` stores in the cloud), and the day's
// vendor mails in its inbox. Returns the secrets the pipeline reads.
import type { GoogleApiDoubleClient } from '../google-apis/double-client';
import { FINANCE_INBOX, vendorMails } from './vendor-mails';

export interface SeededInbox {
  secrets: Record<string, string>;
  mails: string[];
}

export async function seedVendorInbox(google: GoogleApiDoubleClient, date: string): Promise<SeededInbox> {
  const clientId = 'sluice-demo-finance.apps.googleusercontent.example';
  const clientSecret = `demo-secret-${Math.random().toString(36).slice(2)}`;
  await google.registerOAuthClient({ clientId, clientSecret, consentUser: FINANCE_INBOX });
  const refreshToken = await google.issueRefreshToken({ clientId, user: FINANCE_INBOX, scopes: ['gmail.modify'] });
  const mails = await vendorMails(date);
  for (const mail of mails) await google.insertMessage(FINANCE_INBOX, mail.eml, { labelIds: ['INBOX', 'UNREAD'] });
  return {
    secrets: {
      'finance-gmail-client-id': clientId,
      'finance-gmail-client-secret': clientSecret,
      'finance-gmail-refresh-token': refreshToken,
    },
    mails: mails.map((m) => m.describe),
  };
}
