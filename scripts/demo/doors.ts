import { DateTime } from 'luxon';
import type { ReceivedMail } from '../../devkit/smtp';
import type { Received } from '../../devkit/webhook-receiver';
import type { Simulator } from '../../sim/simulator';
import type { Api } from './bookings';
import { c, colorStatus, say, section } from './terminal';

const POLL_MS = 200;

interface StayDoorView {
  door: number;
  device_id: string;
  lock_name: string;
  guest_code_id: string;
  status: string;
}

/**
 * A stay with two doors: BK-2001 opens both igloohome locks (POST with `device_ids`). Each door
 * gets its own code; the guest gets ONE email listing both doors and PINs once both are set,
 * the booking system one `stay.ready`. Returns what did not happen as it should.
 */
export async function twoDoorStay(
  api: Api,
  o: { sim: Simulator; mails: ReceivedMail[]; webhooks: Received[]; timeoutMs: number },
): Promise<string[]> {
  section('A stay with two doors (POST /v1/guest-codes with device_ids)');
  const [iglooA, iglooB] = o.sim.devices.igloohome;
  if (!iglooA || !iglooB) return ['BK-2001: the simulator fixture lacks two igloohome locks'];
  const london = DateTime.now().setZone('Europe/London');
  const at = (days: number, hour: number) =>
    london.plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  const iso = (d: DateTime) => d.toISO({ suppressMilliseconds: true }) as string;
  const email = 'margaret@example.com';
  const res = await api('/v1/guest-codes', {
    device_ids: [iglooA, iglooB],
    guest: { name: 'Margaret Hamilton', email },
    starts_at: iso(at(10, 15)),
    ends_at: iso(at(12, 11)),
    reference: 'BK-2001',
  });
  const stay = (res.body as unknown as { stay?: { id: string; doors: StayDoorView[] } }).stay;
  if (res.status !== 202 || !stay) return [`BK-2001: answered ${res.status}, expected 202`];
  say(
    `${c.bold('BK-2001')} two doors: ${c.green(String(res.status))} ${stay.id}: ` +
      stay.doors.map((d) => `door ${d.door} ${d.lock_name} (${d.guest_code_id})`).join(', '),
  );

  const deadline = Date.now() + o.timeoutMs;
  let doors: StayDoorView[] = [];
  while (Date.now() < deadline) {
    const r = await api(`/v1/stays/${stay.id}`).catch(() => undefined);
    doors =
      (r?.body as unknown as { stay?: { doors: StayDoorView[] } } | undefined)?.stay?.doors ?? [];
    if (doors.length === 2 && doors.every((d) => d.status === 'notified')) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await o.sim.webhooksIdle(3000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (!doors.every((d) => d.status === 'notified')) {
    return [`BK-2001: doors ${doors.map((d) => d.status).join(', ')}, expected both notified`];
  }
  const mails = o.mails.filter((m) => m.rcptTo.includes(email));
  const events = o.webhooks.filter(
    (e) =>
      e.verified &&
      e.event?.type === 'stay.ready' &&
      (e.event.data as { stay_id?: string } | undefined)?.stay_id === stay.id,
  );
  const pins = o.sim
    .accessCodes()
    .filter((a) => doors.some((d) => a.name?.includes(`[gc:${d.guest_code_id}:`)))
    .map((a) => a.code ?? '');
  if (mails.length !== 1) return [`BK-2001: ${mails.length} emails, expected 1 for both doors`];
  if (pins.length !== 2 || !pins.every((p) => p && mails[0]?.text?.includes(p))) {
    return ['BK-2001: the email does not carry both doors’ PINs'];
  }
  if (events.length !== 1) return [`BK-2001: ${events.length} stay.ready events, expected 1`];
  say(
    `${c.bold('BK-2001')} both doors ${colorStatus('notified')}: one email with both PINs, one stay.ready`,
  );
  return [];
}
