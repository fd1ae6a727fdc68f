import type { AccessCodeSnapshot, ReplacementPolicy } from '../domain/lifecycle';
import { applyAccessCodeSnapshot, beginReplacement } from '../domain/transitions';
import { type GuestCode, type SeamStatus, SEAM_STATUS_ORDER } from '../domain/guest-code';
import type { Logger } from '../logger';
import type { NotifyChannel } from '../domain/notification-channel';
import type { SeamEventJob } from '../queues/jobs';
import { SeamCallError, type SeamGateway } from '../seam/client';
import type { AccessCodeFreshness } from '../store/access-code-freshness';
import type { GuestCodeStore } from '../store/guest-codes';

export interface ReconcileDeps {
  store: GuestCodeStore;
  seam: Pick<SeamGateway, 'getAccessCode'>;
  queues: {
    enqueueReconcile(accessCodeId: string, reason: string, eventSeq?: number): Promise<unknown>;
    scheduleRecheck(accessCodeId: string, atMs: number, now: number): Promise<unknown>;
    enqueueCreate(guestCodeId: string, generation: number, reference?: string): Promise<unknown>;
    enqueueGuestNotification(
      gc: string,
      ac: string,
      channel: NotifyChannel,
      resend?: number,
      reference?: string,
    ): Promise<unknown>;
    enqueueAlert(guestCodeId: string, code: string, message: string): Promise<unknown>;
  };
  ignored: { record(event: SeamEventJob): Promise<void> };
  freshness: Pick<AccessCodeFreshness, 'noteEvent' | 'latestEvent' | 'markFetched' | 'isCovered'>;
  /** Told of each replacement made, with a low-cardinality cause (for metrics). */
  onReplaced?: (kind: string) => void;
  channelsFor: (gc: GuestCode) => NotifyChannel[];
  policy: ReplacementPolicy;
  now: () => Date;
  logger: Logger;
}

/** Rechecks further away than this are left to the sweeper rather than parked as jobs. */
const MAX_RECHECK_DELAY_MS = 24 * 3600_000;

/**
 * A webhook event arrived: note it on its guest code and ask for a fresh read of the code.
 * Events are hints; what Seam's API answers is the truth, so no event is applied directly.
 * The same event sent again (a new delivery of an old event) costs no further read of Seam.
 */
export async function recordSeamEvent(
  deps: ReconcileDeps,
  event: SeamEventJob,
): Promise<'queued' | 'repeated' | 'ignored'> {
  const gc = await deps.store.getByAccessCode(event.access_code_id);
  if (!gc) {
    await deps.ignored.record(event);
    return 'ignored';
  }
  const { seq, repeated } = await deps.freshness.noteEvent(event.access_code_id, event.event_id);
  await deps.store.note(gc.id, {
    at: event.received_at,
    type: 'event',
    message: `received ${event.event_type} (occurred ${event.occurred_at})${repeated ? ', again' : ''}`,
    access_code_id: event.access_code_id,
  });
  // Asked for even when repeated: free if a fetch covered it, owed if the first try crashed.
  await deps.queues.enqueueReconcile(event.access_code_id, event.event_type, seq);
  return repeated ? 'repeated' : 'queued';
}

function toSnapshot(code: Awaited<ReturnType<SeamGateway['getAccessCode']>>): AccessCodeSnapshot {
  const status = (SEAM_STATUS_ORDER as readonly string[]).includes(code.status)
    ? (code.status as SeamStatus)
    : 'unknown';
  return {
    access_code_id: code.access_code_id,
    gone: false,
    status,
    has_pin: typeof code.code === 'string' && code.code.length > 0,
    errors: (code.errors ?? []).map((e) => e.error_code),
    warnings: (code.warnings ?? []).map((w) => w.warning_code),
    // The window Seam stored: kept on the guest code and used in the guest's message.
    ...(code.starts_at !== undefined ? { starts_at: code.starts_at } : {}),
    ...(code.ends_at !== undefined ? { ends_at: code.ends_at } : {}),
    ...(typeof code.is_offline_access_code === 'boolean'
      ? { is_offline_access_code: code.is_offline_access_code }
      : {}),
  };
}

