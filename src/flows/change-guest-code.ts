import { lockProfileFromDevice, type DeviceFacts } from '../domain/device-profile';
import type { GuestCode } from '../domain/guest-code';
import { unreachableGuest, type NotifyChannel } from '../domain/notification-channel';
import { decideLockLimits, lockClaimFor } from '../domain/lock-limits';
import { planOfflineCode, type CodePlan, type RuleViolation } from '../domain/rules';
import {
  mergeStayPatch,
  sameCode,
  windowFieldsDiffer,
  type StayPatch,
} from '../domain/stay-change';
import { requestStayChange } from '../domain/transitions';
import { SeamCallError } from '../seam/client';
import type { GuestCodeStore } from '../store/guest-codes';
import type { LockCodeRegistry } from '../store/lock-codes';
import { followChange } from './create-seam-code';
import { fingerprint } from './request-guest-code';

export interface ChangeGuestCodeDeps {
  store: Pick<GuestCodeStore, 'get' | 'update'>;
  devices: { get(deviceId: string): Promise<DeviceFacts> };
  lockCodes: Pick<LockCodeRegistry, 'usage'>;
  queues: {
    enqueueCreate(guestCodeId: string, generation: number): Promise<unknown>;
    enqueueWindowChanged(guestCodeId: string, change: number): Promise<unknown>;
  };
  now: () => Date;
  /** The channels the workers announced (undefined: none announced); absent: not checked. */
  notifyChannels?: () => Promise<readonly NotifyChannel[] | undefined>;
}

export type ChangeOutcome =
  /** `waits`: a creation is in flight; the change applies once it finishes. */
  | { kind: 'changed'; record: GuestCode; note: string; newCode: boolean; waits: boolean }
  /** Nothing differs: the same change again (its note), or values the code already has. */
  | { kind: 'unchanged'; record: GuestCode; note: string }
  | { kind: 'not_found' }
  | { kind: 'not_possible'; record: GuestCode; reason: string }
  | { kind: 'device_not_found'; deviceId: string }
  | { kind: 'device_unavailable'; message: string }
  | { kind: 'rejected'; violations: RuleViolation[] };

/** A changed, failed or cancelled guest code cannot change: there is no stay left to follow. */
function notChangeable(gc: GuestCode): string | undefined {
  if (gc.status === 'cancelled') return 'the guest code is cancelled';
  if (gc.status === 'failed')
    return 'the guest code failed; ask for a new one (POST) under a new reference';
  return undefined;
}

/**
 * A booking changed (PATCH /v1/guest-codes/{id}). The new window is checked against the lock's
 * rules and limits before anything is written (422, nothing changes); then, in one
 * compare-and-set on the record, the change is applied, or, while a create request is in
 * flight, kept as the pending change that the creation applies when it finishes (so no two
 * creations ever run for one guest code, and the code in flight is recorded, not lost). The
 * same change again differs in nothing and is answered 200 with the same note.
 */
export async function changeGuestCode(
  deps: ChangeGuestCodeDeps,
  id: string,
  patch: StayPatch,
): Promise<ChangeOutcome> {
  const print = fingerprint(patch);
  // A concurrent writer (a worker recording the code) makes the plan stale: plan again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deps.store.get(id);
    if (!current) return { kind: 'not_found' };
    const refused = notChangeable(current);
    if (refused) return { kind: 'not_possible', record: current, reason: refused };

    const effective = current.pending_change?.request ?? current.request;
    const basePlan = current.pending_change?.plan ?? current.plan;
    const next = mergeStayPatch(effective, patch);
    if (fingerprint(next) === fingerprint(effective)) {
      const last = current.pending_change?.change ?? current.changes?.at(-1);
      return {
        kind: 'unchanged',
        record: current,
        note:
          last?.fingerprint === print
            ? last.note
            : 'Nothing to change: the guest code already has these values.',
      };
    }

    // A new contact nothing would reach is refused, as at POST.
    if (deps.notifyChannels && JSON.stringify(next.guest) !== JSON.stringify(effective.guest)) {
      const unreachable = unreachableGuest(next.guest, await deps.notifyChannels());
      if (unreachable) return { kind: 'rejected', violations: [unreachable] };
    }

    let plan: CodePlan = basePlan;
    if (windowFieldsDiffer(effective, next)) {
      const planned = await planChange(deps, current, next);
      if (planned.kind !== 'planned') return planned;
      plan = planned.plan;
    }
    // Against what is applied (not a change still waiting, which this one replaces).
    const window = !sameCode(plan, current.plan);
    const contact = JSON.stringify(next.guest) !== JSON.stringify(current.request.guest);

    // Planned against `current`: anything applied or waiting since makes it stale.
    const stale = (cur: GuestCode) =>
      fingerprint(cur.pending_change?.request ?? cur.request) !== fingerprint(effective) ||
      fingerprint(cur.request) !== fingerprint(current.request) ||
      !sameCode(cur.plan, current.plan) ||
      notChangeable(cur) !== undefined;
    const done = await deps.store.update(id, (cur) =>
      stale(cur)
        ? { result: undefined }
        : requestStayChange(
            cur,
            { window, contact, request: next, plan, fingerprint: print },
            deps.now(),
          ),
    );
    if (!done) return { kind: 'not_found' };
    if (!done.result) continue;
    const { applied, note, waits } = done.result;
    await followChange(deps, id, applied);
    return { kind: 'changed', record: done.record, note, newCode: window, waits };
  }
  throw new Error(`guest code ${id} kept changing while a change was applied`);
}

/** The new window checked against the lock's rules and per-lock limits, as for a new request. */
export async function planChange(
  deps: ChangeGuestCodeDeps,
  current: GuestCode,
  next: GuestCode['request'],
): Promise<
  | { kind: 'planned'; plan: CodePlan }
  | Extract<ChangeOutcome, { kind: 'device_not_found' | 'device_unavailable' | 'rejected' }>
> {
  let device: DeviceFacts;
  try {
    device = await deps.devices.get(current.device.device_id);
  } catch (err) {
    if (err instanceof SeamCallError && err.failure.kind === 'not_found') {
      return { kind: 'device_not_found', deviceId: current.device.device_id };
    }
    const message = err instanceof SeamCallError ? err.failure.message : 'device lookup failed';
    return { kind: 'device_unavailable', message };
  }
  const profile = lockProfileFromDevice(device);
  if (!profile.ok) return { kind: 'rejected', violations: [profile.violation] };
  const now = deps.now();
  const planned = planOfflineCode(profile.profile, next, now);
  if (!planned.ok) return { kind: 'rejected', violations: planned.violations };
  if (!sameCode(planned.plan, current.pending_change?.plan ?? current.plan)) {
    const claim = lockClaimFor(profile.profile.manufacturer, planned.plan);
    if (claim) {
      const usage = await deps.lockCodes.usage(current.device.device_id, claim, now.getTime());
      const decision = decideLockLimits(claim, usage);
      if (decision.kind === 'refuse') return { kind: 'rejected', violations: [decision.violation] };
    }
  }
  return { kind: 'planned', plan: planned.plan };
}
