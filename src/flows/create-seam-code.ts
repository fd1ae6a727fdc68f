import { carriesTag, creationTag, seamCodeName, type GuestCode } from '../domain/guest-code';
import type { Manufacturer } from '../domain/device-profile';
import { decideLockLimits, lockClaimFor } from '../domain/lock-limits';
import type { ChangeEnding } from '../domain/stay-change';
import {
  failCreation as failCreationOf,
  recordCreatedCode,
  startCreation,
} from '../domain/transitions';
import type { Logger } from '../logger';
import { SeamCallError, type SeamAccessCode, type SeamGateway } from '../seam/client';
import type { GuestCodeStore } from '../store/guest-codes';
import type { LockCodeRegistry } from '../store/lock-codes';

export interface CreateSeamCodeDeps {
  store: GuestCodeStore;
  seam: Pick<SeamGateway, 'createOfflineAccessCode' | 'listAccessCodes'>;
  rateLimit: { take(deviceId: string): Promise<number> };
  /** The per-lock limits' counts, shared by every worker (src/store/lock-codes.ts). */
  lockCodes: Pick<LockCodeRegistry, 'reserve' | 'release'>;
  queues: {
    enqueueReconcile(accessCodeId: string, reason: string): Promise<unknown>;
    enqueueCreate(guestCodeId: string, generation: number): Promise<unknown>;
    enqueueWindowChanged(guestCodeId: string, change: number): Promise<unknown>;
  };
  now: () => Date;
  logger: Logger;
  /** With REDIS_MIN_REPLICAS_ACK: waits until the replicas hold the store's writes (WAIT on
   *  its connection), and throws when they do not in time. */
  confirmReplicated?: () => Promise<void>;
}

export type CreateOutcome =
  | { kind: 'created' | 'adopted'; accessCodeId: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'rate_limited'; waitMs: number }
  | { kind: 'failed'; code: string };

/** A create that may be retried: the worker backs off (honouring Retry-After) and tries again. */
export class RetryableCreateError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableCreateError';
  }
}

/**
 * Creates the Seam offline code for one generation of a guest code, never twice.
 *
 * Offline codes cannot be deleted, so a duplicate is a lasting harm. Before a create is sent,
 * the record notes it is in flight; if a later try finds that note (the answer was lost: a
 * timeout, a reset, a 5xx, a crash), it first lists the lock's codes and adopts the one whose
 * name carries this generation's tag.
 */
export async function createSeamCode(
  deps: CreateSeamCodeDeps,
  job: { guest_code_id: string; generation: number },
  isLastAttempt: boolean,
): Promise<CreateOutcome> {
  const { store, seam, logger } = deps;
  const gc = await store.get(job.guest_code_id);
  if (!gc) return { kind: 'skipped', reason: 'no such guest code' };
  if (gc.status === 'cancelled') return { kind: 'skipped', reason: 'cancelled' };
  if (gc.generation !== job.generation) return { kind: 'skipped', reason: 'stale generation' };
  if (gc.access_codes.some((c) => c.generation === job.generation)) {
    return { kind: 'skipped', reason: 'already created' };
  }
  if (gc.status !== 'requested') return { kind: 'skipped', reason: `status is ${gc.status}` };

  const tag = creationTag(gc.id, job.generation);
  if (gc.create_in_flight?.generation === job.generation) {
    const found = await findTagged(deps, gc, tag);
    if (found) return record(deps, gc, found, 'adopted');
  }

  const waitMs = await deps.rateLimit.take(gc.device.device_id);
  if (waitMs > 0) return { kind: 'rate_limited', waitMs };

  // The lock's own limits (igloohome): a place is claimed before the create is sent, so two
  // workers never both take the last one; a replacement is held to them like any code.
  const claim = lockClaimFor(gc.device.manufacturer as Manufacturer, gc.plan);
  if (claim) {
    const now = deps.now().getTime();
    const { added, usage } = await deps.lockCodes.reserve(gc.device.device_id, tag, claim, now);
    if (!added) {
      const decision = decideLockLimits(claim, usage);
      if (decision.kind === 'wait') {
        logger.info(
          { guestCodeId: gc.id, limit: decision.limit, untilMs: decision.untilMs },
          'creation waits for a place on the lock',
        );
        return { kind: 'rate_limited', waitMs: Math.max(1000, decision.untilMs - now) };
      }
      const refused =
        decision.kind === 'refuse'
          ? decision.violation
          : { code: 'igloohome_pin_limit', message: 'no place on the lock' };
      const after = await failCreation(deps, gc.id, {
        code: refused.code,
        message: refused.message,
      });
      return failedOrChanged(after, job.generation, refused.code);
    }
  }

  const started = await store.update(gc.id, (cur) =>
    startCreation(cur, job.generation, deps.now()),
  );
  if (!started?.result) {
    // Nothing was sent (e.g. the stay changed meanwhile): the place claimed is given back.
    if (claim) await deps.lockCodes.release(gc.device.device_id, tag);
    return { kind: 'skipped', reason: 'changed while starting' };
  }

  const marked = started.record;
  const plan = marked.plan;
  // Exactly what the plan says goes to Seam: the stay's own strings when no rounding is needed,
  // the rounded window otherwise (records from before seam_request existed: the plan's window).
  const times = plan.seam_request ?? {
    starts_at: plan.starts_at,
    ...(plan.kind === 'one_time_use' ? {} : { ends_at: plan.ends_at }),
    max_time_rounding: plan.max_time_rounding,
  };
  // The in-flight note must survive a failover before Seam is asked: a retry that did not
  // find it would create again without looking, and an offline code cannot be deleted. Not
  // confirmed: ReplicaAckError, and the job waits (see workers/replica-wait.ts).
  await deps.confirmReplicated?.();
  try {
    const created = await seam.createOfflineAccessCode({
      device_id: gc.device.device_id,
      name: seamCodeName(gc.request.guest.name, tag),
      starts_at: times.starts_at,
      ...(times.ends_at !== undefined && plan.kind !== 'one_time_use'
        ? { ends_at: times.ends_at }
        : {}),
      is_one_time_use: plan.kind === 'one_time_use',
      max_time_rounding: times.max_time_rounding,
    });
    return record(deps, marked, created, 'created');
  } catch (err) {
    if (!(err instanceof SeamCallError)) throw err;
    const f = err.failure;
    logger.warn(
      {
        guestCodeId: gc.id,
        kind: f.kind,
        errorCode: f.code,
        status: f.status,
        requestId: f.requestId,
      },
      'Seam create failed',
    );
    if (f.kind === 'permanent' || f.kind === 'not_found' || isLastAttempt) {
      // A create whose outcome is unknown may still have made a code: look once more.
      if (f.kind === 'outcome_unknown') {
        const found = await findTagged(deps, marked, tag).catch(() => undefined);
        if (found) return record(deps, marked, found, 'adopted');
      } else if (claim) {
        // Seam refused it: no code was made, so it takes no place on the lock. (An unknown
        // outcome keeps its place: a code may exist that the list did not show yet.)
        await deps.lockCodes.release(gc.device.device_id, tag);
      }
      const after = await failCreation(deps, gc.id, {
        code: f.code,
        message:
          isLastAttempt && f.kind !== 'permanent'
            ? `gave up after retries: ${f.message}`
            : f.message,
        seam_request_id: f.requestId,
      });
      return failedOrChanged(after, job.generation, f.code);
    }
    throw new RetryableCreateError(`${f.code}: ${f.message}`, f.retryAfterMs);
  }
}

