/**
 * Cluster mode: the whole service (ingress, API, workers) against a three-master Redis Cluster
 * on loopback (`redis-server --cluster-enabled yes` x3, joined by `redis-cli --cluster create`),
 * found through REDIS_CLUSTER_NODES.
 *
 * Every key, BullMQ's and ours, takes the hash tag `{QUEUE_PREFIX}`, so all of them hash to one
 * slot and every multi-key script works (dedupe-and-enqueue, the guest code's compare-and-set
 * with its indexes, the per-lock rate limiter, notification claims, BullMQ's own). The flows:
 * a booking becomes a code, the code is set, the guest is told once by email and webhook; a
 * delivery re-sent by Svix is queued once; a stay is cancelled.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { eventually } from '../../devkit/eventually';
import { startPrivateCluster, type PrivateCluster } from '../../devkit/cluster';
import { accessCodeEvent, postDelivery, signDelivery } from '../../devkit/svix';
import { QUEUES } from '../../src/queues/catalog';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

jest.setTimeout(90_000);

describe('on a three-master Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: PrivateCluster;
  let s: Stack;
  const base = `c${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    cluster = await startPrivateCluster(3);
    s = await startStack({
      sim: { settingAfterMs: 100, setAfterMs: 300 },
      env: { REDIS_CLUSTER_NODES: cluster.nodesEnv, QUEUE_PREFIX: base },
    });
  });
  afterAll(async () => {
    await s?.close();
    await cluster?.close();
  });

  it('takes the hash-tagged prefix', () => {
    expect(s.config.QUEUE_PREFIX).toBe(`{${base}}`);
  });

  it('books a code, follows it to set and tells the guest once', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: `cluster-${randomUUID()}`,
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    const done = await eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'notified' ? gc : undefined;
    }, 20_000);
    expect(done.notifications.map((n) => n.channel).sort()).toEqual(['email', 'webhook']);
    const pin = s.sim.accessCodes()[0]!.code as string;
    expect(s.smtp.messages).toHaveLength(1);
    expect(s.smtp.messages[0]!.text).toContain(pin);
    const ready = s.notifyReceiver.received.filter((r) => r.event?.type === 'guest_code.ready');
    expect(ready).toHaveLength(1);

    // The same booking again: the existing code, nothing new.
    const listed = await s.api(`/v1/guest-codes/${id}`);
    expect(listed.status).toBe(200);

    // Cancelled: the code is removed from Seam by the workers.
    const cancelled = await s.api(`/v1/guest-codes/${id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.guest_code.status).toBe('cancelled');
  });

  it('queues a delivery once when Svix sends it again', async () => {
    const id = `msg_${randomUUID()}`;
    const payload = accessCodeEvent();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await postDelivery(s.url, signDelivery(s.sim.webhookSecret, payload, { id }));
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200]);
    const events = new Queue(QUEUES.events, {
      connection: s.redis,
      prefix: s.config.QUEUE_PREFIX,
    });
    try {
      const jobs = await eventually(async () => {
        const all = await events.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
        const mine = all.filter((j) => (j.data as { delivery_id: string }).delivery_id === id);
        return mine.length > 0 ? mine : undefined;
      }, 10_000);
      expect(jobs).toHaveLength(1);
    } finally {
      await events.close();
    }
  });

  it('keeps every key in one slot, on one master', async () => {
    const sizes: number[] = [];
    for (const n of cluster.nodes) {
      const r = new Redis(n.port, '127.0.0.1');
      try {
        const keys = await r.keys(`*${base}*`);
        sizes.push(keys.length);
        for (const k of keys) expect(k).toContain(`{${base}}`);
      } finally {
        r.disconnect();
      }
    }
    expect(sizes.filter((n) => n > 0)).toHaveLength(1);
    // No script ever touched keys of two slots, nothing was refused by the cluster.
    expect(s.logs.text()).not.toMatch(/CROSSSLOT|CLUSTERDOWN|No node/);
  });
});

describe('on a cluster with a replica per master, REDIS_MIN_REPLICAS_ACK=1', () => {
  let cluster: PrivateCluster;
  let s: Stack;
  const base = `c${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    cluster = await startPrivateCluster(3, 1);
    s = await startStack({
      env: {
        REDIS_CLUSTER_NODES: cluster.nodesEnv,
        QUEUE_PREFIX: base,
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    for (const n of cluster?.nodes ?? []) n.signal('SIGCONT');
    await s?.close();
    await cluster?.close();
  });

  /** The master of the prefix's slot and its replica, by port. */
  const slotShard = async () => {
    const r = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
    try {
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', `{${base}}`));
      const ranges = (await r.call('CLUSTER', 'SLOTS')) as [
        number,
        number,
        ...[string, number][],
      ][];
      const range = ranges.find(([from, to]) => from <= slot && slot <= to)!;
      const [, , master, replica] = range;
      return { master: Number(master![1]), replica: Number(replica![1]) };
    } finally {
      r.disconnect();
    }
  };

  it('answers 200 once the slot replica has the delivery, 503 while it is stalled', async () => {
    const { replica } = await slotShard();
    const stalled = cluster.nodes.find((n) => n.port === replica)!;
    const deliver = async (payload: Record<string, unknown>, id: string) => {
      const res = await postDelivery(s.url, signDelivery(s.sim.webhookSecret, payload, { id }));
      await res.arrayBuffer();
      return [res.status, res.headers.get('retry-after')] as const;
    };
    expect(await deliver(accessCodeEvent(), `msg_${randomUUID()}`)).toEqual([200, null]);

    const id = `msg_${randomUUID()}`;
    const payload = accessCodeEvent();
    stalled.signal('SIGSTOP');
    let during: readonly [number, string | null];
    try {
      during = await deliver(payload, id);
    } finally {
      stalled.signal('SIGCONT');
    }
    expect(during).toEqual([503, '5']);
    // Svix's retry once the replica is back: acknowledged, and queued once.
    const again = await eventually(async () => {
      const answer = await deliver(payload, id);
      return answer[0] === 200 ? answer : undefined;
    }, 10_000);
    expect(again).toEqual([200, null]);
    const events = new Queue(QUEUES.events, { connection: s.redis, prefix: s.config.QUEUE_PREFIX });
    try {
      const all = await events.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
      expect(
        all.filter((j) => (j.data as { delivery_id: string }).delivery_id === id),
      ).toHaveLength(1);
    } finally {
      await events.close();
    }
  });
});
