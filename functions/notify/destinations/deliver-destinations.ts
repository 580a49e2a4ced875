// When a run ends (run-complete, and run-failed too: a failed run's files were still fetched, and some
// may have loaded), notify delivers to every destination the pipeline declares, after the run's alert
// and reports so that nothing a destination does can hold a mail back. Every delivery goes through
// deliver-all ('settle'): a transient failure retries the notify message (what was delivered is
// skipped then), a permanent one is recorded on the run. Once every delivery is settled, the ones that
// failed for good bring exactly one alert for the run (`destinations-alert`), naming each destination
// and the error, whose text says the fix: by mail, and to the alert webhook when one is declared.
import type { Logger } from '../../../shared/logger';
import { alertGroups, webhookUrlOf } from '../alerts/alert-deliveries';
import { destinationsAlertOf } from '../alerts/run-alerts';
import type { StageContext } from '../../runtime/context';
import type { FileRecord, RunRecord } from '../../runtime/run-record';
import { deliveryRecordOf, type StoredRun } from '../deliver-once';
import type { DestinationFailure } from '../render-alert';
import { runDateOf } from '../run-summary';
import { deliverAll, type DeliveryGroup } from './deliver-all';
import type { DestinationRuntime, Destinations } from './destination';
import { destinationFor, destinations as registry } from './destinations';
import { destinationAlertDelivery } from './mail/alert-mail';
import type { SmtpUrl } from './mail/mail-delivery';

export interface DeliverDestinationsOptions {
  run: RunRecord;
  files: FileRecord[];
  leaseMs: number;
  logger: Logger;
  smtp: SmtpUrl;
  // Tests hand in fakes.
  destinations?: Destinations;
}

export async function deliverDestinations(ctx: StageContext, options: DeliverDestinationsOptions): Promise<void> {
  const declared = ctx.pipeline.destinations;
  if (declared.length === 0) return;
  const { run } = options;
  const runtime: DestinationRuntime = {
    pipeline: ctx.pipeline, runId: run.runId, run, files: options.files, firestore: ctx.firestore, storage: ctx.storage,
    bucket: ctx.bucket, secrets: ctx.secrets, logger: options.logger, localEndpoints: ctx.localEndpoints,
  };
  const groups: DeliveryGroup[] = [];
  for (const [index, config] of declared.entries()) {
    const deliveries = await destinationFor(config, options.destinations ?? registry).deliveriesFor(config, index, runtime);
    groups.push({ name: `destination ${index} (${config.kind})`, deliveries, onFailure: 'settle' });
  }
  const common = { firestore: ctx.firestore, runId: run.runId, leaseMs: options.leaseMs, logger: options.logger };
  // Throws when any delivery must be retried: the alert waits until every delivery has settled.
  await deliverAll(groups, { ...common, run });

  const settled = (await ctx.runs.getRun(run.runId)) as StoredRun | undefined;
  const failures: DestinationFailure[] = groups.flatMap((group) => group.deliveries.flatMap((delivery) => {
    const record = deliveryRecordOf(settled, delivery.key);
    return typeof record === 'object' && record.failed ? [{ destination: group.name, what: delivery.describe, error: record.failed }] : [];
  }));
  if (failures.length === 0) return;
  const runDate = runDateOf(run);
  const mail = destinationAlertDelivery({ pipeline: ctx.pipeline, runId: run.runId, runDate, failures }, options.smtp);
  const alert = destinationsAlertOf({ pipeline: ctx.pipeline.name, runId: run.runId, runDate, failures, ...(ctx.dashboardUrl ? { dashboardUrl: ctx.dashboardUrl } : {}) });
  await deliverAll(alertGroups({ alert, mail, webhook: webhookUrlOf(ctx), name: 'destinations alert' }), { ...common, run: settled ?? run });
}
