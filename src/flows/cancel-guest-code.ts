import { guestWindow, type GuestCode } from '../domain/guest-code';
import { cancel } from '../domain/transitions';
import type { GuestCodeStore } from '../store/guest-codes';

export interface CancelOutcome {
  record: GuestCode;
  /** What cancelling did and did not do, in plain words for the booking system. */
  note: string;
}

/**
 * A booking was cancelled. Nothing not yet created will be created, nobody not yet told will
 * be told; but an offline code that exists cannot be revoked through Seam's API, so it stays
 * valid on the lock until its end, and the answer says so.
 */
export async function cancelGuestCode(
  deps: { store: GuestCodeStore; now: () => Date },
  id: string,
): Promise<CancelOutcome | undefined> {
  const record = (await deps.store.update(id, (cur) => cancel(cur, deps.now())))?.record;
  if (!record) return undefined;
  const created = record.access_codes.length > 0 || record.create_in_flight !== undefined;
  const told = record.notifications.length > 0;
  const note = !created
    ? 'Cancelled. No code was created on the lock and none will be.'
    : `Cancelled. ${told ? 'The guest was already told the PIN. ' : 'The guest will not be told the PIN. '}` +
      `The offline code${record.create_in_flight && record.access_codes.length === 0 ? ' (if the pending creation went through)' : ''} stays valid on the lock until ${guestWindow(record, record.active_access_code_id).ends_at}: offline codes cannot be revoked through the Seam API.`;
  const previous = (record.previous_codes ?? []).filter(
    (p) => Date.parse(p.valid_until) > deps.now().getTime(),
  );
  const earlier = previous
    .map(
      (p) =>
        ` The code ${p.access_code_id} from before the stay changed stays valid until ${p.valid_until}.`,
    )
    .join('');
  return { record, note: note + earlier };
}
