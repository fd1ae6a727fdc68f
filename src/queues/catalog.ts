import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { createJobSchema, notifyJobSchema, reconcileJobSchema, seamEventJobSchema } from './jobs';
import {
  createJobOptions,
  eventJobOptions,
  notifyJobOptions,
  reconcileJobOptions,
  sweepJobOptions,
} from './options';

/** Everything the service knows about one queue, in one place. */
export interface QueueDefinition<Name extends string, Schema extends z.ZodType> {
  /** The BullMQ queue name (the Redis keys carry it: never rename a deployed queue). */
  name: Name;
  /** What one job carries; the worker parses every payload with it before the flow sees it. */
  schema: Schema;
  /** Attempts, backoff and retention of every job added to the queue. */
  options: JobsOptions;
  /** Jobs run at once per worker process, from WORKER_CONCURRENCY. */
  concurrency: (workerConcurrency: number) => number;
  /** For the dashboard and the docs. */
  description: string;
}

const define = <Name extends string, Schema extends z.ZodType>(
  definition: QueueDefinition<Name, Schema>,
) => definition;

/** Creations and notifications wait on Seam and SMTP, not on CPU: half the pool, at least 2. */
const half = (c: number) => Math.max(2, Math.ceil(c / 2));

/**
 * The job catalog: every queue, its payload, its options and its concurrency. Producers,
 * workers, the dashboard, metrics and the sweeper's schedule read it, so a queue is described
 * once; `Processors` (workers/) must handle every entry, which the compiler checks.
 */
export const JOB_CATALOG = {
  events: define({
    name: 'seam-events',
    description: 'Seam webhook deliveries (access_code.*), one job per Svix message',
    schema: seamEventJobSchema,
    options: eventJobOptions,
    // Recording an event is one Redis script: cheap, and the webhook burst comes here first.
    concurrency: (c) => c * 2,
  }),
  create: define({
    name: 'code-create',
    description: "creation of a guest's offline code on Seam",
    schema: createJobSchema,
    options: createJobOptions,
    concurrency: half,
  }),
  reconcile: define({
    name: 'code-reconcile',
    description: 'fetch an access code from Seam and apply it to its guest code',
    schema: reconcileJobSchema,
    options: reconcileJobOptions,
    concurrency: (c) => c,
  }),
  notify: define({
    name: 'guest-notify',
    description: 'tell a guest their PIN (email, booking-system webhook) and ops alerts',
    schema: notifyJobSchema,
    options: notifyJobOptions,
    concurrency: half,
  }),
  sweep: define({
    name: 'code-sweep',
    description: 'the periodic safety net that polls Seam for what webhooks missed',
    // The scheduler's ticks carry nothing.
    schema: z.object({}).loose(),
    options: sweepJobOptions,
    // One walk at a time across the fleet's ticks is enough; a second would read the same page.
    concurrency: () => 1,
  }),
} as const;

export type QueueKey = keyof typeof JOB_CATALOG;
export type JobPayload<K extends QueueKey> = z.infer<(typeof JOB_CATALOG)[K]['schema']>;
export type QueueName = (typeof JOB_CATALOG)[QueueKey]['name'];

export const QUEUE_KEYS = Object.keys(JOB_CATALOG) as QueueKey[];

/** Queue names by key (`QUEUES.events` is 'seam-events'). */
export const QUEUES = Object.fromEntries(QUEUE_KEYS.map((k) => [k, JOB_CATALOG[k].name])) as {
  readonly [K in QueueKey]: (typeof JOB_CATALOG)[K]['name'];
};

/** The catalog entry of a queue name, if it is ours. */
export function definitionOf(name: string): (typeof JOB_CATALOG)[QueueKey] | undefined {
  return Object.values(JOB_CATALOG).find((d) => d.name === name);
}
