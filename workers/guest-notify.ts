import { DelayedError, UnrecoverableError } from 'bullmq';
import type { GuestCode } from '../src/domain/guest-code';
import type { NotifyChannel } from '../src/domain/notification-channel';
import {
  giveUpNotifying,
  NotificationNotReady,
  notifyGuest,
  sendAlert,
  sendWindowChanged,
  type NotifyDeps,
} from '../src/flows/notify-guest';
import { reviewStayAfterDoorEnded, startStay } from '../src/flows/notify-stay';
import { isNotificationError } from '../src/notify/errors';
import type { Handler } from './handler';
import { waitForReplicas } from './replica-wait';

/** Past the lease's end: the holder's own last write (sent, or released) has landed by then. */
const AFTER_LEASE_MS = 250;

/**
 * `guest-notify`: tell a guest (or the operators, for an alert). A permanent refusal (an SMTP
 * 5xx, a 4xx from the receiver other than 408/429) is not retried: BullMQ's UnrecoverableError
 * fails the job at once. When a guest's notification gives up (that, or its last attempt
 * failed), the guest code ends `undelivered` and an alert goes out. A job that found another
 * sender holding the claim gives up nothing and spends no attempt: it waits until that
 * sender's lease runs out, then looks again. Counting those waits as attempts let a job spend
 * them all inside the lease of a worker that had died holding the claim; the job then failed
 * with nobody left to send, and the guest code stayed `set` (found by the AOF crash test).
 */
export const guestNotifyHandler =
  (deps: NotifyDeps, channels: (gc: GuestCode) => NotifyChannel[]): Handler<'notify'> =>
  async (data, job, token) => {
    try {
      if (data.kind === 'alert') {
        const sent = await sendAlert(deps, data);
        // A door of a stay that ended without a code: its other doors need not wait for it.
        if (deps.stays) {
          await reviewStayAfterDoorEnded(
            { ...deps, stays: deps.stays },
            data.guest_code_id,
            channels,
          );
        }
        return sent;
      }
      if (data.kind === 'window_changed') return await sendWindowChanged(deps, data);
      if (data.kind === 'stay_start') {
        return deps.stays
          ? await startStay({ ...deps, stays: deps.stays }, data, channels)
          : 'skipped';
      }
      return await notifyGuest(deps, data, channels);
    } catch (err) {
      await waitForReplicas(err, job, token);
      const permanent = isNotificationError(err) && !err.retryable;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const someoneElseSends = err instanceof NotificationNotReady && err.busy;
      if (someoneElseSends) {
        await job.moveToDelayed(Date.now() + err.leaseLeftMs + AFTER_LEASE_MS, token);
        throw new DelayedError();
      }
      if (data.kind === 'guest' && (permanent || lastAttempt)) {
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
