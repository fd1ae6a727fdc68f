import {
  SEAM_STATUS_ORDER,
  isTerminal,
  type GuestCode,
  type SeamStatus,
  type TimelineEntry,
  type TrackedAccessCode,
} from './guest-code';
import { normalizeRounding } from './rules/rounding';

/** What Seam says about one access code now (the API is the truth; webhooks are hints). */
export type AccessCodeSnapshot =
  | {
      access_code_id: string;
      gone: false;
      status: SeamStatus;
      has_pin: boolean;
      errors: string[];
      warnings: string[];
      /** The window Seam stored (absent when the answer did not carry it). */
      starts_at?: string | null;
      ends_at?: string | null;
      /** Seam's `is_offline_access_code`; absent when the answer did not carry it. */
      is_offline_access_code?: boolean;
    }
  | { access_code_id: string; gone: true };

export interface ReplacementPolicy {
  /** How long a failure that does not heal by itself may last before the code is replaced. */
  replaceAfterMs: number;
  /** How long after starts_at a code may still be unset before it is replaced. */
  notSetGraceMs: number;
  maxReplacements: number;
}

export type LifecycleEffect =
  | { type: 'notify'; access_code_id: string }
  /** `kind` names the cause in a few words (a Seam error code or not_set_in_time), for counting. */
  | { type: 'replace'; reason: string; kind: string }
  | { type: 'fail'; code: string; message: string; alert: boolean }
  /** An ops alert that does not fail the guest code. */
  | { type: 'alert'; code: string; message: string }
  | { type: 'recheck'; at: string };

export interface LifecycleDecision {
  record: GuestCode;
  timeline: TimelineEntry[];
  effects: LifecycleEffect[];
  changed: boolean;
}

/**
 * Failures that a new code on the same lock would meet again: fail at once, with an alert, and
 * never replace (a replacement would spend another offline code, which cannot be deleted).
 * Codes from @seamapi/types (models/access-codes/managed-access-code.ts: access code errors;
 * models/devices/device.ts and connected-accounts: device and account errors, which Seam also
 * lists on an access code). Seam's own igloohome error guide warns that codes change over
 * time: an unknown error is not on this list and is left to the grace periods below.
 */
export const UNFIXABLE_ERRORS = new Set([
  // the request itself (seam-facts: "not retried by Seam until the request changes")
  'code_constraints_violated',
  // the lock: "No space for access code on device."
  'no_space_for_access_code_on_device',
  // the account: "insufficient permissions to manage PINs on this device"
  'insufficient_permissions',
  'account_disconnected',
  'dormakaba_sites_disconnected',
  'salto_ks_subscription_limit_exceeded',
  'subscription_required',
  'missing_device_credentials',
  'august_lock_not_authorized',
  // the device is gone
  'device_removed',
  'device_not_found',
]);
/** Failures that a fresh code may fix, once they have lasted the grace period. */
export const REPLACEABLE_ERRORS = new Set(['failed_to_set_on_device', 'provider_issue']);

/**
 * How soon a code is read again when it is in a state that should pass quickly (`set` without
 * its PIN yet, `removing` before the guest was told), and for how long such rechecks go on
 * before the sweeper alone follows it.
 */
export const PENDING_RECHECK_MS = 60_000;
export const PENDING_RECHECK_FOR_MS = 30 * 60_000;

function rank(status: SeamStatus | undefined): number {
  return status === undefined || status === 'unknown' ? -1 : SEAM_STATUS_ORDER.indexOf(status);
}

/** How far the stored window may be from the plan before an alert: the rounding asked for. */
function allowanceMs(gc: GuestCode): number {
  return normalizeRounding(gc.request.max_time_rounding) === '1day' ? 24 * 3600_000 : 3600_000;
}

function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return Date.parse(a) === Date.parse(b);
}

/**
 * Applies what Seam reports for one access code to its guest code. Pure: the caller passes
 * the time. Status only moves forward, so an older answer never undoes a newer state.
 */
