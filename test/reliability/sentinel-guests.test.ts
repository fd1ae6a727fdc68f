/**
 * Reliability: a Sentinel failover while guests are being told their PINs.
 *
 * A primary, two replicas and three sentinels on loopback; an ingress and a worker process that
 * follow the master through the sentinels, with REDIS_MIN_REPLICAS_ACK=1; the Seam simulator,
 * a real SMTP server and a receiver for the outbound webhook. 16 bookings go in; once a few
 * guests are told, the primary is SIGKILLed and Sentinel promotes a replica; the other replica
 * keeps REDIS_MIN_REPLICAS_ACK=1 met (the topology docs/deployment.md recommends). The old
 * primary is not restarted: started with its old configuration it comes back an empty master,
 * which the sentinels on a loaded machine have been seen to promote again (data gone).
 *
 * End state: every guest code is notified, with one Seam code (the creation's in-flight note
 * was on the replica before Seam was asked), one outbound webhook id and exactly one email. An
 * email on its way when the primary died has its `sent` mark written again until the promoted
 * primary and its replica hold it (within the claim's lease, 20 s here): without that, the mark
 * was lost with the old primary and the guest got the email twice (one guest in each run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../devkit/redis';
import { startDeployment, type Deployment } from './deployment';
import { sleep, startProcess, stopProcess, recordFigures, type ManagedProcess } from './support';

jest.setTimeout(240_000);

const BOOKINGS = 16;
const KILL_WHEN_NOTIFIED = 5;

describe('Sentinel failover while guests are told, REDIS_MIN_REPLICAS_ACK=1', () => {
  let d: Deployment;
  let ingress: ManagedProcess | undefined;
  let worker: ManagedProcess | undefined;

  beforeAll(async () => {
    d = await startDeployment({
      sentinel: true,
      sim: { setAfterMs: 1500 },
      env: {
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '500',
        NOTIFY_CLAIM_LEASE_MS: '20000',
      },
    });
    [ingress, worker] = await Promise.all([
      startProcess('ingress', 'ingress', d.env, await freePort(), d.watch),
      startProcess('worker', 'worker', d.env, await freePort(), d.watch),
    ]);
    d.sim.setWebhookUrl(`http://127.0.0.1:${ingress.port}/webhooks/seam`);
  });

  afterAll(async () => {
    // The processes' own lines, for a run that went wrong.
    mkdirSync(path.resolve(__dirname, '../../test-output/reliability'), { recursive: true });
    writeFileSync(
      path.resolve(__dirname, '../../test-output/reliability/sentinel-guests.log'),
      `${d.watch.lines().join('\n')}\n`,
    );
    const exits = await Promise.all([stopProcess(ingress), stopProcess(worker)]);
    await d?.close();
    expect(d.watch.leaks(d.pins())).toEqual([]);
    expect(exits).toEqual([0, 0]);
  });

  it('tells every guest once, with one Seam code each', async () => {
    const url = `http://127.0.0.1:${ingress!.port}`;
    const group = d.group!;
    const [primary] = group.servers;
    const notified = async (ids: string[]) =>
      (await Promise.all(ids.map((id) => d.store.get(id).catch(() => undefined)))).filter(
        (r) => r?.status === 'notified',
      ).length;

    const ids: string[] = [];
    for (let n = 0; n < BOOKINGS; n++) {
      ids.push((await d.book(() => url, n)).id);
      await sleep(150);
    }
    const deadline = Date.now() + 60_000;
    while ((await notified(ids)) < KILL_WHEN_NOTIFIED) {
      if (Date.now() > deadline) throw new Error('the bookings never got going');
      await sleep(50);
    }

    const oldPort = await group.masterPort();
    const notifiedAtKill = await notified(ids);
    await primary!.stop({ hard: true });
    const killedAt = Date.now();
    await group.untilMasterIsNot(oldPort, 60_000);
    const promotedAt = Date.now();

    const records = await d.settle(ids, 150_000);
    await sleep(2500); // late duplicates get their chance to show

    expect(records.map((r) => r.status)).toEqual(Array(BOOKINGS).fill('notified'));
    const per = ids.map((id, n) => d.deliveredTo(id, n));
    expect(per.map((p) => p.seamCodes)).toEqual(Array(BOOKINGS).fill(1));
    expect(per.map((p) => p.webhookIds)).toEqual(Array(BOOKINGS).fill(1));
    expect(per.map((p) => p.emails)).toEqual(Array(BOOKINGS).fill(1));

    recordFigures('sentinel-guests', {
      bookings: BOOKINGS,
      notified_when_killed: notifiedAtKill,
      promotion_after_kill_ms: promotedAt - killedAt,
      seam_codes_per_guest_code_max: Math.max(...per.map((p) => p.seamCodes)),
      emails_per_guest_max: Math.max(...per.map((p) => p.emails)),
    });
  });
});
