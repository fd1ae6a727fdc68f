/**
 * Reliability: a Sentinel failover in the middle of a burst of webhook deliveries.
 *
 * Real processes on loopback: a primary, one replica and three sentinels (`redis-server
 * --sentinel`, generated configs), an ingress process and a worker process that find Redis
 * through the sentinels (REDIS_SENTINELS, no REDIS_URL). A Svix-like sender posts authentic
 * deliveries, 16 at a time, re-sending any non-2xx or broken answer with the same svix-id.
 * Mid-burst the replica stalls for two seconds (SIGSTOP, and its replication link dropped by the
 * primary: as under load or a network blip) and the primary is SIGKILLed during the stall; Sentinel promotes the replica, and the old primary
 * is started again once the promotion is seen (as an orchestrator would), rejoining as a
 * replica.
 *
 * With REDIS_MIN_REPLICAS_ACK=1: every acknowledged delivery is in the promoted primary's
 * events queue, none is queued twice, all are processed, and the service followed the failover
 * without a restart (it acknowledged deliveries afterwards). With REDIS_MIN_REPLICAS_ACK=0, the
 * same run acknowledges deliveries the replica never received, and they are gone: the contrast,
 * recorded in test-output/reliability/ and docs/deployment.md.
 *
 * FAILOVER_DELIVERIES sets the burst (default 1,000, small enough for CI; the run is
 * 5,000).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../devkit/redis';
import { startSentinelGroup, type SentinelGroup } from '../../devkit/sentinel';
import { newWebhookSecret } from '../../devkit/svix';
import {
  LogWatch,
  inboxView,
  recordFigures,
  sendWithSvixRetries,
  sleep,
  startProcess,
  stopProcess,
  untilInboxDrained,
  type ManagedProcess,
} from './support';

jest.setTimeout(240_000);

const DELIVERIES = Number(process.env.FAILOVER_DELIVERIES ?? 1000);
const STALL_AFTER = Math.floor(DELIVERIES / 4);
const STALL_MS = 2000;
const KILL_INTO_STALL_MS = 1500;
/** The burst is spread over about this long, so the failover falls in its middle. */
const BURST_MS = 10_000;
const LANES = 16;