export function applySnapshot(
  current: GuestCode,
  snap: AccessCodeSnapshot,
  now: Date,
  policy: ReplacementPolicy,
): LifecycleDecision {
  const at = now.toISOString();
  const record: GuestCode = structuredClone(current);
  const timeline: TimelineEntry[] = [];
  const effects: LifecycleEffect[] = [];
  const code = record.access_codes.find((c) => c.access_code_id === snap.access_code_id);
  const unchanged = { record: current, timeline, effects, changed: false };
  if (!code) return unchanged;
  const note = (type: string, message: string) =>
    timeline.push({ at, type, message, access_code_id: code.access_code_id });

  // 1. The code itself: forward-only status, current errors and warnings, stored window.
  const newStatus: SeamStatus = snap.gone ? 'deleted' : snap.status;
  if (newStatus === 'unknown') {
    // Seam: `unknown` "indicates an indeterminate state" (account disconnected). Shown as is,
    // never a reason to replace; the last known status keeps the order for later answers.
    if (code.status !== 'unknown' && code.status !== 'deleted') {
      note('access_code_status', `Seam reports the status as unknown (was ${code.status})`);
      code.last_known_status = code.status;
      code.status = 'unknown';
    }
  } else if (code.status === 'unknown') {
    const before = code.last_known_status;
    if (rank(newStatus) >= rank(before)) {
      note('access_code_status', `Seam access code is now ${newStatus} (was unknown)`);
      code.status = newStatus;
      delete code.last_known_status;
    }
  } else if (rank(newStatus) > rank(code.status)) {
    note('access_code_status', `Seam access code is now ${newStatus} (was ${code.status})`);
    code.status = newStatus;
  }
  const errors = snap.gone ? [] : [...snap.errors].sort();
  if (errors.join(',') !== code.errors.join(',')) {
    note(
      'access_code_errors',
      errors.length > 0 ? `Seam reports errors: ${errors.join(', ')}` : 'Seam errors cleared',
    );
    code.errors = errors;
  }
  if (!snap.gone) {
    const warnings = [...new Set(snap.warnings)].sort();
    if (warnings.join(',') !== (code.warnings ?? []).join(',')) {
      note(
        'access_code_warnings',
        warnings.length > 0
          ? `Seam reports warnings: ${warnings.join(', ')}`
          : 'Seam warnings cleared',
      );
      code.warnings = warnings;
    }
  }
  const isActive = record.active_access_code_id === code.access_code_id && !code.superseded;
  if (!snap.gone) checkStoredWindow(record, code, snap, note, isActive ? effects : []);

  if (!isActive || isTerminal(record.status) || record.status === 'requested') {
    // A superseded code, a finished guest code, or a replacement being created: record only.
    return finish(current, record, timeline, effects, at);
  }

  // 2. Decide for the guest code.
  const fail = (failCode: string, message: string, alert: boolean) => {
    record.status = 'failed';
    record.failure = { code: failCode, message, at };
    note('failed', message);
    effects.push({ type: 'fail', code: failCode, message, alert });
  };
  const replaceOrFail = (reason: string, kind: string) => {
    if (record.replacements >= policy.maxReplacements) {
      fail(
        'replacements_exhausted',
        `${reason}; ${policy.maxReplacements} replacement(s) already made, giving up`,
        true,
      );
    } else {
      effects.push({ type: 'replace', reason, kind });
    }
  };
  const recheckSoon = () => {
    code.pending_since ??= at;
    if (now.getTime() - Date.parse(code.pending_since) < PENDING_RECHECK_FOR_MS) {
      effects.push({
        type: 'recheck',
        at: new Date(now.getTime() + PENDING_RECHECK_MS).toISOString(),
      });
    }
  };

  if (code.status === 'deleted') {
    fail('access_code_deleted', 'the Seam access code was deleted before the guest was told', true);
    return finish(current, record, timeline, effects, at);
  }
  if (!snap.gone && snap.is_offline_access_code === false) {
    fail(
      'not_offline_access_code',
      'Seam returned an access code that is not an offline code (is_offline_access_code: false); ' +
        'the guest is not told its PIN',
      true,
    );
    return finish(current, record, timeline, effects, at);
  }
  const unfixable = code.errors.find((e) => UNFIXABLE_ERRORS.has(e));
  if (unfixable) {
    fail(
      unfixable,
      `Seam reports ${unfixable}, which a new code on this lock would meet again`,
      true,
    );
    return finish(current, record, timeline, effects, at);
  }

  const replaceable = code.errors.find((e) => REPLACEABLE_ERRORS.has(e));
  if (replaceable) {
    code.failing_since ??= at;
    const due = Date.parse(code.failing_since) + policy.replaceAfterMs;
    if (now.getTime() >= due) {
      replaceOrFail(`${replaceable} for longer than ${policy.replaceAfterMs} ms`, replaceable);
    } else {
      effects.push({ type: 'recheck', at: new Date(due).toISOString() });
    }
    return finish(current, record, timeline, effects, at);
  }
  delete code.failing_since;

  if (code.status === 'unknown') return finish(current, record, timeline, effects, at);

  if (code.status === 'set' && !snap.gone && snap.has_pin) {
    delete code.pending_since;
    if (record.status === 'waiting') {
      record.status = 'set';
      note('set', 'the code is set and its PIN is known; notifying the guest');
    }
    if (record.status === 'set')
      effects.push({ type: 'notify', access_code_id: code.access_code_id });
    return finish(current, record, timeline, effects, at);
  }

  if (code.status === 'set' || code.status === 'removing') {
    // Seam says set without its PIN yet, or removing before the guest was told: read it again
    // soon instead of waiting for the sweeper (a removal that ends in a 404 then fails with an
    // alert). An older answer read after a newer one changes nothing.
    if (!snap.gone && (snap.status === 'removing' || (snap.status === 'set' && !snap.has_pin))) {
      recheckSoon();
    }
    return finish(current, record, timeline, effects, at);
  }

  if (code.status === 'unset' || code.status === 'setting') {
    const due = Date.parse(record.plan.starts_at) + policy.notSetGraceMs;
    if (now.getTime() >= due) {
      replaceOrFail(
        `still ${code.status} ${policy.notSetGraceMs} ms after the code should start`,
        'not_set_in_time',
      );
    } else {
      effects.push({ type: 'recheck', at: new Date(due).toISOString() });
    }
  }
  return finish(current, record, timeline, effects, at);
}

