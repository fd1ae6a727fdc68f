import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { confirmReplicated, type ReplicaAck } from '../redis/connections';
import { withTimeout } from '../util/timeout';
import type { SeamEventJob } from './jobs';
import { catalogQueue } from './producers';

export type EnqueueOutcome = 'accepted' | 'duplicate';

/** Most jobs written to Redis in one round trip; more wait for the next flush. */
const MAX_BATCH = 256;

interface Pending {
  job: SeamEventJob;
  jobId: string;
  resolve(outcome: EnqueueOutcome): void;
  reject(err: unknown): void;
}

/**
 * The durable inbox for Seam events. Deduplication by delivery id and the enqueue happen in
 * one BullMQ script (deduplication with a TTL), so there is no window in which a delivery is
 * marked seen but not queued. The key outlives the job (Svix retries for ~27.5 h), which
 * BullMQ's `jobId` alone would not: it forgets an id once the job is removed.
 *
 * Concurrent deliveries share a round trip: adds made while the event loop handles one batch
 * of sockets are written together on the next turn (`addBulk`: one pipeline, one script call
 * per job, each with its own deduplication), and each caller is answered from its own job's
 * result, so a 200 still means that this delivery's job is in Redis.
 */
export class EventInbox {
  readonly queue: Queue<SeamEventJob>;
  /** One queue per connection: a batch goes out on the next one in turn (see `lanes`). */
  private readonly lanes: { queue: Queue<SeamEventJob>; connection: Redis; inFlight: number }[];
  private pending: Pending[] = [];
  private flushScheduled = false;

  constructor(
    /**
     * Where batches are written. Several connections only matter with replicas to wait for:
     * `WAIT` blocks the connection it runs on, so with one connection each batch would wait
     * for the previous batch's `WAIT`; with several, batches and their `WAIT`s overlap.
     */
    connection: Redis | Redis[],
    prefix: string,
    private readonly dedupeTtlMs: number,
    private readonly timeoutMs: number,
    /** Replicas that must have a batch before its deliveries are answered (see below). */
    private readonly ack: ReplicaAck = { replicas: 0, timeoutMs: 0 },
  ) {
    const connections = Array.isArray(connection) ? connection : [connection];
    this.lanes = connections.map((c) => ({
      connection: c,
      queue: catalogQueue('events', c, prefix),
      inFlight: 0,
    }));
    this.queue = this.lanes[0]!.queue;
  }

  add(job: SeamEventJob): Promise<EnqueueOutcome> {
    return new Promise<EnqueueOutcome>((resolve, reject) => {
      this.pending.push({ job, jobId: randomUUID(), resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After this turn's I/O callbacks: every delivery read in this turn joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0, MAX_BATCH);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    // The lane with the fewest batches in flight (an idle one when there is one).
    const lane = this.lanes.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    lane.inFlight += 1;
    const write = lane.queue.addBulk(
      batch.map((p) => ({
        name: p.job.event_type,
        data: p.job,
        opts: { jobId: p.jobId, deduplication: { id: p.job.delivery_id, ttl: this.dedupeTtlMs } },
      })),
    );
    // With replicas to wait for, the batch is answered once `WAIT` on this same connection
    // (the one the queue writes with) says they have it: the WAIT covers every write made on
    // the connection before it, a deduplicated add included (its script writes the
    // `deduplicated` event, after the write it found). Without enough replicas in time, every
    // delivery of the batch gets a 503 and Svix retries it.
    const written = withTimeout(write, this.timeoutMs, 'queue add')
      .then(async (jobs) => {
        await confirmReplicated(lane.connection, this.ack);
        return jobs;
      })
      .finally(() => {
        lane.inFlight -= 1;
      });
    written.then(
      (jobs) => {
        // A deduplicated add answers with the id of the job already there.
        batch.forEach((p, i) => p.resolve(jobs[i]?.id === p.jobId ? 'accepted' : 'duplicate'));
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  close(): Promise<void> {
    return Promise.all(this.lanes.map((l) => l.queue.close())).then(() => undefined);
  }
}
