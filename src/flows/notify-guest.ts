import { randomUUID } from 'node:crypto';
import { giveUpNotification, UNDELIVERED } from '../domain/endings';
import { guestWindow, notifiedThrough, type GuestCode } from '../domain/guest-code';
import type { DeliveryChannel, NotifyChannel } from '../domain/notification-channel';
import { ending, recordNotification } from '../domain/transitions';
import type { Logger } from '../logger';
import type { EmailSender } from '../notify/email';
import { composeGuestMessage } from '../notify/guest-message';
import { FALLBACK_LOCALE } from '../notify/templates';
import type { WebhookSender } from '../notify/outbound-webhook';
import type { SeamGateway } from '../seam/client';
import type { GuestCodeStore } from '../store/guest-codes';
import type { NotificationClaims } from '../store/notification-claims';
import type { StayStore } from '../store/stays';
import { notifyStayDoor } from './notify-stay';

export interface NotifyDeps {
  store: GuestCodeStore;
  seam: Pick<SeamGateway, 'getAccessCode'>;
  claims: NotificationClaims;
  claimKey: (guestCodeId: string, accessCodeId: string, channel: string) => string;
  email?: EmailSender;
  webhook?: WebhookSender;
  /** How messages read: the locale of a guest given none, the brand, whether replies are read. */
  message?: { defaultLocale?: string; brand?: string; replyTo?: boolean };
  now: () => Date;
  logger: Logger;
  /** Queues the ops alert (`guest_code.failed`); `key` tells one alert of a guest code from another. */
  alert?: (guestCodeId: string, code: string, message: string, key: string) => Promise<unknown>;
  /** Stays with several doors (their doors are told in one message); absent: none. */
  stays?: Pick<StayStore, 'get'>;
  /** Told of every send attempt that reached a sender (for metrics). */
  onNotification?: (channel: DeliveryChannel, outcome: 'sent' | 'failed') => void;
}

/** Runs one send and reports its outcome; a failure still propagates (the job retries). */
async function reported<T>(
  deps: Pick<NotifyDeps, 'onNotification'>,
  channel: DeliveryChannel,
  send: () => Promise<T>,
): Promise<T> {
  try {
    const result = await send();
    deps.onNotification?.(channel, 'sent');
    return result;
  } catch (err) {
    deps.onNotification?.(channel, 'failed');
    throw err;
  }
}

/** The channels a guest code is told through: email when the guest has one, and the webhook. */
export function channelsFor(
  gc: GuestCode,
  configured: { email: boolean; webhook: boolean },
): NotifyChannel[] {
  const channels: NotifyChannel[] = [];
  if (configured.email && gc.request.guest.email) channels.push('email');
  if (configured.webhook) channels.push('webhook');
  return channels;
}

/** Not sent now, to be tried again: the code is not set on Seam yet, or another sender holds
 *  the claim (`busy`: that sender's outcome decides, not this job's; `leaseLeftMs` is how long
 *  its lease still runs, after which the claim is free again if that sender died). */
export class NotificationNotReady extends Error {
  constructor(
    message: string,
    readonly busy = false,
    readonly leaseLeftMs = 0,
  ) {
    super(message);
    this.name = 'NotificationNotReady';
  }
}

/**
 * Tells the guest their PIN through one channel, once. The PIN is read from Seam at the moment
 * of sending and never stored by us.
 */