/**
 * Reads one access code from Seam and applies it to its guest code, then acts on the result.
 * `eventSeq` is the event that asked for it; when a read that started after that event has
 * already been applied, there is nothing new to learn and Seam is not asked again.
 */
export async function reconcileAccessCode(
  deps: ReconcileDeps,
  accessCodeId: string,
  eventSeq?: number,
): Promise<'ignored' | 'covered' | 'unchanged' | 'applied'> {
  if (eventSeq !== undefined && (await deps.freshness.isCovered(accessCodeId, eventSeq))) {
    return 'covered';
  }
  const known = await deps.store.getByAccessCode(accessCodeId);
  if (!known) return 'ignored';

  const seenBeforeFetch = await deps.freshness.latestEvent(accessCodeId);
  let snap: AccessCodeSnapshot;
  try {
    snap = toSnapshot(await deps.seam.getAccessCode(accessCodeId));
  } catch (err) {
    if (err instanceof SeamCallError && err.failure.kind === 'not_found') {
      snap = { access_code_id: accessCodeId, gone: true };
    } else {
      throw err;
    }
  }

  const done = await deps.store.update(known.id, (cur) =>
    applyAccessCodeSnapshot(cur, snap, deps.now(), deps.policy),
  );
  if (!done) {
    await deps.freshness.markFetched(accessCodeId, seenBeforeFetch);
    return 'unchanged';
  }

  const decision = done.result;
  const gc = decision.record;
  const now = deps.now().getTime();
  for (const effect of decision.effects) {
    switch (effect.type) {
      case 'notify':
        for (const channel of deps.channelsFor(gc)) {
          // Under the current resend's number, if any: the first jobs may sit in the failed set.
          await deps.queues.enqueueGuestNotification(
            gc.id,
            effect.access_code_id,
            channel,
            gc.resends,
            gc.reference,
          );
        }
        break;
      case 'recheck': {
        const at = Date.parse(effect.at);
        if (at - now <= MAX_RECHECK_DELAY_MS)
          await deps.queues.scheduleRecheck(accessCodeId, at, now);
        break;
      }
      case 'replace':
        if (await replaceCode(deps, gc.id, accessCodeId, effect.reason)) {
          deps.onReplaced?.(effect.kind);
        }
        break;
      case 'alert':
        deps.logger.warn(
          { guestCodeId: gc.id, reference: gc.reference, alertCode: effect.code },
          effect.message,
        );
        await deps.queues.enqueueAlert(gc.id, effect.code, effect.message);
        break;
      case 'fail':
        deps.logger.error(
          // `code` is redacted from logs (PINs travel as `code`): name the reason otherwise.
          { guestCodeId: gc.id, reference: gc.reference, failureCode: effect.code },
          `guest code failed: ${effect.message}`,
        );
        if (effect.alert) await deps.queues.enqueueAlert(gc.id, effect.code, effect.message);
        break;
    }
  }
  // Only once the answer and its consequences are recorded: a crash before this refetches.
  await deps.freshness.markFetched(accessCodeId, seenBeforeFetch);
  return decision.changed ? 'applied' : 'unchanged';
}

/** Stops following a failed code and queues a new one for the same guest and window. */
async function replaceCode(
  deps: ReconcileDeps,
  guestCodeId: string,
  failedAccessCodeId: string,
  reason: string,
): Promise<boolean> {
  const done = await deps.store.update(guestCodeId, (cur) =>
    beginReplacement(cur, failedAccessCodeId, reason, deps.now()),
  );
  // Only the write that made the replacement queues it: a concurrent one may have beaten us.
  if (done?.result) {
    const { generation, reference } = done.record;
    deps.logger.warn({ guestCodeId, generation }, 'replacing a failed code');
    await deps.queues.enqueueCreate(guestCodeId, generation, reference);
    return true;
  }
  return false;
}
