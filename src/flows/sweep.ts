import { closeEndedStay, STAY_ENDED } from '../domain/endings';
import type { GuestCode } from '../domain/guest-code';
import { ending } from '../domain/transitions';
import { CATCH_UP_EVENT_TYPES } from '../domain/seam-event';
import { errorFields, type Logger } from '../logger';
import type { SeamEventSummary, SeamGateway } from '../seam/client';
import type { GuestCodeStore } from '../store/guest-codes';

export interface SweepDeps {
  store: Pick<
    GuestCodeStore,
    | 'openCount'
    | 'scanOpen'
    | 'getMany'
    | 'getByAccessCode'
    | 'update'
    | 'purgeExpiredIndexEntries'
    | 'indexIfMissing'
  >;
  seam: Pick<SeamGateway, 'listEvents'>;
  cursor: { get(): Promise<string | undefined>; set(since: string): Promise<void> };
  queues: {
    enqueueCreate(guestCodeId: string, generation: number, reference?: string): Promise<unknown>;
    enqueueReconcile(accessCodeId: string, reason: string): Promise<unknown>;
    enqueueAlert(guestCodeId: string, code: string, message: string): Promise<unknown>;
  };
  now: () => Date;
  logger: Logger;
  /** The walk of the open set is spread over at most this long (half the sweep interval). */
  spreadMs: number;
  /** Open codes read per page (default 500). */
  pageSize?: number;
  /** Waits between pages (default: a timer). */
  pause?: (ms: number) => Promise<void>;
  /** True once the process is shutting down: the walk stops (the next sweep walks again). */
  stopping?: () => boolean;
}

export interface SweepReport {
  open: number;
  creationsQueued: number;
  reconcilesQueued: number;
  closed: number;
  eventsSeen: number;
  eventPages: number;
  /** Whether every event since the cursor was read (the cursor moved). */
  eventsComplete: boolean;
  /** Expired records whose listing index entries were dropped. */
  indexEntriesPurged?: number;
}

/** Seam's default page of /events/list, asked for explicitly. */
export const EVENTS_PAGE = 500;
/** Pages read in one sweep at most (25,000 events); the rest waits for the next sweep. */
const MAX_EVENT_PAGES = 50;
/** Events created this close to the end of a read may not be listed yet: read them again. */
const EVENTS_OVERLAP_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The safety net (Seam's polling method): Seam's event log since the last sweep is read to
 * catch events that were never delivered, and every open guest code is looked at again, so a
 * lost webhook delays a guest by at most one interval and a half. Open codes whose stay is
 * over are closed here, so nothing stays open for ever.
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = {
    open: 0,
    creationsQueued: 0,
    reconcilesQueued: 0,
    closed: 0,
    eventsSeen: 0,
    eventPages: 0,
    eventsComplete: false,
  };
  await catchUpEvents(deps, report);
  await walkOpenCodes(deps, report);
  // Expired records leave their listing index entries behind; a bounded batch per sweep.
  report.indexEntriesPurged = await deps.store.purgeExpiredIndexEntries(deps.now().getTime());
  return report;
}

/**
 * Every open guest code, page by page (ZSCAN: all of them, however many), with a pause
 * between pages so a large open set is spread over `spreadMs` instead of bursting Seam (one
 * read per code) and Redis.
 */
async function walkOpenCodes(deps: SweepDeps, report: SweepReport): Promise<void> {
  const pageSize = deps.pageSize ?? 500;
  const pause = deps.pause ?? sleep;
  const pages = Math.max(1, Math.ceil((await deps.store.openCount()) / pageSize));
  const gapMs = pages > 1 ? Math.floor(deps.spreadMs / pages) : 0;
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const step = await deps.store.scanOpen(cursor, pageSize);
    cursor = step.cursor;
    const ids = step.ids.filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    const records = await deps.store.getMany(ids);
    // Open codes recorded before the listing indexes existed join them here.
    await deps.store.indexIfMissing(records.filter((gc): gc is GuestCode => gc !== undefined));
    for (const gc of records) if (gc) await visit(deps, gc, report);
    if (cursor !== '0' && gapMs > 0) await pause(gapMs);
  } while (cursor !== '0' && !deps.stopping?.());
  report.open = seen.size;
}

