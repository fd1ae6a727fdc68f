import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { createSeamCode, RetryableCreateError } from '../src/flows/create-seam-code';
import {
  giveUpNotifying,
  NotificationNotReady,
  notifyGuest,
  sendAlert,
  sendWindowChanged,
  type NotifyDeps,
} from '../src/flows/notify-guest';
import { isNotificationError } from '../src/notify/errors';
import { reconcileAccessCode, recordSeamEvent, type ReconcileDeps } from '../src/flows/reconcile';
import { sweep, type SweepDeps } from '../src/flows/sweep';
import { SeamCallError } from '../src/seam/client';
import type { CreateSeamCodeDeps } from '../src/flows/create-seam-code';
import type { GuestCode } from '../src/domain/guest-code';
import {
  createJobSchema,
  notifyJobSchema,
  reconcileJobSchema,
  seamEventJobSchema,
  type NotifyChannel,
} from '../src/queues/jobs';

/**
 * One processor per queue: each validates its job, calls a flow, and turns the flow's answer
 * into what BullMQ understands (return = done, throw = retry with backoff, DelayedError = wait).
 */

export function seamEventProcessor(deps: ReconcileDeps) {
  return async (job: Job): Promise<string> =>
    recordSeamEvent(deps, seamEventJobSchema.parse(job.data));
}

export function reconcileProcessor(deps: ReconcileDeps) {
  return async (job: Job): Promise<string> => {
    const data = reconcileJobSchema.parse(job.data);
    return reconcileAccessCode(deps, data.access_code_id, data.event_seq);
  };
}

export function createProcessor(
  deps: CreateSeamCodeDeps & {
    alert(guestCodeId: string, code: string, message: string): Promise<unknown>;
  },
) {
  return async (job: Job, token?: string): Promise<string> => {
    const data = createJobSchema.parse(job.data);
    const attempts = job.opts.attempts ?? 1;
    const outcome = await createSeamCode(deps, data, job.attemptsMade + 1 >= attempts);
    if (outcome.kind === 'rate_limited') {
      // Wait for the device's window without spending an attempt.
      await job.moveToDelayed(Date.now() + outcome.waitMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'failed') {
      deps.logger.error(
        { guestCodeId: data.guest_code_id, failureCode: outcome.code },
        'guest code creation failed',
      );
      await deps.alert(data.guest_code_id, outcome.code, `creation failed: ${outcome.code}`);
    }
    return outcome.kind;
  };
}

/**
 * A permanent refusal (an SMTP 5xx, a 4xx from the receiver other than 408/429) is not retried:
 * BullMQ's UnrecoverableError fails the job at once. When a guest's notification gives up (that,
 * or its last attempt failed), the guest code ends `undelivered` and an alert goes out. A job
 * that found another sender holding the claim gives up nothing: that sender's outcome decides.
 */
export function notifyProcessor(deps: NotifyDeps, channels: (gc: GuestCode) => NotifyChannel[]) {
  return async (job: Job): Promise<string> => {
    const data = notifyJobSchema.parse(job.data);
    try {
      if (data.kind === 'alert') return await sendAlert(deps, data);
      if (data.kind === 'window_changed') return await sendWindowChanged(deps, data);
      return await notifyGuest(deps, data, channels);
    } catch (err) {
      const permanent = isNotificationError(err) && !err.retryable;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const someoneElseSends = err instanceof NotificationNotReady && err.busy;
      if (data.kind === 'guest' && (permanent || lastAttempt) && !someoneElseSends) {
        const reason = err instanceof Error ? err.message : 'unknown failure';
        await giveUpNotifying(
          deps,
          data,
          permanent ? reason : `${reason} (gave up after ${job.attemptsMade + 1} attempts)`,
        );
      }
      if (permanent) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  };
}

export function sweepProcessor(deps: SweepDeps) {
  return async (): Promise<string> => JSON.stringify(await sweep(deps));
}

/** The wait Seam asked for (Retry-After on a 429 or 503), if the error carries one. */
function retryAfterOf(err: Error | undefined): number {
  if (err instanceof RetryableCreateError) return err.retryAfterMs ?? 0;
  if (err instanceof SeamCallError) return err.failure.retryAfterMs ?? 0;
  return 0;
}

/**
 * Backoff for every job that calls Seam (creations, reconciles, notifications, which read the
 * PIN from Seam): exponential with jitter (half to all of the ceiling, so many jobs that failed
 * together do not come back together), and never sooner than Seam's Retry-After.
 */
export function seamBackoff(baseMs: number, maxMs: number) {
  return (attemptsMade: number, _type: string | undefined, err?: Error): number => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const jittered = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    return Math.max(jittered, retryAfterOf(err));
  };
}
