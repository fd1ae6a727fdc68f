/**
 * A stay with several doors (POST /v1/guest-codes with `device_ids`): one guest code per door,
 * told to the guest in one message. Pure: which doors form the next message, nothing else.
 */
import { notifiedThrough, type GuestCode } from './guest-code';

/** The stay record: the POST's reference and the door guest codes, in the order asked. */
export interface StayRecord {
  id: string;
  reference: string;
  request_fingerprint: string;
  starts_at: string;
  ends_at: string;
  doors: { door: number; device_id: string; guest_code_id: string }[];
  created_at: string;
}

/** A stay id as the service makes them: `st_` and a lowercase UUID. */
const STAY_ID = /^st_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isStayId(id: string): boolean {
  return STAY_ID.test(id);
}

/** The reference of a stay's door `n` (1-based): `<stay reference>#<n>`. */
export function doorReference(reference: string, door: number): string {
  return `${reference}#${door}`;
}

/** A door whose code is set and whose guest was not told yet through the channel. */
export interface BatchDoor {
  guest_code_id: string;
  access_code_id: string;
  door: number;
}

export type StayBatch =
  | { send: false; reason: string }
  | { send: true; doors: BatchDoor[]; moreToFollow: boolean; pending: number[] };

const GONE = new Set(['cancelled', 'failed']);

/**
 * Which doors the next message through `channel` covers. Doors that are cancelled or failed
 * are left out (they have no PIN to tell). A door is ready when its code is `set` (its PIN is
 * known), told when the guest had its active code through the channel already.
 *
 * The message goes out when every door is ready or told; before that, only once the stay has
 * started (`started`: the stay-start job) or a first message already went (the guest is
 * waiting for the rest): then it covers the ready doors not yet told, with "more to follow"
 * while some door is still not ready.
 */
export function nextStayBatch(
  doors: readonly GuestCode[],
  channel: string,
  started: boolean,
): StayBatch {
  const live = doors.filter((d) => !GONE.has(d.status));
  if (live.length === 0) return { send: false, reason: 'no door left to tell' };
  const told = (d: GuestCode) =>
    d.active_access_code_id !== undefined && notifiedThrough(d, d.active_access_code_id, channel);
  // `notified` too: told through another channel or at an older contact, its PIN is known.
  const ready = (d: GuestCode) =>
    (d.status === 'set' || d.status === 'undelivered' || d.status === 'notified') &&
    d.active_access_code_id !== undefined;
  const batch = live.filter((d) => ready(d) && !told(d));
  const pending = live.filter((d) => !ready(d) && !told(d));
  if (batch.length === 0) return { send: false, reason: 'no door ready and untold' };
  const someTold = live.some(told);
  if (pending.length > 0 && !started && !someTold) {
    return { send: false, reason: 'waiting for every door to be set' };
  }
  return {
    send: true,
    doors: batch
      .map((d) => ({
        guest_code_id: d.id,
        access_code_id: d.active_access_code_id!,
        door: d.stay?.door ?? 0,
      }))
      .sort((a, b) => a.door - b.door),
    moreToFollow: pending.length > 0,
    pending: pending.map((d) => d.stay?.door ?? 0).sort((a, b) => a - b),
  };
}

/** The claim of one stay message: the stay, the channel and the access codes it tells. */
export function stayBatchClaim(batch: readonly BatchDoor[]): string {
  return batch
    .map((d) => d.access_code_id)
    .sort()
    .join(',');
}
