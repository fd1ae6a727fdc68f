import { randomUUID } from 'node:crypto';
import { lockProfileFromDevice, type DeviceFacts } from '../domain/device-profile';
import { requestedGuestCode, type GuestCode, type GuestCodeRequest } from '../domain/guest-code';
import { decideLockLimits, lockClaimFor } from '../domain/lock-limits';
import { unreachableGuest } from '../domain/notification-channel';
import { planOfflineCode, type CodePlan, type RuleViolation } from '../domain/rules';
import { doorReference, type StayRecord } from '../domain/stay';
import { SeamCallError } from '../seam/client';
import type { StayStore } from '../store/stays';
import { fingerprint, type RequestGuestCodeDeps } from './request-guest-code';

/** POST /v1/guest-codes with `device_ids`: one stay, one guest code per door. */
export type StayRequest = Omit<GuestCodeRequest, 'device_id'> & { device_ids: string[] };

export interface RequestStayDeps extends RequestGuestCodeDeps {
  stays: Pick<StayStore, 'createIfAbsent' | 'getByReference'>;
  queues: RequestGuestCodeDeps['queues'] & {
    scheduleStayStart(stayId: string, startsAtMs: number, nowMs: number): Promise<unknown>;
  };
}

export type StayOutcome =
  | { kind: 'created'; stay: StayRecord; doors: GuestCode[] }
  | { kind: 'existing'; stay: StayRecord; doors: GuestCode[] }
  | { kind: 'conflict'; stay: StayRecord }
  | { kind: 'device_not_found'; deviceId: string; index: number }
  | { kind: 'device_unavailable'; message: string }
  | { kind: 'rejected'; violations: RuleViolation[] };

interface PlannedDoor {
  request: GuestCodeRequest;
  device: GuestCode['device'];
  plan: CodePlan;
}

/** A violation of door `index`'s lock, named as the body's field and the lock. */
function forDoor(v: RuleViolation, index: number, deviceId: string, name?: string): RuleViolation {
  const lock = name ? `${name} (${deviceId})` : deviceId;
  return {
    ...v,
    field: `device_ids[${index}]`,
    message: `device_ids[${index}], lock ${lock}: ${v.message}`,
    details: {
      ...(v.details ?? {}),
      ...(v.field ? { rule_field: v.field } : {}),
      device_id: deviceId,
      ...(name ? { lock_name: name } : {}),
    },
  };
}

/**
 * Plans every door with the lock's rules and per-lock limits; nothing is written. A refusal
 * of any lock refuses the whole stay.
 */
async function planDoors(
  deps: RequestStayDeps,
  req: StayRequest,
  now: Date,
): Promise<
  | { kind: 'planned'; doors: PlannedDoor[] }
  | Extract<StayOutcome, { kind: 'device_not_found' | 'device_unavailable' | 'rejected' }>
> {
  const { device_ids: ids, ...rest } = req;
  const doors: PlannedDoor[] = [];
  const violations: RuleViolation[] = [];
  for (const [index, deviceId] of ids.entries()) {
    let device: DeviceFacts;
    try {
      device = await deps.devices.get(deviceId);
    } catch (err) {
      if (err instanceof SeamCallError && err.failure.kind === 'not_found') {
        return { kind: 'device_not_found', deviceId, index };
      }
      const message = err instanceof SeamCallError ? err.failure.message : 'device lookup failed';
      return { kind: 'device_unavailable', message };
    }
    const profile = lockProfileFromDevice(device);
    if (!profile.ok) {
      violations.push(forDoor(profile.violation, index, deviceId));
      continue;
    }
    const name = profile.profile.name;
    const request: GuestCodeRequest = {
      ...rest,
      device_id: deviceId,
      reference: doorReference(req.reference, index + 1),
    };
    const planned = planOfflineCode(profile.profile, request, now);
    if (!planned.ok) {
      violations.push(...planned.violations.map((v) => forDoor(v, index, deviceId, name)));
      continue;
    }
    const claim = lockClaimFor(profile.profile.manufacturer, planned.plan);
    if (claim) {
      const usage = await deps.lockCodes.usage(deviceId, claim, now.getTime());
      const decision = decideLockLimits(claim, usage);
      if (decision.kind === 'refuse') {
        violations.push(forDoor(decision.violation, index, deviceId, name));
        continue;
      }
    }
    doors.push({
      request,
      plan: planned.plan,
      device: {
        device_id: deviceId,
        name,
        manufacturer: profile.profile.manufacturer,
        timezone: profile.profile.timezone,
      },
    });
  }
  if (violations.length > 0) return { kind: 'rejected', violations };
  return { kind: 'planned', doors };
}

