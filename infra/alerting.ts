// The operator's safety net: an e-mail when anything waits on a "-hold" subscription, i.e. a
// message even the notify stage could not handle (pipeline owners are alerted by notify itself).
import * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';

export function declareDeadLetterAlert(
  args: { project: string; prefix: string; email: string },
  opts?: pulumi.CustomResourceOptions,
): gcp.monitoring.AlertPolicy {
  const channel = new gcp.monitoring.NotificationChannel('operator-email', {
    project: args.project,
    displayName: `${args.prefix} operator`,
    type: 'email',
    labels: { email_address: args.email },
  }, opts);
  return new gcp.monitoring.AlertPolicy('dead-letter-alert', {
    project: args.project,
    displayName: `${args.prefix}: messages the notify stage gave up on`,
    combiner: 'OR',
    conditions: [{
      displayName: 'undelivered messages on a -hold subscription',
      conditionThreshold: {
        filter: [
          'resource.type = "pubsub_subscription"',
          'metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"',
          `resource.label.subscription_id = monitoring.regex.full_match("${args.prefix}-.*-dead-letter-hold")`,
        ].join(' AND '),
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
        aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_MAX' }],
      },
    }],
    notificationChannels: [channel.name],
    documentation: {
      content: 'A message reached a notify dead-letter topic. Inspect it with `gcloud pubsub subscriptions pull <subscription>`.',
      mimeType: 'text/markdown',
    },
  }, opts);
}
