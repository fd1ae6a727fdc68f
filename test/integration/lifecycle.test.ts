/**
 * The lifecycle workers end to end: ingress + workers in this process against the Seam
 * simulator, real Redis, a real SMTP server and a real signed-webhook receiver. Every test
 * asserts the end state: the guest code record and its timeline, the simulator's codes, the
 * mailbox and what the booking system's webhook endpoint received.
 */
import { Queue } from 'bullmq';
import { DateTime } from 'luxon';
import type { GuestCode } from '../../src/domain/guest-code';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import type { SimAccessCode } from '../../sim/codes';
import { eventually } from '../../devkit/eventually';
import { type Received } from '../../devkit/webhook-receiver';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { accessCodeEvent, postDelivery, signDelivery } from '../../devkit/svix';
import type { ReceivedMail } from '../../devkit/smtp';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function requestCode(s: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await s.api('/v1/guest-codes', { body });
  expect(res.status).toBe(202);
  return res.body.guest_code.id as string;
}

async function waitFor(
  s: Stack,
  id: string,
  ok: (gc: GuestCode) => boolean,
  timeoutMs = 10_000,
): Promise<GuestCode> {
  return eventually(async () => {
    const gc = await s.store.get(id);
    return gc && ok(gc) ? gc : undefined;
  }, timeoutMs);
}

const waitStatus = (s: Stack, id: string, status: GuestCode['status'], timeoutMs?: number) =>
  waitFor(s, id, (gc) => gc.status === status, timeoutMs);

/** The simulator's codes made for one guest code (their names carry its creation tag). */
function simCodesOf(s: Stack, gcId: string): SimAccessCode[] {
  return s.sim.accessCodes().filter((c) => (c.name ?? '').includes(`[gc:${gcId}:`));
}

function mailsTo(s: Stack, email: string): ReceivedMail[] {
  return s.smtp.messages.filter((m) => m.rcptTo.includes(email));
}

interface OutboundEvent {
  type: string;
  data: Record<string, unknown> & { guest_code_id: string };
}

function webhooksOf(
  s: Stack,
  gcId: string,
  type?: string,
): (Received & { event: OutboundEvent })[] {
  return s.notifyReceiver.received.filter(
    (r): r is Received & { event: OutboundEvent } =>
      (r.event as OutboundEvent | null)?.data?.guest_code_id === gcId &&
      (type === undefined || (r.event as unknown as OutboundEvent).type === type),
  );
}

/** "Monday 30 November 2026, 15:00": the message's format, in the lock's zone. */
function localTime(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' })
    .setZone(zone)
    .setLocale('en-GB')
    .toFormat('cccc d LLLL yyyy, HH:mm');
}

function errorLogs(s: Stack): Record<string, unknown>[] {
  return s.logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => (l.level as number) >= 50);
}

