import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTimeout } from '../util/timeout';
import { QUEUES } from './names';
import type { SeamEventJob } from './jobs';
import { eventJobOptions } from './options';

export type EnqueueOutcome = 'accepted' | 'duplicate';

/**
 * The durable inbox for Seam events. Deduplication by delivery id and the enqueue happen in
 * one BullMQ script (deduplication with a TTL), so there is no window in which a delivery is
 * marked seen but not queued. The key outlives the job (Svix retries for ~27.5 h), which
 * BullMQ's `jobId` alone would not: it forgets an id once the job is removed.
 */
export class EventInbox {
  readonly queue: Queue<SeamEventJob>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly dedupeTtlMs: number,
    private readonly timeoutMs: number,
  ) {
    this.queue = new Queue<SeamEventJob>(QUEUES.events, {
      connection,
      prefix,
      defaultJobOptions: eventJobOptions,
    });
    // Errors surface on each add as a rejection; the listener keeps them off the process.
    this.queue.on('error', () => undefined);
  }

  async add(job: SeamEventJob): Promise<EnqueueOutcome> {
    const jobId = randomUUID();
    const added = await withTimeout(
      this.queue.add(job.event_type, job, {
        jobId,
        deduplication: { id: job.delivery_id, ttl: this.dedupeTtlMs },
      }),
      this.timeoutMs,
      'queue add',
    );
    // A deduplicated add answers with the id of the job already there.
    return added.id === jobId ? 'accepted' : 'duplicate';
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
