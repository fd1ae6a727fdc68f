import { createHash, randomUUID } from 'node:crypto';
import { guestWindow, type GuestCode } from '../domain/guest-code';
import type { NotifyChannel } from '../domain/notification-channel';
import { nextStayBatch, stayBatchClaim, type StayRecord } from '../domain/stay';
import { recordNotification } from '../domain/transitions';
import { composeStayMessage } from '../notify/guest-message';
import { FALLBACK_LOCALE } from '../notify/templates';
import type { StayStore } from '../store/stays';
import { NotificationNotReady, type NotifyDeps } from './notify-guest';

/** The alert when a stay starts with some door still not set. */
export const STAY_INCOMPLETE = 'stay_incomplete';

export type StayNotifyDeps = NotifyDeps & { stays: Pick<StayStore, 'get'> };

type Channels = NotifyChannel[] | ((gc: GuestCode) => NotifyChannel[]);

const channelsOf = (all: Channels, gc: GuestCode) => (typeof all === 'function' ? all(gc) : all);

async function doorsOf(deps: StayNotifyDeps, stay: StayRecord): Promise<GuestCode[]> {
  const docs = await deps.store.getMany(stay.doors.map((d) => d.guest_code_id));
  return docs.filter((d): d is GuestCode => d !== undefined);
}

/**
 * One message through `channel` for the doors of the stay that are ready and not yet told
 * (see nextStayBatch): under a claim keyed by the stay, the channel and the batch's access
 * codes, then recorded on every door it told (each ends `notified`). The PINs are read from
 * Seam at the moment of sending and never stored.
 */
export async function sendStayBatch(
  deps: StayNotifyDeps,
  stay: StayRecord,
  channel: NotifyChannel,
  started: boolean,
  allChannels: Channels,
): Promise<'sent' | 'skipped'> {
  if (!nextStayBatch(await doorsOf(deps, stay), channel, started).send) return 'skipped';
  // One sender per stay and channel at a time, deciding its batch under the lock: two jobs
  // (the stay's start and a door just set) never send overlapping batches under different
  // claims. A job that finds it held looks again shortly (the holder releases when done; a
  // dead holder's lease runs out).
  const lock = deps.claimKey(stay.id, 'sending', channel);
  const token = randomUUID();
  if ((await deps.claims.claim(lock, token)) !== 'claimed') {
    throw new NotificationNotReady(
      'another worker is sending a message of this stay',
      true,
      Math.min(STAY_LOCK_POLL_MS, await deps.claims.leaseLeftMs(lock)),
    );
  }
  try {
    return await sendLocked(deps, stay, channel, started, allChannels);
  } finally {
    await deps.claims.release(lock, token);
  }
}

/** How soon a job that found another sender of the same stay looks again. */
const STAY_LOCK_POLL_MS = 500;