export async function notifyGuest(
  deps: NotifyDeps,
  job: { guest_code_id: string; access_code_id: string; channel: NotifyChannel },
  allChannels: NotifyChannel[] | ((gc: GuestCode) => NotifyChannel[]),
): Promise<'sent' | 'skipped'> {
  const gc = await deps.store.get(job.guest_code_id);
  if (!gc) return 'skipped';
  if (gc.status === 'cancelled' || gc.status === 'failed') return 'skipped';
  if (gc.active_access_code_id !== job.access_code_id) return 'skipped';
  // A door of a stay is told in the stay's one message (notify-stay.ts).
  if (gc.stay && deps.stays) {
    return notifyStayDoor({ ...deps, stays: deps.stays }, gc, job.channel, allChannels);
  }
  const tracked = gc.access_codes.find((c) => c.access_code_id === job.access_code_id);
  // A code the stay's change superseded is not sent any more: the new one will be.
  if (tracked?.superseded) return 'skipped';
  if (notifiedThrough(gc, job.access_code_id, job.channel)) return 'skipped';
  // The contact it goes to: a changed email or phone is a new send (its own claim and id).
  const contact = gc.contact_version ?? 0;
  const contactSuffix = contact > 0 ? `:c${contact}` : '';

  const sender = job.channel === 'email' ? deps.email : deps.webhook;
  if (!sender || (job.channel === 'email' && !gc.request.guest.email)) return 'skipped';

  const key = deps.claimKey(gc.id, job.access_code_id, `${job.channel}${contactSuffix}`);
  const token = randomUUID();
  const claim = await deps.claims.claim(key, token);
  if (claim === 'sent') {
    await recordSent(deps, gc.id, job, allChannels, contact);
    return 'skipped';
  }
  if (claim === 'busy') {
    throw new NotificationNotReady(
      'another worker is sending this notification',
      true,
      await deps.claims.leaseLeftMs(key),
    );
  }

  try {
    const code = await deps.seam.getAccessCode(job.access_code_id);
    if (code.status !== 'set' || !code.code) {
      throw new NotificationNotReady('the code is not set on Seam yet');
    }
    const generation = tracked?.generation ?? 0;
    const told = (id: string) => gc.notifications.some((n) => n.access_code_id === id);
    // The change this code serves (its own generation, or one a replacement took over from):
    // the guest is told of the new stay until a code of it has reached them.
    const since = Math.max(
      -1,
      ...(gc.changes ?? []).map((c) => c.generation ?? -1).filter((g) => g >= 0 && g <= generation),
    );
    const fromChange =
      since >= 0 &&
      !gc.access_codes.some(
        (c) =>
          c.generation >= since &&
          c.access_code_id !== job.access_code_id &&
          told(c.access_code_id),
      );
    // A replacement of a code the guest was told for this same stay: that PIN failed. A code
    // superseded by a change still works until its end, so it is never said to stop working.
    const replacesPrevious =
      !fromChange &&
      gc.access_codes.some(
        (c) =>
          c.superseded &&
          c.generation >= Math.max(0, since) &&
          c.access_code_id !== job.access_code_id &&
          told(c.access_code_id),
      );
    // The window Seam stored for this code (read after the create and on every reconcile);
    // the plan only when Seam's answer never carried one.
    const window = guestWindow(gc, job.access_code_id);
    const locale = gc.request.guest.locale ?? deps.message?.defaultLocale;
    const message = composeGuestMessage({
      locale,
      brand: deps.message?.brand,
      // The hint to reply belongs in the email only (a webhook's receiver sends it on by SMS).
      replyTo: job.channel === 'email' && !!deps.message?.replyTo,
      guestName: gc.request.guest.name,
      lockName: gc.device.name,
      pin: code.code,
      startsAt: window.starts_at,
      endsAt: window.ends_at,
      timezone: gc.plan.timezone,
      kind: gc.plan.kind,
      caveats: gc.plan.caveats,
      replacesPrevious,
      changedStay: fromChange,
    });
    if (job.channel === 'email') {
      if (!deps.email || !gc.request.guest.email) return 'skipped';
      const { email } = deps;
      const to = gc.request.guest.email;
      await reported(deps, 'email', () => email.send(to, message));
    } else {
      if (!deps.webhook) return 'skipped';
      const { webhook } = deps;
      await reported(deps, 'webhook', () =>
        webhook.send(
          fromChange
            ? 'guest_code.changed'
            : generation > 0
              ? 'guest_code.replaced'
              : 'guest_code.ready',
          {
            guest_code_id: gc.id,
            reference: gc.reference,
            access_code_id: job.access_code_id,
            device_id: gc.device.device_id,
            lock_name: gc.device.name,
            guest: gc.request.guest,
            pin: code.code,
            starts_at: window.starts_at,
            ends_at: window.ends_at,
            window_source: window.source,
            timezone: gc.plan.timezone,
            kind: gc.plan.kind,
            caveats: gc.plan.caveats,
            warnings: (gc.plan.warnings ?? []).map(({ code: c, field, minutes, message: m }) => ({
              code: c,
              field,
              minutes,
              message: m,
            })),
            replaces_previous: replacesPrevious,
            ...(fromChange
              ? {
                  previous_codes: (gc.previous_codes ?? []).map((p) => ({
                    access_code_id: p.access_code_id,
                    valid_until: p.valid_until,
                  })),
                }
              : {}),
            locale: locale ?? FALLBACK_LOCALE,
            message: { subject: message.subject, text: message.text },
          },
          // The receiver's dedupe key: the same on every retry (a new one per contact change);
          // the id already carries `gc_`.
          `${gc.id}_${job.access_code_id}${contact > 0 ? `_c${contact}` : ''}`,
        ),
      );
    }
  } catch (err) {
    await deps.claims.release(key, token);
    throw err;
  }
  await deps.claims.markSent(key);
  await recordSent(deps, gc.id, job, allChannels, contact);
  deps.logger.info({ guestCodeId: gc.id, channel: job.channel }, 'guest notified');
  return 'sent';
}