describe('happy path: one email and one guest_code.ready per code', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
  });
  afterAll(() => s.close());

  // A dormakaba stay that fits the lock's "User 124 D 3pm-11am" level, in Berlin time.
  const berlinStart = DateTime.now()
    .setZone('Europe/Berlin')
    .plus({ days: 2 })
    .set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
  const berlinEnd = berlinStart.plus({ days: 2 }).set({ hour: 11 });

  const cases = [
    {
      name: 'igloohome hourly code',
      email: 'hourly@example.com',
      body: (st: Stack) => ({
        device_id: st.sim.devices.igloohome[0],
        ...hourlyWindow(2, 48),
      }),
      kind: 'hourly_bound',
      zone: 'Europe/London',
      caveat: /first time within 24 hours of the start time/,
      notCaveat: /one-time code/,
    },
    {
      name: 'igloohome one-time-use code',
      email: 'once@example.com',
      body: (st: Stack) => ({
        device_id: st.sim.devices.igloohome[1],
        starts_at: hourlyWindow(3, 1).starts_at,
        is_one_time_use: true,
      }),
      kind: 'one_time_use',
      zone: 'Europe/London',
      caveat: /one-time code: it is valid for 24 hours from the start time/,
      notCaveat: /first time within 24 hours/,
    },
    {
      name: 'dormakaba code',
      email: 'dorma@example.com',
      body: (st: Stack) => ({
        device_id: st.sim.devices.dormakaba[0],
        starts_at: berlinStart.toISO(),
        ends_at: berlinEnd.toISO(),
      }),
      kind: 'hourly_bound',
      zone: 'Europe/Berlin',
      caveat: null,
      notCaveat: /one-time code|first time within 24 hours/,
    },
  ] as const;

  it.each(cases)('$name', async (c) => {
    const id = await requestCode(s, {
      ...c.body(s),
      guest: { name: 'Grace Hopper', email: c.email },
      reference: `happy-${c.email}`,
    });
    const gc = await waitStatus(s, id, 'notified');
    // Let any straggling duplicate work finish before counting.
    await sleep(400);

    const codes = simCodesOf(s, id);
    expect(codes).toHaveLength(1);
    const sim = codes[0]!;
    expect(sim.status).toBe('set');
    const pin = sim.code as string;
    expect(pin).toMatch(/^\d{4,8}$/);
    expect(sim.is_one_time_use).toBe(c.kind === 'one_time_use');

    expect(gc.active_access_code_id).toBe(sim.access_code_id);
    expect(gc.plan.kind).toBe(c.kind);
    expect(gc.plan.timezone).toBe(c.zone);
    expect(gc.notifications.map((n) => n.channel).sort()).toEqual(['email', 'webhook']);
    // The window Seam was asked for is the planned one.
    expect(Date.parse(sim.starts_at!)).toBe(Date.parse(gc.plan.starts_at));
    if (c.kind !== 'one_time_use')
      expect(Date.parse(sim.ends_at!)).toBe(Date.parse(gc.plan.ends_at));
    else expect(Date.parse(gc.plan.ends_at) - Date.parse(gc.plan.starts_at)).toBe(24 * 3600_000);

    const mails = mailsTo(s, c.email);
    expect(mails).toHaveLength(1);
    const text = mails[0]!.text!;
    expect(text).toContain(pin);
    expect(mails[0]!.html).toContain(pin);
    expect(text).toContain(`Valid from: ${localTime(gc.plan.starts_at, c.zone)}`);
    expect(text).toContain(`Valid until: ${localTime(gc.plan.ends_at, c.zone)}`);
    expect(text).toContain(`(${c.zone})`);
    expect(text).not.toMatch(/replaces/i);
    if (c.caveat) expect(text).toMatch(c.caveat);
    expect(text).not.toMatch(c.notCaveat);

    const hooks = webhooksOf(s, id);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.verified).toBe(true);
    expect(hooks[0]!.event.type).toBe('guest_code.ready');
    expect(hooks[0]!.event.data).toMatchObject({
      pin,
      access_code_id: sim.access_code_id,
      starts_at: gc.plan.starts_at,
      ends_at: gc.plan.ends_at,
      timezone: c.zone,
      replaces_previous: false,
    });

    const timeline = await s.store.timeline(id);
    const types = timeline.map((t) => t.type);
    expect(types.filter((t) => t === 'set')).toHaveLength(1);
    expect(types.filter((t) => t === 'notified')).toHaveLength(2);
    expect(types.indexOf('created')).toBeLessThan(types.indexOf('set'));
    expect(types.indexOf('set')).toBeLessThan(types.indexOf('notified'));
    expect(JSON.stringify(timeline)).not.toContain(pin);
  });

  it('shows the dormakaba window at the lock slot times in Berlin', async () => {
    const gc = await s.store.getByReference('happy-dorma@example.com');
    const text = mailsTo(s, 'dorma@example.com')[0]!.text!;
    // 15:00 and 11:00 are the slot's local check-in / check-out, not UTC.
    expect(text).toMatch(/Valid from: \w+ \d{1,2} \w+ \d{4}, 15:00 CES?T/);
    expect(text).toMatch(/Valid until: \w+ \d{1,2} \w+ \d{4}, 11:00 CES?T/);
    expect(DateTime.fromISO(gc!.plan.starts_at).setZone('Europe/Berlin').hour).toBe(15);
  });
});

