import type { Job, Worker } from 'bullmq';
import type { Metrics } from './metrics';

/**
 * Counts each job run of a worker by outcome, with its duration (processedOn to finishedOn).
 * BullMQ sets finishedOn only when a failure is final, so a failed run it will try again is
 * `retrying`. A DelayedError (waiting out a rate limit) emits neither event: not counted.
 */
export function observeJobs(metrics: Metrics, worker: Worker): void {
  const seconds = (job: Job): number | undefined =>
    job.processedOn
      ? Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) / 1000
      : undefined;
  worker.on('completed', (job) => metrics.observeJob(worker.name, 'completed', seconds(job)));
  worker.on('failed', (job) => {
    // A job that stalled too often fails without a job object to time.
    if (!job) return metrics.observeJob(worker.name, 'failed', undefined);
    metrics.observeJob(worker.name, job.finishedOn ? 'failed' : 'retrying', seconds(job));
  });
}
