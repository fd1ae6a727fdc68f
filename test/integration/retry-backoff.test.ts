/**
 * Retries of every job that calls Seam back off with jitter and never come sooner than Seam's
 * Retry-After: creations did already; reconciles (which read the code) and notifications
 * (which read the PIN) do too. The end state is the retried job itself, waiting in BullMQ's
 * delayed set for at least what Seam asked.
 */
import fc from 'fast-check';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/catalog';
import { SeamCallError } from '../../src/seam/client';
import { seamBackoff } from '../../workers/backoff';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const GET = '/access_codes/get';
const RETRY_AFTER_S = 4;

describe('retries of Seam reads honour Retry-After', () => {
  let s: Stack;
  let conn: Redis;
  let reconcile: Queue;
  let notify: Queue;
  let seq = 0;

  beforeAll(async () => {
    s = await startStack({ sim: { autoAdvance: false } });
    conn = new Redis(s.config.REDIS_URL, { maxRetriesPerRequest: null });
    reconcile = new Queue(QUEUES.reconcile, { connection: conn, prefix: s.config.QUEUE_PREFIX });
    notify = new Queue(QUEUES.notify, { connection: conn, prefix: s.config.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await reconcile.close();
    await notify.close();
    conn.disconnect();
    await s.close();
  });

  async function book(): Promise<string> {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Backoff', email: `backoff${++seq}@example.com` },
        ...hourlyWindow(2, 24),
        reference: `backoff-${seq}`,
      },
    });
    expect(res.status).toBe(202);
    return res.body.guest_code.id as string;
  }

  /** The job that met the 429: retried later, waiting in the delayed set. */
  const retried = (queue: Queue) =>
    eventually(async () => {
      const delayed = await queue.getJobs(['delayed']);
      return delayed.find(
        (j: Job) => j.attemptsMade >= 1 && /429|rate limit/i.test(j.failedReason ?? ''),
      );
    }, 10_000);

  it('a reconcile that meets a 429 waits at least Retry-After', async () => {
    // The first read after the creation is answered 429, Retry-After: 4.
    s.sim.setFaults({
      requestErrors: { [GET]: { count: 1, status: 429, retryAfterSeconds: RETRY_AFTER_S } },
    });
    await book();
    const job = await retried(reconcile);
    expect(job.delay).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
    s.sim.clearFaults();
  });

  it('a notification that meets a 429 reading the PIN waits at least Retry-After', async () => {
    const id = await book();
    const waiting = await eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'waiting' && gc.active_access_code_id ? gc : undefined;
    }, 10_000);
    await eventually(async () =>
      (await reconcile.getJobCounts('waiting', 'active', 'delayed')).waiting === 0
        ? true
        : undefined,
    );
    // The code turns set: the reconcile's read goes through, the next one (a notification
    // reading the PIN) is answered 429.
    s.sim.setFaults({
      requestErrors: {
        [GET]: { after: 1, count: 1, status: 429, retryAfterSeconds: RETRY_AFTER_S },
      },
    });
    s.sim.setStatus(waiting.active_access_code_id!, 'set');
    const job = await retried(notify);
    expect(job.data.guest_code_id).toBe(id);
    expect(job.delay).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
    s.sim.clearFaults();
  });
});

describe('the backoff itself', () => {
  it('is exponential with jitter: between half and all of the ceiling, never the same for all', () => {
    const backoff = seamBackoff(2000, 300_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), (attempt) => {
        const ceiling = Math.min(300_000, 2000 * 2 ** (attempt - 1));
        const delays = Array.from({ length: 50 }, () => backoff(attempt, 'seam'));
        for (const d of delays) {
          expect(d).toBeGreaterThanOrEqual(ceiling / 2);
          expect(d).toBeLessThanOrEqual(ceiling);
        }
        expect(new Set(delays).size).toBeGreaterThan(1);
      }),
    );
  });

  it('never sooner than a Retry-After a Seam call error carries', () => {
    const backoff = seamBackoff(50, 500);
    const err = new SeamCallError('/access_codes/get', {
      kind: 'transient',
      code: 'rate_limited',
      message: 'Seam rate limit reached (429)',
      status: 429,
      retryAfterMs: 7000,
    });
    for (let attempt = 1; attempt < 8; attempt++) {
      expect(backoff(attempt, 'seam', err)).toBeGreaterThanOrEqual(7000);
    }
  });
});
