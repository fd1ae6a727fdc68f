/**
 * The whole service as deployed — an `ingress` process and a `worker` process, each started
 * with `node --import tsx app/main.ts <role>` — against the Seam simulator, a real SMTP server
 * and a real receiver for the outbound webhook. Each test checks what the guest received (the
 * email with the PIN the simulator assigned) and what the record says (through the API).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { startSimulator, type Simulator } from '../../sim/simulator';
import type { SimAccessCode } from '../../sim/codes';
import { spawnService, type ServiceProcess } from '../helpers/processes';
import { freePort } from '../../devkit/redis';
import { testRedisUrl } from '../helpers/service';
import { newWebhookSecret } from '../../devkit/svix';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../devkit/smtp';
import { eventually } from '../../devkit/eventually';
import { startReceiver, type Received, type Receiver } from '../../devkit/webhook-receiver';

const API_TOKEN = 'e2e-api-token-0123456789abcdef-0123456789';
const WAIT_MS = 15_000;
const TEST_TIMEOUT_MS = 25_000;

interface GuestCodeView {
  id: string;
  reference: string;
  status: string;
  planned: {
    kind: string;
    starts_at: string;
    ends_at: string;
    timezone: string;
    time_slot?: { name: string; prefix: number };
  };
  access_code_ids: string[];
  active_access_code_id: string | null;
  create_attempts: number;
  replacements: number;
  notifications: { access_code_id: string; channel: string }[];
  error: unknown;
  previous_codes: { access_code_id: string; valid_until: string }[];
  timeline: { type: string; message: string; access_code_id?: string }[];
}

describe('the deployed service (ingress + worker processes) against the Seam simulator', () => {
  let sim: Simulator;
  let smtp: TestSmtpServer;
  let receiver: Receiver;
  let ingress: ServiceProcess;
  let worker: ServiceProcess;
  let url: string;

  beforeAll(async () => {
    sim = await startSimulator({ settingAfterMs: 100, setAfterMs: 300 });
    smtp = await startSmtpServer();
    const notifySecret = newWebhookSecret();
    receiver = await startReceiver(notifySecret);
    const ingressPort = await freePort();
    let workerPort = await freePort();
    while (workerPort === ingressPort) workerPort = await freePort();
    const common = {
      HOST: '127.0.0.1',
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: `e2e${randomUUID().slice(0, 8)}`,
      LOG_LEVEL: 'info',
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Door codes <codes@example.com>',
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: notifySecret,
      SEAM_RETRY_BASE_MS: '50',
      SEAM_RETRY_MAX_MS: '500',
      DEVICE_CACHE_TTL_MS: '0',
      SHUTDOWN_DRAIN_MS: '0',
      // The test polls records every 10 ms, far above what a booking system is allowed.
      API_RATE_LIMIT: '0',
    };
    ingress = spawnService('ingress', { ...common, PORT: String(ingressPort) });
    worker = spawnService('worker', {
      ...common,
      PORT: String(workerPort),
      RECONCILE_SWEEP_INTERVAL_MS: '1000',
      REPLACE_AFTER_MS: '300',
      MAX_REPLACEMENTS: '2',
    });
    await Promise.all([
      ingress.waitForLog(/"msg":"started"/, 15_000),
      worker.waitForLog(/"msg":"started"/, 15_000),
    ]);
    url = `http://127.0.0.1:${ingressPort}`;
    sim.setWebhookUrl(`${url}/webhooks/seam`);
  }, 30_000);

  afterEach(() => {
    sim.clearFaults();
  });

  afterAll(async () => {
    sim?.setWebhookUrl(null);
    const exits: Record<string, number | null | 'killed'> = {};
    const stop = async (name: string, p: ServiceProcess | undefined) => {
      if (!p) return;
      if (p.child.exitCode !== null) {
        exits[name] = p.child.exitCode;
        return;
      }
      p.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), 10_000);
      });
      const result = await Promise.race([p.exited, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') {
        p.child.kill('SIGKILL');
        await p.exited;
        exits[name] = 'killed';
      } else {
        exits[name] = result;
      }
    };
    await Promise.all([stop('ingress', ingress), stop('worker', worker)]);
    await sim?.close();
    await smtp?.close();
    await receiver?.close();
    const unclean = Object.entries(exits).filter(([, code]) => code !== 0);
    if (unclean.length > 0) {
      throw new Error(
        `processes did not exit 0 on SIGTERM: ${JSON.stringify(exits)}\n` +
          `ingress:\n${ingress.output.slice(-20).join('\n')}\nworker:\n${worker.output.slice(-20).join('\n')}`,
      );
    }
  }, 30_000);

  // ---- helpers ----------------------------------------------------------------------------

  async function api(
    path: string,
    body?: unknown,
    method?: string,
  ): Promise<{
    status: number;
    body: { guest_code?: GuestCodeView; note?: string } | undefined;
  }> {
    const res = await fetch(`${url}${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as { guest_code?: GuestCodeView; note?: string }) : undefined,
    };
  }

  async function requestCode(body: Record<string, unknown>): Promise<string> {
    const res = await api('/v1/guest-codes', body);
    if (res.status !== 202) {
      throw new Error(`POST /v1/guest-codes answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body!.guest_code!.id;
  }

  async function getRecord(id: string): Promise<GuestCodeView> {
    const res = await api(`/v1/guest-codes/${id}`);
    expect(res.status).toBe(200);
    return res.body!.guest_code!;
  }

  /** Polls the API until the record is `notified`; a `failed`/`cancelled` one stops the wait. */
  async function untilNotified(id: string): Promise<GuestCodeView> {
    let last: GuestCodeView | undefined;
    try {
      return await eventually(async () => {
        last = await getRecord(id);
        if (last.status === 'failed' || last.status === 'cancelled') {
          throw new Error(`guest code ended ${last.status}: ${JSON.stringify(last.error)}`);
        }
        return last.status === 'notified' ? last : undefined;
      }, WAIT_MS);
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; record: ${JSON.stringify(last)}\n` +
          `worker log tail:\n${worker.output.slice(-15).join('\n')}`,
        { cause: err },
      );
    }
  }

  /** The simulator's codes created for a guest code (the name carries `[gc:<id>:<gen>]`). */
  function simCodesFor(id: string): SimAccessCode[] {
    return sim
      .accessCodes()
      .filter((c) => typeof c.name === 'string' && c.name.includes(`[gc:${id}:`));
  }

  function mailsTo(email: string): ReceivedMail[] {
    return smtp.messages.filter((m) => m.rcptTo.includes(email));
  }

  function webhooksFor(id: string): Received[] {
    return receiver.received.filter(
      (r) => (r.event as { data?: { guest_code_id?: string } } | null)?.data?.guest_code_id === id,
    );
  }

  /**
   * Log lines of either process showing `pin` as a value of its own. A short PIN is often a
   * substring of a timestamp, pid, port or UUID, so digits run into by letters, `-`, `_`, `.`
   * or `:` (JSON numbers, host:port) do not count, and the `time` field is left out.
   */
  function logLinesWith(pin: string): string[] {
    const alone = new RegExp(`(?<![A-Za-z0-9_:.-])${pin}(?![A-Za-z0-9_.-])`);
    return [...ingress.output, ...worker.output].filter((line) =>
      alone.test(line.replace(/"time":"[^"]*"/, '')),
    );
  }

  /** Lets late duplicates (webhooks, retries, sweeps) arrive before counting what was sent. */
  async function settle(ms = 1_200): Promise<void> {
    await sim.webhooksIdle(5_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  function guest(reference: string): { name: string; email: string } {
    return { name: `Guest ${reference}`, email: `${reference}@example.com` };
  }

  /** A unique booking reference per test run. */
  function ref(label: string): string {
    return `${label}-${randomUUID().slice(0, 8)}`;
  }

  /** An hour-aligned window `startInHours` from now, `hours` long. */
  function hourlyWindow(startInHours: number, hours: number) {
    const start = DateTime.utc().plus({ hours: startInHours }).startOf('hour');
    return { starts_at: start.toISO()!, ends_at: start.plus({ hours }).toISO()! };
  }

  /**
   * Checks the common outcome: the record is notified on its active code, which is the one
   * set code on the simulator; the guest got exactly one email with its PIN, and one signed
   * outbound webhook of `webhookType` with the same PIN. Returns the PIN.
   */
  function expectGuestTold(
    record: GuestCodeView,
    email: string,
    opts: { simCodes: number; webhookType?: string } = { simCodes: 1 },
  ): string {
    const codes = simCodesFor(record.id);
    expect(codes).toHaveLength(opts.simCodes);
    expect(record.access_code_ids.slice().sort()).toEqual(
      codes.map((c) => c.access_code_id).sort(),
    );
    const active = codes.find((c) => c.access_code_id === record.active_access_code_id);
    expect(active).toBeDefined();
    expect(active!.status).toBe('set');
    expect(active!.is_offline_access_code).toBe(true);
    const pin = active!.code as string;
    expect(pin).toMatch(/^\d{4,12}$/);
    expect(
      record.notifications
        .filter((n) => n.access_code_id === active!.access_code_id)
        .map((n) => n.channel)
        .sort(),
    ).toEqual(['email', 'webhook']);
    const mails = mailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(pin);

    const hooks = webhooksFor(record.id);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.verified).toBe(true);
    const event = hooks[0]!.event as { type: string; data: { pin: string; reference: string } };
    expect(event.type).toBe(opts.webhookType ?? 'guest_code.ready');
    expect(event.data.pin).toBe(pin);
    expect(event.data.reference).toBe(record.reference);

    // The PIN is only ever in the notification, never in a process log.
    expect(logLinesWith(pin)).toEqual([]);
    return pin;
  }

  // ---- tests ------------------------------------------------------------------------------

  it(
    'happy paths: an igloohome hourly code, an igloohome one-time-use code and a dormakaba code in a time slot each reach the guest once',
    async () => {
      const [igloo0, igloo1] = sim.devices.igloohome;
      const dorma = sim.devices.dormakaba[0]!;

      const hourlyRef = ref('hourly');
      const hourlyId = await requestCode({
        device_id: igloo0,
        guest: guest(hourlyRef),
        ...hourlyWindow(2, 48),
        reference: hourlyRef,
      });

      const otuRef = ref('otu');
      const otuStart = DateTime.utc().plus({ hours: 1 }).startOf('hour').toISO()!;
      const otuId = await requestCode({
        device_id: igloo1,
        guest: guest(otuRef),
        starts_at: otuStart,
        is_one_time_use: true,
        reference: otuRef,
      });

      // Room 101 (Europe/Berlin), slot "User 124 D 3pm-11am": 15:00 tomorrow to 11:00 two days on.
      const berlinStart = DateTime.now()
        .setZone('Europe/Berlin')
        .plus({ days: 1 })
        .set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
      const berlinEnd = berlinStart.plus({ days: 2 }).set({ hour: 11 });
      const dormaRef = ref('dorma');
      const dormaId = await requestCode({
        device_id: dorma,
        guest: guest(dormaRef),
        starts_at: berlinStart.toISO()!,
        ends_at: berlinEnd.toISO()!,
        reference: dormaRef,
      });

      const [hourly, otu, dormaRec] = await Promise.all([
        untilNotified(hourlyId),
        untilNotified(otuId),
        untilNotified(dormaId),
      ]);
      await settle(300);

      for (const r of [hourly, otu, dormaRec]) {
        expect(r.timeline.map((t) => t.type)).toContain('created');
        expect(r.replacements).toBe(0);
      }
      expect(hourly.planned.kind).toBe('hourly_bound');
      expectGuestTold(hourly, `${hourlyRef}@example.com`);
      const hourlyCode = simCodesFor(hourlyId)[0]!;
      expect(hourlyCode.is_one_time_use).toBe(false);
      expect(Date.parse(hourlyCode.starts_at!)).toBe(Date.parse(hourly.planned.starts_at));
      expect(Date.parse(hourlyCode.ends_at!)).toBe(Date.parse(hourly.planned.ends_at));

      expect(otu.planned.kind).toBe('one_time_use');
      expectGuestTold(otu, `${otuRef}@example.com`);
      const otuCode = simCodesFor(otuId)[0]!;
      expect(otuCode.is_one_time_use).toBe(true);
      expect(Date.parse(otuCode.starts_at!)).toBe(Date.parse(otuStart));

      expect(dormaRec.planned.timezone).toBe('Europe/Berlin');
      expect(dormaRec.planned.time_slot?.prefix).toBe(124);
      expect(Date.parse(dormaRec.planned.starts_at)).toBe(berlinStart.toMillis());
      expect(Date.parse(dormaRec.planned.ends_at)).toBe(berlinEnd.toMillis());
      expectGuestTold(dormaRec, `${dormaRef}@example.com`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'duplicate and reordered webhook deliveries still tell the guest once',
    async () => {
      sim.setFaults({
        duplicateDeliveries: 3,
        reorderDeliveries: { windowMs: 400, order: 'reverse' },
      });
      const reference = ref('dup');
      const id = await requestCode({
        device_id: sim.devices.igloohome[0],
        guest: guest(reference),
        ...hourlyWindow(3, 24),
        reference,
      });
      const record = await untilNotified(id);
      await settle();

      // The simulator did send every message three times, with one svix-id per message.
      const accessCodeId = record.active_access_code_id!;
      const messages = sim.messages().filter((m) => m.accessCodeId === accessCodeId);
      expect(messages.length).toBeGreaterThanOrEqual(2);
      for (const m of messages) expect(m.copies).toBe(3);
      const delivered = sim
        .deliveries()
        .filter((d) => d.accessCodeId === accessCodeId && d.status !== null && d.status < 300);
      expect(delivered.length).toBe(messages.length * 3);

      const final = await getRecord(id);
      expect(final.status).toBe('notified');
      // The ingress kept each delivery once: one timeline entry per event, not per copy.
      const eventNotes = final.timeline.filter((t) => t.type === 'event');
      expect(eventNotes.length).toBeLessThanOrEqual(messages.length);
      expectGuestTold(final, `${reference}@example.com`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with every webhook lost, the sweeper still gets the guest notified',
    async () => {
      sim.setFaults({ loseDeliveries: { probability: 1 } });
      const reference = ref('lost');
      const id = await requestCode({
        device_id: sim.devices.igloohome[1],
        guest: guest(reference),
        ...hourlyWindow(4, 24),
        reference,
      });
      const record = await untilNotified(id);
      await settle(300);

      const accessCodeId = record.active_access_code_id!;
      const messages = sim.messages().filter((m) => m.accessCodeId === accessCodeId);
      expect(messages.length).toBeGreaterThanOrEqual(1);
      expect(messages.every((m) => m.state === 'lost')).toBe(true);
      expect(sim.deliveries().filter((d) => d.accessCodeId === accessCodeId)).toEqual([]);
      // No webhook reached the service: no event on the record's timeline.
      expect(record.timeline.filter((t) => t.type === 'event')).toEqual([]);
      expectGuestTold(record, `${reference}@example.com`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'create faults (two 503s, then a create stored but its answer dropped) leave exactly one code',
    async () => {
      const createsBefore = sim.requestCounts()['/access_codes/create'] ?? 0;
      sim.setFaults({ createErrors: { count: 2, status: 503 }, dropCreates: 1 });
      const reference = ref('create');
      const id = await requestCode({
        device_id: sim.devices.igloohome[0],
        guest: guest(reference),
        ...hourlyWindow(5, 24),
        reference,
      });
      const record = await untilNotified(id);
      await settle(300);

      expect(sim.getFaults()).toMatchObject({ createErrors: { count: 0 }, dropCreates: 0 });
      expect((sim.requestCounts()['/access_codes/create'] ?? 0) - createsBefore).toBe(3);
      expect(record.create_attempts).toBe(3);
      expect(record.timeline.map((t) => t.type)).toContain('adopted');
      expect(record.replacements).toBe(0);
      expectGuestTold(record, `${reference}@example.com`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a code that fails to set on the device is replaced, and the guest gets the replacement PIN once',
    async () => {
      sim.setFaults({ failNextSets: 1 });
      const reference = ref('replace');
      const id = await requestCode({
        device_id: sim.devices.igloohome[1],
        guest: guest(reference),
        ...hourlyWindow(6, 24),
        reference,
      });
      const record = await untilNotified(id);
      await settle(300);

      expect(record.replacements).toBe(1);
      expect(record.access_code_ids).toHaveLength(2);
      expect(record.timeline.map((t) => t.type)).toContain('replacing');
      const codes = simCodesFor(id);
      expect(codes).toHaveLength(2);
      const failed = codes.find((c) => c.access_code_id !== record.active_access_code_id)!;
      expect(failed.name).toContain(`[gc:${id}:0]`);
      expect(failed.status).not.toBe('set');
      expect(failed.errors.map((e) => e.error_code)).toContain('failed_to_set_on_device');
      const replacement = codes.find((c) => c.access_code_id === record.active_access_code_id)!;
      expect(replacement.name).toContain(`[gc:${id}:1]`);

      const pin = expectGuestTold(record, `${reference}@example.com`, {
        simCodes: 2,
        webhookType: 'guest_code.replaced',
      });
      expect(pin).toBe(replacement.code);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a slow Seam API (200 ms a request) still gets the guest notified',
    async () => {
      sim.setFaults({ latencyMs: 200 });
      const reference = ref('slow');
      const postedAt = Date.now();
      const id = await requestCode({
        device_id: sim.devices.igloohome[0],
        guest: guest(reference),
        ...hourlyWindow(7, 24),
        reference,
      });
      // The ingress reads the lock from Seam before answering: it felt the latency.
      expect(Date.now() - postedAt).toBeGreaterThanOrEqual(200);
      const record = await untilNotified(id);
      await settle(300);
      expectGuestTold(record, `${reference}@example.com`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a dormakaba stay extended by a night: a new code in the same time slot, the guest told once more, the old code kept with its end',
    async () => {
      const dorma = sim.devices.dormakaba[0]!;
      // Room 101 (Europe/Berlin), slot "User 124 D 3pm-11am", three days out.
      const start = DateTime.now()
        .setZone('Europe/Berlin')
        .plus({ days: 3 })
        .set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
      const end = start.plus({ days: 2 }).set({ hour: 11 });
      const reference = ref('extend');
      const id = await requestCode({
        device_id: dorma,
        guest: guest(reference),
        starts_at: start.toISO()!,
        ends_at: end.toISO()!,
        reference,
      });
      const first = await untilNotified(id);
      const newEnd = end.plus({ days: 1 });
      const res = await api(`/v1/guest-codes/${id}`, { ends_at: newEnd.toISO()! }, 'PATCH');
      expect(res.status).toBe(202);
      expect(res.body!.note).toContain('still opens the door until');

      const done = await eventually(async () => {
        const r = await getRecord(id);
        return r.status === 'notified' && r.active_access_code_id !== first.active_access_code_id
          ? r
          : undefined;
      }, WAIT_MS);
      await settle(300);
      expect(done.planned.time_slot?.prefix).toBe(124);
      expect(Date.parse(done.planned.ends_at)).toBe(newEnd.toMillis());
      expect(done.previous_codes).toEqual([
        expect.objectContaining({
          access_code_id: first.active_access_code_id,
          valid_until: new Date(end.toMillis()).toISOString(),
        }),
      ]);
      const codes = simCodesFor(id);
      expect(codes).toHaveLength(2);
      const fresh = codes.find((c) => c.access_code_id === done.active_access_code_id)!;
      const mails = mailsTo(`${reference}@example.com`);
      expect(mails).toHaveLength(2);
      expect(mails[1]!.text).toContain(fresh.code!);
      const types = webhooksFor(id)
        .map((h) => (h.event as { type: string }).type)
        .sort();
      expect(types).toEqual([
        'guest_code.changed',
        'guest_code.ready',
        'guest_code.window_changed',
      ]);
      for (const c of codes) expect(logLinesWith(c.code!)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
