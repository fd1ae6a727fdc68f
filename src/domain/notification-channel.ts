/**
 * The channels a guest is told through. One definition for the job payloads, the guest code's
 * record of what was sent, the senders' errors and the metrics.
 */
import type { RuleViolation } from './rules/violation';

export const NOTIFY_CHANNELS = ['email', 'webhook'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/** Every channel a send can go through: the guest's, and the operators' alert webhook. */
export const DELIVERY_CHANNELS = [...NOTIFY_CHANNELS, 'alert_webhook'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** POST's and PATCH's 422 for a guest nothing would tell (not a lock rule: see unreachableGuest). */
export const GUEST_UNREACHABLE = 'guest_unreachable';
export const GUEST_UNREACHABLE_DESCRIPTION =
  'the guest has no email and the workers have no NOTIFY_WEBHOOK_URL: nothing would tell them';

/** How a guest can be reached: what POST /v1/guest-codes was given. */
export interface GuestContact {
  email?: string;
  phone?: string;
}

/**
 * The channels that would tell this guest their PIN, given the channels the workers have
 * (`channelsFor` in flows/notify-guest.ts decides the same way): email only when the guest
 * has an address, the webhook for every guest (the booking system passes it on, e.g. by SMS).
 */
export function reachingChannels(
  guest: GuestContact,
  available: readonly NotifyChannel[],
): NotifyChannel[] {
  return NOTIFY_CHANNELS.filter(
    (c) => available.includes(c) && (c === 'webhook' || guest.email !== undefined),
  );
}

/**
 * A guest nothing would tell: refused before a code is made (a code nobody hears of is a PIN
 * lost). `available` undefined means no worker has said what it has (none running now):
 * not refused, as a worker always starts with at least one channel.
 */
export function unreachableGuest(
  guest: GuestContact,
  available: readonly NotifyChannel[] | undefined,
): RuleViolation | undefined {
  if (available === undefined || reachingChannels(guest, available).length > 0) return undefined;
  const has = guest.phone !== undefined ? 'only a phone (guest.phone)' : 'no email';
  return {
    code: GUEST_UNREACHABLE,
    message:
      `The guest has ${has}, and the workers tell guests by ${available.map((c) => (c === 'email' ? 'email (SMTP_URL)' : 'webhook (NOTIFY_WEBHOOK_URL)')).join(' and ')} only: ` +
      `nothing would send them their PIN. Give guest.email, or configure NOTIFY_WEBHOOK_URL on the ` +
      `workers so the booking system gets guest_code.ready and passes the PIN on (e.g. by SMS).`,
    field: 'guest.email',
    details: { available_channels: [...available], allowed: ['guest.email', 'NOTIFY_WEBHOOK_URL'] },
  };
}
