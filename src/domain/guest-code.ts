import type { NotifyChannel } from './notification-channel';
import type { CodePlan, MaxTimeRounding } from './rules';

/**
 * A guest code: one guest's offline PIN on one lock, followed from the booking system's
 * request to the guest's message. It may own several Seam access codes over its life: each
 * replacement of a failed code is a new "generation".
 *
 *   requested --(Seam code created)--> waiting --(set, PIN known)--> set --(told)--> notified
 *        \______________________ failed / cancelled ______________________/
 *
 * A notification that gives up leaves the code `undelivered` (an end, with an alert); an
 * operator's resend takes it back to `set`. An open code whose stay is over ends `failed`.
 */
export const GUEST_CODE_STATUSES = [
  'requested',
  'waiting',
  'set',
  'notified',
  'undelivered',
  'failed',
  'cancelled',
] as const;
export type GuestCodeStatus = (typeof GUEST_CODE_STATUSES)[number];

export const TERMINAL_STATUSES: readonly GuestCodeStatus[] = [
  'notified',
  'undelivered',
  'failed',
  'cancelled',
];

/** Seam's access code statuses in lifecycle order; `deleted` stands for a 404 or a deletion. */
export const SEAM_STATUS_ORDER = ['unset', 'setting', 'set', 'removing', 'deleted'] as const;
export type SeamStatus = (typeof SEAM_STATUS_ORDER)[number] | 'unknown';

export interface Guest {
  name: string;
  email?: string;
  phone?: string;
  /** BCP 47 locale of the guest's message (its language picks the template). */
  locale?: string;
}

export interface GuestCodeRequest {
  device_id: string;
  guest: Guest;
  starts_at: string;
  ends_at?: string;
  is_one_time_use: boolean;
  max_time_rounding: MaxTimeRounding;
  reference: string;
}

export interface TrackedAccessCode {
  access_code_id: string;
  generation: number;
  /** Seam's status, forward-only; 'unknown' is shown as Seam says it (account disconnected). */
  status: SeamStatus;
  /** The last known status while Seam says 'unknown', so ordering survives it. */
  last_known_status?: SeamStatus;
  errors: string[];
  /** Seam's warning codes on the code now (e.g. delay_in_setting_on_device). */
  warnings?: string[];
  /** The window Seam stored for the code (read after the create and on every reconcile). */
  starts_at?: string | null;
  ends_at?: string | null;
  /** Set once the stored window was found further from the plan than the rounding asked for. */
  window_alerted?: boolean;
  /** First time a failure that does not heal by itself was seen on this code. */
  failing_since?: string;
  /** First time the code was seen in a state that needs a soon recheck (set without a PIN,
   *  removing before the guest was told). */
  pending_since?: string;
  superseded: boolean;
  created_at: string;
}

export interface FailureReason {
  code: string;
  message: string;
  seam_request_id?: string;
  at: string;
}

export interface NotificationRecord {
  access_code_id: string;
  channel: NotifyChannel;
  at: string;
  /** The guest's contact version it went to (absent: 0, the contact first given). */
  contact?: number;
}

/**
 * A code this guest code no longer follows because the stay changed. An offline code cannot be
 * revoked (Seam's API deletes it only from Seam's records), so it still opens the door until its
 * own end: `valid_until` says when that is.
 */
export interface PreviousCode {
  access_code_id: string;
  valid_until: string;
  superseded_at: string;
}

/** One change of a stay (PATCH), as applied or still waiting for a creation to finish. */
export interface StayChange {
  /** 1, 2, ...: the change's number on this guest code. */
  n: number;
  /** Hash of the PATCH body: the same change again is recognised and answered the same. */
  fingerprint: string;
  at: string;
  /** What changed: the window (a new code) and/or the contact (no code). */
  window: boolean;
  contact: boolean;
  /** The generation whose code carries the new window (window changes only). */
  generation?: number;
  /** The answer's note, kept so the same change again gets the same words. */
  note: string;
  /** The window before and after (window changes only). */
  from?: { starts_at: string; ends_at: string };
  to?: { starts_at: string; ends_at: string };
}

