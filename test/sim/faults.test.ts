/** API faults on demand (429 with Retry-After, 5xx before / after storing, dropped connection
 *  after storing, latency), request counters, and the /_sim HTTP control endpoint. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SeamHttp, SeamHttpApiError } from '@seamapi/http';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { nextWindow } from './windows';
import { startReceiver } from '../../devkit/webhook-receiver';

let sim: Simulator;
let seam: SeamHttp;
let device: string;

beforeAll(async () => {
  sim = await startSimulator({ autoAdvance: false });
  // Retries off: these tests look at what one request meets.
  seam = SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url, axiosRetryOptions: { retries: 0 } });
  [device] = sim.devices.igloohome as [string];
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetCounts();
});
afterAll(() => sim.close());

const body = (name = `guest-${Math.random().toString(36).slice(2)}`) => ({
  device_id: device,
  name,
  ...nextWindow(),
  is_offline_access_code: true,
});
const rawCreate = (payload: object) =>
  fetch(`${sim.url}/access_codes/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
const named = (name: string) => sim.accessCodes().filter((c) => c.name === name);

it('answers the next N creates 429 with Retry-After, storing nothing, then recovers', async () => {
  sim.setFaults({ createErrors: { count: 2, status: 429, retryAfterSeconds: 7 } });
  const first = body();
  const answer = await rawCreate(first);
  expect(answer.status).toBe(429);
  expect(answer.headers.get('retry-after')).toBe('7');
  expect(await answer.json()).toEqual({
    error: { type: expect.any(String), message: expect.any(String) },
  });
  await expect(seam.accessCodes.create(first)).rejects.toMatchObject({ statusCode: 429 });
  expect(named(first.name)).toEqual([]);
  expect(sim.getFaults().createErrors?.count).toBe(0);
  await expect(seam.accessCodes.create(first)).resolves.toMatchObject({ name: first.name });
  expect(sim.requestCounts()['/access_codes/create']).toBe(3);
});

it('answers 5xx before storing, or after storing (the code exists though the caller got 502)', async () => {
  sim.setFaults({ createErrors: { count: 1, status: 503 } });
  const before = body();
  await expect(seam.accessCodes.create(before)).rejects.toBeInstanceOf(SeamHttpApiError);
  expect(named(before.name)).toHaveLength(0);

  sim.setFaults({ createErrors: { count: 1, status: 502, afterStore: true } });
  const after = body();
  await expect(seam.accessCodes.create(after)).rejects.toMatchObject({ statusCode: 502 });
  expect(named(after.name)).toHaveLength(1);
  expect(
    sim.events().filter((e) => e.access_code_id === named(after.name)[0]!.access_code_id),
  ).toHaveLength(1);
});

it('an invalid create does not use up an after-store fault', async () => {
  sim.setFaults({ createErrors: { count: 1, status: 500, afterStore: true } });
  await expect(
    seam.accessCodes.create({ ...body(), device_id: sim.devices.unsupported[0]! }),
  ).rejects.toMatchObject({ statusCode: 400 });
  expect(sim.getFaults().createErrors?.count).toBe(1);
});

it('drops the connection after storing: no answer, but the code exists', async () => {
  sim.setFaults({ dropCreates: 1 });
  const lost = body();
  await expect(rawCreate(lost)).rejects.toThrow(/fetch failed/);
  expect(named(lost.name)).toHaveLength(1);
  expect(sim.getFaults().dropCreates).toBe(0);
  const listed = await seam.accessCodes.list({ device_id: device });
  expect(listed.filter((c) => c.name === lost.name)).toHaveLength(1);
});

it('adds latency per request, globally or for one device', async () => {
  sim.setFaults({ latencyMs: 300 });
  let started = Date.now();
  await seam.devices.list();
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);

  sim.setFaults({ latencyMs: null, devices: { [device]: { latencyMs: 300 } } });
  started = Date.now();
  await seam.devices.get({ device_id: sim.devices.dormakaba[0]! });
  expect(Date.now() - started).toBeLessThan(250);
  started = Date.now();
  await seam.devices.get({ device_id: device });
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
});

it('counts requests per endpoint until reset', async () => {
  const code = await seam.accessCodes.create(body());
  await seam.accessCodes.get({ access_code_id: code.access_code_id });
  await seam.accessCodes.get({ access_code_id: code.access_code_id });
  await seam.devices.get({ device_id: device });
  expect(sim.requestCounts()).toEqual({
    '/access_codes/create': 1,
    '/access_codes/get': 2,
    '/devices/get': 1,
  });
  sim.resetCounts();
  expect(sim.requestCounts()).toEqual({});
});

it('rejects invalid faults', () => {
  expect(() => sim.setFaults({ duplicateDeliveries: 0 })).toThrow();
  expect(() => sim.setFaults({ bogus: 1 } as never)).toThrow();
});

describe('HTTP control under /_sim', () => {
  const control = async (method: string, route: string, payload?: unknown) => {
    const res = await fetch(`${sim.url}/_sim/${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('sets and clears faults, reads counts, drives codes, moves the webhook URL', async () => {
    expect(
      (await control('POST', 'faults', { createErrors: { count: 1, status: 500 } })).status,
    ).toBe(200);
    await expect(seam.accessCodes.create(body())).rejects.toMatchObject({ statusCode: 500 });
    expect((await control('POST', 'faults', { latencyMs: -1 })).status).toBe(400);
    expect((await control('DELETE', 'faults')).body).toEqual({ faults: {} });

    expect((await control('GET', 'counts')).body).toEqual({
      counts: { '/access_codes/create': 1 },
    });
    await control('DELETE', 'counts');
    expect(sim.requestCounts()).toEqual({});

    const receiver = await startReceiver(sim.webhookSecret);
    try {
      expect((await control('PUT', 'webhook_url', { url: receiver.url })).status).toBe(200);
      const code = await seam.accessCodes.create(body());
      const set = await control('POST', `access_codes/${code.access_code_id}/status`, {
        status: 'set',
        code: '8642',
      });
      expect(set.body.access_code).toMatchObject({ status: 'set', code: '8642' });
      await control('POST', `access_codes/${code.access_code_id}/fail`, {
        error_code: 'failed_to_set_on_device',
      });
      await control('POST', `access_codes/${code.access_code_id}/events`, {
        event_type: 'access_code.changed',
      });
      // Deliveries run concurrently, so arrival order is not guaranteed (as with Svix).
      const received = await receiver.waitFor((r) => r.length === 4);
      expect(received.map((r) => r.event?.event_type).sort()).toEqual([
        'access_code.changed',
        'access_code.created',
        'access_code.failed_to_set_on_device',
        'access_code.set_on_device',
      ]);
      expect((await control('POST', 'access_codes/nope/status', { status: 'set' })).status).toBe(
        404,
      );
      await sim.webhooksIdle(); // the receiver answered; let the simulator log the answers
      expect((await control('GET', 'deliveries')).body.deliveries).toHaveLength(4);
      await control('PUT', 'webhook_url', { url: null });
      await sim.webhooksIdle();
    } finally {
      await receiver.close();
    }
  });
});

it('runs as a CLI: prints URL, key and secret, serves, stops on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), path.join(__dirname, '../../sim/cli.ts')],
    {
      env: { ...process.env, SIM_PORT: '0', SIM_WEBHOOK_URL: 'http://127.0.0.1:9/unused' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 15_000;
    while (!/SEAM_WEBHOOK_SECRET=whsec_/.test(out) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /SEAM_ENDPOINT=(\S+)/.exec(out)?.[1];
    const key = /SEAM_API_KEY=(\S+)/.exec(out)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain('webhooks -> http://127.0.0.1:9/unused');
    const devices = await SeamHttp.fromApiKey(key!, { endpoint: url! }).devices.list();
    expect(devices).toHaveLength(5);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 20_000);
