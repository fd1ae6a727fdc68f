import type { GuestCode } from '../domain/guest-code';
import type { Logger } from '../logger';
import type { SeamGateway } from '../seam/client';
import type { GuestCodeStore } from '../store/guest-codes';

export interface SweepDeps {
  store: GuestCodeStore;
  seam: Pick<SeamGateway, 'listEvents'>;
  cursor: { get(): Promise<string | undefined>; set(since: string): Promise<void> };
  queues: {
    enqueueCreate(guestCodeId: string, generation: number): Promise<unknown>;
    enqueueReconcile(accessCodeId: string, reason: string): Promise<unknown>;
  };
  now: () => Date;
  logger: Logger;
}

export interface SweepReport {
  open: number;
  creationsQueued: number;
  reconcilesQueued: number;
  eventsSeen: number;
}

/**
 * The safety net (Seam's polling method): every open guest code is looked at again, so a lost
 * webhook delays a guest by at most one interval. It also reads Seam's event log since the
 * last sweep to catch events that were never delivered.
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { open: 0, creationsQueued: 0, reconcilesQueued: 0, eventsSeen: 0 };
  const ids = await deps.store.openIds();
  report.open = ids.length;
  for (const id of ids) {
    const gc: GuestCode | undefined = await deps.store.get(id);
    if (!gc) continue;
    if (gc.status === 'requested') {
      await deps.queues.enqueueCreate(gc.id, gc.generation);
      report.creationsQueued++;
    } else if ((gc.status === 'waiting' || gc.status === 'set') && gc.active_access_code_id) {
      await deps.queues.enqueueReconcile(gc.active_access_code_id, 'sweep');
      report.reconcilesQueued++;
    }
  }

  // Missed events: everything since the previous sweep (with a minute of overlap).
  const startedAt = deps.now();
  const since = (await deps.cursor.get()) ?? new Date(startedAt.getTime() - 3600_000).toISOString();
  try {
    const events = await deps.seam.listEvents({ since });
    for (const e of events) {
      if (!e.event_type.startsWith('access_code.') || !e.access_code_id) continue;
      report.eventsSeen++;
      if (await deps.store.getByAccessCode(e.access_code_id)) {
        await deps.queues.enqueueReconcile(e.access_code_id, `missed ${e.event_type}`);
      }
    }
    await deps.cursor.set(new Date(startedAt.getTime() - 60_000).toISOString());
  } catch (err) {
    deps.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'events/list failed',
    );
  }
  return report;
}
