import type { JobsOptions } from 'bullmq';

/**
 * Retention keeps Redis bounded (bullmq #2890): finished jobs are trimmed by age and count;
 * failed ones stay a week so ops can inspect and retry them.
 */
const keepCompleted = { age: 3600, count: 5000 };
/** How long a failed job stays retryable (from the dashboard): a week. */
export const FAILED_JOB_RETENTION_SECONDS = 7 * 24 * 3600;
const keepFailed = { age: FAILED_JOB_RETENTION_SECONDS, count: 10_000 };

export const eventJobOptions: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};

export const createJobOptions: JobsOptions = {
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};

export const reconcileJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};

export const notifyJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};
