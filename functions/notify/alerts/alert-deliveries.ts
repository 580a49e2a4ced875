// An alert as deliveries through deliver-all.ts: the mail first (a failure to send it ends the call and
// the message is retried, as every mail's), then the webhook, when the pipeline declares one, in a
// 'settle' group: a URL or channel the receiver refuses (4xx) is recorded on the run as failed and
// never blocks the mail or anything after it; a 5xx or 429 releases its claim and the message is
// retried, the mail being already recorded and not sent again. Each is claimed under its own key, so
// each (run, alert kind, channel) goes out once.
import { errorMessage, isPermanent } from '../../../shared/errors';
import type { Logger } from '../../../shared/logger';
import type { StageContext } from '../../runtime/context';
import type { DeliveryGroup } from '../destinations/deliver-all';
import type { Delivery } from '../destinations/destination';
import { postWebhook } from '../destinations/webhook/post-webhook';
import type { Alert } from './alert';
import { slackMessageOf } from './slack-message';

export type WebhookUrl = () => Promise<string>;

// The webhook URL secret, read once per handler call and only when a webhook is actually posted;
// undefined when the pipeline declares none.
export function webhookUrlOf(ctx: Pick<StageContext, 'pipeline' | 'secrets'>): WebhookUrl | undefined {
  const ref = ctx.pipeline.alerts.webhook?.url;
  if (!ref) return undefined;
  let url: Promise<string> | undefined;
  return () => (url ??= ctx.secrets.read(ref.secret).catch((error: unknown) => {
    url = undefined;
    throw error;
  }));
}

export const webhookKeyOf = (mailKey: string) => `${mailKey}-webhook`;

export function webhookDelivery(alert: Alert, key: string, url: WebhookUrl): Delivery {
  const message = slackMessageOf(alert);
  return {
    key,
    describe: `webhook alert (${alert.kind})`,
    async deliver() {
      const receipt = await postWebhook(await url(), message);
      return { status: receipt.status };
    },
  };
}

// The groups for one alert: its mail (under the mail's key) and its webhook (under `<key>-webhook`).
export function alertGroups(input: { alert: Alert; mail: Delivery; webhook: WebhookUrl | undefined; name: string }): DeliveryGroup[] {
  const groups: DeliveryGroup[] = [{ name: input.name, deliveries: [input.mail], onFailure: 'throw' }];
  if (input.webhook) groups.push({ name: `${input.name} webhook`, deliveries: [webhookDelivery(input.alert, webhookKeyOf(input.mail.key), input.webhook)], onFailure: 'settle' });
  return groups;
}

// For an alert with no run record to claim on (a missed schedule, a dead letter of no run): after its
// mail went out, the webhook once, best effort: a refusal or an outage is logged at ERROR, never a
// second mail.
export async function postAlertWebhook(ctx: Pick<StageContext, 'pipeline' | 'secrets'>, alert: Alert, log: Logger): Promise<void> {
  const webhook = webhookUrlOf(ctx);
  if (!webhook) return;
  try {
    await postWebhook(await webhook(), slackMessageOf(alert));
  } catch (error) {
    log.error(`${alert.kind} alert webhook not delivered; the mail went out`, { error: errorMessage(error), permanent: isPermanent(error) });
  }
}
