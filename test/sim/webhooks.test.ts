/** Webhooks as Svix delivers them: signed (verified with svix's Webhook.verify by a real local
 *  receiver), retried with the same svix-id on non-2xx and connection errors, bounded; and the
 *  delivery faults: duplicates, reordering, losses. */
import { SeamHttp } from '@seamapi/http';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { nextWindow } from './windows';
import { eventually } from '../../devkit/eventually';
import { startReceiver, type Receiver } from '../../devkit/webhook-receiver';

let sim: Simulator;
let seam: SeamHttp;
let receiver: Receiver;
let device: string;

beforeAll(async () => {
  sim = await startSimulator({ autoAdvance: false, webhookRetryScheduleMs: [0, 20, 40, 80] });
  seam = SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url });
  [device] = sim.devices.igloohome as [string];
});
beforeEach(async () => {
  receiver = await startReceiver(sim.webhookSecret);
  sim.setWebhookUrl(receiver.url);
  sim.clearFaults();
});
afterEach(async () => {
  await sim.webhooksIdle();
  await receiver.close();
});
afterAll(() => sim.close());

const create = (name = `guest-${Math.random().toString(36).slice(2)}`) =>
  seam.accessCodes.create({
    device_id: device,
    name,
    ...nextWindow(),
    is_offline_access_code: true,
  });

it('signs each delivery so svix verifies it, with a Svix-style secret and id', async () => {
  expect(sim.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  const code = await create();
  sim.setStatus(code.access_code_id, 'set', { code: '13579' });
  const received = await receiver.waitFor((r) => r.length === 2);
  // Concurrent deliveries may arrive in either order.
  const byType = (type: string) => received.find((r) => r.event?.event_type === type);
  const created = byType('access_code.created');
  const set = byType('access_code.set_on_device');
  for (const delivery of [created!, set!]) {
    expect(delivery.verified).toBe(true);
    expect(delivery.headers['svix-id']).toMatch(/^msg_[A-Za-z0-9]{27}$/);
    expect(Math.abs(Number(delivery.headers['svix-timestamp']) - Date.now() / 1000)).toBeLessThan(
      5,
    );
    expect(delivery.headers['svix-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  }
  expect(set!.event).toMatchObject({ event_type: 'access_code.set_on_device', code: '13579' });
  expect(Object.keys(created!.event!).sort()).toEqual(
    [
      'access_code_id',
      'connected_account_id',
      'created_at',
      'device_id',
      'event_id',
      'event_type',
      'occurred_at',
      'workspace_id',
    ].sort(),
  );
  // Another message's signature must not verify these bytes.
  const tampered = { ...set!.headers, 'svix-signature': created!.headers['svix-signature']! };
  const { Webhook } = await import('svix');
  expect(() => new Webhook(sim.webhookSecret).verify(set!.raw, tampered)).toThrow();
});

it('retries non-2xx answers with the same svix-id until a 2xx', async () => {
  receiver.respond = (i) => [500, 302, 404][i] ?? 200;
  const code = await create();
  await receiver.waitFor((r) => r.length === 4);
  expect(new Set(receiver.received.map((r) => r.headers['svix-id'])).size).toBe(1);
  // The receiver has answered; wait for the simulator to have logged that answer too.
  await eventually(() =>
    sim.messages().find((m) => m.accessCodeId === code.access_code_id && m.state === 'delivered'),
  );
  const log = sim.deliveries().filter((d) => d.accessCodeId === code.access_code_id);
  expect(log.map((d) => [d.attempt, d.status])).toEqual([
    [1, 500],
    [2, 302],
    [3, 404],
    [4, 200],
  ]);
});

it('retries connection errors and gives up after the last scheduled attempt', async () => {
  const url = receiver.url;
  await receiver.close(); // nothing listens there any more
  sim.setWebhookUrl(url);
  const code = await create();
  const msg = await eventually(() =>
    sim.messages().find((m) => m.accessCodeId === code.access_code_id && m.state === 'failed'),
  );
  const attempts = sim.deliveries().filter((d) => d.msgId === msg.msgId);
  expect(attempts.map((a) => a.status)).toEqual([null, null, null, null]);
  expect(attempts.every((a) => typeof a.error === 'string' && a.at)).toBe(true);
  receiver = await startReceiver(sim.webhookSecret); // for afterEach
});

it('duplicates: each message delivered N times with one svix-id', async () => {
  sim.setFaults({ duplicateDeliveries: 3 });
  await create();
  const received = await receiver.waitFor((r) => r.length === 3);
  expect(new Set(received.map((r) => r.headers['svix-id'])).size).toBe(1);
  expect(new Set(received.map((r) => r.raw)).size).toBe(1);
  expect(received.every((r) => r.verified)).toBe(true);
});

it('reorders: holds a window of messages and delivers them reversed', async () => {
  sim.setFaults({ reorderDeliveries: { windowMs: 100, order: 'reverse' } });
  const code = await create();
  sim.setStatus(code.access_code_id, 'setting');
  sim.setStatus(code.access_code_id, 'set');
  const received = await receiver.waitFor((r) => r.length === 3);
  expect(received.map((r) => r.event?.event_type)).toEqual([
    'access_code.set_on_device',
    'access_code.scheduled_on_device',
    'access_code.created',
  ]);
});

it('loses messages: never delivered, but still listed by /events/list', async () => {
  sim.setFaults({ loseDeliveries: { count: 1 } });
  const code = await create();
  sim.setStatus(code.access_code_id, 'set');
  const [only] = await receiver.waitFor((r) => r.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(receiver.received).toHaveLength(1);
  expect(only!.event?.event_type).toBe('access_code.set_on_device');
  const lost = sim
    .messages()
    .find((m) => m.accessCodeId === code.access_code_id && m.state === 'lost');
  expect(lost?.eventType).toBe('access_code.created');
  expect(sim.deliveries().filter((d) => d.msgId === lost!.msgId)).toEqual([]);
  const listed = await seam.events.list({
    since: new Date(Date.now() - 60_000).toISOString(),
    access_code_id: code.access_code_id,
  });
  expect(listed.map((e) => e.event_type)).toContain('access_code.created');
});

it('loses every message with probability 1, none with probability 0', async () => {
  sim.setFaults({ loseDeliveries: { probability: 1 } });
  const lostCode = await create();
  sim.setFaults({ loseDeliveries: { probability: 0 } });
  const keptCode = await create();
  await receiver.waitFor((r) => r.length === 1);
  expect(receiver.received[0]!.event?.access_code_id).toBe(keptCode.access_code_id);
  expect(sim.messages().find((m) => m.accessCodeId === lostCode.access_code_id)?.state).toBe(
    'lost',
  );
});
