import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NotifyChannel } from '../domain/notification-channel';
import { JOB_CATALOG, type JobPayload, type QueueKey } from './catalog';
import { SEAM_BACKOFF } from './options';

/** A queue of the catalog, typed by its payload, with the catalog's job options as defaults. */
export function catalogQueue<K extends QueueKey>(
  key: K,
  connection: Redis,
  prefix: string,
): Queue<JobPayload<K>> {
  const def = JOB_CATALOG[key];
  const queue = new Queue<JobPayload<K>>(def.name, {
    connection,
    prefix,
    defaultJobOptions: def.options,
  });
  // Errors surface on each add as a rejection; the listener keeps them off the process.
  queue.on('error', () => undefined);
  return queue;
}

/** A job's name on the dashboard: what it does, then the booking reference when known. */
function labelled(name: string, reference: string | undefined): string {
  return reference ? `${name} ${reference}` : name;
}

/**
 * A job that already sits in the failed set under this id is put back to work. The callers
 * queue a job because its guest code still needs it (a creation for a code still `requested`,
 * a notification for a code still `set`): its failure was never written to the guest code (a
 * crash, Redis gone at that moment), and adding the same id again would do nothing for the week
 * failed jobs are kept, leaving the guest code stuck. Each job is safe to run again (a creation
 * adopts the code an earlier try made; a send goes through its claim).
 */
async function reviveIfFailed(job: Job): Promise<Job> {
  if (await job.isFailed()) {
    // Two callers may race to it: only the one that lost finds it no longer failed.
    await job.retry('failed', { resetAttemptsMade: true }).catch(async (err: unknown) => {
      if (await job.isFailed()) throw err;
    });
  }
  return job;
}

/**
 * Producers for the work queues. Job ids carry the idempotency: the same guest code's
 * creation, or the same notification, is never queued twice while the first is still there.
 */
export class WorkQueues {
  readonly create: Queue<JobPayload<'create'>>;
  readonly reconcile: Queue<JobPayload<'reconcile'>>;
  readonly notify: Queue<JobPayload<'notify'>>;

  constructor(
    connection: Redis,
    readonly prefix: string,
    private readonly createAttempts: number,
    /** How long a reconcile waits for the rest of a burst of events (RECONCILE_COALESCE_MS). */
    private readonly reconcileDelayMs = 0,
  ) {
    this.create = catalogQueue('create', connection, prefix);
    this.reconcile = catalogQueue('reconcile', connection, prefix);
    this.notify = catalogQueue('notify', connection, prefix);
  }

  /** `reference` (the booking's) only labels the job on the dashboard: name and data. The
   *  sweeper queues the creation of every code still `requested` again (see reviveIfFailed). */
  async enqueueCreate(
    guestCodeId: string,
    generation: number,
    reference?: string,
  ): Promise<unknown> {
    const job = await this.create.add(
      labelled('create', reference),
      { guest_code_id: guestCodeId, generation, ...(reference ? { reference } : {}) },
      {
        jobId: `create-${guestCodeId}-${generation}`,
        attempts: this.createAttempts,
        backoff: SEAM_BACKOFF,
      },
    );
    return reviveIfFailed(job);
  }

  /**
   * Bursts coalesce: while a fetch for this access code waits (a few ms, for the rest of the
   * burst), more events add nothing (it has not read yet); while one runs, one more is kept to
   * run after it (it may have read too early), and that one skips Seam when the running fetch
   * already covered its event (see AccessCodeFreshness).
   */
  enqueueReconcile(accessCodeId: string, reason: string, eventSeq?: number): Promise<unknown> {
    return this.reconcile.add(
      'reconcile',
      { access_code_id: accessCodeId, reason, ...(eventSeq ? { event_seq: eventSeq } : {}) },
      {
        ...(this.reconcileDelayMs > 0 ? { delay: this.reconcileDelayMs } : {}),
        deduplication: { id: accessCodeId, keepLastIfActive: true },
      },
    );
  }

  /** A check at a known future time (end of a grace period); one per code and time. */
  scheduleRecheck(accessCodeId: string, atMs: number, now: number): Promise<unknown> {
    return this.reconcile.add(
      'recheck',
      { access_code_id: accessCodeId, reason: 'grace period over' },
      {
        jobId: `recheck-${accessCodeId}-${atMs}`,
        delay: Math.max(0, atMs - now),
      },
    );
  }

  /**
   * One job per guest code, access code and channel; an operator's resend `n` gets a job of its
   * own (the first one may still sit in the failed set), and the notification claim, which is
   * per guest code, access code and channel, keeps the send single across all of them. The
   * sweeper's reconcile of every code still `set` queues its notifications again (see
   * reviveIfFailed): a give-up that was never written does not leave the guest untold.
   */
  async enqueueGuestNotification(
    guestCodeId: string,
    accessCodeId: string,
    channel: NotifyChannel,
    resend?: number,
    reference?: string,
  ): Promise<unknown> {
    const job = await this.notify.add(
      labelled(`guest-${channel}`, reference),
      {
        kind: 'guest',
        guest_code_id: guestCodeId,
        access_code_id: accessCodeId,
        channel,
        ...(resend ? { resend } : {}),
        ...(reference ? { reference } : {}),
      },
      {
        jobId: `notify-${guestCodeId}-${accessCodeId}-${channel}${resend ? `-r${resend}` : ''}`,
      },
    );
    return reviveIfFailed(job);
  }

  /** One alert per guest code and `key` (default: the failure code). */
  enqueueAlert(guestCodeId: string, code: string, message: string, key = code): Promise<unknown> {
    return this.notify.add(
      'alert',
      {
        kind: 'alert',
        guest_code_id: guestCodeId,
        code,
        message,
        ...(key !== code ? { alert_id: key } : {}),
      },
      { jobId: `alert-${guestCodeId}-${key}` },
    );
  }

  /** One `guest_code.window_changed` per guest code and change. */
  enqueueWindowChanged(guestCodeId: string, change: number): Promise<unknown> {
    return this.notify.add(
      'window-changed',
      { kind: 'window_changed', guest_code_id: guestCodeId, change },
      { jobId: `window-changed-${guestCodeId}-${change}` },
    );
  }

  /** At a stay's start: one job per stay (doors still not set are told as they come). */
  scheduleStayStart(
    stayId: string,
    startsAtMs: number,
    nowMs: number,
    /** A changed stay: one more job at its new start (the first finds it not started). */
    again = false,
  ): Promise<unknown> {
    return this.notify.add(
      'stay-start',
      { kind: 'stay_start', stay_id: stayId },
      {
        jobId: again ? `stay-start-${stayId}-${startsAtMs}` : `stay-start-${stayId}`,
        delay: Math.max(0, startsAtMs - nowMs),
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.create.close(), this.reconcile.close(), this.notify.close()]);
  }
}
