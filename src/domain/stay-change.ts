import {
  guestWindow,
  notifiedThrough,
  type Guest,
  type GuestCode,
  type GuestCodeRequest,
  type PreviousCode,
  type StayChange,
  type TimelineEntry,
} from './guest-code';
import type { CodePlan, MaxTimeRounding } from './rules';

/**
 * A stay that changes (PATCH /v1/guest-codes/{id}). Pure: the caller passes the time, the new
 * plan (checked against the lock's rules) and stores the result.
 *
 * An offline code can be neither edited nor revoked (the project's Seam notes,
 * shared/reference/seam-facts.md: "Offline codes cannot be updated or deleted through the API,
 * and each one uses up a slot on the lock"). So a new window means a new code, and the old one
 * keeps opening the door until its own end: the record keeps it in `previous_codes` with that
 * end, and every answer says it.
 */

export interface StayPatch {
  starts_at?: string;
  ends_at?: string;
  is_one_time_use?: boolean;
  max_time_rounding?: MaxTimeRounding;
  guest?: Guest;
}

/** How many applied changes a record keeps (the newest). */
export const CHANGES_KEPT = 20;

/** The request as it is after the patch. Turning a code one-time-use drops its `ends_at`. */
export function mergeStayPatch(req: GuestCodeRequest, patch: StayPatch): GuestCodeRequest {
  const next: GuestCodeRequest = { ...req };
  if (patch.starts_at !== undefined) next.starts_at = patch.starts_at;
  if (patch.ends_at !== undefined) next.ends_at = patch.ends_at;
  if (patch.is_one_time_use !== undefined) next.is_one_time_use = patch.is_one_time_use;
  if (patch.max_time_rounding !== undefined) next.max_time_rounding = patch.max_time_rounding;
  if (patch.guest !== undefined) next.guest = { ...patch.guest };
  if (patch.is_one_time_use === true && patch.ends_at === undefined) delete next.ends_at;
  return next;
}

/** Whether the window fields of two requests differ (the same instant in another offset does not). */
export function windowFieldsDiffer(a: GuestCodeRequest, b: GuestCodeRequest): boolean {
  const instant = (v: string | undefined) => (v === undefined ? undefined : Date.parse(v));
  return (
    instant(a.starts_at) !== instant(b.starts_at) ||
    instant(a.ends_at) !== instant(b.ends_at) ||
    a.is_one_time_use !== b.is_one_time_use ||
    a.max_time_rounding !== b.max_time_rounding
  );
}

/** Whether two plans make the same code on the lock (what Seam would be asked for). */
export function sameCode(a: CodePlan, b: CodePlan): boolean {
  const key = (p: CodePlan) =>
    JSON.stringify([
      p.kind,
      Date.parse(p.starts_at),
      Date.parse(p.ends_at),
      p.max_time_rounding,
      p.seam_request
        ? [
            Date.parse(p.seam_request.starts_at),
            p.seam_request.ends_at === undefined ? null : Date.parse(p.seam_request.ends_at),
            p.seam_request.max_time_rounding,
          ]
        : null,
    ]);
  return key(a) === key(b);
}

/** Whether the guest's email or phone differ (a new name alone needs no new message). */
export function contactDiffers(a: Guest, b: Guest): boolean {
  return (a.email ?? '') !== (b.email ?? '') || (a.phone ?? '') !== (b.phone ?? '');
}

export interface ChangeEnding {
  record: GuestCode;
  timeline: TimelineEntry[];
  /** A new code to create (window changes). */
  createGeneration?: number;
  /** The applied change, for the booking system's `guest_code.window_changed` (window changes). */
  windowChanged?: StayChange;
}

/**
 * Applies a change to a guest code that has no creation in flight. A new window supersedes the
 * code being followed (kept in `previous_codes` with the end it still opens the door until) and
 * starts a new generation, created with the same safety as the first (tag, claim, adoption); a
 * contact change only updates the guest, and bumps the contact version when the email or phone
 * differ so that a resend reaches the new contact.
 */
