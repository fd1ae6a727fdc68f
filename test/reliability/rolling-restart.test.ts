/**
 * Reliability: a rolling restart under load.
 *
 * Two ingress and two worker processes on one private Redis, against the Seam simulator. A
 * readiness-polling balancer (what a load balancer does with /readyz) spreads a Svix-like
 * stream of deliveries and a batch of bookings over the ingresses. Each process in turn gets
 * SIGTERM, exits, and is started again on the same port. With SHUTDOWN_DRAIN_MS longer than
 * the balancer's check interval, the balancer stops routing to a draining ingress before its
 * listener closes. End state: no 5xx and no refused connection seen by clients, every
 * process exited 0, every delivery queued exactly once and processed, every guest told once.
 */
import { freePort } from '../../devkit/redis';
import { startDeployment, type Deployment } from './deployment';
import {
  ReadinessBalancer,
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

const BOOKINGS = 16;
const PAYLOAD_PIN = '482913';

describe('rolling restart of ingress and worker processes under load', () => {
  let d: Deployment;
  const slots: { name: string; role: 'ingress' | 'worker'; port: number; p?: ManagedProcess }[] =
    [];
  const retired: ManagedProcess[] = [];
  let balancer: ReadinessBalancer;

  beforeAll(async () => {
    d = await startDeployment({
      env: { SHUTDOWN_DRAIN_MS: '1000', SHUTDOWN_TIMEOUT_MS: '20000' },
      sim: { setAfterMs: 800 },
    });
    for (const [name, role] of [
      ['ingress-a', 'ingress'],
      ['ingress-b', 'ingress'],
      ['worker-a', 'worker'],
      ['worker-b', 'worker'],
    ] as const) {
      slots.push({ name, role, port: await freePort() });
    }
    await Promise.all(
      slots.map(async (s) => {
        s.p = await startProcess(s.name, s.role, d.env, s.port, d.watch);
      }),
    );
    const ingresses = slots
      .filter((s) => s.role === 'ingress')
      .map((s) => `http://127.0.0.1:${s.port}`);
    balancer = new ReadinessBalancer(ingresses, 100);
    balancer.start();
    d.sim.setWebhookUrl(`${ingresses[0]}/webhooks/seam`);
  });

  afterAll(async () => {
    balancer?.stop();
    const exits = await Promise.all(slots.map((s) => stopProcess(s.p)));
    await d?.close();
    expect(d.watch.leaks([...d.pins(), PAYLOAD_PIN])).toEqual([]);
    expect(exits.every((e) => e === 0)).toBe(true);
  });

  it('answers no 5xx, loses nothing, and tells each guest once', async () => {
    let rolled = false;
    let rolledAt = Number.POSITIVE_INFINITY;
    const stream = sendWithSvixRetries({
      secret: d.sim.webhookSecret,
      count: 100_000,
      concurrency: 6,
      target: () => balancer.pick(),
      deadlineMs: 180_000,
      stopWhen: () => rolled && Date.now() > rolledAt + 1000,
    });

    const bookings: Promise<{ id: string; answers: number[] }>[] = [];
    const exits: Record<string, number | null | 'killed'> = {};
    let booked = 0;
    const bookOne = () => bookings.push(d.book(() => balancer.pick(), booked++));

    await sleep(500);
    for (const slot of slots) {
      bookOne();
      bookOne();
      const old = slot.p!;
      exits[slot.name] = await stopProcess(old);
      retired.push(old);
      bookOne();
      slot.p = await startProcess(`${slot.name}'`, slot.role, d.env, slot.port, d.watch);
      bookOne();
      // Let the balancer see the new process ready before the next one goes.
      await sleep(400);
    }
    rolled = true;
    rolledAt = Date.now();
    while (booked < BOOKINGS) bookOne();

    const { records: sent, stats } = await stream;
    const booking = await Promise.all(bookings);
    const ids = booking.map((b) => b.id);
    const records = await d.settle(ids, 90_000);
    await d.sim.webhooksIdle(10_000);
    await untilInboxDrained(d.redis.url, d.prefix, 60_000);
    await sleep(2000);

    expect(exits).toEqual({ 'ingress-a': 0, 'ingress-b': 0, 'worker-a': 0, 'worker-b': 0 });
    // Clients saw no 5xx and no refused connection: the balancer drained each ingress in time.
    const bookingAnswers = booking.flatMap((b) => b.answers);
    expect(Object.keys(stats.byStatus)).toEqual(['200']);
    expect(bookingAnswers.filter((s) => s !== 202)).toEqual([]);

    expect(sent.filter((r) => !r.acknowledged)).toEqual([]);
    // The stream runs until the restart is over: on a slow machine that is more than the 5,000
    // completed jobs retention keeps, and the oldest are trimmed, not lost (their dedupe keys
    // are still there, and nothing is left waiting, active, delayed or failed).
    const view = await inboxView(
      d.redis.url,
      d.prefix,
      sent.map((r) => r.id),
    );
    const lost = sent
      .filter((r) => !view.byDelivery.has(r.id) && !view.trimmed.has(r.id))
      .map((r) => r.id);
    const twice = [...view.byDelivery].filter(([, states]) => states.length !== 1);
    const unfinished = [...view.byDelivery].filter(([, [state]]) => state !== 'completed');
    expect(lost).toEqual([]);
    expect(twice).toEqual([]);
    expect(view.failedReasons).toEqual([]);
    expect(unfinished).toEqual([]);

    expect(records.map((r) => r.status)).toEqual(Array(ids.length).fill('notified'));
    const per = ids.map((id, n) => d.deliveredTo(id, n));
    expect(per.map((p) => p.seamCodes)).toEqual(Array(ids.length).fill(1));
    expect(per.map((p) => p.emails)).toEqual(Array(ids.length).fill(1));
    expect(per.map((p) => p.webhookIds)).toEqual(Array(ids.length).fill(1));

    recordFigures('rolling-restart', {
      processes_restarted: slots.length,
      exit_codes: exits,
      deliveries: stats.deliveries,
      delivery_attempts: stats.attempts,
      answers_by_status: stats.byStatus,
      bookings: ids.length,
      booking_answers: bookingAnswers.length,
      answers_5xx:
        bookingAnswers.filter((s) => s >= 500).length +
        Object.entries(stats.byStatus)
          .filter(([s]) => Number(s) >= 500)
          .reduce((n, [, c]) => n + c, 0),
      lost: lost.length,
      duplicates: twice.length,
      event_jobs_run_more_than_once: view.reruns,
      emails_per_guest_max: Math.max(...per.map((p) => p.emails)),
      seam_codes_per_guest_code_max: Math.max(...per.map((p) => p.seamCodes)),
    });
  });
});
