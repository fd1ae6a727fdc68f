/**
 * The sweeper, the safety net for lost webhooks, with no holes: it reads every page of Seam's
 * `/events/list` since its cursor (Seam answers 500 events at most, in an order it does not
 * document: both orders are tried), asks only for access_code events, and moves its cursor
 * only past what it read; it walks every open guest code however many there are (more than
 * the 10,000 it used to stop at), spread over half an interval; and it closes open codes whose
 * stay is over, with an alert. The sweep flow runs against real Redis, real BullMQ queues (no
 * workers: the jobs it queues are the end state) and the Seam simulator.
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { requestedGuestCode, type GuestCode, type NewGuestCode } from '../../src/domain/guest-code';
import { sweep, type SweepDeps, type SweepReport } from '../../src/flows/sweep';
import { WorkQueues } from '../../src/queues/producers';
import { createSeamGateway, type SeamGateway } from '../../src/seam/client';
import { GuestCodeStore } from '../../src/store/guest-codes';
import { storeKeys } from '../../src/store/keys';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { eventually } from '../../devkit/eventually';
import { LogSink, testConfig } from '../helpers/service';
import { hourlyWindow } from '../helpers/stack';

interface Harness {
  sim: Simulator;
  seam: SeamGateway;
  redis: Redis;
  store: GuestCodeStore;
  queues: WorkQueues;
  prefix: string;
  logs: LogSink;
  pauses: number[];
  deps(overrides?: Partial<SweepDeps>): SweepDeps;
  close(): Promise<void>;
}

async function harness(order: 'oldest_first' | 'newest_first' = 'oldest_first'): Promise<Harness> {
  const sim = await startSimulator({ autoAdvance: false, eventOrder: order });
  const config = testConfig();
  const prefix = config.QUEUE_PREFIX;
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const store = new GuestCodeStore(redis, prefix);
  const queues = new WorkQueues(redis, prefix, 3);
  const seam = createSeamGateway({ apiKey: sim.apiKey, endpoint: sim.url });
  const logs = new LogSink();
  const pauses: number[] = [];
  const cursorKey = storeKeys(prefix).sweepCursor;
  return {
    sim,
    seam,
    redis,
    store,
    queues,
    prefix,
    logs,
    pauses,
    deps: (overrides = {}) => ({
      store,
      seam,
      queues,
      now: () => new Date(),
      logger: logs.logger,
      cursor: {
        get: async () => (await redis.get(cursorKey)) ?? undefined,
        set: async (since) => void (await redis.set(cursorKey, since)),
      },
      spreadMs: 150_000,
      pause: async (ms) => void pauses.push(ms),
      ...overrides,
    }),
    close: async () => {
      await queues.close();
      redis.disconnect();
      await sim.close();
    },
  };
}

/** A guest code record as the request flow makes it, with the status and codes given. */
function guestCode(over: Partial<GuestCode> = {}): GuestCode {
  const at = new Date().toISOString();
  const window = hourlyWindow(3, 24);
  const fields: NewGuestCode = {
    id: `gc_${randomUUID()}`,
    reference: `sweep-${randomUUID()}`,
    request_fingerprint: 'x',
    request: {
      device_id: 'device_1',
      guest: { name: 'Sweep Guest', email: 'sweep@example.com' },
      ...window,
      is_one_time_use: false,
      max_time_rounding: '1h',
      reference: 'r',
    },
    device: {
      device_id: 'device_1',
      name: 'Front door',
      manufacturer: 'igloohome',
      timezone: 'UTC',
    },
    plan: {
      kind: 'hourly_bound',
      ...window,
      max_time_rounding: '1hour',
      timezone: 'UTC',
      caveats: [],
      warnings: [],
      seam_request: { ...window, max_time_rounding: '1hour' },
    },
  };
  return { ...requestedGuestCode(fields, at), ...over };
}

/** Stores a guest code that follows Seam access code `accessCodeId` (status waiting, or
 *  notified: then only a missed event, not the walk of open codes, asks for a reconcile). */
async function following(
  h: Harness,
  accessCodeId: string,
  status: 'waiting' | 'notified' = 'waiting',
): Promise<GuestCode> {
  const gc = guestCode();
  await h.store.createIfAbsent(gc, { at: gc.created_at, type: 'requested', message: 'test' });
  return (await h.store.update(gc.id, (cur) => ({
    result: undefined,
    write: {
      record: {
        ...cur,
        status,
        active_access_code_id: accessCodeId,
        access_codes: [
          {
            access_code_id: accessCodeId,
            generation: 0,
            status: 'unset',
            errors: [],
            superseded: false,
            created_at: cur.created_at,
          },
        ],
      },
      timeline: [],
      indexAccessCodes: [accessCodeId],
    },
  })))!.record;
}

const reconcileReasons = async (h: Harness, accessCodeId: string): Promise<string[]> =>
  (await h.queues.reconcile.getJobs(['waiting', 'delayed', 'prioritized']))
    .filter((j) => j.data.access_code_id === accessCodeId)
    .map((j) => j.data.reason);

