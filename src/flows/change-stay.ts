import type { GuestCode } from '../domain/guest-code';
import { unreachableGuest } from '../domain/notification-channel';
import type { RuleViolation } from '../domain/rules';
import type { StayRecord } from '../domain/stay';
import { mergeStayPatch, windowFieldsDiffer, type StayPatch } from '../domain/stay-change';
import type { GuestCodeStore } from '../store/guest-codes';
import type { StayStore } from '../store/stays';
import { cancelGuestCode } from './cancel-guest-code';
import { changeGuestCode, planChange, type ChangeGuestCodeDeps } from './change-guest-code';

export interface StayDeps extends ChangeGuestCodeDeps {
  store: GuestCodeStore;
  stays: Pick<StayStore, 'get'>;
  queues: ChangeGuestCodeDeps['queues'] & {
    scheduleStayStart(
      stayId: string,
      startsAtMs: number,
      nowMs: number,
      again?: boolean,
    ): Promise<unknown>;
  };
}

export interface DoorNote {
  door: number;
  note: string;
}

/** A stay and its doors' guest codes as they are now (doors in order). */
export async function loadStay(
  deps: Pick<StayDeps, 'store' | 'stays'>,
  id: string,
): Promise<{ stay: StayRecord; doors: GuestCode[] } | undefined> {
  const stay = await deps.stays.get(id);
  if (!stay) return undefined;
  const docs = await deps.store.getMany(stay.doors.map((d) => d.guest_code_id));
  return { stay, doors: docs.filter((d): d is GuestCode => d !== undefined) };
}

export type StayChangeOutcome =
  | { kind: 'changed'; stay: StayRecord; doors: GuestCode[]; notes: DoorNote[]; newCode: boolean }
  | { kind: 'not_found' }
  | { kind: 'not_possible'; door: number; status: string; reason: string }
  | { kind: 'device_not_found'; deviceId: string }
  | { kind: 'device_unavailable'; message: string }
  | { kind: 'rejected'; violations: RuleViolation[] };

/**
 * PATCH /v1/stays/{id}: the change is checked against every door's lock first (rules and
 * per-lock limits; a refusal names the door's lock and nothing changes anywhere); then each
 * door goes through the ordinary change of a guest code.
 */
export async function changeStay(
  deps: StayDeps,
  id: string,
  patch: StayPatch,
): Promise<StayChangeOutcome> {
  const loaded = await loadStay(deps, id);
  if (!loaded) return { kind: 'not_found' };
  const { stay, doors } = loaded;
  const violations: RuleViolation[] = [];
  let checkedGuest = false;
  for (const [i, gc] of doors.entries()) {
    if (gc.status === 'cancelled' || gc.status === 'failed') {
      return {
        kind: 'not_possible',
        door: gc.stay?.door ?? i + 1,
        status: gc.status,
        reason: `door ${gc.stay?.door ?? i + 1} (${gc.device.name}) is ${gc.status}; the stay cannot change any more`,
      };
    }
    const effective = gc.pending_change?.request ?? gc.request;
    const next = mergeStayPatch(effective, patch);
    if (
      !checkedGuest &&
      deps.notifyChannels &&
      JSON.stringify(next.guest) !== JSON.stringify(effective.guest)
    ) {
      checkedGuest = true;
      const unreachable = unreachableGuest(next.guest, await deps.notifyChannels());
      if (unreachable) return { kind: 'rejected', violations: [unreachable] };
    }
    if (!windowFieldsDiffer(effective, next)) continue;
    const planned = await planChange(deps, gc, next);
    if (planned.kind === 'planned') continue;
    if (planned.kind !== 'rejected') return planned;
    const index = (gc.stay?.door ?? i + 1) - 1;
    violations.push(
      ...planned.violations.map((v) => ({
        ...v,
        field: `device_ids[${index}]`,
        message: `device_ids[${index}], lock ${gc.device.name} (${gc.device.device_id}): ${v.message}`,
        details: {
          ...(v.details ?? {}),
          ...(v.field ? { rule_field: v.field } : {}),
          device_id: gc.device.device_id,
          lock_name: gc.device.name,
        },
      })),
    );
  }
  if (violations.length > 0) return { kind: 'rejected', violations };

  const notes: DoorNote[] = [];
  let newCode = false;
  const after: GuestCode[] = [];
  for (const [i, gc] of doors.entries()) {
    const door = gc.stay?.door ?? i + 1;
    const outcome = await changeGuestCode(deps, gc.id, patch);
    switch (outcome.kind) {
      case 'changed':
        newCode = newCode || outcome.newCode || outcome.waits;
        notes.push({ door, note: outcome.note });
        after.push(outcome.record);
        break;
      case 'unchanged':
        notes.push({ door, note: outcome.note });
        after.push(outcome.record);
        break;
      case 'not_found':
        notes.push({ door, note: 'this door no longer exists' });
        break;
      case 'not_possible':
        notes.push({ door, note: outcome.reason });
        after.push(outcome.record);
        break;
      case 'rejected':
        // Checked above; only a limit reached meanwhile gets here.
        notes.push({ door, note: outcome.violations.map((v) => v.message).join(' ') });
        after.push(gc);
        break;
      default:
        notes.push({ door, note: `not changed: ${outcome.kind}` });
        after.push(gc);
    }
  }
  // A moved start: the stay's start job follows it (the first one finds the stay not started).
  const start = Math.min(...after.map((d) => Date.parse(d.plan.starts_at)));
  if (newCode && Number.isFinite(start)) {
    await deps.queues.scheduleStayStart(stay.id, start, deps.now().getTime(), true);
  }
  return { kind: 'changed', stay, doors: after, notes, newCode };
}

/** DELETE /v1/stays/{id}: every door is cancelled as one guest code is (its note each). */
export async function cancelStay(
  deps: Pick<StayDeps, 'store' | 'stays' | 'now'>,
  id: string,
): Promise<{ stay: StayRecord; doors: GuestCode[]; notes: DoorNote[] } | undefined> {
  const loaded = await loadStay(deps, id);
  if (!loaded) return undefined;
  const notes: DoorNote[] = [];
  const doors: GuestCode[] = [];
  for (const [i, gc] of loaded.doors.entries()) {
    const door = gc.stay?.door ?? i + 1;
    const outcome = await cancelGuestCode(deps, gc.id);
    doors.push(outcome?.record ?? gc);
    notes.push({ door, note: outcome?.note ?? 'this door no longer exists' });
  }
  return { stay: loaded.stay, doors, notes };
}
