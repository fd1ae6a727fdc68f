/**
 * Noting a Seam event and asking for its reconcile are two writes; the events job can die
 * between them and run again. The retry sees the event as already noted, and must still get
 * the read it is owed; a true repeat, whose read already happened, must not cost another.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { GuestCode } from '../../src/domain/guest-code';
import {
  reconcileAccessCode,
  recordSeamEvent,
  type ReconcileDeps,
} from '../../src/flows/reconcile';
import { createLogger } from '../../src/logger';
import { WorkQueues } from '../../src/queues/producers';
import type { SeamEventJob } from '../../src/queues/jobs';
import { AccessCodeFreshness } from '../../src/store/access-code-freshness';
import { storeKeys } from '../../src/store/keys';
import { testRedisUrl } from '../helpers/service';

describe('recording a Seam event', () => {
  const prefix = `rec${randomUUID().slice(0, 8)}`;
  const accessCodeId = `ac_${randomUUID()}`;
  let redis: Redis;
  let queues: WorkQueues;
  let deps: ReconcileDeps;
  let crashBeforeEnqueue = false;
  let seamReads = 0;

  beforeAll(() => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    queues = new WorkQueues(redis, prefix, 3);
    const guestCode = { id: 'gc_1', status: 'waiting' } as GuestCode;
    deps = {
      // The record itself plays no part here: only that the access code is one of ours.
      store: {
        getByAccessCode: async () => guestCode,
        note: async () => undefined,
      } as unknown as ReconcileDeps['store'],
      seam: {
        getAccessCode: async () => {
          seamReads++;
          throw new Error('no Seam in this test');
        },
      },
      queues: {
        enqueueReconcile: async (ac, reason, seq) => {
          if (crashBeforeEnqueue) throw new Error('worker died');
          return queues.enqueueReconcile(ac, reason, seq);
        },
        scheduleRecheck: async () => undefined,
        enqueueCreate: async () => undefined,
        enqueueGuestNotification: async () => undefined,
        enqueueAlert: async () => undefined,
      },
      ignored: { record: async () => undefined },
      freshness: new AccessCodeFreshness(redis, storeKeys(prefix).accessCodeFreshness),
      channelsFor: () => [],
      policy: { replaceAfterMs: 1, notSetGraceMs: 1, maxReplacements: 0 },
      now: () => new Date(),
      logger: createLogger({ level: 'silent' }),
    };
  });
  afterAll(async () => {
    await queues.close();
    await redis.quit();
  });

  const event = (eventId: string): SeamEventJob => ({
    delivery_id: `msg_${randomUUID()}`,
    event_id: eventId,
    event_type: 'access_code.set_on_device',
    access_code_id: accessCodeId,
    device_id: 'device_1',
    occurred_at: new Date().toISOString(),
    errors: [],
    warnings: [],
    received_at: new Date().toISOString(),
  });
  const queuedReconciles = async () =>
    (await queues.reconcile.getJobs(['wait', 'delayed', 'prioritized'])).map((j) => j.data);

  it('a retry after dying between noting and enqueueing still queues the read', async () => {
    const first = event('evt_1');
    crashBeforeEnqueue = true;
    await expect(recordSeamEvent(deps, first)).rejects.toThrow('worker died');
    expect(await queuedReconciles()).toEqual([]);

    crashBeforeEnqueue = false;
    expect(await recordSeamEvent(deps, first)).toBe('repeated');
    expect(await queuedReconciles()).toEqual([
      { access_code_id: accessCodeId, reason: first.event_type, event_seq: 1 },
    ]);
  });

  it('a repeat whose read already happened costs no read of Seam', async () => {
    await queues.reconcile.obliterate({ force: true });
    await deps.freshness.markFetched(accessCodeId, 1);
    expect(await recordSeamEvent(deps, event('evt_1'))).toBe('repeated');
    const [job] = await queuedReconciles();
    expect(job).toMatchObject({ event_seq: 1 });
    expect(await reconcileAccessCode(deps, accessCodeId, job!.event_seq)).toBe('covered');
    expect(seamReads).toBe(0);

    // A new event is not covered by that read.
    expect(await recordSeamEvent(deps, event('evt_2'))).toBe('queued');
    await expect(reconcileAccessCode(deps, accessCodeId, 2)).rejects.toThrow('no Seam');
    expect(seamReads).toBe(1);
  });
});
