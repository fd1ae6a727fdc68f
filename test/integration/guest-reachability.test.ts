/**
 * A guest nothing would tell is refused at POST (issue 16, item 3). The workers announce their
 * channels in Redis (`<prefix>:notify-channels`); the API reads them. Real Redis, the
 * simulator, a real SMTP server; the end state is checked in Redis and on the simulator.
 */
import { eventually } from '../../devkit/eventually';
import { storeKeys } from '../../src/store/keys';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const CREATE = '/access_codes/create';

describe('a guest the workers cannot reach', () => {
  describe('workers with email only (no NOTIFY_WEBHOOK_URL)', () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack({ env: { NOTIFY_WEBHOOK_URL: '' } });
    });
    afterAll(async () => {
      await s.close();
    });

    it('announces the channels it has in <prefix>:notify-channels, with an expiry', async () => {
      const key = storeKeys(s.config.QUEUE_PREFIX).notifyChannels;
      const announced = await eventually(async () => {
        const h = await s.redis.hgetall(key);
        return Object.keys(h).length > 0 ? h : undefined;
      });
      expect(Object.keys(announced)).toEqual(['email']);
      expect(Number(announced.email)).toBeGreaterThan(Date.now());
      expect(await s.redis.pttl(key)).toBeGreaterThan(0);
    });

    it('refuses a phone-only guest with 422 guest_unreachable naming the field, creating nothing', async () => {
      const before = s.sim.requestCounts()[CREATE] ?? 0;
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: s.sim.devices.igloohome[0],
          reference: 'reach-phone-only',
          guest: { name: 'Lin', phone: '+1 212 555 0100' },
          ...hourlyWindow(30, 20),
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('guest_unreachable');
      expect(res.body.error.message).toMatch(/guest\.email/);
      expect(res.body.error.message).toMatch(/NOTIFY_WEBHOOK_URL/);
      expect(res.body.error.details).toEqual([
        expect.objectContaining({
          code: 'guest_unreachable',
          field: 'guest.email',
          details: {
            available_channels: ['email'],
            allowed: ['guest.email', 'NOTIFY_WEBHOOK_URL'],
          },
        }),
      ]);
      expect(await s.store.getByReference('reach-phone-only')).toBeUndefined();
      expect(s.sim.requestCounts()[CREATE] ?? 0).toBe(before);
    });

    it('accepts the same guest with an email', async () => {
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: s.sim.devices.igloohome[0],
          reference: 'reach-with-email',
          guest: { name: 'Lin', phone: '+1 212 555 0100', email: 'lin@example.com' },
          ...hourlyWindow(30, 20),
        },
      });
      expect(res.status).toBe(202);
      expect(await s.store.getByReference('reach-with-email')).toBeDefined();
    });

    it('refuses a change of guest that leaves only a phone (PATCH), changing nothing', async () => {
      const created = await s.api('/v1/guest-codes', {
        body: {
          device_id: s.sim.devices.igloohome[1],
          reference: 'reach-patch',
          guest: { name: 'Lin', email: 'lin@example.com' },
          ...hourlyWindow(40, 20),
        },
      });
      expect(created.status).toBe(202);
      const id = created.body.guest_code.id as string;
      const res = await s.api(`/v1/guest-codes/${id}`, {
        method: 'PATCH',
        body: { guest: { name: 'Lin', phone: '+1 212 555 0100' } },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('guest_unreachable');
      expect((await s.store.get(id))?.request.guest).toEqual({
        name: 'Lin',
        email: 'lin@example.com',
      });
    });
  });

  describe('workers with the webhook channel', () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack({ env: { SMTP_URL: '', MAIL_FROM: '' } });
    });
    afterAll(async () => {
      await s.close();
    });

    it('accepts a phone-only guest: the booking system gets the PIN and passes it on', async () => {
      const key = storeKeys(s.config.QUEUE_PREFIX).notifyChannels;
      await eventually(async () => ((await s.redis.hget(key, 'webhook')) ? true : undefined));
      expect(await s.redis.hget(key, 'email')).toBeNull();
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: s.sim.devices.igloohome[0],
          reference: 'reach-webhook',
          guest: { name: 'Lin', phone: '+1 212 555 0100' },
          ...hourlyWindow(30, 20),
        },
      });
      expect(res.status).toBe(202);
    });
  });
});
