import { UnrecoverableError } from 'bullmq';
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
import { isNotificationError } from '../src/notify/errors';
import type { Handler } from './handler';

/**
 * `guest-notify`: tell a guest (or the operators, for an alert). A permanent refusal (an SMTP
 * 5xx, a 4xx from the receiver other than 408/429) is not retried: BullMQ's UnrecoverableError
 * fails the job at once. When a guest's notification gives up (that, or its last attempt
 * failed), the guest code ends `undelivered` and an alert goes out. A job that found another
 * sender holding the claim gives up nothing: that sender's outcome decides.
 */
export const guestNotifyHandler =
  (deps: NotifyDeps, channels: (gc: GuestCode) => NotifyChannel[]): Handler<'notify'> =>
  async (data, job) => {
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
