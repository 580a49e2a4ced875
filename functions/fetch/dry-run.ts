// A dry-run trigger: what fetch would fetch for the run's window, listed through the source's
// connector and recorded on the run (RunStore.recordDryRun, which ends it). Nothing is claimed, copied
// or settled at the source (the connector's finish is not called), so a normal trigger afterwards
// fetches every item as if the dry run had never happened. Items an earlier run already owns, and
// those the connector skips (over a size cap), are not what would be fetched and are left out.
import { printableName } from '../../shared/object-names';
import { itemIdentity, peekClaim } from './fetch-ledger';
import type { Listing, RunScope } from './handler';
import type { SourceRuntime } from './sources/source-connector';

export interface DryRunItem {
  name: string;
  size?: number;
  key: string;
}

export async function listDryRun(scope: RunScope, listing: Listing): Promise<void> {
  const { ctx, runId, log } = scope;
  const runtime: SourceRuntime = {
    pipeline: ctx.pipeline.name, runId, dates: listing.dates, timeZone: listing.timeZone, secrets: ctx.secrets,
    firestore: ctx.firestore, logger: log, now: scope.now, localEndpoints: ctx.localEndpoints,
  };
  const session = await listing.connector.connect(listing.source, runtime);
  const items: DryRunItem[] = [];
  try {
    for await (const item of session.list()) {
      if (item.skip !== undefined) continue;
      const entry = await peekClaim(ctx.firestore, itemIdentity({ pipeline: ctx.pipeline.name, key: item.key, version: item.version }));
      if (entry !== undefined) continue;
      items.push({ name: printableName(item.path), key: item.key, ...(item.size !== undefined ? { size: item.size } : {}) });
    }
  } finally {
    await session.close().catch((error: unknown) => log.warn('closing the source failed', { error: String(error) }));
  }
  await ctx.runs.recordDryRun(runId, items);
  // The run has no files: telling it so completes it, and notify settles it as for any run.
  await ctx.setExpectedFiles(runId, 0);
  log.info('dry run listed what fetch would fetch; nothing claimed or copied', { items: items.length, dates: listing.dates });
}