async function sendLocked(
  deps: StayNotifyDeps,
  stay: StayRecord,
  channel: NotifyChannel,
  started: boolean,
  allChannels: Channels,
): Promise<'sent' | 'skipped'> {
  const doors = await doorsOf(deps, stay);
  const batch = nextStayBatch(doors, channel, started);
  if (!batch.send) return 'skipped';
  const byId = new Map(doors.map((d) => [d.id, d]));
  const first = byId.get(batch.doors[0]!.guest_code_id)!;
  const guest = first.request.guest;
  const sender = channel === 'email' ? deps.email : deps.webhook;
  if (!sender || (channel === 'email' && !guest.email)) return 'skipped';
  const contact = first.contact_version ?? 0;
  const suffix = contact > 0 ? `:c${contact}` : '';
  const claimOf = stayBatchClaim(batch.doors);
  const key = deps.claimKey(stay.id, claimOf, `${channel}${suffix}`);
  const token = randomUUID();
  const claim = await deps.claims.claim(key, token);
  const record = () => recordBatch(deps, batch.doors, channel, allChannels);
  if (claim === 'sent') {
    await record();
    return 'skipped';
  }
  if (claim === 'busy') {
    throw new NotificationNotReady(
      'another worker is sending this stay message',
      true,
      await deps.claims.leaseLeftMs(key),
    );
  }
  try {
    const told = doors.some(
      (d) =>
        d.active_access_code_id !== undefined &&
        d.notifications.some((n) => n.channel === channel && (n.contact ?? 0) === contact),
    );
    const pins: {
      gc: GuestCode;
      door: (typeof batch.doors)[number];
      pin: string;
      window: ReturnType<typeof guestWindow>;
    }[] = [];
    for (const door of batch.doors) {
      const gc = byId.get(door.guest_code_id)!;
      const code = await deps.seam.getAccessCode(door.access_code_id);
      if (code.status !== 'set' || !code.code) {
        throw new NotificationNotReady(`the code of door ${door.door} is not set on Seam yet`);
      }
      pins.push({ gc, door, pin: code.code, window: guestWindow(gc, door.access_code_id) });
    }
    // New codes for a changed stay: a door whose window changed and whose guest was told
    // an earlier code of it (that code still opens the door until its own end).
    const changed = pins.some(
      ({ gc, door }) =>
        (gc.changes ?? []).some((ch) => ch.window) &&
        gc.notifications.some((n) => n.access_code_id !== door.access_code_id),
    );
    const locale = guest.locale ?? deps.message?.defaultLocale;
    const message = composeStayMessage({
      changed,
      guestName: guest.name,
      locale,
      brand: deps.message?.brand,
      replyTo: channel === 'email' && !!deps.message?.replyTo,
      followUp: told,
      pending: batch.pending.length,
      doors: pins.map(({ gc, door, pin, window }) => ({
        door: door.door,
        lockName: gc.device.name,
        pin,
        startsAt: window.starts_at,
        endsAt: window.ends_at,
        timezone: gc.plan.timezone,
        kind: gc.plan.kind,
        caveats: gc.plan.caveats,
      })),
    });
    if (channel === 'email') {
      const to = guest.email!;
      await reportedSend(deps, 'email', () => deps.email!.send(to, message));
    } else {
      const id = createHash('sha256').update(claimOf).digest('hex').slice(0, 16);
      await reportedSend(deps, 'webhook', () =>
        deps.webhook!.send(
          'stay.ready',
          {
            stay_id: stay.id,
            reference: stay.reference,
            guest,
            doors: pins.map(({ gc, door, pin, window }) => ({
              door: door.door,
              guest_code_id: gc.id,
              access_code_id: door.access_code_id,
              device_id: gc.device.device_id,
              lock_name: gc.device.name,
              pin,
              starts_at: window.starts_at,
              ends_at: window.ends_at,
              timezone: gc.plan.timezone,
              kind: gc.plan.kind,
              caveats: gc.plan.caveats,
              // Offline codes cannot be revoked: each earlier code opens the door until then.
              previous_codes: (gc.previous_codes ?? []).map((p) => ({
                access_code_id: p.access_code_id,
                valid_until: p.valid_until,
              })),
            })),
            changed,
            follow_up: told,
            more_to_follow: batch.moreToFollow,
            pending_doors: batch.pending,
            locale: locale ?? FALLBACK_LOCALE,
            message: { subject: message.subject, text: message.text },
          },
          `${stay.id}_${id}${contact > 0 ? `_c${contact}` : ''}`,
        ),
      );
    }
  } catch (err) {
    await deps.claims.release(key, token);
    throw err;
  }
  await deps.claims.markSent(key);
  await record();
  deps.logger.info(
    { stayId: stay.id, channel, doors: batch.doors.map((d) => d.door), more: batch.moreToFollow },
    'guest told the doors of a stay',
  );
  return 'sent';
}

async function reportedSend<T>(
  deps: Pick<NotifyDeps, 'onNotification'>,
  channel: 'email' | 'webhook',
  send: () => Promise<T>,
): Promise<T> {
  try {
    const out = await send();
    deps.onNotification?.(channel, 'sent');
    return out;
  } catch (err) {
    deps.onNotification?.(channel, 'failed');
    throw err;
  }
}

async function recordBatch(
  deps: StayNotifyDeps,
  doors: readonly { guest_code_id: string; access_code_id: string }[],
  channel: NotifyChannel,
  allChannels: Channels,
): Promise<void> {
  for (const door of doors) {
    await deps.store.update(door.guest_code_id, (cur) =>
      recordNotification(
        cur,
        { access_code_id: door.access_code_id, channel, contact: cur.contact_version ?? 0 },
        (gc) => channelsOf(allChannels, gc),
        deps.now(),
      ),
    );
  }
}

