// Placeholder until the Gmail source is built (its helper replaces this file): a pipeline reading
// Gmail fails its run with this reason instead of failing to compile the registry.
import { PermanentError } from '../../../../shared/errors';
import { calendarDateIn } from '../../export-dates';
import type { SourceConnector } from '../source-connector';
import type { GmailSource } from './config';

export const gmailConnector: SourceConnector<GmailSource> = {
  kind: 'gmail',
  windowOf: (_source, at) => [at.date ?? calendarDateIn(at.timeZone, at.now)],
  connect: () => Promise.reject(new PermanentError('the gmail source is not built yet')),
};