export interface GuestCode {
  id: string;
  reference: string;
  /** Hash of the request body, to tell a retry (200) from a conflicting reuse (409). */
  request_fingerprint: string;
  request: GuestCodeRequest;
  device: { device_id: string; name: string; manufacturer: string; timezone: string };
  plan: CodePlan;
  status: GuestCodeStatus;
  /** The generation being created or followed: 0 first, +1 for each replacement. */
  generation: number;
  create_attempts: number;
  /** Set when a create request was sent and its answer is not recorded yet. */
  create_in_flight?: { generation: number; since: string };
  access_codes: TrackedAccessCode[];
  active_access_code_id?: string;
  replacements: number;
  notifications: NotificationRecord[];
  /** Resends an operator asked for after the notification gave up (absent: none). */
  resends?: number;
  /** Codes superseded by a change of the stay, still valid on the lock until their end. */
  previous_codes?: PreviousCode[];
  /** A change that waits for the creation in flight to finish (then it is applied). */
  pending_change?: { change: StayChange; request: GuestCodeRequest; plan: CodePlan };
  /** The changes applied, newest last (the last few). */
  changes?: StayChange[];
  /** Bumped when the guest's email or phone changes: a notification to an older contact
   *  does not count as telling the guest at the new one. */
  contact_version?: number;
  /** A door of a stay with several doors (POST with device_ids): its stay, its number (1..N)
   *  and how many doors the stay has. Such a code is told in one message with its stay's doors. */
  stay?: StayDoorRef;
  failure?: FailureReason;
  cancelled_at?: string;
  /** When the code entered its current status (kept by the store on every status change). */
  status_since?: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface StayDoorRef {
  id: string;
  door: number;
  doors: number;
}

export interface TimelineEntry {
  at: string;
  type: string;
  message: string;
  access_code_id?: string;
}

/** What a booking's guest code starts from; everything else starts empty. */
export type NewGuestCode = Pick<
  GuestCode,
  'id' | 'reference' | 'request_fingerprint' | 'request' | 'device' | 'plan'
> &
  Partial<Pick<GuestCode, 'stay'>>;

/** A guest code just requested: nothing created on Seam yet, nobody told. */
export function requestedGuestCode(fields: NewGuestCode, at: string): GuestCode {
  return {
    ...fields,
    status: 'requested',
    generation: 0,
    create_attempts: 0,
    access_codes: [],
    replacements: 0,
    notifications: [],
    created_at: at,
    updated_at: at,
    version: 1,
  };
}

export function isTerminal(status: GuestCodeStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A guest code id as the service makes them: `gc_` and a lowercase UUID. */
const GUEST_CODE_ID = /^gc_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` can name a guest code (anything else is not looked up at all). */
export function isGuestCodeId(id: string): boolean {
  return GUEST_CODE_ID.test(id);
}

/** The unique marker a create request carries in the code's name, to find it after a lost answer. */
export function creationTag(guestCodeId: string, generation: number): string {
  return `gc:${guestCodeId}:${generation}`;
}

/**
 * The name a Seam code is created with: the guest's name, then the tag in brackets at the
 * very end. The guest's name is free text, so brackets are taken out of it: no name can carry
 * something that reads as a tag, and the only bracket pair in the result is the tag's.
 */
export function seamCodeName(guestName: string, tag: string): string {
  const clean = guestName
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[[\]]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60)
    .trim();
  return clean ? `${clean} [${tag}]` : `[${tag}]`;
}

/**
 * Whether a Seam code's name is one this service wrote for `tag`: the tag in brackets exactly
 * at the end, after a name with no brackets of its own (what `seamCodeName` writes). A tag
 * anywhere else, or a name with other brackets, is someone else's code.
 */
export function carriesTag(name: string, tag: string): boolean {
  const suffix = `[${tag}]`;
  if (!name.endsWith(suffix)) return false;
  const rest = name.slice(0, -suffix.length);
  return (rest === '' || rest.endsWith(' ')) && !/[[\]]/.test(rest);
}

/** Whether the guest was told the PIN of `accessCodeId` through `channel` at their current contact. */
export function notifiedThrough(gc: GuestCode, accessCodeId: string, channel: string): boolean {
  const contact = gc.contact_version ?? 0;
  return gc.notifications.some(
    (n) =>
      n.access_code_id === accessCodeId && n.channel === channel && (n.contact ?? 0) === contact,
  );
}

export function activeCode(gc: GuestCode): TrackedAccessCode | undefined {
  return gc.access_codes.find((c) => c.access_code_id === gc.active_access_code_id);
}

/**
 * The window a guest is told for one access code: what Seam stored for it when known, else the
 * plan. A one-time-use code Seam stores without `ends_at` (Seam's guide shows `ends_at: None`)
 * lasts 24 hours from its start ("valid for 24 hours from the `starts_at`").
 */
export function guestWindow(
  gc: GuestCode,
  accessCodeId: string | undefined,
): { starts_at: string; ends_at: string; source: 'seam' | 'plan' } {
  const code = gc.access_codes.find((c) => c.access_code_id === accessCodeId);
  const start = code?.starts_at ? Date.parse(code.starts_at) : NaN;
  if (!Number.isFinite(start)) {
    return { starts_at: gc.plan.starts_at, ends_at: gc.plan.ends_at, source: 'plan' };
  }
  const end = code?.ends_at
    ? Date.parse(code.ends_at)
    : gc.plan.kind === 'one_time_use'
      ? start + 24 * 3600_000
      : NaN;
  if (!Number.isFinite(end)) {
    return { starts_at: gc.plan.starts_at, ends_at: gc.plan.ends_at, source: 'plan' };
  }
  return {
    starts_at: new Date(start).toISOString(),
    ends_at: new Date(end).toISOString(),
    source: 'seam',
  };
}
