// The ids of the labels a session applies, looked up once (labels.list, 1 quota unit) and created
// when missing. Gmail compares label names case-insensitively, and answers 409 when another run
// created the same label a moment earlier: then the list is read again.
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import { classifyGmailError, gmailCall, googleStatus } from './gmail-errors';

export class LabelIds {
  private known: Map<string, string> | null = null;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly gmail: gmail_v1.Gmail, private readonly user: string) {}

  // The id of the user label called `name`, created if the mailbox has none.
  idOf(name: string): Promise<string> {
    const key = name.toLowerCase();
    let found = this.pending.get(key);
    if (!found) {
      found = this.resolve(name);
      this.pending.set(key, found);
      found.catch(() => this.pending.delete(key));
    }
    return found;
  }

  private async resolve(name: string): Promise<string> {
    const existing = (await this.list()).get(name.toLowerCase());
    if (existing !== undefined) return existing;
    try {
      const created = await this.gmail.users.labels.create({
        userId: this.user,
        requestBody: { name, labelListVisibility: 'labelShow', messageListVisibility: 'show' },
      });
      if (!created.data.id) throw new Error(`Gmail created label "${name}" without an id`);
      return created.data.id;
    } catch (error) {
      if (googleStatus(error) !== 409) throw classifyGmailError(error, `creating label "${name}"`);
      this.known = null;
      const raced = (await this.list()).get(name.toLowerCase());
      if (raced === undefined) throw classifyGmailError(error, `creating label "${name}"`);
      return raced;
    }
  }

  private async list(): Promise<Map<string, string>> {
    if (this.known) return this.known;
    const response = await gmailCall('listing labels', () => this.gmail.users.labels.list({ userId: this.user }));
    const known = new Map<string, string>();
    for (const label of response.data.labels ?? []) {
      if (label.name && label.id) known.set(label.name.toLowerCase(), label.id);
    }
    this.known = known;
    return known;
  }
}
