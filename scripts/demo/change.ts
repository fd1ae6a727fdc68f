import { DateTime } from 'luxon';
import type { ReceivedMail } from '../../devkit/smtp';
import type { Received } from '../../devkit/webhook-receiver';
import type { Simulator } from '../../sim/simulator';
import type { Api } from './bookings';
import type { GuestCodeView, Tracked } from './scenarios';
import { c, colorStatus, say, section } from './terminal';

const POLL_MS = 200;

/**
 * A changed stay: BK-1001 stays a night longer (PATCH). Offline codes cannot be edited, so a
 * new code is made; the guest gets one more email with its PIN, the booking system one
 * `guest_code.window_changed`, and the answer says what the previous PIN still opens.
 * Returns what did not happen as it should.
 */
export async function extendStay(
  api: Api,
  tracked: Tracked[],
  o: { sim: Simulator; mails: ReceivedMail[]; webhooks: Received[]; timeoutMs: number },
): Promise<string[]> {
  section('Changing a stay (PATCH /v1/guest-codes/:id)');
  const t = tracked.find((x) => x.scenario.reference === 'BK-1001');
  const endsAt = t?.scenario.window.ends_at;
  if (!t?.id || !endsAt || t.status !== 'notified') {
    return ['BK-1001: not notified, so its stay could not be changed'];
  }
  const oldCode = t.accessCodeId;
  const newEnd = DateTime.fromISO(endsAt).plus({ days: 1 }).toISO({
    suppressMilliseconds: true,
  }) as string;
  const res = await api(`/v1/guest-codes/${t.id}`, { ends_at: newEnd }, 'PATCH');
  say(`${c.bold('BK-1001')} ends_at → ${newEnd}: ${c.green(String(res.status))}`);
  if (res.body.note) say(c.dim(`           ${res.body.note}`));
  if (res.status !== 202) return [`BK-1001: the change answered ${res.status}, expected 202`];

  const deadline = Date.now() + o.timeoutMs;
  let done: GuestCodeView | undefined;
  while (!done && Date.now() < deadline) {
    const r = await api(`/v1/guest-codes/${t.id}`).catch(() => undefined);
    const gc = r?.body.guest_code;
    if (gc?.status === 'notified' && gc.active_access_code_id !== oldCode) done = gc;
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await o.sim.webhooksIdle(3000);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const pin = done?.active_access_code_id
    ? o.sim.accessCodes().find((a) => a.access_code_id === done.active_access_code_id)?.code
    : undefined;
  const mails = o.mails.filter((m) => m.rcptTo.includes(t.scenario.guest.email));
  const changed = o.webhooks.filter(
    (e) =>
      e.verified &&
      e.event?.type === 'guest_code.window_changed' &&
      (e.event.data as { reference?: string } | undefined)?.reference === 'BK-1001',
  );
  if (!done || !pin) return ['BK-1001: the changed stay was not notified'];
  if (mails.length !== 2 || !mails[1]?.text?.includes(pin)) {
    return [`BK-1001: ${mails.length} emails after the change, expected 2 (the new PIN last)`];
  }
  if (changed.length !== 1) {
    return [`BK-1001: ${changed.length} guest_code.window_changed events, expected 1`];
  }
  const message = (changed[0]?.event?.data as { message?: string } | undefined)?.message ?? '';
  say(
    `${c.bold('BK-1001')} ${colorStatus('notified')} again with a new code (one more email); ` +
      `guest_code.window_changed: ${message}`,
  );
  return [];
}
