/**
 * A guest code's steps, each decided on the current record: what to write (nothing when the
 * step does not apply to the record as it is now) and what the caller learns. The store runs
 * a transition inside its compare-and-set, again on every concurrent write, and hands back the
 * result of the run that was written; so a flow never carries a decision out of the store
 * through a variable of its own, and every rule about the record's shape lives here.
 */
import { requestResend, type Ending, type ResendDecision } from './endings';
import {
  notifiedThrough,
  type FailureReason,
  type GuestCode,
  type StayChange,
  type TimelineEntry,
  type TrackedAccessCode,
} from './guest-code';
import {
  applySnapshot,
  storedWindowDifference,
  type AccessCodeSnapshot,
  type LifecycleDecision,
  type ReplacementPolicy,
} from './lifecycle';
import type { NotifyChannel } from './notification-channel';
import type { CodePlan } from './rules';
import { applyStayChange, currentWindow, describeChange, type ChangeEnding } from './stay-change';

/** The new record and what its timeline gains; `indexAccessCodes` are found by id from now on. */
export interface RecordWrite {
  record: GuestCode;
  timeline: TimelineEntry[];
  indexAccessCodes?: string[];
}

export interface Transition<R> {
  /** Absent: the record stays as it is. */
  write?: RecordWrite;
  result: R;
}

/** An ending as a transition: the result says whether it applied. */
export function ending(e: Ending | undefined): Transition<boolean> {
  return e ? { write: e, result: true } : { result: false };
}

/** Created in flight: the create request for `generation` is about to go to Seam. The result
 *  says whether it may go (false: the guest code moved on, e.g. a change or a cancellation). */
export function startCreation(cur: GuestCode, generation: number, now: Date): Transition<boolean> {
  if (cur.status !== 'requested' || cur.generation !== generation) return { result: false };
  const at = now.toISOString();
  return {
    write: {
      record: {
        ...cur,
        create_attempts: cur.create_attempts + 1,
        create_in_flight: { generation, since: at },
        updated_at: at,
      },
      timeline: [
        {
          at,
          type: 'create_attempt',
          message: `asking Seam to create the code (attempt ${cur.create_attempts + 1})`,
        },
      ],
    },
    result: true,
  };
}

/** What Seam answered a create (or what a later attempt found it had made). */
export interface CreatedCode {
  access_code_id: string;
  starts_at?: string | null;
  ends_at?: string | null;
}

/**
 * Created: Seam made the code (`created`), or an earlier attempt had (`adopted`). It is
 * tracked and becomes the active code; a change that waited for this creation applies in the
 * same write (the code just made is kept as a previous code). The result carries that change,
 * whose new creation and event the caller queues.
 */
export function recordCreatedCode(
  cur: GuestCode,
  code: CreatedCode,
  how: 'created' | 'adopted',
  now: Date,
): Transition<{ change?: ChangeEnding }> {
  if (cur.access_codes.some((c) => c.access_code_id === code.access_code_id)) return { result: {} };
  const at = now.toISOString();
  const tracked: TrackedAccessCode = {
    access_code_id: code.access_code_id,
    generation: cur.generation,
    status: 'unset',
    errors: [],
    superseded: false,
    created_at: at,
    // What Seam stored, from its answer; the reconcile that follows compares it with the plan.
    ...(code.starts_at !== undefined ? { starts_at: code.starts_at } : {}),
    ...(code.ends_at !== undefined ? { ends_at: code.ends_at } : {}),
  };
  const { create_in_flight: _done, ...rest } = cur;
  const differs = storedWindowDifference(cur, code.starts_at, code.ends_at);
  const made: GuestCode = {
    ...rest,
    // A booking cancelled while the create was in flight keeps its (valid) code on record.
    status: cur.status === 'cancelled' ? 'cancelled' : 'waiting',
    access_codes: [...cur.access_codes, tracked],
    active_access_code_id: code.access_code_id,
    updated_at: at,
  };
  const entries: TimelineEntry[] = [
    {
      at,
      type: how,
      message:
        how === 'created'
          ? 'Seam created the offline code; waiting for it to be set'
          : 'found the code a previous attempt created; adopted it instead of creating another',
      access_code_id: code.access_code_id,
    },
    ...(differs
      ? [{ at, type: 'stored_window', message: differs, access_code_id: code.access_code_id }]
      : []),
  ];
  const indexAccessCodes = [code.access_code_id];
  if (made.pending_change && made.status !== 'cancelled') {
    const change = applyStayChange(made, made.pending_change, now);
    return {
      write: {
        record: change.record,
        timeline: [...entries, ...change.timeline],
        indexAccessCodes,
      },
      result: { change },
    };
  }
  return { write: { record: made, timeline: entries, indexAccessCodes }, result: {} };
}

