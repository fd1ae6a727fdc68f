import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

describe('a guest code from request to the guest', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('creates one offline code, follows it to set, and tells the guest once by email and webhook', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: 'booking-happy-1',
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;

    const done = await eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'notified' ? gc : undefined;
    }, 10_000);
    const codes = s.sim.accessCodes();
    expect(codes).toHaveLength(1);
    const pin = codes[0]!.code as string;
    expect(pin).toMatch(/^\d{4,8}$/);
    expect(done.notifications.map((n) => n.channel).sort()).toEqual(['email', 'webhook']);

    expect(s.smtp.messages).toHaveLength(1);
    expect(s.smtp.messages[0]!.rcptTo).toEqual(['ada@example.com']);
    expect(s.smtp.messages[0]!.text).toContain(pin);
    const ready = s.notifyReceiver.received.filter((r) => r.event?.type === 'guest_code.ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]!.verified).toBe(true);
    expect((ready[0]!.event as { data: { pin: string } }).data.pin).toBe(pin);
    expect(s.logs.text()).not.toContain(pin);
  });
});
