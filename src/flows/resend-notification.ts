import type { GuestCode } from '../domain/guest-code';
import { NOTIFY_CHANNELS, type NotifyChannel } from '../domain/notification-channel';
import { resend } from '../domain/transitions';
import type { GuestCodeStore } from '../store/guest-codes';

export interface ResendDeps {
  store: GuestCodeStore;
  queues: {
    enqueueGuestNotification(
      guestCodeId: string,
      accessCodeId: string,
      channel: NotifyChannel,
      resend?: number,
      reference?: string,
    ): Promise<unknown>;
  };
  now: () => Date;
}

export type ResendOutcome =
  | { kind: 'queued' | 'in_progress'; record: GuestCode; resend: number; note: string }
  | { kind: 'not_possible'; record: GuestCode; reason: string };

/**
 * An operator asks for an undelivered guest code's PIN to be sent again, once the cause (a
 * refused address, a receiver that was down) is fixed. The record moves back to `set` and one
 * job per channel that did not get through is queued, under this resend's number. Which
 * channels are configured is the workers' business: a job for a channel they do not have is
 * skipped there. Exactly once per resend: the state change is a compare-and-set (a repeated
 * request while it runs queues nothing), and every send goes through the notification claim
 * of its guest code, access code and channel, which a late delivery of the first attempt
 * holds too, so a channel that got through is never sent again.
 */
export async function resendNotification(
  deps: ResendDeps,
  id: string,
): Promise<ResendOutcome | undefined> {
  const done = await deps.store.update(id, (cur) => resend(cur, NOTIFY_CHANNELS, deps.now()));
  if (!done) return undefined;
  const { record, result: decision } = done;
  if (decision.kind === 'not_possible') {
    return { kind: 'not_possible', record, reason: decision.reason };
  }
  // Queued under this resend's number: asking again while it runs queues the very same jobs
  // (BullMQ keeps one per id), which also makes up for a queueing that failed the first time.
  const active = record.active_access_code_id!;
  for (const channel of decision.channels) {
    await deps.queues.enqueueGuestNotification(
      id,
      active,
      channel as NotifyChannel,
      decision.resend,
      record.reference,
    );
  }
  const through = decision.channels.join(', ') || 'nothing left to send';
  return decision.kind === 'in_progress'
    ? {
        kind: 'in_progress',
        record,
        resend: decision.resend,
        note: `Resend ${decision.resend} is already under way (${through}); nothing new was queued.`,
      }
    : {
        kind: 'queued',
        record,
        resend: decision.resend,
        note: `Resend ${decision.resend} queued: the same PIN, through what did not get through (${through}).`,
      };
}
