import {
  SEAM_STATUS_ORDER,
  isTerminal,
  type GuestCode,
  type SeamStatus,
  type TimelineEntry,
} from './guest-code';

/** What Seam says about one access code now (the API is the truth; webhooks are hints). */
export type AccessCodeSnapshot =
  | {
      access_code_id: string;
      gone: false;
      status: SeamStatus;
      has_pin: boolean;
      errors: string[];
      warnings: string[];
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
  | { type: 'recheck'; at: string };

export interface LifecycleDecision {
  record: GuestCode;
  timeline: TimelineEntry[];
  effects: LifecycleEffect[];
  changed: boolean;
}

/** Failures that replacing the code cannot fix: fail at once, with the reason. */
export const UNFIXABLE_ERRORS = new Set([
  'code_constraints_violated',
  'account_disconnected',
  'device_removed',
  'device_not_found',
]);
/** Failures that a fresh code may fix, once they have lasted the grace period. */
export const REPLACEABLE_ERRORS = new Set(['failed_to_set_on_device', 'provider_issue']);

function rank(status: SeamStatus): number {
  return status === 'unknown' ? -1 : SEAM_STATUS_ORDER.indexOf(status);
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

  // 1. The code itself: forward-only status, current errors.
  const newStatus: SeamStatus = snap.gone ? 'deleted' : snap.status;
  if (
    rank(newStatus) > rank(code.status) ||
    (code.status === 'unknown' && newStatus !== 'unknown')
  ) {
    note('access_code_status', `Seam access code is now ${newStatus} (was ${code.status})`);
    code.status = newStatus;
  } else if (newStatus === 'unknown' && code.status !== 'unknown' && code.status !== 'deleted') {
    note('access_code_status', 'Seam reports the status as unknown (account disconnected?)');
  }
  const errors = snap.gone ? [] : [...snap.errors].sort();
  if (errors.join(',') !== code.errors.join(',')) {
    note(
      'access_code_errors',
      errors.length > 0 ? `Seam reports errors: ${errors.join(', ')}` : 'Seam errors cleared',
    );
    code.errors = errors;
  }

  const isActive = record.active_access_code_id === code.access_code_id && !code.superseded;
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

  if (code.status === 'deleted') {
    fail('access_code_deleted', 'the Seam access code was deleted before the guest was told', true);
    return finish(current, record, timeline, effects, at);
  }
  const unfixable = code.errors.find((e) => UNFIXABLE_ERRORS.has(e));
  if (unfixable) {
    fail(unfixable, `Seam reports ${unfixable}, which a new code cannot fix`, true);
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

  if (code.status === 'set' && !snap.gone && snap.has_pin) {
    if (record.status === 'waiting') {
      record.status = 'set';
      note('set', 'the code is set and its PIN is known; notifying the guest');
    }
    if (record.status === 'set')
      effects.push({ type: 'notify', access_code_id: code.access_code_id });
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
