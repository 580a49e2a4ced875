// Cloud Scheduler, locally: each declared job (cron expression + IANA time zone, the fields
// Cloud Scheduler takes) publishes its payload to its Pub/Sub topic when due, or on fire(name).
// croner evaluates the expression in the job's time zone, DST transitions included. pause(name) and
// resume(name) are Cloud Scheduler's jobs.pause/resume: a paused job does not fire on its cron (fire()
// still publishes, as an operator's forced run does).
import type { PubSub } from '@google-cloud/pubsub';
import { Cron } from 'croner';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';

export interface ScheduleSpec {
  name: string;
  cron: string;
  timeZone: string;
  topic: string;
  /** A string is published as is; anything else as JSON. */
  payload: unknown;
  attributes?: Record<string, string>;
}

export interface LocalScheduler {
  fire(name: string): Promise<string /* messageId */>;
  nextRuns(name: string, n: number): Date[];
  pause(name: string): void;
  resume(name: string): void;
  isPaused(name: string): boolean;
  stop(): void;
}

export interface SchedulerOptions {
  logger?: Logger;
  /** The clock nextRuns() counts from (tests); due jobs always run on the real clock. */
  now?: () => Date;
  /** false: never fire on schedule, only through fire() (tests, demos). Default true. */
  autoStart?: boolean;
}

export function payloadBytes(payload: unknown): Buffer {
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload ?? null), 'utf8');
}

function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

// unix-cron, 5 fields, as Cloud Scheduler takes; `protect` skips a run while the previous publish is pending.
function schedule(spec: ScheduleSpec, paused: boolean, run: () => Promise<unknown>, logger: Logger = silentLogger): Cron {
  try {
    return new Cron(spec.cron, { timezone: spec.timeZone, mode: '5-part', paused, protect: true }, async () => {
      await run().catch((error: unknown) => logger.error('schedule failed to publish', { schedule: spec.name, topic: spec.topic, error }));
    });
  } catch (error) {
    throw new Error(`schedule "${spec.name}": invalid cron expression "${spec.cron}": ${(error as Error).message}`);
  }
}

export function startScheduler(pubsub: PubSub, specs: ScheduleSpec[], opts: SchedulerOptions = {}): LocalScheduler {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const jobs = new Map<string, { spec: ScheduleSpec; cron: Cron }>();

  const publish = async (spec: ScheduleSpec, trigger: 'schedule' | 'manual'): Promise<string> => {
    const messageId = await pubsub.topic(spec.topic).publishMessage({ data: payloadBytes(spec.payload), attributes: spec.attributes ?? {} });
    logger.info('schedule fired', { schedule: spec.name, topic: spec.topic, trigger, messageId });
    return messageId;
  };

  try {
    for (const spec of specs) {
      if (jobs.has(spec.name)) throw new Error(`schedule "${spec.name}" is declared twice`);
      if (!validTimeZone(spec.timeZone)) throw new Error(`schedule "${spec.name}": unknown time zone "${spec.timeZone}"`);
      jobs.set(spec.name, { spec, cron: schedule(spec, opts.autoStart === false, () => publish(spec, 'schedule'), logger) });
    }
  } catch (error) {
    for (const job of jobs.values()) job.cron.stop();
    throw error;
  }

  const job = (name: string) => {
    const found = jobs.get(name);
    if (!found) throw new Error(`no schedule named "${name}" (have: ${[...jobs.keys()].join(', ') || 'none'})`);
    return found;
  };

  // Paused by an operator, apart from autoStart: resuming a job of a scheduler that only fires on
  // demand (tests, `npm start -- --once`) must not start its cron.
  const paused = new Set<string>();

  return {
    fire: async (name) => publish(job(name).spec, 'manual'),
    nextRuns: (name, n) => job(name).cron.nextRuns(n, now()),
    pause(name) {
      const { cron } = job(name);
      paused.add(name);
      cron.pause();
      logger.info('schedule paused', { schedule: name });
    },
    resume(name) {
      const { cron } = job(name);
      paused.delete(name);
      if (opts.autoStart !== false) cron.resume();
      logger.info('schedule resumed', { schedule: name });
    },
    isPaused: (name) => (job(name), paused.has(name)),
    stop() {
      for (const { cron } of jobs.values()) cron.stop();
    },
  };
}
