// The ids of the labels a session applies, looked up once (labels.list, 1 quota unit) and created
// when missing. Gmail compares label names case-insensitively, and answers 409 when another run
// created the same label a moment earlier: then the list is read again.
import { googleStatus } from './gmail-errors';
import type { Mailbox } from './mailbox';

export class LabelIds {
  private known: Map<string, string> | null = null;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly mailbox: Mailbox) {}

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
      const created = await this.mailbox.gmail.users.labels.create({
        userId: this.mailbox.user,
        requestBody: { name, labelListVisibility: 'labelShow', messageListVisibility: 'show' },
      });
      if (!created.data.id) throw new Error(`Gmail created label "${name}" without an id`);
      return created.data.id;
    } catch (error) {
      if (googleStatus(error) !== 409) throw this.mailbox.calls.classify(error, `Gmail labels.create "${name}"`);
      this.known = null;
      const raced = (await this.list()).get(name.toLowerCase());
      if (raced === undefined) throw this.mailbox.calls.classify(error, `Gmail labels.create "${name}"`);
      return raced;
    }
  }

  private async list(): Promise<Map<string, string>> {
    if (this.known) return this.known;
    const response = await this.mailbox.calls.call('Gmail labels.list', () => this.mailbox.gmail.users.labels.list({ userId: this.mailbox.user }));
    const known = new Map<string, string>();
    for (const label of response.data.labels ?? []) {
      if (label.name && label.id) known.set(label.name.toLowerCase(), label.id);
    }
    this.known = known;
    return known;
  }
}