async function recordSent(
  deps: NotifyDeps,
  guestCodeId: string,
  job: { access_code_id: string; channel: NotifyChannel },
  allChannels: NotifyChannel[] | ((gc: GuestCode) => NotifyChannel[]),
  contact: number,
): Promise<void> {
  const wanted = (gc: GuestCode) =>
    typeof allChannels === 'function' ? allChannels(gc) : allChannels;
  await deps.store.update(guestCodeId, (cur) =>
    recordNotification(
      cur,
      { access_code_id: job.access_code_id, channel: job.channel, contact },
      wanted,
      deps.now(),
    ),
  );
}

/**
 * Telling the guest through one channel gave up (a permanent refusal, or the last retry
 * failed): the guest code ends `undelivered` with the reason, and an ops alert goes out. Once
 * per failure: a channel the guest was told through after all, or a guest code that moved on,
 * changes nothing. The reason is built by the senders and never holds the PIN or an address.
 */
export async function giveUpNotifying(
  deps: Pick<NotifyDeps, 'store' | 'now' | 'logger' | 'alert'>,
  job: { guest_code_id: string; access_code_id: string; channel: NotifyChannel; resend?: number },
  reason: string,
): Promise<boolean> {
  const done = await deps.store.update(job.guest_code_id, (cur) =>
    ending(giveUpNotification(cur, { ...job, reason }, deps.now())),
  );
  if (!done?.result) return false;
  const gc = done.record;
  const message = gc.failure?.message ?? `${job.channel}: ${reason}`;
  deps.logger.error(
    { guestCodeId: gc.id, reference: gc.reference, channel: job.channel, failureCode: UNDELIVERED },
    `guest not told: ${message}`,
  );
  await deps.alert?.(
    gc.id,
    UNDELIVERED,
    `could not tell the guest through ${message}; fix the cause, then POST /v1/guest-codes/${gc.id}/resend`,
    `${UNDELIVERED}-${job.channel}-${job.resend ?? 0}`,
  );
  return true;
}

/** An ops alert through the outbound webhook (the log line is written where the failure happened). */
export async function sendAlert(
  deps: Pick<NotifyDeps, 'store' | 'webhook' | 'onNotification'>,
  job: { guest_code_id: string; code: string; message: string; alert_id?: string },
): Promise<'sent' | 'skipped'> {
  const { webhook } = deps;
  if (!webhook) return 'skipped';
  const gc = await deps.store.get(job.guest_code_id);
  // An alert about a guest code that goes on (e.g. Seam stored another window) is not a
  // failure; one about a code that ended without the guest told (failed, undelivered) is.
  const ended = !gc || gc.status === 'failed' || gc.status === 'undelivered';
  const type = ended ? 'guest_code.failed' : 'guest_code.alert';
  await reported(deps, 'alert_webhook', () =>
    webhook.send(
      type,
      {
        guest_code_id: job.guest_code_id,
        reference: gc?.reference,
        device_id: gc?.device.device_id,
        error: { code: job.code, message: job.message },
      },
      `alert_${job.guest_code_id}_${job.alert_id ?? job.code}`,
    ),
  );
  return 'sent';
}

/**
 * Tells the booking system a stay's window changed (`guest_code.window_changed`, alert-style,
 * no PIN): the new window, and every previous code with the end it still opens the door until
 * (offline codes cannot be revoked), flagged when that is after the stay's new end.
 */
export async function sendWindowChanged(
  deps: Pick<NotifyDeps, 'store' | 'webhook' | 'onNotification'>,
  job: { guest_code_id: string; change: number },
): Promise<'sent' | 'skipped'> {
  const { webhook } = deps;
  if (!webhook) return 'skipped';
  const gc = await deps.store.get(job.guest_code_id);
  const change = gc?.changes?.find((c) => c.n === job.change);
  if (!gc || !change?.to) return 'skipped';
  const newEnd = Date.parse(change.to.ends_at);
  const previous = (gc.previous_codes ?? []).map((p) => ({
    ...p,
    outlasts_stay: Date.parse(p.valid_until) > newEnd,
  }));
  const outlasting = previous.filter((p) => p.outlasts_stay);
  const shortened = change.from !== undefined && newEnd < Date.parse(change.from.ends_at);
  const message =
    `The stay now runs ${change.to.starts_at} to ${change.to.ends_at}` +
    (change.from ? ` (was ${change.from.starts_at} to ${change.from.ends_at})` : '') +
    '; a new code is created for it.' +
    outlasting
      .map(
        (p) =>
          ` The previous code ${p.access_code_id} still opens the door until ${p.valid_until}, after the stay's new end: offline codes cannot be revoked through the Seam API.`,
      )
      .join('');
  await reported(deps, 'alert_webhook', () =>
    webhook.send(
      'guest_code.window_changed',
      {
        guest_code_id: gc.id,
        reference: gc.reference,
        device_id: gc.device.device_id,
        change: change.n,
        previous_window: change.from ?? null,
        window: change.to,
        shortened,
        previous_codes: previous,
        message,
      },
      `window_changed_${gc.id}_${change.n}`,
    ),
  );
  return 'sent';
}
