// Gmail API quota units per method, from https://developers.google.com/gmail/api/reference/quota
// (per-user limit 15,000 units a minute; per-project 1,200,000 a minute). The one table the bench
// and tests sum the double's request log with. Drive counts requests, not units: 0 here.
export const GMAIL_QUOTA_UNITS: Readonly<Record<string, number>> = {
  'gmail.users.getProfile': 1,
  'gmail.users.watch': 100,
  'gmail.users.stop': 50,
  'gmail.users.labels.list': 1,
  'gmail.users.labels.get': 1,
  'gmail.users.labels.create': 5,
  'gmail.users.messages.list': 5,
  'gmail.users.messages.get': 5,
  'gmail.users.messages.attachments.get': 5,
  'gmail.users.messages.modify': 5,
  'gmail.users.messages.batchModify': 50,
  'gmail.users.history.list': 2,
};

export function quotaUnitsOf(operation: string): number {
  return GMAIL_QUOTA_UNITS[operation] ?? 0;
}
