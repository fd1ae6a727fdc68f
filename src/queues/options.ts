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

/**
 * Jobs that call Seam retry with the workers' `seam` backoff (workers/backoff.ts):
 * exponential from SEAM_RETRY_BASE_MS up to SEAM_RETRY_MAX_MS, with jitter, never sooner than
 * Seam's Retry-After. A reconcile reads the code; a notification reads the PIN.
 */
export const SEAM_BACKOFF = { type: 'seam' } as const;

export const reconcileJobOptions: JobsOptions = {
  attempts: 8,
  backoff: SEAM_BACKOFF,
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};

export const notifyJobOptions: JobsOptions = {
  attempts: 8,
  backoff: SEAM_BACKOFF,
  removeOnComplete: keepCompleted,
  removeOnFail: keepFailed,
};

/** The sweeper's ticks: a short history is enough to see that it runs. */
export const sweepJobOptions: JobsOptions = {
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};
