// Every request the double answered, in order, so tests and the bench can count calls and quota
// units (quota-units.ts) without a proxy. Bounded: the oldest entries go first.
import { quotaUnitsOf } from './quota-units';

export interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  /** Route name, e.g. gmail.users.messages.get, drive.files.create, oauth.token; 'unknown' when none matched. */
  operation: string;
  status: number;
  /** The mailbox / Drive identity the bearer token stands for, when there was one. */
  principal?: string;
  quotaUnits: number;
  /** Set when an injected fault answered instead of the route. */
  fault?: string;
}

const MAX_ENTRIES = 200_000;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  record(entry: Omit<LoggedRequest, 'seq' | 'at' | 'quotaUnits'>): void {
    // Faulted requests did not run the method: Google does not charge them either (rejected early).
    const quotaUnits = entry.fault ? 0 : quotaUnitsOf(entry.operation);
    this.entries.push({ ...entry, seq: ++this.seq, at: Date.now(), quotaUnits });
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }

  since(seq = 0): LoggedRequest[] {
    return this.entries.filter((entry) => entry.seq > seq);
  }

  lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}