/** Whether the stay has started: its earliest door's planned start is past. */
function hasStarted(doors: readonly GuestCode[], now: Date): boolean {
  const live = doors.filter((d) => d.status !== 'cancelled' && d.status !== 'failed');
  if (live.length === 0) return false;
  return now.getTime() >= Math.min(...live.map((d) => Date.parse(d.plan.starts_at)));
}

/**
 * A door of a stay is set (its ordinary notify job): the stay's message goes out when every
 * door is ready, or, once the stay has started or a first message went, with what is ready.
 */
export async function notifyStayDoor(
  deps: StayNotifyDeps,
  gc: GuestCode,
  channel: NotifyChannel,
  allChannels: Channels,
): Promise<'sent' | 'skipped'> {
  const stay = gc.stay ? await deps.stays.get(gc.stay.id) : undefined;
  if (!stay) return 'skipped';
  const started = hasStarted(await doorsOf(deps, stay), deps.now());
  return sendStayBatch(deps, stay, channel, started, allChannels);
}

/**
 * The stay starts: the guest gets what is ready (with "more to follow"), and when some door is
 * still not set the operators get `stay_incomplete`. Doors set later are told as they come.
 */
export async function startStay(
  deps: StayNotifyDeps,
  job: { stay_id: string },
  allChannels: Channels,
): Promise<'sent' | 'skipped'> {
  const stay = await deps.stays.get(job.stay_id);
  if (!stay) return 'skipped';
  const doors = await doorsOf(deps, stay);
  const live = doors.filter((d) => d.status !== 'cancelled' && d.status !== 'failed');
  if (live.length === 0) return 'skipped';
  // A stay moved later (PATCH): a job at its new start does this then.
  if (!hasStarted(live, deps.now())) return 'skipped';
  let sent: 'sent' | 'skipped' = 'skipped';
  for (const channel of channelsOf(allChannels, live[0]!)) {
    if ((await sendStayBatch(deps, stay, channel, true, allChannels)) === 'sent') sent = 'sent';
  }
  const late = live.filter((d) => !['set', 'notified', 'undelivered'].includes(d.status));
  if (late.length > 0) {
    const names = late.map((d) => `door ${d.stay?.door ?? '?'} (${d.device.name})`).join(', ');
    const message = `stay ${stay.id} (${stay.reference}) started with ${late.length} of ${live.length} doors not ready: ${names}; the guest was told the ready doors and that more will follow`;
    deps.logger.warn({ stayId: stay.id, late: late.map((d) => d.id) }, message);
    await deps.alert?.(late[0]!.id, STAY_INCOMPLETE, message, `${STAY_INCOMPLETE}-${stay.id}`);
  }
  return sent;
}

/**
 * A door of a stay ended without a code (its alert: failed for good, or its stay ended): the
 * doors still waiting for it are told now if nothing else is left to wait for. Best effort: a
 * failure here is logged and the stay's start job is the safety net.
 */
export async function reviewStayAfterDoorEnded(
  deps: StayNotifyDeps,
  guestCodeId: string,
  allChannels: Channels,
): Promise<void> {
  try {
    const gc = await deps.store.get(guestCodeId);
    if (!gc?.stay || (gc.status !== 'failed' && gc.status !== 'cancelled')) return;
    const stay = await deps.stays.get(gc.stay.id);
    if (!stay) return;
    const doors = await doorsOf(deps, stay);
    const live = doors.filter((d) => d.status !== 'cancelled' && d.status !== 'failed');
    if (live.length === 0) return;
    const started = hasStarted(doors, deps.now());
    for (const channel of channelsOf(allChannels, live[0]!)) {
      await sendStayBatch(deps, stay, channel, started, allChannels);
    }
  } catch (err) {
    deps.logger.warn(
      { guestCodeId, err: err instanceof Error ? err.message : String(err) },
      "could not tell a stay's other doors after one ended; the stay's start will",
    );
  }
}
