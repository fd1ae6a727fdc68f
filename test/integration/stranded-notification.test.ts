/**
 * A guest notification whose job failed for good while its guest code stayed `set` (the give-up
 * that would have ended it `undelivered` was never written: a crash, Redis gone at that moment)
 * is not stranded: the sweeper reconciles every `set` code, which queues the notification
 * again, and queuing a notification whose job sits in the failed set puts that job back to
 * work instead of being a no-op for the week failed jobs are kept. Real Redis and BullMQ.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_CATALOG } from '../../src/queues/catalog';
import { WorkQueues } from '../../src/queues/producers';
import { eventually } from '../../devkit/eventually';
import { testRedisUrl } from '../helpers/service';

describe('a notification job that failed while its guest code stayed set', () => {
  const prefix = `stranded${randomUUID().slice(0, 8)}`;
  let redis: Redis;
  let queues: WorkQueues;
  let worker: Worker | undefined;
  const connections: Redis[] = [];

  beforeAll(() => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    queues = new WorkQueues(redis, prefix, 3);
  });

  afterAll(async () => {
    await worker?.close();
    await queues.close();
    for (const c of connections) c.disconnect();
    redis.disconnect();
  });

  /** A worker on the notify queue that runs each job through `process` and records it. */
  async function runWorker(process: (job: Job) => Promise<string>): Promise<string[]> {
    await worker?.close();
    const seen: string[] = [];
    const connection = redis.duplicate({ maxRetriesPerRequest: null });
    connections.push(connection);
    worker = new Worker(
      JOB_CATALOG.notify.name,
      async (job) => {
        seen.push(job.id!);
        return process(job);
      },
      // The workers' `seam` backoff, short.
      { connection, prefix, settings: { backoffStrategy: () => 50 } },
    );
    worker.on('error', () => undefined);
    return seen;
  }

  it('is put back to work when the notification is queued again', async () => {
    await runWorker(async () => {
      throw new UnrecoverableError('the worker died before it could record giving up');
    });
    await queues.enqueueGuestNotification('gc_1', 'ac_1', 'email', undefined, 'ref-1');
    const jobId = 'notify-gc_1-ac_1-email';
    await eventually(async () =>
      (await queues.notify.getJobState(jobId)) === 'failed' ? true : undefined,
    );

    const runs = await runWorker(async () => 'sent');
    // What the sweeper's reconcile of the still-`set` guest code does.
    await queues.enqueueGuestNotification('gc_1', 'ac_1', 'email', undefined, 'ref-1');
    await eventually(async () =>
      (await queues.notify.getJobState(jobId)) === 'completed' ? true : undefined,
    );
    expect(runs).toEqual([jobId]);
    expect((await queues.notify.getJob(jobId))?.returnvalue).toBe('sent');
  });

  it('gets all its attempts again, with their backoff', async () => {
    await runWorker(async () => {
      throw new Error('still failing');
    });
    await queues.enqueueGuestNotification('gc_3', 'ac_3', 'email');
    const jobId = 'notify-gc_3-ac_3-email';
    await eventually(
      async () => ((await queues.notify.getJobState(jobId)) === 'failed' ? true : undefined),
      20_000,
    );

    // Revived, it fails twice more (backing off between), then gets through.
    let runs = 0;
    await runWorker(async () => {
      runs += 1;
      if (runs <= 2) throw new Error('not yet');
      return 'sent';
    });
    await queues.enqueueGuestNotification('gc_3', 'ac_3', 'email');
    await eventually(
      async () => ((await queues.notify.getJobState(jobId)) === 'completed' ? true : undefined),
      20_000,
    );
    expect(runs).toBe(3);
  });

  it('leaves a notification that is waiting or done as it is', async () => {
    const runs = await runWorker(async () => 'sent');
    await queues.enqueueGuestNotification('gc_2', 'ac_2', 'webhook');
    const jobId = 'notify-gc_2-ac_2-webhook';
    await eventually(async () =>
      (await queues.notify.getJobState(jobId)) === 'completed' ? true : undefined,
    );
    await queues.enqueueGuestNotification('gc_2', 'ac_2', 'webhook');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs).toEqual([jobId]);
    expect(await queues.notify.getJobState(jobId)).toBe('completed');
  });
});