/** A time after every event Seam holds so far (the cursor of a sweep that read them all). */
async function afterEverything(h: Harness): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const last = Math.max(0, ...h.sim.events().map((e) => Date.parse(e.created_at)));
  await new Promise((resolve) => setTimeout(resolve, 2));
  return new Date(last + 1).toISOString();
}

/** A Seam code on the simulator (any name) to hang events on. */
let codesMade = 0;
async function seamCode(h: Harness): Promise<string> {
  // A window of its own each time: igloohome takes at most 3 codes with one window.
  const window = hourlyWindow(3, 24 + ++codesMade);
  const code = await h.seam.createOfflineAccessCode({
    device_id: h.sim.devices.igloohome[0]!,
    name: `noise ${randomUUID().slice(0, 6)}`,
    ...window,
    is_one_time_use: false,
    max_time_rounding: '1hour',
  });
  return code.access_code_id;
}

describe.each(['oldest_first', 'newest_first'] as const)(
  'events/list catch-up, Seam answering %s',
  (order) => {
    let h: Harness;
    beforeAll(async () => {
      h = await harness(order);
    });
    afterAll(async () => {
      await h.close();
    });

    it('reads every page since the cursor (more than Seam’s 500), access_code events only', async () => {
      const ours = await seamCode(h);
      const noise = await seamCode(h);
      await following(h, ours, 'notified');
      await h.redis.set(storeKeys(h.prefix).sweepCursor, await afterEverything(h));
      // Our missed event where one page does not reach: the far end from where Seam starts.
      if (order === 'newest_first') h.sim.emit('access_code.set_on_device', ours);
      for (let i = 0; i < 1200; i++) {
        h.sim.emit(i % 4 === 0 ? 'device.low_battery' : 'access_code.changed', noise);
      }
      if (order === 'oldest_first') h.sim.emit('access_code.set_on_device', ours);
      h.sim.resetCounts();

      const report = await sweep(h.deps());
      expect(report).toMatchObject({ eventsComplete: true });
      // 900 access_code events of the noise code and 1 of ours; the 300 device events are not
      // asked for.
      expect(report.eventsSeen).toBe(901);
      expect(report.eventPages).toBeGreaterThanOrEqual(2);
      expect(h.sim.requestCounts()['/events/list']).toBe(report.eventPages);
      expect(await reconcileReasons(h, ours)).toEqual(['missed access_code.set_on_device']);
      // The cursor moved (to the end of the read, less an overlap for late listings, but never
      // back before where it was).
      const cursor = (await h.redis.get(storeKeys(h.prefix).sweepCursor))!;
      expect(Date.parse(cursor)).toBeGreaterThan(0);
    });

    it('a page that fails leaves the cursor where what was read ends, and the next sweep gets the rest', async () => {
      const ours = await seamCode(h);
      const noise = await seamCode(h);
      await following(h, ours, 'notified');
      const since = await afterEverything(h);
      const cursorKey = storeKeys(h.prefix).sweepCursor;
      await h.redis.set(cursorKey, since);
      await h.queues.reconcile.obliterate({ force: true });
      if (order === 'newest_first') h.sim.emit('access_code.set_on_device', ours);
      for (let i = 0; i < 700; i++) h.sim.emit('access_code.changed', noise);
      if (order === 'oldest_first') h.sim.emit('access_code.set_on_device', ours);

      // The second page fails.
      h.sim.setFaults({ requestErrors: { '/events/list': { after: 1, count: 1, status: 503 } } });
      const failed = await sweep(h.deps());
      expect(failed.eventsComplete).toBe(false);
      expect(await reconcileReasons(h, ours)).toEqual([]);
      const cursor = (await h.redis.get(cursorKey))!;
      if (order === 'newest_first') {
        // The newest events were read, the older ones were not: the cursor cannot move.
        expect(cursor).toBe(since);
      } else {
        // The oldest 500 were read: the cursor moves to them, not past the rest.
        expect(Date.parse(cursor)).toBeGreaterThan(Date.parse(since));
        const unread = h.sim.events().filter((e) => e.access_code_id === ours);
        expect(Date.parse(cursor)).toBeLessThan(Date.parse(unread[unread.length - 1]!.created_at));
      }

      h.sim.clearFaults();
      const next = await sweep(h.deps());
      expect(next.eventsComplete).toBe(true);
      expect(await reconcileReasons(h, ours)).toEqual(['missed access_code.set_on_device']);
    });
  },
);

