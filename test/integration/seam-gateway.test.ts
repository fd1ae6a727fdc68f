/** The Seam gateway on @seamapi/http against the simulator: every failure is classified the
 *  way the workers rely on, and a create is sent exactly once per call, whatever happens to it
 *  (a hidden client retry of a create whose answer was lost would make a duplicate offline
 *  code, which can never be deleted). */
import { createServer } from 'node:net';
import { createSeamGateway, SeamCallError, type SeamGateway } from '../../src/seam/client';
import { startSimulator, type Simulator } from '../../sim/simulator';

let sim: Simulator;
let seam: SeamGateway;
let igloo: string;
let berlin: string;
const calls: Array<[string, string]> = [];

beforeAll(async () => {
  sim = await startSimulator({ autoAdvance: false });
  seam = createSeamGateway({
    apiKey: sim.apiKey,
    endpoint: sim.url,
    timeoutMs: 500,
    observe: (endpoint, status) => calls.push([endpoint, status]),
  });
  [igloo] = sim.devices.igloohome as [string];
  [berlin] = sim.devices.dormakaba as [string];
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetCounts();
  calls.length = 0;
});
afterAll(() => sim.close());

let stays = 0;
// A different window per code: igloohome takes at most 3 with the same start and end.
const input = (name = `guest ${Math.random().toString(36).slice(2)}`) => ({
  device_id: igloo,
  name,
  starts_at: new Date(Date.parse('2030-02-01T15:00:00Z') + stays * 3_600_000).toISOString(),
  ends_at: new Date(Date.parse('2030-02-03T11:00:00Z') + stays++ * 3_600_000).toISOString(),
  is_one_time_use: false,
  max_time_rounding: '1hour' as const,
});

async function failure(promise: Promise<unknown>): Promise<SeamCallError> {
  const err = await promise.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );
  if (!(err instanceof SeamCallError)) throw err;
  return err;
}
const creates = () => sim.requestCounts()['/access_codes/create'] ?? 0;
const named = (name: string) => sim.accessCodes().filter((c) => c.name === name);

it('creates an offline code and reports the call with its HTTP status', async () => {
  const request = input();
  const created = await seam.createOfflineAccessCode(request);
  expect(created).toMatchObject({ name: request.name, is_offline_access_code: true, code: null });
  expect(calls).toEqual([['/access_codes/create', '200']]);
});

it('a dropped connection after Seam stored the code: outcome unknown, sent once, one code', async () => {
  sim.setFaults({ dropCreates: 1 });
  const request = input();
  const err = await failure(seam.createOfflineAccessCode(request));
  expect(err.failure).toMatchObject({ kind: 'outcome_unknown', code: 'network_error' });
  expect(creates()).toBe(1);
  expect(named(request.name)).toHaveLength(1);
  // What the create worker does next: list, and find the code it may have made.
  const listed = await seam.listAccessCodes(igloo);
  expect(listed.filter((c) => c.name === request.name)).toHaveLength(1);
});

it('a create that never answers: outcome unknown after the timeout, sent once', async () => {
  sim.setFaults({ hangCreates: 1 });
  const request = input();
  const err = await failure(seam.createOfflineAccessCode(request));
  expect(err.failure.kind).toBe('outcome_unknown');
  expect(creates()).toBe(1);
  expect(named(request.name)).toHaveLength(1);
});

it('5xx: outcome unknown (Seam may have stored it), sent once', async () => {
  sim.setFaults({ createErrors: { count: 1, status: 503, afterStore: true } });
  const request = input();
  const err = await failure(seam.createOfflineAccessCode(request));
  expect(err.failure).toMatchObject({ kind: 'outcome_unknown', status: 503 });
  expect(creates()).toBe(1);
  expect(calls).toEqual([['/access_codes/create', '503']]);
});

it('429: transient, keeps Retry-After, sent once, nothing stored', async () => {
  sim.setFaults({ createErrors: { count: 1, status: 429, retryAfterSeconds: 7 } });
  const request = input();
  const err = await failure(seam.createOfflineAccessCode(request));
  expect(err.failure).toMatchObject({
    kind: 'transient',
    code: 'rate_limited',
    status: 429,
    retryAfterMs: 7000,
  });
  expect(creates()).toBe(1);
  expect(named(request.name)).toHaveLength(0);
});

it('a stay Seam refuses: permanent, with Seam’s error code', async () => {
  const err = await failure(
    seam.createOfflineAccessCode({
      ...input(),
      device_id: berlin,
      starts_at: '2030-01-10T14:00:00Z',
      ends_at: '2030-02-20T10:00:00Z',
    }),
  );
  expect(err.failure).toMatchObject({ kind: 'permanent', status: 400 });
  expect(creates()).toBe(1);
});

it('an unknown code: not_found', async () => {
  const err = await failure(seam.getAccessCode('no-such-code'));
  expect(err.failure.kind).toBe('not_found');
});

it('a wrong API key: permanent 401', async () => {
  const stranger = createSeamGateway({ apiKey: 'seam_wrong_key', endpoint: sim.url });
  const err = await failure(stranger.getDevice(igloo));
  expect(err.failure).toMatchObject({ kind: 'permanent', status: 401 });
});

it('a refused connection never reached Seam: transient', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const nowhere = createSeamGateway({ apiKey: sim.apiKey, endpoint: `http://127.0.0.1:${port}` });
  const err = await failure(nowhere.createOfflineAccessCode(input()));
  expect(err.failure).toMatchObject({ kind: 'transient', code: 'network_error' });
});

it('reads devices, codes and events through the 2.x client (GET with query parameters)', async () => {
  const created = await seam.createOfflineAccessCode(input());
  await expect(seam.getDevice(igloo)).resolves.toMatchObject({ device_id: igloo });
  await expect(seam.getAccessCode(created.access_code_id)).resolves.toMatchObject({
    access_code_id: created.access_code_id,
  });
  const events = await seam.listEvents({
    since: '2000-01-01T00:00:00Z',
    eventTypes: ['access_code.created'],
  });
  expect(events.map((e) => e.access_code_id)).toContain(created.access_code_id);
  expect(events.every((e) => e.event_type === 'access_code.created')).toBe(true);
});