/**
 * A booking asks for one stay on several doors. Every door is planned (rules, per-lock limits)
 * before anything is written; then the stay is written, then each door as an ordinary guest
 * code (reference `<reference>#<n>`, idempotent create), each creation queued as for one door.
 * A retry (same reference, same body) completes any door a crash left unwritten.
 */
export async function requestStay(deps: RequestStayDeps, req: StayRequest): Promise<StayOutcome> {
  const print = fingerprint(req);
  const known = await deps.stays.getByReference(req.reference);
  if (known && known.request_fingerprint !== print) return { kind: 'conflict', stay: known };

  if (!known && deps.notifyChannels) {
    const unreachable = unreachableGuest(req.guest, await deps.notifyChannels());
    if (unreachable) return { kind: 'rejected', violations: [unreachable] };
  }

  const now = deps.now();
  let stay = known;
  if (!stay) {
    const planned = await planDoors(deps, req, now);
    if (planned.kind !== 'planned') return planned;
    const record: StayRecord = {
      id: `st_${randomUUID()}`,
      reference: req.reference,
      request_fingerprint: print,
      // The stay starts with its earliest door (a dormakaba slot may move a door's start).
      starts_at: planned.doors.reduce(
        (start, d) => (Date.parse(d.plan.starts_at) < Date.parse(start) ? d.plan.starts_at : start),
        planned.doors[0]!.plan.starts_at,
      ),
      ends_at: planned.doors.reduce(
        (end, d) => (Date.parse(d.plan.ends_at) > Date.parse(end) ? d.plan.ends_at : end),
        planned.doors[0]!.plan.ends_at,
      ),
      doors: planned.doors.map((d, i) => ({
        door: i + 1,
        device_id: d.device.device_id,
        guest_code_id: `gc_${randomUUID()}`,
      })),
      created_at: now.toISOString(),
    };
    const saved = await deps.stays.createIfAbsent(record, now.getTime());
    if (saved.created) {
      const doors = await writeDoors(deps, saved.record, planned.doors, now);
      await deps.queues.scheduleStayStart(
        saved.record.id,
        Date.parse(saved.record.starts_at),
        now.getTime(),
      );
      return { kind: 'created', stay: saved.record, doors };
    }
    if (saved.record.request_fingerprint !== print) {
      return { kind: 'conflict', stay: saved.record };
    }
    stay = saved.record;
  }
  // A retry: every door that exists is answered; one a crash left unwritten is planned and
  // written now (its creation queued), so the stay ends complete.
  const doors = await completeDoors(deps, stay, req, now);
  if (!Array.isArray(doors)) return doors;
  return { kind: 'existing', stay, doors };
}

async function writeDoors(
  deps: RequestStayDeps,
  stay: StayRecord,
  planned: PlannedDoor[],
  now: Date,
): Promise<GuestCode[]> {
  const at = now.toISOString();
  const out: GuestCode[] = [];
  for (const [i, door] of planned.entries()) {
    const ref = stay.doors[i]!;
    const record = requestedGuestCode(
      {
        id: ref.guest_code_id,
        reference: door.request.reference,
        request_fingerprint: fingerprint(door.request),
        request: door.request,
        device: door.device,
        plan: door.plan,
        stay: { id: stay.id, door: ref.door, doors: stay.doors.length },
      },
      at,
    );
    const saved = await deps.store.createIfAbsent(record, {
      at,
      type: 'requested',
      message: `requested ${door.plan.kind} code ${door.plan.starts_at} to ${door.plan.ends_at} (door ${ref.door} of ${stay.doors.length} of stay ${stay.id})`,
    });
    if (saved.record.status === 'requested') {
      await deps.queues.enqueueCreate(
        saved.record.id,
        saved.record.generation,
        saved.record.reference,
      );
    }
    out.push(saved.record);
  }
  return out;
}

async function completeDoors(
  deps: RequestStayDeps,
  stay: StayRecord,
  req: StayRequest,
  now: Date,
): Promise<
  | GuestCode[]
  | Extract<StayOutcome, { kind: 'device_not_found' | 'device_unavailable' | 'rejected' }>
> {
  const found = await Promise.all(
    stay.doors.map((d) => deps.store.getByReference(doorReference(stay.reference, d.door))),
  );
  if (found.every((d) => d !== undefined)) {
    for (const d of found) {
      if (d.status === 'requested')
        await deps.queues.enqueueCreate(d.id, d.generation, d.reference);
    }
    // A crash may have come before the start job was queued (the same job id: a no-op if not).
    await deps.queues.scheduleStayStart(stay.id, Date.parse(stay.starts_at), now.getTime());
    return found;
  }
  const planned = await planDoors(deps, req, now);
  if (planned.kind !== 'planned') return planned;
  const doors = await writeDoors(deps, stay, planned.doors, now);
  await deps.queues.scheduleStayStart(stay.id, Date.parse(stay.starts_at), now.getTime());
  return doors;
}