/** A failed creation fails the guest code, unless a change that waited for it went ahead. */
function failedOrChanged(
  after: GuestCode | undefined,
  generation: number,
  code: string,
): CreateOutcome {
  return after && after.status === 'requested' && after.generation !== generation
    ? { kind: 'skipped', reason: `creation failed (${code}); the change that waited goes ahead` }
    : { kind: 'failed', code };
}

async function findTagged(
  deps: CreateSeamCodeDeps,
  gc: GuestCode,
  tag: string,
): Promise<SeamAccessCode | undefined> {
  const codes = await deps.seam.listAccessCodes(gc.device.device_id);
  // Exactly where this service writes it: a guest's free-text name cannot pass for a tag.
  return codes.find((c) => typeof c.name === 'string' && carriesTag(c.name, tag));
}

async function record(
  deps: CreateSeamCodeDeps,
  gc: GuestCode,
  code: SeamAccessCode,
  how: 'created' | 'adopted',
): Promise<CreateOutcome> {
  const done = await deps.store.update(gc.id, (cur) =>
    recordCreatedCode(cur, code, how, deps.now()),
  );
  const change = done?.result.change;
  const saved = done?.record;
  await followChange(deps, gc.id, change);
  // Events may have arrived before the index existed: read the code's state once now.
  if (saved && (saved.status === 'waiting' || change)) {
    await deps.queues.enqueueReconcile(code.access_code_id, `just ${how}`);
  }
  return { kind: how, accessCodeId: code.access_code_id };
}

/** Queues what an applied change asks for: the new window's creation and the booking system's event. */
export async function followChange(
  deps: {
    queues: Pick<CreateSeamCodeDeps['queues'], 'enqueueCreate' | 'enqueueWindowChanged'>;
  },
  guestCodeId: string,
  change: ChangeEnding | undefined,
): Promise<void> {
  if (!change) return;
  if (change.createGeneration !== undefined) {
    await deps.queues.enqueueCreate(guestCodeId, change.createGeneration);
  }
  if (change.windowChanged) {
    await deps.queues.enqueueWindowChanged(guestCodeId, change.windowChanged.n);
  }
}

export async function failCreation(
  deps: Pick<CreateSeamCodeDeps, 'store' | 'now' | 'queues'>,
  guestCodeId: string,
  reason: { code: string; message: string; seam_request_id?: string },
): Promise<GuestCode | undefined> {
  const done = await deps.store.update(guestCodeId, (cur) =>
    failCreationOf(cur, reason, deps.now()),
  );
  await followChange(deps, guestCodeId, done?.result.change);
  return done?.record;
}
