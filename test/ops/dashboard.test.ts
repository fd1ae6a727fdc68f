/**
 * The queue dashboard (bull-board) at /admin/queues: behind its own token (ADMIN_TOKEN, never
 * the booking system's API token), off when that is unset, never framed by another site, lists
 * the five queues, and is read-only except for one action: a failed job can be retried until
 * it completes. Every other action bull-board's API offers is refused (one test per route,
 * taken from bull-board's own route table), and the queues are unchanged afterwards.
 */
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/catalog';
import { eventually } from '../../devkit/eventually';
import { ADMIN_TOKEN, API_TOKEN, hourlyWindow, startStack, type Stack } from '../helpers/stack';

const basic = (password: string) =>
  `Basic ${Buffer.from(`ops:${password}`, 'utf8').toString('base64')}`;
const bearer = `Bearer ${ADMIN_TOKEN}`;

/** Every route of bull-board's API that is not a read, as `[method, route]`. */
const MUTATING_ROUTES: [string, string][] = appRoutes.api
  .flatMap((r) =>
    (Array.isArray(r.method) ? r.method : [r.method]).flatMap((m) =>
      (Array.isArray(r.route) ? r.route : [r.route]).map((p) => [m.toUpperCase(), p] as const),
    ),
  )
  .filter(([method]) => method !== 'GET')
  .map(([m, p]) => [m, p]);
const RETRY_ROUTES = [
  '/api/queues/:queueName/retry/:queueStatus',
  '/api/queues/:queueName/:jobId/retry',
];

