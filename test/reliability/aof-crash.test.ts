/**
 * Reliability: a worker process and Redis both killed (SIGKILL) mid-batch; Redis comes back
 * from its AOF (`appendfsync always`), a new worker takes over.
 *
 * Ingress and worker processes against the Seam simulator, a real SMTP server and a receiver
 * for the outbound webhook. 24 bookings are made while a Svix-like sender streams authentic
 * deliveries. Once a third of the guests are told, the worker and Redis are killed. End state:
 * every acknowledged delivery (ours and the simulator's) is in the events queue exactly once;
 * every guest code is notified with one Seam code and one outbound webhook id, and one email
 * unless the worker died inside the documented gap (SMTP took it, not yet marked sent); no
 * secret or PIN in any log line.
 */
import { randomUUID } from 'node:crypto';
import { storeKeys } from '../../src/store/keys';
import { freePort } from '../../devkit/redis';
import { startDeployment, type Deployment } from './deployment';
import {
  inboxView,
  killProcess,
  recordFigures,
  sendWithSvixRetries,
  sleep,
  startProcess,
  stopProcess,
  untilInboxDrained,
  type ManagedProcess,
} from './support';

jest.setTimeout(180_000);

const BOOKINGS = 24;
const CRASH_WHEN_NOTIFIED = 8;
const PAYLOAD_PIN = '482913';

