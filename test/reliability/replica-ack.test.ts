/**
 * Reliability: REDIS_MIN_REPLICAS_ACK. A primary and one replica (real redis-servers on
 * loopback), the ingress and the API in this process with REDIS_MIN_REPLICAS_ACK=1.
 *
 * While the replica keeps up, a delivery is answered 200 and a booking 202, and the replica
 * already holds both when the answer arrives. While the replica is stalled (SIGSTOP, as under
 * load or a network blip), the primary takes the writes but nothing is acknowledged: 503 with
 * Retry-After, for Seam's deliveries and the booking system's requests alike, and /readyz stays
 * 200 (the primary is fine; only the acknowledgement waits). Once the replica is back, the same
 * delivery, re-sent with the same svix-id, is answered 200 and queued exactly once. With
 * REDIS_MIN_REPLICAS_ACK=0 (the default) the same stall answers 200: written to the primary
 * alone, lost if it dies before the replica catches up.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { eventually } from '../../devkit/eventually';
import { startService, type RunningService } from '../../app/service';
import { QUEUES } from '../../src/queues/catalog';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { accessCodeEvent, postDelivery, signDelivery } from '../../devkit/svix';
import { LogSink, testConfig } from '../helpers/service';
import { hourlyWindow } from '../helpers/stack';

jest.setTimeout(60_000);

const TOKEN = 'replica-ack-api-token-0123456789abcdef';

async function untilReplicating(replica: PrivateRedis): Promise<void> {
  const r = new Redis(replica.url);
  try {
    for (let i = 0; i < 200; i++) {
      if (/master_link_status:up/.test(await r.info('replication'))) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the replica never caught up with its primary');
  } finally {
    r.disconnect();
  }
}

describe.each([
  ['REDIS_MIN_REPLICAS_ACK=1', '1'],
  ['REDIS_MIN_REPLICAS_ACK=0 (the default)', '0'],
])('%s, the replica stalled', (_name, ack) => {
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  let sim: Simulator;
  let service: RunningService;
  let url: string;
  let prefix: string;
  let onReplica: Redis;
  const logs = new LogSink('debug');

  beforeAll(async () => {
    primary = await startPrivateRedis();
    replica = await startPrivateRedis({ replicaOf: primary.port });
    await untilReplicating(replica);
    onReplica = new Redis(replica.url, { maxRetriesPerRequest: null });
    sim = await startSimulator();
    const config = testConfig({
      REDIS_URL: primary.url,
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN: TOKEN,
      DEVICE_CACHE_TTL_MS: '0',
      REDIS_MIN_REPLICAS_ACK: ack,
      REDIS_REPLICA_ACK_TIMEOUT_MS: '300',
    });
    prefix = config.QUEUE_PREFIX;
    service = await startService(['ingress'], config, logs.logger);
    url = `http://127.0.0.1:${service.port}`;
  });
  afterAll(async () => {
    replica?.signal('SIGCONT');
    for (const step of service?.shutdownSteps() ?? []) await step.run();
    onReplica?.disconnect();
    await sim?.close();
    for (const r of [replica, primary]) {
      await r?.stop({ hard: true });
      if (r) removeDir(r.dir);
    }
  });

  const book = async () => {
    const res = await fetch(`${url}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: sim.devices.igloohome[0],
        reference: `ack-${randomUUID()}`,
        guest: { name: 'Ada', email: 'ada@guest.example' },
        ...hourlyWindow(5, 24),
      }),
    });
    const body = (await res.json()) as { guest_code?: { id: string } };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
  };
  /** A stay with two doors: its record and both doors' records are written before the 202. */
  const bookStay = async () => {
    const res = await fetch(`${url}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_ids: sim.devices.igloohome.slice(0, 2),
        reference: `ack-stay-${randomUUID()}`,
        guest: { name: 'Ada', email: 'ada@guest.example' },
        ...hourlyWindow(5, 24),
      }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const deliver = async (payload: Record<string, unknown>, id: string) => {
    const res = await postDelivery(url, signDelivery(sim.webhookSecret, payload, { id }));
    await res.arrayBuffer();
    return [res.status, res.headers.get('retry-after')] as const;
  };
  /** Jobs carrying this delivery id, as the replica sees them. */
  const onReplicaFor = async (deliveryId: string) => {
    const events = new Queue(QUEUES.events, { connection: onReplica, prefix });
    try {
      const jobs = await events.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
      return jobs.filter((j) => (j.data as { delivery_id: string }).delivery_id === deliveryId)
        .length;
    } finally {
      await events.close();
    }
  };

  it('answers 2xx while the replica keeps up, and the replica has the writes', async () => {
    const id = `msg_${randomUUID()}`;
    expect(await deliver(accessCodeEvent(), id)).toEqual([200, null]);
    const booked = await book();
    expect(booked.status).toBe(202);
    expect(await bookStay()).toBe(202);
    if (ack === '1') {
      // Confirmed before the answer: the replica holds them already, no waiting.
      expect(await onReplicaFor(id)).toBe(1);
      expect(await onReplica.exists(`${prefix}:gc:${booked.body.guest_code!.id}`)).toBe(1);
    }
  });

  it('while the replica is stalled: 503 + Retry-After with ACK=1, a 2xx at risk with ACK=0', async () => {
    const id = `msg_${randomUUID()}`;
    const payload = accessCodeEvent();
    replica.signal('SIGSTOP');
    let during: unknown[];
    let readyz: number;
    try {
      during = [await deliver(payload, id), (await book()).status, await bookStay()];
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      readyz = res.status;
    } finally {
      replica.signal('SIGCONT');
    }
    expect(readyz).toBe(200);
    if (ack === '1') {
      expect(during).toEqual([[503, '5'], 503, 503]);
    } else {
      expect(during).toEqual([[200, null], 202, 202]);
    }
    await untilReplicating(replica);
    // Svix's retry, same svix-id: acknowledged now, and queued once in all.
    expect(await deliver(payload, id)).toEqual([200, null]);
    if (ack === '1') {
      expect(await onReplicaFor(id)).toBe(1);
    } else {
      // Without the acknowledgement the replica gets it when it gets it.
      await eventually(async () => ((await onReplicaFor(id)) === 1 ? true : undefined), 5000);
    }
  });
});
