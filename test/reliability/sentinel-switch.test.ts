/**
 * Sentinel: a switch-over while the old primary stays up (`SENTINEL FAILOVER`: the replica is
 * promoted, the old primary becomes its replica). No process dies, so nothing breaks a socket
 * on its own: the service (ingress, API, workers, metrics in this process, in Sentinel mode)
 * must notice that the server it talks to is now a replica (Sentinel kills its clients; a
 * command answered READONLY drops the connection) and reconnect through the sentinels.
 *
 * End state: every delivery sent across the switch with Svix's retry rule is acknowledged and
 * queued exactly once on the new primary; a booking made after the switch is created, set and
 * its guest told; no connection of the service is left on the old primary.
 */
import { Redis } from 'ioredis';
import { eventually } from '../../devkit/eventually';
import { startSentinelGroup, type SentinelGroup } from '../../devkit/sentinel';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { inboxView, sendWithSvixRetries, sleep, untilInboxDrained } from './support';

jest.setTimeout(120_000);

describe('Sentinel switch-over with the old primary alive', () => {
  let group: SentinelGroup;
  let s: Stack;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
    await group.untilSettled(20_000);
    s = await startStack({
      sim: { settingAfterMs: 100, setAfterMs: 300 },
      env: {
        REDIS_SENTINELS: group.sentinelsEnv,
        REDIS_SENTINEL_NAME: group.name,
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '500',
        WEBHOOK_RATE_LIMIT: '0',
        // A job whose completion was refused by the demoted primary is active until its lock
        // runs out and the stalled check puts it back: seconds here, not BullMQ's 30.
        WORKER_STALLED_INTERVAL_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await s?.close();
    await group?.close();
  });

  const clientNames = async (port: number) => {
    const r = new Redis(port, '127.0.0.1');
    try {
      const list = (await r.call('CLIENT', 'LIST')) as string;
      return list
        .split('\n')
        .map((l) => /name=(\S*)/.exec(l)?.[1] ?? '')
        .filter((n) => /^(ingress|worker|metrics)/.test(n));
    } finally {
      r.disconnect();
    }
  };

  it('follows the switch: deliveries queued once, a booking served, nothing left behind', async () => {
    const [primary, replica] = group.servers as [
      (typeof group.servers)[0],
      (typeof group.servers)[0],
    ];
    expect(await clientNames(primary.port)).toEqual(
      expect.arrayContaining(['ingress', 'ingress-writes-0', 'metrics', 'worker']),
    );
    let switched: Promise<void> | undefined;
    const { records, stats } = await sendWithSvixRetries({
      secret: s.sim.webhookSecret,
      count: 400,
      concurrency: 8,
      intervalMs: 20,
      target: () => s.url,
      deadlineMs: 90_000,
      onAck: (acked) => {
        if (acked === 100 && !switched) {
          switched = (async () => {
            const sentinel = new Redis(group.sentinelPorts[0]!, '127.0.0.1');
            await sentinel.call('SENTINEL', 'FAILOVER', group.name);
            sentinel.disconnect();
            await group.untilMasterIsNot(primary.port, 30_000);
          })();
        }
      },
    });
    await switched;
    expect(await group.masterPort()).toBe(replica.port);
    expect(stats.acknowledged).toBe(400);
    expect(Object.keys(stats.byStatus).filter((k) => !['200', '503', '0'].includes(k))).toEqual([]);

    // Every acknowledged delivery is on the new primary, once (read once the workers are done,
    // so no job is seen both active and then completed).
    await untilInboxDrained(replica.url, s.config.QUEUE_PREFIX, 30_000);
    const view = await eventually(async () => {
      const v = await inboxView(replica.url, s.config.QUEUE_PREFIX);
      return records.every((r) => v.byDelivery.has(r.id)) ? v : undefined;
    }, 20_000);
    expect([...view.byDelivery].filter(([, states]) => states.length !== 1)).toEqual([]);

    // The API and the workers carry on: a booking made now is created, set and told.
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: 'after-the-switch',
      },
    });
    expect(res.status).toBe(202);
    const done = await eventually(async () => {
      const gc = await s.store.get(res.body.guest_code.id as string);
      return gc?.status === 'notified' ? gc : undefined;
    }, 30_000);
    expect(done.notifications).toHaveLength(2);
    const ready = await fetch(`${s.url}/readyz`);
    await ready.arrayBuffer();
    expect(ready.status).toBe(200);

    // Nothing of the service still talks to the old primary (now a replica).
    await sleep(500);
    expect(await clientNames(primary.port)).toEqual([]);
    expect(await clientNames(replica.port)).toEqual(
      expect.arrayContaining(['ingress', 'ingress-writes-0', 'metrics', 'worker']),
    );
  });
});