describe('worker and Redis killed mid-batch, Redis back from its AOF', () => {
  let d: Deployment;
  let ingress: ManagedProcess | undefined;
  const workers: ManagedProcess[] = [];

  beforeAll(async () => {
    d = await startDeployment({ redis: { appendonly: true }, sim: { setAfterMs: 1200 } });
    const [ingressPort, workerPort] = [await freePort(), await freePort()];
    [ingress] = await Promise.all([
      startProcess('ingress', 'ingress', d.env, ingressPort, d.watch),
      startProcess('worker', 'worker', d.env, workerPort, d.watch).then((w) => workers.push(w)),
    ]);
    d.sim.setWebhookUrl(`http://127.0.0.1:${ingressPort}/webhooks/seam`);
  });

  afterAll(async () => {
    const exits = await Promise.all([ingress, ...workers.slice(1)].map((p) => stopProcess(p)));
    await d?.close();
    expect(d.watch.leaks([...d.pins(), PAYLOAD_PIN])).toEqual([]);
    expect(exits.every((e) => e === 0)).toBe(true);
  });

  it('loses no acknowledged event and tells each guest exactly once', async () => {
    const url = `http://127.0.0.1:${ingress!.port}`;
    const notifiedCount = async (ids: string[]) =>
      (await Promise.all(ids.map((id) => d.store.get(id)))).filter((r) => r?.status === 'notified')
        .length;

    let crashed = false;
    const stream = sendWithSvixRetries({
      secret: d.sim.webhookSecret,
      count: 100_000,
      concurrency: 4,
      target: () => url,
      deadlineMs: 120_000,
      // A bounded stream: it runs through the crash and stops a little after recovery.
      stopWhen: () => crashed && Date.now() > recoveredAt + 2000,
      idPrefix: `${randomUUID().slice(0, 4)}_`,
    });
    let recoveredAt = Number.POSITIVE_INFINITY;

    const ids: string[] = [];
    const bookingAnswers: number[] = [];
    for (let n = 0; n < BOOKINGS; n++) {
      const { id, answers } = await d.book(() => url, n);
      ids.push(id);
      bookingAnswers.push(...answers);
      await sleep(100);
    }

    const deadline = Date.now() + 60_000;
    while ((await notifiedCount(ids)) < CRASH_WHEN_NOTIFIED) {
      if (Date.now() > deadline) throw new Error('the batch never got going');
      await sleep(50);
    }
    const notifiedAtCrash = await notifiedCount(ids);
    await killProcess(workers[0]!);
    await sleep(200); // what the dead worker had written reaches the SMTP server
    // What the dead worker left: emails the SMTP server holds, and each email claim's state.
    const mailsAtCrash = ids.map((id, n) => d.deliveredTo(id, n).emails);
    const claimsAtCrash = await Promise.all(
      ids.map(async (id) => {
        const gc = await d.store.get(id);
        const ac = gc?.active_access_code_id;
        return ac ? d.redisValue(storeKeys(d.prefix).notifyClaim(id, ac, 'email')) : null;
      }),
    );
    await d.redis.restart({ hard: true });
    crashed = true;
    const crashDoneAt = Date.now();
    workers.push(await startProcess('worker-2', 'worker', d.env, await freePort(), d.watch));
    recoveredAt = Date.now();

    const records = await d.settle(ids, 90_000);
    const { records: sent, stats } = await stream;
    await d.sim.webhooksIdle(10_000);
    await untilInboxDrained(d.redis.url, d.prefix, 60_000);
    // Late duplicates (retries, sweeps, stalled jobs) get their chance to show before counting.
    await sleep(2500);

    // Guests: one code, one email, one outbound webhook (by id) each, all notified.
    expect(records.map((r) => r.status)).toEqual(Array(BOOKINGS).fill('notified'));
    const per = ids.map((id, n) => d.deliveredTo(id, n));
    expect(per.map((p) => p.seamCodes)).toEqual(Array(BOOKINGS).fill(1));
    // An email is sent once, except in the one documented gap: the worker died after the SMTP
    // server took the message and before it could mark the claim `sent`. Each second copy must
    // be exactly that: one copy in the mailbox at the crash, its claim still `sending`.
    expect(per.map((p) => Math.min(p.emails, 1))).toEqual(Array(BOOKINGS).fill(1));
    const twiceSent = per.flatMap((p, n) => (p.emails > 1 ? [n] : []));
    for (const n of twiceSent) {
      expect({
        n,
        emails: per[n]!.emails,
        before: mailsAtCrash[n],
        claim: claimsAtCrash[n],
      }).toEqual({
        n,
        emails: 2,
        before: 1,
        claim: expect.stringMatching(/^sending:/),
      });
    }
    expect(per.map((p) => p.webhookIds)).toEqual(Array(BOOKINGS).fill(1));
    expect(bookingAnswers.filter((s) => s >= 500 && s !== 503)).toEqual([]);

    // Events: every acknowledged delivery is queued exactly once and was processed.
    const view = await inboxView(d.redis.url, d.prefix);
    const acked = sent.filter((r) => r.acknowledged).map((r) => r.id);
    const simAcked = [
      ...new Set(
        d.sim
          .deliveries()
          .filter((a) => a.status !== null && a.status >= 200 && a.status < 300)
          .map((a) => a.msgId),
      ),
    ];
    const lost = [...acked, ...simAcked].filter((id) => !view.byDelivery.has(id));
    const twice = [...view.byDelivery].filter(([, states]) => states.length !== 1);
    expect(lost).toEqual([]);
    expect(twice).toEqual([]);
    expect(view.failedReasons).toEqual([]);
    expect(sent.filter((r) => !r.acknowledged)).toEqual([]);

    recordFigures('aof-crash', {
      bookings: BOOKINGS,
      notified_when_killed: notifiedAtCrash,
      redis_and_worker_down_ms: recoveredAt - crashDoneAt,
      stream_deliveries: stats.deliveries,
      stream_attempts: stats.attempts,
      stream_answers_by_status: stats.byStatus,
      simulator_deliveries_acknowledged: simAcked.length,
      acknowledged_events_lost: lost.length,
      events_queued_twice: twice.length,
      event_jobs_run_more_than_once: view.reruns,
      seam_codes_per_guest_code_max: Math.max(...per.map((p) => p.seamCodes)),
      emails_per_guest_max: Math.max(...per.map((p) => p.emails)),
      emails_sent_twice_in_the_documented_gap: twiceSent.length,
      outbound_webhook_posts: per.reduce((n, p) => n + p.webhooks, 0),
      outbound_webhook_ids: per.reduce((n, p) => n + p.webhookIds, 0),
    });
  });
});