describe('duplicated and reordered webhooks', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: {
        settingAfterMs: 100,
        setAfterMs: 300,
        faults: { duplicateDeliveries: 3, reorderDeliveries: { windowMs: 700, order: 'reverse' } },
      },
    });
  });
  afterAll(() => s.close());

  it('every event three times, newest first: still one notification per channel', async () => {
    const email = 'dup@example.com';
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Dup Guest', email },
      ...hourlyWindow(2, 24),
      reference: 'dup-1',
    });
    await waitStatus(s, id, 'notified');
    expect(await s.sim.webhooksIdle(5000)).toBe(true);
    await sleep(800);

    const [code] = simCodesOf(s, id);
    const pin = code!.code as string;
    // The faults really happened: three copies of each message, the last event first.
    const attempts = s.sim
      .deliveries()
      .filter((d) => d.accessCodeId === code!.access_code_id && d.attempt === 1);
    const perMsg = new Map<string, number>();
    for (const a of attempts) perMsg.set(a.msgId, (perMsg.get(a.msgId) ?? 0) + 1);
    expect(perMsg.size).toBeGreaterThanOrEqual(3);
    expect([...perMsg.values()].every((n) => n === 3)).toBe(true);
    expect(attempts[0]!.eventType).toBe('access_code.set_on_device');
    expect(attempts[attempts.length - 1]!.eventType).toBe('access_code.created');

    const gc = await s.store.get(id);
    expect(gc!.status).toBe('notified');
    expect(gc!.notifications).toHaveLength(2);
    const mails = mailsTo(s, email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(pin);
    const hooks = webhooksOf(s, id);
    expect(hooks.map((h) => h.event.type)).toEqual(['guest_code.ready']);
    expect(hooks[0]!.event.data.pin).toBe(pin);
    // The ingress dropped the copies: each message is noted once on the timeline.
    const noted = (await s.store.timeline(id)).filter((t) => t.type === 'event');
    expect(noted.length).toBeLessThanOrEqual(perMsg.size);
    expect(noted.some((t) => t.message.includes('set_on_device'))).toBe(true);
  });
});

describe('no webhooks at all: the sweeper is the safety net', () => {
  const INTERVAL = 500;
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: { autoAdvance: false },
      env: { RECONCILE_SWEEP_INTERVAL_MS: String(INTERVAL) },
    });
  });
  afterAll(() => s.close());

  async function waitingCode(email: string, reference: string) {
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Quiet Guest', email },
      ...hourlyWindow(2, 24),
      reference,
    });
    const gc = await waitStatus(s, id, 'waiting');
    // Several sweeps pass while the code is not set: nothing happens to the guest.
    await sleep(3 * INTERVAL);
    expect((await s.store.get(id))!.status).toBe('waiting');
    expect(mailsTo(s, email)).toHaveLength(0);
    return { id, accessCodeId: gc.active_access_code_id! };
  }

  async function expectNotifiedWithinAnInterval(id: string, email: string, t0: number) {
    await waitStatus(s, id, 'notified', 5000);
    const elapsed = Date.now() - t0;
    // One sweep interval plus some work: the sweeper, not a later retry, found it.
    expect(elapsed).toBeLessThan(INTERVAL + 1000);
    await sleep(300);
    const pin = simCodesOf(s, id)[0]!.code as string;
    expect(mailsTo(s, email)).toHaveLength(1);
    expect(mailsTo(s, email)[0]!.text).toContain(pin);
    expect(webhooksOf(s, id, 'guest_code.ready')).toHaveLength(1);
    expect(webhooksOf(s, id)).toHaveLength(1);
  }

  it('with no webhook endpoint: set is noticed within one sweep interval', async () => {
    s.sim.setWebhookUrl(null);
    const email = 'nohook@example.com';
    const { id, accessCodeId } = await waitingCode(email, 'sweep-none');
    const t0 = Date.now();
    s.sim.setStatus(accessCodeId, 'set');
    await expectNotifiedWithinAnInterval(id, email, t0);
    expect(s.sim.deliveries().filter((d) => d.accessCodeId === accessCodeId)).toHaveLength(0);
    expect((await s.store.timeline(id)).filter((t) => t.type === 'event')).toHaveLength(0);
  });

  it('with every delivery lost: set is noticed within one sweep interval', async () => {
    s.sim.setWebhookUrl(`${s.url}/webhooks/seam`);
    s.sim.setFaults({ loseDeliveries: { probability: 1 } });
    const email = 'lost@example.com';
    const { id, accessCodeId } = await waitingCode(email, 'sweep-lost');
    const t0 = Date.now();
    s.sim.setStatus(accessCodeId, 'set');
    await expectNotifiedWithinAnInterval(id, email, t0);
    const msgs = s.sim.messages().filter((m) => m.accessCodeId === accessCodeId);
    expect(msgs.length).toBeGreaterThan(0);
    expect(msgs.every((m) => m.state === 'lost')).toBe(true);
    s.sim.clearFaults();
  });
});