async function visit(deps: SweepDeps, gc: GuestCode, report: SweepReport): Promise<void> {
  if (closeEndedStay(gc, deps.now())) {
    // Checked on the page's copy first: only a code that looks over costs a write.
    const done = await deps.store.update(gc.id, (cur) => ending(closeEndedStay(cur, deps.now())));
    if (!done?.result) return;
    const after = done.record;
    report.closed++;
    deps.logger.error(
      { guestCodeId: after.id, reference: after.reference, failureCode: STAY_ENDED },
      `guest code failed: ${after.failure?.message ?? 'stay ended'}`,
    );
    await deps.queues.enqueueAlert(after.id, STAY_ENDED, after.failure?.message ?? 'stay ended');
    return;
  }
  if (gc.status === 'requested') {
    await deps.queues.enqueueCreate(gc.id, gc.generation, gc.reference);
    report.creationsQueued++;
  } else if ((gc.status === 'waiting' || gc.status === 'set') && gc.active_access_code_id) {
    await deps.queues.enqueueReconcile(gc.active_access_code_id, 'sweep');
    report.reconcilesQueued++;
  }
}

/**
 * Seam's events since the cursor, every page of them. `/events/list` has no page cursor, only
 * `limit` (500 by default) and a time window, and its order is not documented; so the window
 * [since, until] is narrowed from whichever end a full page covered (a millisecond of overlap,
 * events deduplicated by id) until a page comes back short. The cursor moves only past what
 * was read: to `until` (less an overlap for late listings) once the window is read, to the top
 * of what was read when the answers come oldest first and a page fails, not at all otherwise.
 */
async function catchUpEvents(deps: SweepDeps, report: SweepReport): Promise<void> {
  const until = deps.now();
  const since = (await deps.cursor.get()) ?? new Date(until.getTime() - 3600_000).toISOString();
  let lo = Date.parse(since);
  // `between` is exclusive: one millisecond more takes in events of the very last one.
  let hi = until.getTime() + 1;
  /** Everything in [since, readUpTo] has been read (set when pages come oldest first). */
  let readUpTo: number | undefined;
  const seen = new Set<string>();
  try {
    for (;;) {
      if (report.eventPages >= MAX_EVENT_PAGES) {
        deps.logger.warn(
          { pages: report.eventPages, since },
          'events/list: more events than one sweep reads; the rest next time',
        );
        break;
      }
      const page = await deps.seam.listEvents({
        between: [new Date(lo).toISOString(), new Date(hi).toISOString()],
        eventTypes: CATCH_UP_EVENT_TYPES,
        limit: EVENTS_PAGE,
      });
      report.eventPages++;
      let fresh = 0;
      for (const e of page) {
        if (seen.has(e.event_id)) continue;
        seen.add(e.event_id);
        fresh++;
        await onMissedEvent(deps, e, report);
      }
      if (page.length < EVENTS_PAGE) {
        report.eventsComplete = true;
        break;
      }
      const times = page
        .map((e) => Date.parse(e.created_at ?? e.occurred_at ?? ''))
        .filter((t) => !Number.isNaN(t));
      if (fresh === 0 || times.length === 0) {
        // A full page with nothing new: more than a page of events within one millisecond.
        deps.logger.warn({ since }, 'events/list: cannot page further; the rest next time');
        break;
      }
      const oldestFirst = times[0]! <= times[times.length - 1]!;
      if (oldestFirst) {
        const top = Math.max(...times);
        readUpTo = top - 1;
        lo = top - 1;
      } else {
        hi = Math.min(...times) + 1;
      }
    }
  } catch (err) {
    deps.logger.warn({ err: errorFields(err), since }, 'events/list failed; the cursor stays');
  }
  const next = report.eventsComplete
    ? Math.max(Date.parse(since), until.getTime() - EVENTS_OVERLAP_MS)
    : readUpTo;
  if (next !== undefined && next > Date.parse(since)) {
    await deps.cursor.set(new Date(next).toISOString());
  }
}

async function onMissedEvent(
  deps: SweepDeps,
  e: SeamEventSummary,
  report: SweepReport,
): Promise<void> {
  if (!e.event_type.startsWith('access_code.') || !e.access_code_id) return;
  report.eventsSeen++;
  if (await deps.store.getByAccessCode(e.access_code_id)) {
    await deps.queues.enqueueReconcile(e.access_code_id, `missed ${e.event_type}`);
  }
}