/**
 * Keeps the window Seam stored on the tracked code, notes any difference from the plan, and
 * alerts (once per code) when an end is further from the plan than the rounding asked for.
 */
function checkStoredWindow(
  record: GuestCode,
  code: TrackedAccessCode,
  snap: Extract<AccessCodeSnapshot, { gone: false }>,
  note: (type: string, message: string) => void,
  effects: LifecycleEffect[],
): void {
  if (snap.starts_at === undefined && snap.ends_at === undefined) return;
  const startsAt = snap.starts_at ?? null;
  const endsAt = snap.ends_at ?? null;
  const moved = !sameInstant(code.starts_at, startsAt) || !sameInstant(code.ends_at, endsAt);
  code.starts_at = startsAt;
  code.ends_at = endsAt;
  const message = storedWindowDifference(record, startsAt, endsAt);
  if (!message) return;
  const offStart = startsAt
    ? Math.abs(Date.parse(startsAt) - Date.parse(record.plan.starts_at))
    : 0;
  const offEnd =
    endsAt && record.plan.kind !== 'one_time_use'
      ? Math.abs(Date.parse(endsAt) - Date.parse(record.plan.ends_at))
      : 0;
  if (moved) note('stored_window', message);
  if (!code.window_alerted && Math.max(offStart, offEnd) > allowanceMs(record)) {
    code.window_alerted = true;
    effects.push({
      type: 'alert',
      code: 'stored_window_differs',
      message: `${message}: further from the plan than max_time_rounding '${record.request.max_time_rounding}' allows`,
    });
  }
}

/**
 * How the window Seam stored differs from the plan, for the timeline; undefined when it does
 * not. A one-time-use code may be stored without ends_at (Seam's guide shows `ends_at: None`):
 * then only its start is compared.
 */
export function storedWindowDifference(
  record: GuestCode,
  startsAt: string | null | undefined,
  endsAt: string | null | undefined,
): string | undefined {
  const sameStart = !startsAt || Date.parse(startsAt) === Date.parse(record.plan.starts_at);
  const sameEnd =
    !endsAt ||
    record.plan.kind === 'one_time_use' ||
    Date.parse(endsAt) === Date.parse(record.plan.ends_at);
  if (sameStart && sameEnd) return undefined;
  return (
    `Seam stored the code for ${startsAt ?? '?'} to ${endsAt ?? '(no end)'}; the plan was ` +
    `${record.plan.starts_at} to ${record.plan.ends_at}; the guest is told the stored window`
  );
}

function finish(
  current: GuestCode,
  record: GuestCode,
  timeline: TimelineEntry[],
  effects: LifecycleDecision['effects'],
  at: string,
): LifecycleDecision {
  const changed = JSON.stringify(record) !== JSON.stringify(current);
  if (changed) record.updated_at = at;
  return { record: changed ? record : current, timeline, effects, changed };
}
