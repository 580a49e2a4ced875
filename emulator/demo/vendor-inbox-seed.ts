// Seeds the local Google API double for the vendor-inbox demo: an OAuth client and the finance
// mailbox's refresh token (what `npm run auth -- vendor-inbox` stores in the cloud), and the day's
// vendor mails in its inbox. The credentials alone are what `npm run emulator` seeds (the pipeline
// can run, on whatever mail arrives); `npm start` also delivers the day's mails.
import type { GoogleApiDoubleClient } from '../google-apis/double-client';
import { FINANCE_INBOX, vendorMails } from './vendor-mails';

export interface SeededInbox {
  secrets: Record<string, string>;
  mails: string[];
}

// The secrets the pipeline reads.
export async function seedFinanceMailbox(google: GoogleApiDoubleClient): Promise<Record<string, string>> {
  const clientId = 'sluice-demo-finance.apps.googleusercontent.example';
  const clientSecret = `demo-secret-${Math.random().toString(36).slice(2)}`;
  await google.registerOAuthClient({ clientId, clientSecret, consentUser: FINANCE_INBOX });
  const refreshToken = await google.issueRefreshToken({ clientId, user: FINANCE_INBOX, scopes: ['gmail.modify'] });
  return {
    'finance-gmail-client-id': clientId,
    'finance-gmail-client-secret': clientSecret,
    'finance-gmail-refresh-token': refreshToken,
  };
}

// The day's vendor mails, unread in the inbox; what each is.
export async function deliverVendorMails(google: GoogleApiDoubleClient, date: string): Promise<string[]> {
  const mails = await vendorMails(date);
  for (const mail of mails) await google.insertMessage(FINANCE_INBOX, mail.eml, { labelIds: ['INBOX', 'UNREAD'] });
  return mails.map((m) => m.describe);
}

export async function seedVendorInbox(google: GoogleApiDoubleClient, date: string): Promise<SeededInbox> {
  const secrets = await seedFinanceMailbox(google);
  return { secrets, mails: await deliverVendorMails(google, date) };
}