/**
 * Failed: the creation of a `requested` guest code failed for good. A change that waited for
 * it goes ahead instead (its window gets its own code): the result carries that change.
 */
export function failCreation(
  cur: GuestCode,
  reason: Omit<FailureReason, 'at'>,
  now: Date,
): Transition<{ change?: ChangeEnding }> {
  if (cur.status !== 'requested') return { result: {} };
  const at = now.toISOString();
  const { create_in_flight: _gone, ...rest } = cur;
  const failed = `creation failed: ${reason.code}: ${reason.message}`;
  if (rest.pending_change) {
    const change = applyStayChange(rest, rest.pending_change, now);
    return {
      write: {
        record: change.record,
        timeline: [{ at, type: 'create_failed', message: failed }, ...change.timeline],
      },
      result: { change },
    };
  }
  return {
    write: {
      record: { ...rest, status: 'failed', failure: { ...reason, at }, updated_at: at },
      timeline: [{ at, type: 'failed', message: failed }],
    },
    result: {},
  };
}

/**
 * Replacement begun: the active code failed while waiting to be set; it is superseded and a
 * new generation is requested. Only while that code is still the active, waiting one, so of
 * two workers that saw the failure only one starts the replacement (result true).
 */
export function beginReplacement(
  cur: GuestCode,
  failedAccessCodeId: string,
  reason: string,
  now: Date,
): Transition<boolean> {
  if (cur.active_access_code_id !== failedAccessCodeId || cur.status !== 'waiting') {
    return { result: false };
  }
  const at = now.toISOString();
  return {
    write: {
      record: {
        ...cur,
        status: 'requested',
        generation: cur.generation + 1,
        replacements: cur.replacements + 1,
        access_codes: cur.access_codes.map((c) =>
          c.access_code_id === failedAccessCodeId ? { ...c, superseded: true } : c,
        ),
        updated_at: at,
      },
      timeline: [
        {
          at,
          type: 'replacing',
          message: `replacing the code (${reason}); replacement ${cur.replacements + 1}`,
          access_code_id: failedAccessCodeId,
        },
      ],
    },
    result: true,
  };
}

/**
 * Notified through one channel (at the guest's contact version `contact`). The guest code is
 * `notified` once every channel it is told through (`wanted`) got the active code; a delivery
 * that completes an undelivered one (it got through after all) ends that too.
 */
export function recordNotification(
  cur: GuestCode,
  sent: { access_code_id: string; channel: NotifyChannel; contact: number },
  wanted: (gc: GuestCode) => readonly string[],
  now: Date,
): Transition<boolean> {
  const sameSend = (n: GuestCode['notifications'][number]) =>
    n.access_code_id === sent.access_code_id &&
    n.channel === sent.channel &&
    (n.contact ?? 0) === sent.contact;
  if (cur.notifications.some(sameSend)) return { result: false };
  const at = now.toISOString();
  const notifications = [
    ...cur.notifications,
    {
      access_code_id: sent.access_code_id,
      channel: sent.channel,
      at,
      ...(sent.contact > 0 ? { contact: sent.contact } : {}),
    },
  ];
  const next = { ...cur, notifications };
  const done = wanted(cur).every((ch) => notifiedThrough(next, sent.access_code_id, ch));
  return {
    write: {
      record: {
        ...next,
        status:
          done && (cur.status === 'set' || cur.status === 'undelivered') ? 'notified' : cur.status,
        updated_at: at,
      },
      timeline: [
        {
          at,
          type: 'notified',
          message: `guest told through ${sent.channel}`,
          access_code_id: sent.access_code_id,
        },
      ],
    },
    result: true,
  };
}