describe('failures: replacement, unfixable errors', () => {
  const REPLACE_AFTER_MS = 300;
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: { autoAdvance: false },
      env: { REPLACE_AFTER_MS: String(REPLACE_AFTER_MS) },
    });
  });
  afterAll(() => s.close());

  it('failed_to_set_on_device: one replacement, then one message with its PIN', async () => {
    const email = 'replaced@example.com';
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Replaced Guest', email },
      ...hourlyWindow(2, 24),
      reference: 'replace-1',
    });
    const first = (await waitStatus(s, id, 'waiting')).active_access_code_id!;
    s.sim.setStatus(first, 'setting');
    s.sim.fail(first);

    const withReplacement = await waitFor(s, id, (gc) => gc.access_codes.length === 2);
    const second = withReplacement.access_codes[1]!.access_code_id;
    expect(second).not.toBe(first);
    s.sim.setStatus(second, 'set');
    const gc = await waitStatus(s, id, 'notified');
    await sleep(3 * REPLACE_AFTER_MS);

    const codes = simCodesOf(s, id);
    expect(codes.map((c) => c.access_code_id).sort()).toEqual([first, second].sort());
    const pin = codes.find((c) => c.access_code_id === second)!.code as string;
    expect(codes.find((c) => c.access_code_id === first)!.code).toBeNull();

    expect(gc.replacements).toBe(1);
    expect(gc.generation).toBe(1);
    expect(gc.active_access_code_id).toBe(second);
    const old = gc.access_codes.find((c) => c.access_code_id === first)!;
    expect(old.superseded).toBe(true);
    expect(old.errors).toEqual(['failed_to_set_on_device']);
    expect(gc.notifications.every((n) => n.access_code_id === second)).toBe(true);

    // Replaced only after the grace period, counted from when the failure was seen.
    const timeline = await s.store.timeline(id);
    const failedSeen = timeline.find((t) => t.type === 'access_code_errors')!;
    const replacing = timeline.filter((t) => t.type === 'replacing');
    expect(replacing).toHaveLength(1);
    expect(replacing[0]!.access_code_id).toBe(first);
    expect(Date.parse(replacing[0]!.at) - Date.parse(failedSeen.at)).toBeGreaterThanOrEqual(
      REPLACE_AFTER_MS,
    );

    // The guest never got the first PIN: the message gives the PIN plainly, without claiming
    // to replace one sent before.
    const mails = mailsTo(s, email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(pin);
    expect(mails[0]!.subject).not.toMatch(/replaces|new door code/i);
    expect(mails[0]!.text).not.toMatch(/replaces the one we sent/i);

    // The booking system learns it is a replacement code, and that no earlier PIN went out.
    const hooks = webhooksOf(s, id);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.event.type).toBe('guest_code.replaced');
    expect(hooks[0]!.event.data).toMatchObject({
      pin,
      access_code_id: second,
      replaces_previous: false,
    });
  });

  it('code_constraints_violated: fails at once with the reason, no replacement', async () => {
    const email = 'unfixable@example.com';
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[1],
      guest: { name: 'Unfixable Guest', email },
      ...hourlyWindow(2, 24),
      reference: 'unfixable-1',
    });
    const first = (await waitStatus(s, id, 'waiting')).active_access_code_id!;
    s.sim.fail(first, 'code_constraints_violated');
    const gc = await waitStatus(s, id, 'failed');
    // At once: in the very read that saw the error, with no grace period started.
    const timeline = await s.store.timeline(id);
    const seen = timeline.find((t) => t.type === 'access_code_errors')!;
    expect(seen.message).toContain('code_constraints_violated');
    expect(gc.failure!.at).toBe(seen.at);
    expect(gc.access_codes[0]!.failing_since).toBeUndefined();
    await sleep(3 * REPLACE_AFTER_MS);

    const after = (await s.store.get(id))!;
    expect(after.status).toBe('failed');
    expect(after.failure!.code).toBe('code_constraints_violated');
    expect(after.replacements).toBe(0);
    expect(after.access_codes).toHaveLength(1);
    expect(simCodesOf(s, id)).toHaveLength(1);
    expect(mailsTo(s, email)).toHaveLength(0);
    const hooks = webhooksOf(s, id);
    expect(hooks.map((h) => h.event.type)).toEqual(['guest_code.failed']);
    expect(hooks[0]!.event.data).toMatchObject({
      error: { code: 'code_constraints_violated' },
    });
    expect(errorLogs(s).some((l) => l.guestCodeId === id)).toBe(true);
  });
});

