import type { Job, Processor } from 'bullmq';
import { JOB_CATALOG, type JobPayload, type QueueKey } from '../src/queues/catalog';

/**
 * What a worker does with one job of queue `K`: its payload is already parsed with the
 * catalog's schema. Return = done (the string is the job's return value), throw = retry with
 * backoff, DelayedError = wait, UnrecoverableError = fail now.
 */
export type Handler<K extends QueueKey> = (
  payload: JobPayload<K>,
  job: Job,
  token?: string,
) => Promise<string>;

/** One handler per queue of the catalog: a queue without one does not compile. */
export type Handlers = { [K in QueueKey]: Handler<K> };

/** The BullMQ processor of a queue: parse with the catalog's schema, then hand over. */
export function processorFor<K extends QueueKey>(key: K, handler: Handler<K>): Processor {
  const schema = JOB_CATALOG[key].schema;
  return (job, token) => handler(schema.parse(job.data) as JobPayload<K>, job, token);
}