describe('queue dashboard (/admin/queues)', () => {
  let s: Stack;
  let conn: Redis;
  let notify: Queue;
  let queues: Queue[];

  beforeAll(async () => {
    s = await startStack();
    conn = new Redis(s.config.REDIS_URL, { maxRetriesPerRequest: null });
    notify = new Queue(QUEUES.notify, { connection: conn, prefix: s.config.QUEUE_PREFIX });
    queues = Object.values(QUEUES).map(
      (name) => new Queue(name, { connection: conn, prefix: s.config.QUEUE_PREFIX }),
    );
  });
  afterAll(async () => {
    await notify.close();
    for (const q of queues) await q.close();
    conn.disconnect();
    await s.close();
  });

  async function board(
    path: string,
    init: { method?: string; auth?: string | null; body?: unknown; url?: string } = {},
  ): Promise<{ status: number; type: string; text: string; headers: Headers }> {
    const auth = init.auth === undefined ? bearer : init.auth;
    const res = await fetch(`${init.url ?? s.url}/admin/queues${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
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
      error: { code: 'unauthorized', message: expect.any(String), details: [] },
    });
    // The board's API and its static files are behind the same check.
    expect((await board('/api/queues', { auth: null })).status).toBe(401);
    expect((await board('/static/images/logo.svg', { auth: null })).status).toBe(401);
  });

  it("answers 401 to the booking system's API token: the dashboard has its own credential", async () => {
    for (const auth of [`Bearer ${API_TOKEN}`, basic(API_TOKEN)]) {
      expect((await board('', { auth })).status).toBe(401);
      expect((await board('/api/queues', { auth })).status).toBe(401);
    }
  });

  it('answers 401 with a wrong token, as Bearer or as the Basic password', async () => {
    for (const auth of [
      'Bearer wrong-token-0123456789abcdef',
      basic('wrong-token-0123456789abcdef'),
      basic(''),
      `Basic ${Buffer.from(ADMIN_TOKEN).toString('base64')}`, // no "user:" part: not a password
    ]) {
      const res = await board('', { auth });
      expect({ auth, status: res.status }).toEqual({ auth, status: 401 });
    }
  });

  it('answers 200 with the dashboard page for Bearer and for Basic with the admin token', async () => {
    for (const auth of [bearer, basic(ADMIN_TOKEN)]) {
      const res = await board('', { auth });
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/html/);
      expect(res.text).toContain('seam-offline-codes');
    }
    const api = await board('/api/queues', { auth: basic(ADMIN_TOKEN) });
    expect(api.status).toBe(200);
  });

  it("may not be framed by another site: frame-ancestors 'none' on every answer", async () => {
    for (const [path, auth] of [
      ['', bearer],
      ['/api/queues', bearer],
      ['', null],
      ['/static/images/logo.svg', bearer],
    ] as const) {
      const res = await board(path, { auth });
      expect({ path, csp: res.headers.get('content-security-policy') }).toEqual({
        path,
        csp: "frame-ancestors 'none'",
      });
    }
  });

  it('lists the five queues', async () => {
    const body = await json('/api/queues');
    const names = (body.queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(Object.values(QUEUES).sort());
  });

  it("shows the booking reference beside a guest code's jobs: in the job name and data", async () => {
    const reference = 'dashboard-ref-1';
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Board Guest', email: 'board@example.com' },
        reference,
        ...hourlyWindow(4, 24),
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    await eventually(
      async () => ((await s.store.get(id))?.status === 'notified' ? true : undefined),
      10_000,
    );
    for (const [queue, names] of [
      [QUEUES.create, [`create ${reference}`]],
      [QUEUES.notify, [`guest-email ${reference}`, `guest-webhook ${reference}`]],
    ] as const) {
      const listed = await json(`/api/queues?activeQueue=${queue}&status=completed`);
      const jobs = (
        listed.queues.find((q: { name: string }) => q.name === queue).jobs as {
          name: string;
          data: { guest_code_id: string; reference?: string };
        }[]
      ).filter((j) => j.data.guest_code_id === id);
      expect(jobs.map((j) => j.name).sort()).toEqual([...names].sort());
      expect(jobs.every((j) => j.data.reference === reference)).toBe(true);
    }
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

  describe('refuses every other action bull-board offers', () => {
    let failedJobId: string;
    let before: string;

    /** What an action could change: pauses, limits, the sweeper's schedule, the jobs. */
    const snapshot = async (): Promise<string> => {
      const state: unknown[] = [];
      for (const q of queues) {
        const jobs = await q.getJobs(['waiting', 'active', 'delayed', 'failed', 'prioritized']);
        state.push({
          queue: q.name,
          paused: await q.isPaused(),
          concurrency: await q.getGlobalConcurrency(),
          rateLimit: await q.getGlobalRateLimit(),
          rateLimited: (await q.getRateLimitTtl()) > 0,
          schedulers: (await q.getJobSchedulers()).map((j) => ({
            key: j.key,
            every: j.every,
            pattern: j.pattern,
          })),
          jobs: jobs
            .map((j) => ({
              id: j.id,
              data: j.data,
              priority: j.opts.priority ?? 0,
              delay: j.delay,
            }))
            .sort((a, b) => String(a.id).localeCompare(String(b.id))),
        });
      }
      return JSON.stringify(state);
    };

    beforeAll(async () => {
      const failing = await notify.add(
        'alert',
        { kind: 'not-a-notify-job' },
        { attempts: 1, removeOnFail: false },
      );
      failedJobId = failing.id!;
      await eventually(
        async () =>
          (await json(`/api/queues/${QUEUES.notify}/${failedJobId}`)).status === 'failed'
            ? true
            : undefined,
        10_000,
      );
      // The sweeper's schedule exists (the workers made it), so editing it can be tried.
      expect(
        await queues.find((q) => q.name === QUEUES.sweep)!.getJobScheduler('sweep'),
      ).toBeDefined();
      before = await snapshot();
    });

    it('covers bull-board’s mutating routes (retry is the one allowed)', () => {
      expect(MUTATING_ROUTES.length).toBeGreaterThanOrEqual(20);
      for (const r of RETRY_ROUTES) expect(MUTATING_ROUTES.map(([, p]) => p)).toContain(r);
    });

    const refused = MUTATING_ROUTES.filter(([, p]) => !RETRY_ROUTES.includes(p));
    it.each(refused)('%s %s: 403, nothing changes', async (method, route) => {
      const concrete = route
        .replace(':queueName', route.includes('job-schedulers') ? QUEUES.sweep : QUEUES.notify)
        .replace(':jobId', failedJobId)
        .replace(':queueStatus', 'failed')
        .replace(':schedulerId', 'sweep');
      // A plausible body, so a refusal is not a validation error in disguise.
      const body = {
        concurrency: 0,
        max: 1,
        duration: 60_000,
        data: {},
        name: 'x',
        options: {},
        delay: 3_600_000,
        priority: 5,
        every: 365 * 24 * 3600_000,
        repeat: { every: 365 * 24 * 3600_000 },
        expireInMs: 60_000,
      };
      const res = await board(concrete, { method, body });
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
      expect(await snapshot()).toBe(before);
    });
  });
});

describe('queue dashboard without ADMIN_TOKEN', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ env: { ADMIN_TOKEN: '' } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('is not served at all: 404, whatever the credentials', async () => {
    for (const auth of [`Bearer ${API_TOKEN}`, `Bearer ${ADMIN_TOKEN}`, undefined]) {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const res = await fetch(`${s.url}${path}`, {
          headers: auth ? { authorization: auth } : {},
        });
        await res.arrayBuffer();
        expect({ path, auth, status: res.status }).toEqual({ path, auth, status: 404 });
      }
    }
  });
});