describe('a code that keeps failing', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 50, setAfterMs: 150, faults: { failNextSets: 20 } },
      env: { REPLACE_AFTER_MS: '300', MAX_REPLACEMENTS: '1' },
    });
  });
  afterAll(() => s.close());

  it('ends failed after the bound, with an alert webhook and an error log line', async () => {
    const email = 'unlucky@example.com';
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Unlucky Guest', email },
      ...hourlyWindow(2, 24),
      reference: 'unlucky-1',
    });
    const gc = await waitStatus(s, id, 'failed', 15_000);
    await sleep(1200);

    const after = (await s.store.get(id))!;
    expect(after.status).toBe('failed');
    expect(after.failure!.code).toBe('replacements_exhausted');
    expect(after.replacements).toBe(1);
    expect(after.access_codes).toHaveLength(2);
    expect(after.access_codes[0]!.superseded).toBe(true);
    expect(gc.failure).toEqual(after.failure);
    // One original and one replacement, both failing on the lock; no third.
    const codes = simCodesOf(s, id);
    expect(codes).toHaveLength(2);
    expect(
      codes.every((c) => c.errors.some((e) => e.error_code === 'failed_to_set_on_device')),
    ).toBe(true);

    expect(mailsTo(s, email)).toHaveLength(0);
    const hooks = webhooksOf(s, id);
    expect(hooks.map((h) => h.event.type)).toEqual(['guest_code.failed']);
    expect(hooks[0]!.verified).toBe(true);
    expect(hooks[0]!.event.data).toMatchObject({
      reference: 'unlucky-1',
      error: { code: 'replacements_exhausted' },
    });
    const alerts = errorLogs(s).filter(
      (l) => l.guestCodeId === id && l.failureCode === 'replacements_exhausted',
    );
    expect(alerts).toHaveLength(1);
  });
});

