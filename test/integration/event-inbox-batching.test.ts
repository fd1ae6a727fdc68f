/**
 * The event inbox writes concurrent deliveries to Redis together (one pipeline per turn of
 * the event loop). Batching must not change what each caller is told: every answer is about
 * its own delivery, a delivery id seen before (in Redis or earlier in the same batch) is a
 * duplicate that adds nothing, and when Redis cannot take the batch every caller hears so.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EventInbox } from '../../src/queues/event-inbox';
import type { SeamEventJob } from '../../src/queues/jobs';
import {
  closeConnection,
  createRequestPathConnection,
  waitUntilReady,
} from '../../src/redis/connections';
import { freePort } from '../../devkit/redis';
import { testRedisUrl } from '../helpers/service';

function job(deliveryId: string): SeamEventJob {
  const now = new Date().toISOString();
  return {
    delivery_id: deliveryId,
    event_id: randomUUID(),
    event_type: 'access_code.set_on_device',
    access_code_id: `ac_${randomUUID()}`,
    device_id: 'device_1',
    occurred_at: now,
    errors: [],
    warnings: [],
    received_at: now,
  };
}

describe('EventInbox batching', () => {
  let redis: Redis;
  let inbox: EventInbox;

  beforeAll(async () => {
    redis = createRequestPathConnection({ url: testRedisUrl(), commandTimeoutMs: 2000 }, 'test');
    await waitUntilReady(redis, 5000);
    inbox = new EventInbox(redis, `inbox${randomUUID().slice(0, 8)}`, 60_000, 2000);
  });
  afterAll(async () => {
    await inbox.close();
    await closeConnection(redis);
  });

  it('answers each of many concurrent deliveries about itself, duplicates within a batch included', async () => {
    const ids = Array.from({ length: 600 }, () => `msg_${randomUUID()}`);
    // Every tenth delivery arrives twice in the same turn; 600 is more than one batch.
    const sent = ids.flatMap((id, i) => (i % 10 === 0 ? [id, id] : [id]));
    const answers = await Promise.all(sent.map((id) => inbox.add(job(id))));

    const byId = new Map<string, string[]>();
    sent.forEach((id, i) => byId.set(id, [...(byId.get(id) ?? []), answers[i]!]));
    for (const [id, outcomes] of byId) {
      expect({ id, outcomes: outcomes.sort() }).toEqual({
        id,
        outcomes: outcomes.length === 2 ? ['accepted', 'duplicate'] : ['accepted'],
      });
    }
    expect(await inbox.queue.count()).toBe(ids.length);

    // Sent again later: all duplicates, nothing added.
    const again = await Promise.all(ids.slice(0, 50).map((id) => inbox.add(job(id))));
    expect(new Set(again)).toEqual(new Set(['duplicate']));
    expect(await inbox.queue.count()).toBe(ids.length);
  });

  it('rejects every delivery of a batch Redis cannot take', async () => {
    const port = await freePort();
    const down = createRequestPathConnection(
      { url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 },
      'down',
    );
    down.on('error', () => undefined);
    const lost = new EventInbox(down, 'down', 60_000, 300);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => lost.add(job(`msg_${randomUUID()}`))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill('rejected'));
    } finally {
      await lost.close().catch(() => undefined);
      await closeConnection(down);
    }
  });
});
