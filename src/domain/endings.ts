import { notifiedThrough, type GuestCode, type TimelineEntry } from './guest-code';
import { owedAtNewContact } from './stay-change';

/**
 * How a guest code comes to an end when the happy path does not get there: its notification
 * gives up, an operator asks for it to be sent again, or its stay is over before the guest was
 * told. Pure: the caller passes the time and stores the result.
 */
export interface Ending {
  record: GuestCode;
  timeline: TimelineEntry[];
}

/** The failure code of a guest code whose notification gave up. */
export const UNDELIVERED = 'notification_undelivered';
/** The failure code of an open guest code whose stay ended before the guest was told. */
export const STAY_ENDED = 'stay_ended';

/**
 * A notification through `channel` gave up (a permanent refusal, or its retries ran out): the
 * guest code ends `undelivered`, with the reason, unless the guest was told that way after all
 * (a late delivery), the code is no longer the active one, or the guest code moved on.
 */
export function giveUpNotification(
  current: GuestCode,
  failed: { access_code_id: string; channel: string; reason: string },
  now: Date,
): Ending | undefined {
  if (current.status !== 'set' && current.status !== 'undelivered') return undefined;
  if (current.active_access_code_id !== failed.access_code_id) return undefined;
  if (notifiedThrough(current, failed.access_code_id, failed.channel)) return undefined;
  const at = now.toISOString();
  const message = `${failed.channel}: ${failed.reason}`;
  return {
    record: {
      ...current,
      status: 'undelivered',
      failure: { code: UNDELIVERED, message, at },
      updated_at: at,
    },
    timeline: [
      {
        at,
        type: 'undelivered',
        message: `gave up telling the guest through ${message}; resend once the cause is fixed`,
        access_code_id: failed.access_code_id,
      },
    ],
  };
}

export type ResendDecision =
  | { kind: 'resend'; ending: Ending; resend: number; channels: string[] }
  | { kind: 'in_progress'; resend: number; channels: string[] }
  | { kind: 'not_possible'; reason: string };

/**
 * An operator asks for the PIN to be sent again once the cause is fixed. Only an
 * `undelivered` guest code can be resent: it goes back to `set`, and the channels that did not
 * get through for its active code are tried again (each at most once: a channel that got
 * through is never sent twice). Asking again while that resend runs changes nothing in the
 * record (the caller may queue the same resend's jobs again: they are the same jobs).
 */
export function requestResend(
  current: GuestCode,
  channels: readonly string[],
  now: Date,
): ResendDecision {
  const resends = current.resends ?? 0;
  const pendingFor = (active: string) =>
    channels.filter((ch) => !notifiedThrough(current, active, ch));
  if (current.status === 'set' && resends > 0 && current.active_access_code_id) {
    return {
      kind: 'in_progress',
      resend: resends,
      channels: pendingFor(current.active_access_code_id),
    };
  }
  // The guest was told, then their email or phone changed (PATCH): the same PIN goes to the
  // new contact, through the channels not yet used at it.
  const owed = current.status === 'notified' ? owedAtNewContact(current, channels) : [];
  if (owed.length > 0 && current.active_access_code_id) {
    const active = current.active_access_code_id;
    const at = now.toISOString();
    const resend = resends + 1;
    return {
      kind: 'resend',
      resend,
      channels: owed,
      ending: {
        record: { ...current, status: 'set', resends: resend, updated_at: at },
        timeline: [
          {
            at,
            type: 'resend',
            message: `resend ${resend} asked for (the guest's contact changed after they were told)`,
            access_code_id: active,
          },
        ],
      },
    };
  }
  if (current.status !== 'undelivered' || !current.active_access_code_id) {
    return {
      kind: 'not_possible',
      reason:
        current.status === 'notified'
          ? 'the guest was told at their current contact; nothing to resend'
          : `only an undelivered guest code can be resent (this one is ${current.status})`,
    };
  }
  const active = current.active_access_code_id;
  const pending = pendingFor(active);
  const at = now.toISOString();
  const resend = resends + 1;
  const { failure: _cleared, ...rest } = current;
  return {
    kind: 'resend',
    resend,
    channels: pending,
    ending: {
      record: { ...rest, status: 'set', resends: resend, updated_at: at },
      timeline: [
        {
          at,
          type: 'resend',
          message: `resend ${resend} asked for (was undelivered: ${current.failure?.message ?? 'no reason kept'})`,
          access_code_id: active,
        },
      ],
    },
  };
}

/**
 * The stay is over and the guest was never told: the guest code ends `failed`, so it leaves
 * the set the sweeper walks (and expires with the others).
 */
export function closeEndedStay(current: GuestCode, now: Date): Ending | undefined {
  if (!['requested', 'waiting', 'set'].includes(current.status)) return undefined;
  // A change waiting for a creation may carry the stay further: the stay ends with the later.
  const ends = Math.max(
    Date.parse(current.plan.ends_at),
    Date.parse(current.pending_change?.plan.ends_at ?? current.plan.ends_at),
  );
  if (ends > now.getTime()) return undefined;
  const at = now.toISOString();
  const message = `the stay ended (${current.plan.ends_at}) before the guest was told (was ${current.status})`;
  const { create_in_flight: _gone, ...rest } = current;
  return {
    record: {
      ...rest,
      status: 'failed',
      failure: { code: STAY_ENDED, message, at },
      updated_at: at,
    },
    timeline: [{ at, type: 'failed', message }],
  };
}
