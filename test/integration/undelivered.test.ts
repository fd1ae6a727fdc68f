/**
 * Every guest code comes to an end, even when the guest cannot be told. A permanent refusal
 * (an SMTP 5xx, a 4xx from the booking system's receiver) is not retried; a notification whose
 * retries run out gives up too. Either way the guest code ends `undelivered` with the reason,
 * leaves the set the sweeper walks, and an alert (`guest_code.failed`) goes out. Once the cause
 * is fixed, an operator resends (`POST /v1/guest-codes/{id}/resend`): the same PIN goes out
 * once through what did not get through, asking again changes nothing, and a resend racing a
 * late retry of the first notification still sends once.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a notification that gives up', () => {
  let s: Stack;
  let conn: Redis;
  let notify: Queue;
  let seq = 0;

  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 50, setAfterMs: 150 } });
    conn = new Redis(s.config.REDIS_URL, { maxRetriesPerRequest: null });
    notify = new Queue(QUEUES.notify, { connection: conn, prefix: s.config.QUEUE_PREFIX });
  });
  afterEach(() => {
    s.smtp.rejectRcpt(undefined);
    s.notifyReceiver.respond = () => 204;
  });
  afterAll(async () => {
    await notify.close();
    conn.disconnect();
    await s.close();
  });

  async function book(email: string): Promise<string> {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Grace', email },
        // A window of its own per booking: igloohome takes at most 3 codes with one window.
        ...hourlyWindow(2, 24 + ++seq),
        reference: `undelivered-${seq}`,
      },
    });
    expect(res.status).toBe(202);
    return res.body.guest_code.id as string;
  }
  const inStatus = (id: string, status: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === status ? gc : undefined;
    }, timeoutMs);
  const alertsFor = (id: string) =>
    s.notifyReceiver.received.filter(
      (r) =>
        r.verified &&
        r.event?.type === 'guest_code.failed' &&
        (r.event.data as { guest_code_id: string }).guest_code_id === id,
    );
  const readyFor = (id: string) =>
    s.notifyReceiver.received.filter(
      (r) =>
        r.event?.type === 'guest_code.ready' &&
        (r.event.data as { guest_code_id: string }).guest_code_id === id,
    );
  const mailTo = (to: string) => s.smtp.messages.filter((m) => m.rcptTo.includes(to));
  const isOpen = async (id: string) =>
    (await conn.zscore(storeKeys(s.config.QUEUE_PREFIX).openCodes, id)) !== null;

  it('a permanent SMTP refusal (550) is not retried: undelivered with the reason, and an alert', async () => {
    s.smtp.rejectRcpt({ code: 550, message: '5.1.1 mailbox unavailable' });
    const before = s.smtp.connections();
    const id = await book('nobody@guest.example');
    const gc = await inStatus(id, 'undelivered');

    expect(gc.failure).toMatchObject({ code: 'notification_undelivered' });
    expect(gc.failure!.message).toMatch(/^email: .*550/);
    // The webhook channel did get through; the email is what is missing.
    expect(gc.notifications.map((n) => n.channel)).toEqual(['webhook']);
    expect(await isOpen(id)).toBe(false);
    // One try, no retries: BullMQ's UnrecoverableError.
    const job = await notify.getJob(`notify-${id}-${gc.active_access_code_id}-email`);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    await sleep(300);
    expect(s.smtp.connections() - before).toBe(1);
    // The alert, with the reason, to the booking system (no PIN in it).
    const [alert] = await eventually(() => {
      const found = alertsFor(id);
      return found.length > 0 ? found : undefined;
    });
    expect(alert!.event!.data).toMatchObject({
      guest_code_id: id,
      error: { code: 'notification_undelivered', message: expect.stringMatching(/550/) },
    });
    const pin = s.sim
      .accessCodes()
      .find((c) => c.access_code_id === gc.active_access_code_id)!.code!;
    expect(alert!.raw).not.toContain(pin);
    const timeline = await s.store.timeline(id);
    expect(timeline.map((t) => t.type)).toContain('undelivered');
  });

  it('a receiver that keeps answering 500: the retries run out, undelivered, and an alert', async () => {
    // The booking system's endpoint fails guest messages (its alert endpoint still works).
    s.notifyReceiver.respond = (_i, req) => (req.event?.type === 'guest_code.ready' ? 500 : 204);
    const email = `retries-${seq}@guest.example`;
    const id = await book(email);
    const gc = await inStatus(id, 'undelivered', 30_000);
    expect(gc.failure!.message).toMatch(/^webhook: .*HTTP 500.*gave up after 8 attempts/);
    expect(readyFor(id)).toHaveLength(8);
    expect(mailTo(email)).toHaveLength(1);
    await eventually(() => (alertsFor(id).length === 1 ? true : undefined));
  });

  it('a 4xx from the receiver (other than 408/429) is not retried', async () => {
    s.notifyReceiver.respond = (_i, req) => (req.event?.type === 'guest_code.ready' ? 410 : 204);
    const id = await book(`gone-${seq}@guest.example`);
    const gc = await inStatus(id, 'undelivered');
    expect(gc.failure!.message).toMatch(/HTTP 410/);
    await sleep(300);
    expect(readyFor(id)).toHaveLength(1);
  });

  describe('resend', () => {
    it('once the cause is fixed: the same PIN once, through what did not get through; asking again changes nothing', async () => {
      const email = `resend-${seq}@guest.example`;
      s.smtp.rejectRcpt({ code: 550, message: 'no such user' });
      const id = await book(email);
      const gc = await inStatus(id, 'undelivered');
      const pin = s.sim
        .accessCodes()
        .find((c) => c.access_code_id === gc.active_access_code_id)!.code!;
      expect(readyFor(id)).toHaveLength(1);

      // Fixed (the relay accepts the address now). Resend, and ask again at once.
      s.smtp.rejectRcpt(undefined);
      const [first, second] = await Promise.all([
        s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' }),
        s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' }),
      ]);
      expect([first.status, second.status]).toEqual([202, 202]);
      expect(first.body.guest_code.resends).toBe(1);
      expect(second.body.guest_code.resends).toBe(1);
      const done = await inStatus(id, 'notified');
      expect(done.resends).toBe(1);
      expect(done.failure).toBeUndefined();
      await sleep(500);
      expect(mailTo(email)).toHaveLength(1);
      expect(mailTo(email)[0]!.text).toContain(pin);
      // The webhook got through the first time: not sent again.
      expect(readyFor(id)).toHaveLength(1);
      expect(done.notifications.map((n) => n.channel).sort()).toEqual(['email', 'webhook']);

      // Nothing left to resend now.
      const after = await s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' });
      expect(after.status).toBe(409);
      expect(after.body.error).toMatchObject({
        code: 'resend_not_possible',
        details: [expect.objectContaining({ field: 'status', status: 'notified' })],
      });
      expect((await s.store.timeline(id)).filter((t) => t.type === 'resend')).toHaveLength(1);
    });

    it('a resend racing a late retry of the first notification still sends once', async () => {
      const email = `race-${seq}@guest.example`;
      s.smtp.rejectRcpt({ code: 550, message: 'no such user' });
      const id = await book(email);
      const gc = await inStatus(id, 'undelivered');
      const first = await notify.getJob(`notify-${id}-${gc.active_access_code_id}-email`);
      // The guest code is marked undelivered inside the job, a moment before BullMQ moves
      // the job itself to failed: wait for that move, as an operator's retry would.
      await eventually(async () => ((await first!.getState()) === 'failed' ? true : undefined));

      s.smtp.rejectRcpt(undefined);
      // The operator resends while someone also retries the failed job from the dashboard.
      const [resend] = await Promise.all([
        s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' }),
        first!.retry(),
      ]);
      expect(resend.status).toBe(202);
      await inStatus(id, 'notified');
      await sleep(800);
      expect(mailTo(email)).toHaveLength(1);
      const final = (await s.store.get(id))!;
      expect(final.notifications.filter((n) => n.channel === 'email')).toHaveLength(1);
    });

    it('only an undelivered guest code can be resent; ids of another shape are 404', async () => {
      const id = await book(`fine-${seq}@guest.example`);
      const done = await inStatus(id, 'notified');
      expect(done.resends ?? 0).toBe(0);
      const res = await s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('resend_not_possible');
      for (const bad of ['gc_00000000-0000-4000-8000-000000000000', 'x:timeline']) {
        const missing = await s.api(`/v1/guest-codes/${bad}/resend`, { method: 'POST' });
        expect(missing.status).toBe(404);
      }
      const anonymous = await s.api(`/v1/guest-codes/${id}/resend`, {
        method: 'POST',
        token: 'not-the-token-0123456789abcdef0123',
      });
      expect(anonymous.status).toBe(401);
    });
  });
});
