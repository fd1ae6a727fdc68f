/**
 * The queue dashboard (bull-board) at /admin/queues: behind the API token, lists the five
 * queues, and a failed job can be retried through it until it completes. Actions that would
 * drop BullMQ's deduplication keys or lose work are refused.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/names';
import { eventually } from '../sim/receiver';
import { API_TOKEN, startStack, type Stack } from '../helpers/stack';

const basic = (password: string) =>
  `Basic ${Buffer.from(`ops:${password}`, 'utf8').toString('base64')}`;
const bearer = `Bearer ${API_TOKEN}`;

describe('queue dashboard (/admin/queues)', () => {
  let s: Stack;
  let conn: Redis;
  let notify: Queue;

  beforeAll(async () => {
    s = await startStack();
    conn = new Redis(s.config.REDIS_URL, { maxRetriesPerRequest: null });
    notify = new Queue(QUEUES.notify, { connection: conn, prefix: s.config.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await notify.close();
    conn.disconnect();
    await s.close();
  });

  async function board(
    path: string,
    init: { method?: string; auth?: string | null } = {},
  ): Promise<{ status: number; type: string; text: string; headers: Headers }> {
    const auth = init.auth === undefined ? bearer : init.auth;
    const res = await fetch(`${s.url}/admin/queues${path}`, {
      method: init.method ?? 'GET',
      headers: auth ? { authorization: auth } : {},
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text: await res.text(),
      headers: res.headers,
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bull-board's answers, read loosely
  const json = async (path: string): Promise<any> => JSON.parse((await board(path)).text);

  it('answers 401 without credentials, with a Basic challenge and the JSON error body', async () => {
    const res = await board('', { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Basic realm="seam-offline-codes"/);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer realm=/);
    expect(JSON.parse(res.text)).toEqual({
      error: { code: 'unauthorized', message: expect.any(String) },
    });
    // The board's API and its static files are behind the same check.
    expect((await board('/api/queues', { auth: null })).status).toBe(401);
    expect((await board('/static/images/logo.svg', { auth: null })).status).toBe(401);
  });

  it('answers 401 with a wrong token, as Bearer or as the Basic password', async () => {
    for (const auth of [
      'Bearer wrong-token-0123456789abcdef',
      basic('wrong-token-0123456789abcdef'),
      basic(''),
      `Basic ${Buffer.from(API_TOKEN).toString('base64')}`, // no "user:" part: not a password
    ]) {
      const res = await board('', { auth });
      expect({ auth, status: res.status }).toEqual({ auth, status: 401 });
    }
  });

  it('answers 200 with the dashboard page for Bearer and for Basic with the token', async () => {
    for (const auth of [bearer, basic(API_TOKEN)]) {
      const res = await board('', { auth });
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/html/);
      expect(res.text).toContain('seam-offline-codes');
    }
    const api = await board('/api/queues', { auth: basic(API_TOKEN) });
    expect(api.status).toBe(200);
  });

  it('lists the five queues', async () => {
    const body = await json('/api/queues');
    const names = (body.queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(Object.values(QUEUES).sort());
  });

  it('a failed job can be retried from the dashboard and then completes', async () => {
    // An ops alert whose delivery to the booking system fails (HTTP 500) on its only attempt.
    s.notifyReceiver.respond = () => 500;
    const job = await notify.add(
      'alert',
      { kind: 'alert', guest_code_id: 'gc-dashboard', code: 'dashboard_test', message: 'x' },
      { attempts: 1, removeOnFail: false, removeOnComplete: false },
    );
    const path = `/api/queues/${QUEUES.notify}/${job.id}`;
    await eventually(
      async () => ((await json(path)).status === 'failed' ? true : undefined),
      10_000,
    );
    const failed = await json(path);
    expect(failed.job.failedReason).toMatch(/HTTP 500/);
    const listed = await json(`/api/queues?activeQueue=${QUEUES.notify}&status=failed`);
    const notifyQueue = listed.queues.find((q: { name: string }) => q.name === QUEUES.notify);
    expect(notifyQueue.counts.failed).toBeGreaterThanOrEqual(1);
    expect(notifyQueue.jobs.map((j: { id: string }) => j.id)).toContain(job.id);

    // The booking system is back: retry through the dashboard.
    s.notifyReceiver.respond = () => 204;
    const before = s.notifyReceiver.received.length;
    const retry = await board(`${path}/retry`, { method: 'PUT' });
    expect(retry.status).toBe(204);
    await eventually(
      async () => ((await json(path)).status === 'completed' ? true : undefined),
      10_000,
    );
    const delivered = s.notifyReceiver.received
      .slice(before)
      .filter((r) => r.verified && r.event?.type === 'guest_code.failed');
    expect(delivered).toHaveLength(1);
    expect((await notify.getJob(job.id!))?.finishedOn).toBeDefined();

    // A completed job is not re-run from here (a second alert, or a second PIN message).
    expect((await board(`${path}/retry`, { method: 'PUT' })).status).toBe(403);
    expect(
      (await board(`/api/queues/${QUEUES.notify}/retry/completed`, { method: 'PUT' })).status,
    ).toBe(403);
  });

  it('refuses actions that drop deduplication keys or lose work', async () => {
    const failing = await notify.add(
      'alert',
      { kind: 'not-a-notify-job' },
      { attempts: 1, removeOnFail: false },
    );
    const path = `/api/queues/${QUEUES.notify}/${failing.id}`;
    await eventually(
      async () => ((await json(path)).status === 'failed' ? true : undefined),
      10_000,
    );
    for (const [method, route] of [
      ['PUT', `/api/queues/${QUEUES.events}/clean/completed`],
      ['PUT', `/api/queues/${QUEUES.notify}/clean/failed`],
      ['PUT', `${path}/clean`],
      ['PUT', `/api/queues/${QUEUES.events}/empty`],
      ['PUT', `/api/queues/${QUEUES.events}/obliterate`],
      ['POST', `/api/queues/${QUEUES.create}/add`],
    ] as const) {
      const res = await board(route, { method });
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
    }
    // Still there, still failed.
    expect((await json(path)).status).toBe('failed');
  });
});