describe('bursts and strangers', () => {
  let s: Stack;
  let reconcileQueue: Queue;
  beforeAll(async () => {
    // A wide window, so the burst below falls inside it however loaded the machine is.
    s = await startStack({ sim: { autoAdvance: false }, env: { RECONCILE_COALESCE_MS: '300' } });
    reconcileQueue = new Queue(QUEUES.reconcile, {
      connection: s.redis,
      prefix: s.config.QUEUE_PREFIX,
    });
  });
  afterAll(async () => {
    await reconcileQueue.close();
    await s.close();
  });

  /** No fetch queued, waiting out its coalescing delay, or running (rechecks hours away aside). */
  async function reconcileIdle(): Promise<void> {
    await eventually(async () => {
      const jobs = await reconcileQueue.getJobs(['wait', 'active', 'delayed', 'prioritized']);
      return jobs.some((j) => j.name === 'reconcile') ? undefined : true;
    }, 5000);
  }

  it('ten events for one code within the coalescing window: one Seam fetch', async () => {
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Burst Guest', email: 'burst@example.com' },
      ...hourlyWindow(2, 24),
      reference: 'burst-1',
    });
    const ac = (await waitStatus(s, id, 'waiting')).active_access_code_id!;
    s.sim.setStatus(ac, 'setting');
    await waitFor(s, id, (gc) => gc.access_codes[0]!.status === 'setting');
    await s.sim.webhooksIdle(5000);
    await reconcileIdle();

    s.sim.resetCounts();
    for (let i = 0; i < 10; i++) s.sim.emit('access_code.changed', ac);
    expect(await s.sim.webhooksIdle(5000)).toBe(true);
    const delivered = s.sim
      .deliveries()
      .filter((d) => d.eventType === 'access_code.changed' && d.status === 200);
    expect(delivered.length).toBeGreaterThanOrEqual(10);
    await eventually(async () => {
      const noted = (await s.store.timeline(id)).filter((t) =>
        t.message.startsWith('received access_code.changed'),
      );
      return noted.length === 10 ? true : undefined;
    });
    await reconcileIdle();
    await sleep(300);

    const gets = s.sim.requestCounts()['/access_codes/get'] ?? 0;
    expect(gets).toBe(1);
    expect((await s.store.get(id))!.status).toBe('waiting');
  });

  it('the same Seam event delivered again under a new delivery id is noted, and costs no fetch', async () => {
    const id = await requestCode(s, {
      device_id: s.sim.devices.igloohome[0],
      guest: { name: 'Echo Guest', email: 'echo@example.com' },
      ...hourlyWindow(2, 24),
      reference: 'echo-1',
    });
    const ac = (await waitStatus(s, id, 'waiting')).active_access_code_id!;
    await s.sim.webhooksIdle(5000);
    await reconcileIdle();

    const event = accessCodeEvent({
      access_code_id: ac,
      device_id: s.sim.devices.igloohome[0],
      workspace_id: s.sim.workspaceId,
      event_type: 'access_code.changed',
    });
    const first = await postDelivery(s.url, signDelivery(s.sim.webhookSecret, event));
    expect(first.status).toBe(200);
    await eventually(async () => {
      const t = await s.store.timeline(id);
      return t.some((e) => e.message.startsWith('received access_code.changed')) ? true : undefined;
    });
    await reconcileIdle();
    s.sim.resetCounts();

    // Svix gives each attempt of a re-sent message a new delivery: same event_id, new svix-id.
    for (let i = 0; i < 3; i++) {
      const res = await postDelivery(s.url, signDelivery(s.sim.webhookSecret, event));
      expect(res.status).toBe(200);
    }
    await eventually(async () => {
      const again = (await s.store.timeline(id)).filter((e) => e.message.endsWith(', again'));
      return again.length === 3 ? true : undefined;
    });
    await reconcileIdle();
    await sleep(200);
    expect(s.sim.requestCounts()['/access_codes/get'] ?? 0).toBe(0);
  });

  it('an event for a code the service did not create is recorded as ignored, nothing else', async () => {
    const before = {
      open: (await s.store.openIds()).sort(),
      codes: s.sim.accessCodes().length,
      mails: s.smtp.messages.length,
      hooks: s.notifyReceiver.received.length,
    };
    s.sim.resetCounts();
    const stranger = `ac_stranger_${Date.now()}`;
    const event = accessCodeEvent({
      access_code_id: stranger,
      device_id: s.sim.devices.igloohome[0],
      workspace_id: s.sim.workspaceId,
      event_type: 'access_code.set_on_device',
      code: '918273',
    });
    const res = await postDelivery(s.url, signDelivery(s.sim.webhookSecret, event));
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);

    const key = storeKeys(s.config.QUEUE_PREFIX).ignoredEvents;
    const ignored = await eventually(async () => {
      const rows = (await s.redis.lrange(key, 0, -1)).map(
        (r) => JSON.parse(r) as Record<string, string>,
      );
      return rows.find((r) => r.event_id === event.event_id);
    });
    expect(ignored).toMatchObject({
      event_type: 'access_code.set_on_device',
      access_code_id: stranger,
    });
    expect(JSON.stringify(ignored)).not.toContain('918273');
    await reconcileIdle();
    await sleep(300);

    expect(await s.store.getByAccessCode(stranger)).toBeUndefined();
    expect((await s.store.openIds()).sort()).toEqual(before.open);
    expect(s.sim.accessCodes()).toHaveLength(before.codes);
    expect(s.sim.requestCounts()['/access_codes/get'] ?? 0).toBe(0);
    expect(s.smtp.messages).toHaveLength(before.mails);
    expect(s.notifyReceiver.received).toHaveLength(before.hooks);
  });
});