export function applyStayChange(
  current: GuestCode,
  pending: { change: StayChange; request: GuestCodeRequest; plan: CodePlan },
  now: Date,
): ChangeEnding {
  const at = now.toISOString();
  const { change, request, plan } = pending;
  const { pending_change: _applied, ...base } = current;
  const contactVersion =
    (current.contact_version ?? 0) + (contactDiffers(current.request.guest, request.guest) ? 1 : 0);
  const timeline: TimelineEntry[] = [];
  if (!change.window) {
    const record: GuestCode = {
      ...base,
      request,
      ...(contactVersion > 0 ? { contact_version: contactVersion } : {}),
      changes: [...(current.changes ?? []), change].slice(-CHANGES_KEPT),
      updated_at: at,
    };
    timeline.push({ at, type: 'changed', message: `change ${change.n}: contact details updated` });
    return { record, timeline };
  }

  const superseded: PreviousCode[] = current.access_codes
    .filter((c) => !c.superseded)
    .map((c) => ({
      access_code_id: c.access_code_id,
      valid_until: guestWindow(current, c.access_code_id).ends_at,
      superseded_at: at,
    }));
  const generation = current.generation + 1;
  const applied: StayChange = { ...change, generation };
  const {
    active_access_code_id: _followed,
    failure: _cleared,
    create_in_flight: _none,
    ...rest
  } = base;
  const record: GuestCode = {
    ...rest,
    request,
    plan,
    status: 'requested',
    generation,
    access_codes: current.access_codes.map((c) => (c.superseded ? c : { ...c, superseded: true })),
    previous_codes: [...(current.previous_codes ?? []), ...superseded],
    ...(contactVersion > 0 ? { contact_version: contactVersion } : {}),
    changes: [...(current.changes ?? []), applied].slice(-CHANGES_KEPT),
    updated_at: at,
  };
  timeline.push({
    at,
    type: 'stay_changed',
    message:
      `change ${change.n}: the stay is now ${plan.starts_at} to ${plan.ends_at}; a new code is created` +
      superseded
        .map((p) => `; the previous code stays valid on the lock until ${p.valid_until}`)
        .join(''),
  });
  for (const p of superseded) {
    timeline.push({
      at,
      type: 'superseded',
      message: `superseded by change ${change.n}; still valid on the lock until ${p.valid_until}`,
      access_code_id: p.access_code_id,
    });
  }
  return { record, timeline, createGeneration: generation, windowChanged: applied };
}

/** The window a guest code stands for now: its followed code's, else the plan's. */
export function currentWindow(gc: GuestCode): { starts_at: string; ends_at: string } {
  const w = guestWindow(gc, gc.active_access_code_id);
  return { starts_at: w.starts_at, ends_at: w.ends_at };
}

/**
 * What a change does, in plain words for the booking system (the answer's `note`), computed
 * when the change is asked for. `before` is the record as it was, `plan` the new window.
 */
export function describeChange(
  before: GuestCode,
  change: Pick<StayChange, 'window' | 'contact'>,
  plan: CodePlan,
  opts: { waits: boolean; guest: Guest },
): string {
  const parts: string[] = [];
  const live = before.access_codes.filter((c) => !c.superseded);
  const oldWindow = currentWindow(before);
  if (change.window) {
    parts.push(`The stay now runs ${plan.starts_at} to ${plan.ends_at}.`);
    if (opts.waits) {
      parts.push(
        'A code is being created for the previous window; this change applies once that creation ' +
          'finishes: that code (if it was made) stays valid on the lock until ' +
          `${oldWindow.ends_at}, and a new code is created for the new window.`,
      );
    } else {
      parts.push('A new code is created for it; the guest gets its PIN once it is set.');
      for (const c of live) {
        const until = guestWindow(before, c.access_code_id).ends_at;
        const told = before.notifications.some((n) => n.access_code_id === c.access_code_id);
        parts.push(
          `The previous ${told ? 'PIN' : 'code'} (${c.access_code_id})${told ? ', which the guest was told,' : ''} ` +
            `still opens the door until ${until}: offline codes cannot be revoked through the Seam API.` +
            (Date.parse(until) > Date.parse(plan.ends_at)
              ? ` That is after the stay's new end (${plan.ends_at}).`
              : ''),
        );
      }
    }
  }
  if (change.contact) {
    parts.push(change.window ? 'Contact details updated too.' : 'Contact details updated.');
    if (!change.window) {
      const told = before.access_codes.some(
        (c) =>
          !c.superseded && before.notifications.some((n) => n.access_code_id === c.access_code_id),
      );
      const moved = contactDiffers(before.request.guest, opts.guest);
      parts.push(
        told && moved
          ? `No new code is needed. The guest was told the PIN at their previous contact: POST /v1/guest-codes/${before.id}/resend sends the same PIN to the new one.`
          : told
            ? 'No new code is needed, and none of the ways the guest is told changed.'
            : 'No new code is needed; the guest will be told at the new contact.',
      );
    }
  }
  return parts.join(' ');
}

/** Whether the guest, at their current contact, still lacks a message the active code had. */
export function owedAtNewContact(gc: GuestCode, channels: readonly string[]): string[] {
  const active = gc.active_access_code_id;
  if (!active || (gc.contact_version ?? 0) === 0) return [];
  const toldBefore = gc.notifications.some((n) => n.access_code_id === active);
  if (!toldBefore) return [];
  return channels.filter((ch) => !notifiedThrough(gc, active, ch));
}