describe.each([
  ['1', 'no acknowledged delivery is lost'],
  ['0', 'the contrast: acknowledged deliveries are lost'],
])('Sentinel failover mid-burst, REDIS_MIN_REPLICAS_ACK=%s', (ack, title) => {
  let group: SentinelGroup;
  let ingress: ManagedProcess | undefined;
  let worker: ManagedProcess | undefined;
  const watch = new LogWatch();
  const secret = newWebhookSecret();
  const prefix = `fo${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
    await group.untilSettled(20_000);
    const env = {
      REDIS_SENTINELS: group.sentinelsEnv,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_MIN_REPLICAS_ACK: ack,
      REDIS_REPLICA_ACK_TIMEOUT_MS: '500',
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      SEAM_WEBHOOK_SECRET: secret,
      API_TOKEN: `fo-token-${randomUUID()}`,
      SEAM_API_KEY: `seam_fo_${randomUUID().replace(/-/g, '')}`,
      SEAM_ENDPOINT: 'http://127.0.0.1:9',
      RECONCILE_SWEEP_INTERVAL_MS: '600000',
      WORKER_STALLED_INTERVAL_MS: '5000',
      WEBHOOK_RATE_LIMIT: '0',
      // A worker needs a way to tell guests to start; none is told here (no guest codes).
      SMTP_URL: 'smtp://127.0.0.1:9',
      MAIL_FROM: 'Door codes <codes@example.com>',
    };
    [ingress, worker] = await Promise.all([
      startProcess('ingress', 'ingress', env, await freePort(), watch),
      startProcess('worker', 'worker', env, await freePort(), watch),
    ]);
  });

  afterAll(async () => {
    // The processes' own lines, for a run that went wrong.
    mkdirSync(path.resolve(__dirname, '../../test-output/reliability'), { recursive: true });
    writeFileSync(
      path.resolve(__dirname, `../../test-output/reliability/sentinel-failover-ack${ack}.log`),
      `${watch.lines().join('\n')}\n`,
    );
    const exits = await Promise.all([stopProcess(ingress), stopProcess(worker)]);
    await group?.close();
    expect(exits).toEqual([0, 0]);
  });

  it(title, async () => {
    const url = `http://127.0.0.1:${ingress!.port}`;
    const [primary, replica] = group.servers as [
      (typeof group.servers)[0],
      (typeof group.servers)[0],
    ];
    const oldPort = await group.masterPort();
    expect(oldPort).toBe(primary.port);
    let chaos: Promise<void> | undefined;
    const t = { killed: 0, promoted: 0, firstAckAfterPromotion: 0 };
    let acks = 0;
    let ackedBeforeKill = 0;
    let ackedDuringOutage = 0;
    let ackedAfterPromotion = 0;
    let readyzDuringOutage: number | undefined;

    const { records, stats } = await sendWithSvixRetries({
      secret,
      count: DELIVERIES,
      concurrency: LANES,
      intervalMs: Math.floor((BURST_MS * LANES) / DELIVERIES),
      target: () => url,
      deadlineMs: 180_000,
      onAck: (acked) => {
        acks = acked;
        if (acked === STALL_AFTER && !chaos) {
          chaos = (async () => {
            replica.signal('SIGSTOP');
            // The replication link breaks too (the blip): what the primary takes from now on
            // stays on it. Without this, what it had written to the socket could still reach
            // the stalled replica from the kernel's buffers, and the loss would be luck.
            const onPrimary = new Redis(primary.url);
            await onPrimary.call('CLIENT', 'KILL', 'TYPE', 'replica');
            onPrimary.disconnect();
            await sleep(KILL_INTO_STALL_MS);
            ackedBeforeKill = acks;
            await primary.stop({ hard: true });
            t.killed = Date.now();
            await sleep(STALL_MS - KILL_INTO_STALL_MS);
            replica.signal('SIGCONT');
            // While no master is known, the ingress is not ready.
            const res = await fetch(`${url}/readyz`).catch(() => undefined);
            readyzDuringOutage = res?.status;
            await res?.arrayBuffer();
            await group.untilMasterIsNot(oldPort, 60_000);
            t.promoted = Date.now();
            // The old primary comes back (empty: no AOF here) and Sentinel makes it a replica.
            await primary.start();
          })();
        } else if (t.killed > 0 && t.promoted === 0) {
          ackedDuringOutage += 1;
        } else if (t.promoted > 0) {
          ackedAfterPromotion += 1;
          if (t.firstAckAfterPromotion === 0) t.firstAckAfterPromotion = Date.now();
        }
      },
    });
    await chaos;
    expect(t.promoted).toBeGreaterThan(0);
    // The replica was promoted. On a loaded machine Sentinel sometimes fails over once more,
    // to the old primary once it has come back and synced as a replica: what counts is that no
    // acknowledged delivery is lost wherever the master ends up, so it is read from there.
    const newPort = await group.masterPort();
    expect([replica.port, primary.port]).toContain(newPort);
    const master = newPort === replica.port ? replica : primary;

    // Svix got its 2xx for every delivery in the end: the service followed the failover
    // (deliveries were acknowledged after the promotion, by the same processes).
    expect(stats.acknowledged).toBe(DELIVERIES);
    expect(ackedAfterPromotion).toBeGreaterThan(0);
    expect(readyzDuringOutage).toBe(503);
    const otherErrors = Object.keys(stats.byStatus).filter(
      (s) => s !== '200' && s !== '503' && s !== '0',
    );
    expect(otherErrors).toEqual([]);

    await untilInboxDrained(master.url, prefix, 90_000);
    const ids = records.map((r) => r.id);
    const view = await inboxView(master.url, prefix, ids);
    const lost = ids.filter((id) => !view.byDelivery.has(id) && !view.trimmed.has(id));
    const twice = [...view.byDelivery].filter(([, states]) => states.length !== 1);
    const notCompleted = [...view.byDelivery].filter(([, [state]]) => state !== 'completed');

    recordFigures(`sentinel-failover-ack${ack}`, {
      deliveries: DELIVERIES,
      min_replicas_ack: Number(ack),
      replica_stall_ms: STALL_MS,
      primary_killed_after_stall_ms: KILL_INTO_STALL_MS,
      acknowledged: stats.acknowledged,
      acknowledged_before_kill: ackedBeforeKill,
      acknowledged_while_no_master: ackedDuringOutage,
      acknowledged_after_promotion: ackedAfterPromotion,
      attempts: stats.attempts,
      answers_by_status: stats.byStatus,
      promotion_after_kill_ms: t.promoted - t.killed,
      first_ack_after_promotion_ms: t.firstAckAfterPromotion - t.promoted,
      jobs_queued: view.byDelivery.size,
      acknowledged_then_lost: lost.length,
      queued_twice: twice.length,
    });

    expect(twice).toEqual([]);
    if (ack === '1') {
      expect(lost).toEqual([]);
      expect(notCompleted).toEqual([]);
      expect(view.failedReasons).toEqual([]);
    } else {
      // What asynchronous replication costs: 2xx answered from the primary alone, then gone.
      expect(lost.length).toBeGreaterThan(0);
    }
  });
});
