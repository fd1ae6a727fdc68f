/**
 * The API reads the same everywhere: the outbound delivery id has one prefix, a 202 names the
 * new resource in `Location`, every instant is ISO 8601 with an offset, and the README's list
 * of error codes is what the API can answer.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../sim/receiver';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

describe('a consistent API', () => {
  let s: Stack;
  let igloo: string;
  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
    igloo = s.sim.devices.igloohome[0]!;
  });
  afterAll(async () => {
    await s.close();
  });

  it('the outbound delivery id is the guest code id once, then the access code id', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: igloo,
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: `delivery-id-${randomUUID().slice(0, 8)}`,
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    const ready = await eventually(async () =>
      s.notifyReceiver.received.find(
        (r) =>
          r.event?.type === 'guest_code.ready' &&
          (r.event as { data: { guest_code_id: string } }).data.guest_code_id === id,
      ),
    );
    const acId = (ready.event as { data: { access_code_id: string } }).data.access_code_id;
    expect(ready.headers['webhook-id']).toBe(`${id}_${acId}`);
    expect(ready.headers['svix-id']).toBe(ready.headers['webhook-id']);
    expect(ready.headers['webhook-id']).not.toMatch(/^gc_gc_/);
  });
});
