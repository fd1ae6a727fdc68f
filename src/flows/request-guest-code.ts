import { createHash, randomUUID } from 'node:crypto';
import { unreachableGuest, type NotifyChannel } from '../domain/notification-channel';
import { lockProfileFromDevice, type DeviceFacts } from '../domain/device-profile';
import { requestedGuestCode, type GuestCode, type GuestCodeRequest } from '../domain/guest-code';
import { decideLockLimits, lockClaimFor } from '../domain/lock-limits';
import { planOfflineCode, type RuleViolation } from '../domain/rules';
import { SeamCallError } from '../seam/client';
import type { LockCodeRegistry } from '../store/lock-codes';

export interface RequestGuestCodeDeps {
  store: {
    getByReference(reference: string): Promise<GuestCode | undefined>;
    createIfAbsent(
      record: GuestCode,
      entry: { at: string; type: string; message: string },
    ): Promise<{ created: boolean; record: GuestCode }>;
  };
  devices: { get(deviceId: string): Promise<DeviceFacts> };
  /** The per-lock limits' counts (src/store/lock-codes.ts). */
  lockCodes: Pick<LockCodeRegistry, 'usage'>;
  queues: {
    enqueueCreate(guestCodeId: string, generation: number, reference?: string): Promise<unknown>;
  };
  now: () => Date;
  /** The channels the workers announced (undefined: none announced); absent: not checked. */
  notifyChannels?: () => Promise<readonly NotifyChannel[] | undefined>;
}

export type RequestOutcome =
  | { kind: 'created'; record: GuestCode }
  | { kind: 'existing'; record: GuestCode }
  | { kind: 'conflict'; record: GuestCode }
  | { kind: 'device_not_found'; deviceId: string }
  | { kind: 'device_unavailable'; message: string }
  | { kind: 'rejected'; violations: RuleViolation[] };

/** Same request, same fingerprint: keys sorted, so property order does not matter. */
export function fingerprint(req: GuestCodeRequest | object): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(req)))
    .digest('hex');
}

/**
 * A booking system asks for a guest's code. The reference makes it idempotent: the same
 * request again gets the same record and never a second Seam code. Checks that spend nothing
 * (the lock can do it, the window fits the manufacturer's rules) run before anything is
 * recorded; the Seam code itself is created by a worker.
 */
export async function requestGuestCode(
  deps: RequestGuestCodeDeps,
  req: GuestCodeRequest,
): Promise<RequestOutcome> {
  const print = fingerprint(req);
  const known = await deps.store.getByReference(req.reference);
  if (known) return answerForExisting(deps, known, print);

  // A guest nothing would tell is refused before anything is spent (POST's 422).
  if (deps.notifyChannels) {
    const unreachable = unreachableGuest(req.guest, await deps.notifyChannels());
    if (unreachable) return { kind: 'rejected', violations: [unreachable] };
  }

  let device: DeviceFacts;
  try {
    device = await deps.devices.get(req.device_id);
  } catch (err) {
    if (err instanceof SeamCallError && err.failure.kind === 'not_found') {
      return { kind: 'device_not_found', deviceId: req.device_id };
    }
    const message = err instanceof SeamCallError ? err.failure.message : 'device lookup failed';
    return { kind: 'device_unavailable', message };
  }
  const profile = lockProfileFromDevice(device);
  if (!profile.ok) return { kind: 'rejected', violations: [profile.violation] };

  const now = deps.now();
  const planned = planOfflineCode(profile.profile, req, now);
  if (!planned.ok) return { kind: 'rejected', violations: planned.violations };

  // A per-lock limit that waiting cannot lift is refused here, before anything is recorded;
  // one that a code's end will lift is left to the worker, which waits for it.
  const claim = lockClaimFor(profile.profile.manufacturer, planned.plan);
  if (claim) {
    const usage = await deps.lockCodes.usage(req.device_id, claim, now.getTime());
    const decision = decideLockLimits(claim, usage);
    if (decision.kind === 'refuse') return { kind: 'rejected', violations: [decision.violation] };
  }

  const at = now.toISOString();
  const record = requestedGuestCode(
    {
      id: `gc_${randomUUID()}`,
      reference: req.reference,
      request_fingerprint: print,
      request: req,
      device: {
        device_id: req.device_id,
        name: profile.profile.name,
        manufacturer: profile.profile.manufacturer,
        timezone: profile.profile.timezone,
      },
      plan: planned.plan,
    },
    at,
  );
  const saved = await deps.store.createIfAbsent(record, {
    at,
    type: 'requested',
    message: `requested ${planned.plan.kind} code ${planned.plan.starts_at} to ${planned.plan.ends_at}`,
  });
  if (!saved.created) return answerForExisting(deps, saved.record, print);
  await deps.queues.enqueueCreate(record.id, 0, record.reference);
  return { kind: 'created', record: saved.record };
}

async function answerForExisting(
  deps: RequestGuestCodeDeps,
  record: GuestCode,
  print: string,
): Promise<RequestOutcome> {
  if (record.request_fingerprint !== print) return { kind: 'conflict', record };
  // A retry after a lost answer: make sure the creation is queued (a no-op when it is).
  if (record.status === 'requested')
    await deps.queues.enqueueCreate(record.id, record.generation, record.reference);
  return { kind: 'existing', record };
}
