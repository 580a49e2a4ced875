// Unit tests: what the topology adds for a source that needs more than the stage functions (Gmail's
// push topic, its publisher, the watch-renewal job) and the Google APIs a pipeline's connectors call.
import { describe, expect, it } from 'vitest';
import { stageList } from '../../functions/stages';
import { definePipeline, type Pipeline, type PipelineInput } from '../../shared/pipeline-definition';
import { topologyOf } from '../../shared/topology';

const gmailSource = (push: boolean): PipelineInput['source'] => ({
  kind: 'gmail',
  auth: { kind: 'oauth', clientId: { secret: 'gm-client-id' }, clientSecret: { secret: 'gm-client-secret' }, refreshToken: { secret: 'gm-refresh-token' } },
  rules: [{ name: 'prices', from: 'vendor\\.example$' }],
  push,
});

function pipeline(overrides: Partial<PipelineInput>): Pipeline {
  return definePipeline({
    name: 'vendor-mail',
    source: gmailSource(true),
    imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
    database: { url: { secret: 'db-url' }, schema: 'vendor_mail' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['gm-client-id', 'gm-client-secret', 'gm-refresh-token', 'db-url', 'smtp-url'],
    ...overrides,
  });
}

describe('topologyOf for a Gmail source with push', () => {
  const topology = topologyOf(pipeline({ schedule: { cron: '0 * * * *', timeZone: 'Europe/Berlin' } }), stageList, 'acme');

  it('declares the push topic, published to by Gmail, pushed to the fetch function like its own input', () => {
    expect(topology.topics).toContainEqual({ name: 'acme-vendor-mail-gmail-push', stage: 'fetch', kind: 'source', publishers: ['serviceAccount:gmail-api-push@system.gserviceaccount.com'] });
    const fetchInput = topology.pushSubscriptions.find((s) => s.subscription === 'acme-vendor-mail-fetch-push')!;
    const push = topology.pushSubscriptions.find((s) => s.topic === 'acme-vendor-mail-gmail-push');
    expect(push).toEqual({ ...fetchInput, subscription: 'acme-vendor-mail-gmail-push-fetch', topic: 'acme-vendor-mail-gmail-push' });
    expect(push?.deadLetterTopic).toBe('acme-vendor-mail-fetch-dead-letter');
  });

  it('renews the watch daily by a source action on the fetch topic naming the push topic', () => {
    const renewal = topology.schedules.find((s) => s.name === 'acme-vendor-mail-gmail-watch');
    expect(renewal).toMatchObject({ cron: '17 4 * * *', timeZone: 'Etc/UTC', topic: 'acme-vendor-mail-fetch' });
    expect(renewal?.payload).toEqual({ v: '1', type: 'sluice.source-action', pipeline: 'vendor-mail', action: 'renew-watch', topic: 'acme-vendor-mail-gmail-push' });
    // Alongside the trigger schedule and the watchdog, not instead of them.
    expect(topology.schedules.map((s) => s.name).sort()).toEqual(['acme-vendor-mail-gmail-watch', 'acme-vendor-mail-schedule', 'acme-vendor-mail-watchdog']);
    expect(new Set(topology.schedules.map((s) => s.name)).size).toBe(topology.schedules.length);
  });

  it('needs the Gmail API, and the Drive API when it delivers to Drive', () => {
    expect(topology.services).toEqual(['gmail.googleapis.com']);
    const withDrive = topologyOf(pipeline({
      destinations: [{ kind: 'drive', folderId: 'folder-123', auth: { kind: 'service-account', key: { secret: 'drive-key' } } }],
      secrets: ['gm-client-id', 'gm-client-secret', 'gm-refresh-token', 'db-url', 'smtp-url', 'drive-key'],
    }), stageList, 'acme');
    expect(withDrive.services).toEqual(['drive.googleapis.com', 'gmail.googleapis.com']);
  });
});

describe('topologyOf without push', () => {
  it('adds nothing for a Gmail source that only polls', () => {
    const polling = topologyOf(pipeline({ source: gmailSource(false) }), stageList, 'acme');
    expect(polling.topics.filter((t) => t.kind === 'source')).toEqual([]);
    expect(polling.pushSubscriptions.filter((s) => s.topic.endsWith('gmail-push'))).toEqual([]);
    expect(polling.schedules.map((s) => s.name)).toEqual(['acme-vendor-mail-watchdog']);
    expect(polling.services).toEqual(['gmail.googleapis.com']);
  });
});