describe('the walk of the open guest codes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('reaches every open code, however many (10,050), spread over half an interval', async () => {
    const total = 10_050;
    const ids: string[] = [];
    const keys = storeKeys(h.prefix);
    // Written straight into Redis as the store keeps them (one pipeline), to stay quick.
    const pipeline = h.redis.pipeline();
    for (let i = 0; i < total; i++) {
      const gc = guestCode();
      ids.push(gc.id);
      pipeline.hset(keys.guestCode(gc.id), 'doc', JSON.stringify(gc), 'version', '1');
      pipeline.zadd(keys.openCodes, String(Date.now() + i), gc.id);
    }
    await pipeline.exec();
    await h.redis.set(keys.sweepCursor, new Date().toISOString());

    const report: SweepReport = await sweep(h.deps({ spreadMs: 150_000, pageSize: 500 }));
    expect(report.open).toBe(total);
    expect(report.creationsQueued).toBe(total);
    const queued = new Set(
      (await h.queues.create.getJobs(['waiting', 'prioritized', 'delayed'])).map(
        (j) => j.data.guest_code_id,
      ),
    );
    expect(ids.filter((id) => !queued.has(id))).toEqual([]);
    // Paused between pages, never longer in all than the spread.
    expect(h.pauses.length).toBeGreaterThanOrEqual(Math.ceil(total / 500) - 1);
    expect(h.pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(150_000);
    expect(Math.min(...h.pauses)).toBeGreaterThan(0);
  }, 120_000);
});

describe('a walk during shutdown', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('stops after the page it is on, instead of holding the worker for the rest of the spread', async () => {
    const keys = storeKeys(h.prefix);
    const pipeline = h.redis.pipeline();
    for (let i = 0; i < 1500; i++) {
      const gc = guestCode();
      pipeline.hset(keys.guestCode(gc.id), 'doc', JSON.stringify(gc), 'version', '1');
      pipeline.zadd(keys.openCodes, String(Date.now() + i), gc.id);
    }
    await pipeline.exec();
    await h.redis.set(keys.sweepCursor, new Date().toISOString());
    let paused = 0;
    const report = await sweep(
      h.deps({
        pageSize: 500,
        pause: async () => void paused++,
        stopping: () => paused >= 1,
      }),
    );
    expect(paused).toBe(1);
    expect(report.open).toBeGreaterThan(0);
    expect(report.open).toBeLessThan(1500);
  });
});

describe('open guest codes whose stay is over', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('end failed (stay_ended), leave the open set, and raise an alert; a stay not over is left alone', async () => {
    const past = {
      starts_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
      ends_at: new Date(Date.now() - 3600_000).toISOString(),
    };
    const over = guestCode();
    over.plan = { ...over.plan, ...past };
    await h.store.createIfAbsent(over, { at: over.created_at, type: 'requested', message: 'test' });
    const running = await following(h, await seamCode(h));
    await h.redis.set(storeKeys(h.prefix).sweepCursor, new Date().toISOString());

    const report = await sweep(h.deps());
    expect(report.closed).toBe(1);
    const closed = (await h.store.get(over.id))!;
    expect(closed.status).toBe('failed');
    expect(closed.failure).toMatchObject({ code: 'stay_ended' });
    expect(await h.redis.zscore(storeKeys(h.prefix).openCodes, over.id)).toBeNull();
    const alerts = (await h.queues.notify.getJobs(['waiting', 'prioritized'])).filter(
      (j) => j.data.kind === 'alert' && j.data.guest_code_id === over.id,
    );
    expect(alerts.map((j) => j.data.kind === 'alert' && j.data.code)).toEqual(['stay_ended']);
    // Nothing queued for it any more, and the next sweep does not see it.
    expect(await h.queues.create.getJob(`create-${over.id}-0`)).toBeUndefined();
    expect((await sweep(h.deps())).closed).toBe(0);
    expect((await h.store.get(running.id))!.status).toBe('waiting');
  });
});

describe('open guest codes whose job failed without the failure reaching the record', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  /** The job `id` of `queue` ends failed, as a worker whose last write was lost leaves it. */
  async function failedJob(queue: Queue, id: string): Promise<void> {
    const job = (await queue.getJob(id))!;
    const connection = h.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(
      queue.name,
      async (j) => {
        if (j.id === id) throw new UnrecoverableError('worker lost its last write');
        return 'other';
      },
      { connection, prefix: h.prefix, autorun: false },
    );
    worker.on('error', () => undefined);
    void worker.run();
    await eventually(async () => ((await job.isFailed()) ? true : undefined));
    await worker.close();
    connection.disconnect();
  }

  it('a code still requested gets its creation back to work', async () => {
    const requested = guestCode();
    await h.store.createIfAbsent(requested, {
      at: requested.created_at,
      type: 'requested',
      message: 'test',
    });
    await h.queues.enqueueCreate(requested.id, 0);
    await failedJob(h.queues.create, `create-${requested.id}-0`);
    await h.redis.set(storeKeys(h.prefix).sweepCursor, new Date().toISOString());

    const report = await sweep(h.deps());
    expect(report.creationsQueued).toBe(1);
    expect(await h.queues.create.getJobState(`create-${requested.id}-0`)).toBe('waiting');
  });
});
