// Runs deliveries through deliver-once.ts, one after the other, and logs one JSON line for each: the
// one path every mail and destination takes. Deliveries come in groups (the run's alert, its reports,
// one declared destination), and a group says what its failures mean:
//  - 'throw' (mails): the first failure ends the call, as a send failing always did; the claim is given
//    back, the message is retried (transient) or dead-lettered (permanent).
//  - 'settle' (destinations): a permanent failure is recorded on the run as the key's outcome and the
//    rest go on, so a full Drive never blocks another file or a mail; a transient failure releases its
//    claim, the rest go on, and the first transient error is thrown at the end so the message is retried.
import type { Firestore } from '@google-cloud/firestore';
import { errorMessage, isPermanent, PermanentError } from '../../../shared/errors';
import type { Logger } from '../../../shared/logger';
import type { RunRecord } from '../../runtime/run-record';
import { deliverOnce, wasDelivered, type DeliveryOutcome } from '../deliver-once';
import type { Delivery } from './destination';

export interface DeliveryGroup {
  // Printable: "run alert", "report mail", "Drive destination 0 (folder 1AbC…)".
  name: string;
  deliveries: Delivery[];
  onFailure: 'throw' | 'settle';
}

export interface DeliverAllOptions {
  firestore: Firestore;
  runId: string;
  leaseMs: number;
  logger: Logger;
  // The run as the handler read it: keys already delivered there are skipped without a prepare.
  run: RunRecord;
}

export interface DeliveryResult {
  group: string;
  key: string;
  describe: string;
  outcome: DeliveryOutcome['outcome'] | 'retry';
  error?: string;
}

// Errors a person must act on even without the PermanentError class (another bundle's copy of the
// sign-in helper's error): matched by name as well.
const PERMANENT_NAMES = new Set(['ReauthorizationRequiredError']);
const permanent = (error: unknown) => isPermanent(error) || (error instanceof Error && PERMANENT_NAMES.has(error.name));

export async function deliverAll(groups: DeliveryGroup[], options: DeliverAllOptions): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  let retry: unknown;
  for (const group of groups) {
    for (const delivery of group.deliveries) {
      const base = { group: group.name, key: delivery.key, describe: delivery.describe };
      const log = options.logger.child({ delivery: delivery.key, destination: group.name });
      if (wasDelivered(options.run, delivery.key)) {
        log.info('already delivered; not delivering again', { what: delivery.describe });
        results.push({ ...base, outcome: 'already-delivered' });
        continue;
      }
      try {
        await delivery.prepare?.();
        const outcome = await deliverOnce(
          { firestore: options.firestore, runId: options.runId, key: delivery.key, leaseMs: options.leaseMs, logger: log, settlePermanentFailure: group.onFailure === 'settle' },
          async () => {
            try {
              return await delivery.deliver();
            } catch (error) {
              // Seen as permanent by deliver-once too, whatever copy of the class it is.
              if (group.onFailure === 'settle' && permanent(error) && !isPermanent(error)) throw new PermanentError(errorMessage(error), { cause: error });
              throw error;
            }
          },
        );
        if (outcome.outcome === 'delivered') log.info('delivered', { what: delivery.describe, ...outcome.receipt });
        else if (outcome.outcome === 'already-delivered') log.info('already delivered; not delivering again', { what: delivery.describe });
        else log.error('delivery failed for good; the run alerts about it once', { what: delivery.describe, error: outcome.error });
        results.push({ ...base, outcome: outcome.outcome, ...(outcome.outcome === 'failed' ? { error: outcome.error } : {}) });
      } catch (error) {
        if (group.onFailure === 'throw') throw error;
        log.warn('delivery failed; the message will be retried', { what: delivery.describe, error: errorMessage(error) });
        results.push({ ...base, outcome: 'retry', error: errorMessage(error) });
        retry ??= error;
      }
    }
  }
  if (retry !== undefined) throw retry;
  return results;
}