/** A booking's change as asked (PATCH), planned and checked against the lock's rules. */
export interface ChangeRequest {
  /** The code's window changes (a new code is needed); `contact`: the guest's contact does. */
  window: boolean;
  contact: boolean;
  request: GuestCode['request'];
  plan: CodePlan;
  /** The change's fingerprint: the same change asked again is recognised by it. */
  fingerprint: string;
}

/**
 * Changed: a booking's change applies now, or, while a create request is in flight, waits as
 * the pending change that the creation applies when it finishes (so no two creations ever run
 * for one guest code). Back to what is applied withdraws a waiting change. The result holds
 * the answer's note, whether it waits, and the applied change whose creation and event the
 * caller queues.
 */
export function requestStayChange(
  cur: GuestCode,
  asked: ChangeRequest,
  now: Date,
): Transition<{ applied?: ChangeEnding; note: string; waits: boolean }> {
  const at = now.toISOString();
  const { window, contact, request, plan } = asked;
  // A new window waits for the creation in flight (it must be recorded first); so does
  // anything asked after a change that already waits. A contact alone applies at once.
  const waits = cur.create_in_flight !== undefined && (window || cur.pending_change !== undefined);
  if (!window && !contact && cur.pending_change) {
    const note = 'The waiting change is withdrawn: the stay stays as it is.';
    const { pending_change: _withdrawn, ...rest } = cur;
    return {
      write: {
        record: { ...rest, updated_at: at },
        timeline: [{ at, type: 'change_withdrawn', message: note }],
      },
      result: { note, waits },
    };
  }
  const note = describeChange(cur, { window, contact }, plan, { waits, guest: request.guest });
  const n = Math.max(cur.changes?.at(-1)?.n ?? 0, cur.pending_change?.change.n ?? 0) + 1;
  const change: StayChange = {
    n,
    fingerprint: asked.fingerprint,
    at,
    window,
    contact,
    note,
    ...(window
      ? { from: currentWindow(cur), to: { starts_at: plan.starts_at, ends_at: plan.ends_at } }
      : {}),
  };
  if (waits) {
    return {
      write: {
        record: { ...cur, pending_change: { change, request, plan }, updated_at: at },
        timeline: [
          {
            at,
            type: 'change_waits',
            message: `change ${n} waits for the creation in flight to finish`,
          },
        ],
      },
      result: { note, waits },
    };
  }
  const applied = applyStayChange(cur, { change, request, plan }, now);
  return {
    write: { record: applied.record, timeline: applied.timeline },
    result: { applied, note, waits },
  };
}

/** Cancelled: the booking was cancelled. A second cancellation changes nothing (result false). */
export function cancel(cur: GuestCode, now: Date): Transition<boolean> {
  if (cur.status === 'cancelled') return { result: false };
  const at = now.toISOString();
  return {
    write: {
      record: { ...cur, status: 'cancelled', cancelled_at: at, updated_at: at },
      timeline: [{ at, type: 'cancelled', message: `cancelled (was ${cur.status})` }],
    },
    result: true,
  };
}

/** An operator's resend (see requestResend): written only when a new resend starts. */
export function resend(
  cur: GuestCode,
  channels: readonly string[],
  now: Date,
): Transition<ResendDecision> {
  const decision = requestResend(cur, channels, now);
  return decision.kind === 'resend'
    ? { write: decision.ending, result: decision }
    : { result: decision };
}

/** What Seam's answer about the active code means for the guest code (see applySnapshot). */
export function applyAccessCodeSnapshot(
  cur: GuestCode,
  snap: AccessCodeSnapshot,
  now: Date,
  policy: ReplacementPolicy,
): Transition<LifecycleDecision> {
  const decision = applySnapshot(cur, snap, now, policy);
  return decision.changed || decision.timeline.length > 0
    ? { write: { record: decision.record, timeline: decision.timeline }, result: decision }
    : { result: decision };
}
