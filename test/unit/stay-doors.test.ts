/**
 * Stays with several doors, pure parts: which doors the next message covers (nextStayBatch)
 * and the one message listing every door, in every template language.
 */
import {
  requestedGuestCode,
  type GuestCode,
  type GuestCodeStatus,
} from '../../src/domain/guest-code';
import { nextStayBatch, stayBatchClaim } from '../../src/domain/stay';
import { composeStayMessage, type StayMessageInput } from '../../src/notify/guest-message';
import { TEMPLATE_LANGUAGES } from '../../src/notify/templates';

const AT = '2026-03-01T10:00:00.000Z';

function door(n: number, status: GuestCodeStatus, told: string[] = []): GuestCode {
  const gc = requestedGuestCode(
    {
      id: `gc_${n}`,
      reference: `stay#${n}`,
      request_fingerprint: 'x',
      request: {
        device_id: `lock${n}`,
        guest: { name: 'Ada', email: 'ada@example.com' },
        starts_at: '2026-03-28T14:00:00Z',
        ends_at: '2026-03-30T09:00:00Z',
        is_one_time_use: false,
        max_time_rounding: '1h',
        reference: `stay#${n}`,
      },
      device: {
        device_id: `lock${n}`,
        name: `Lock ${n}`,
        manufacturer: 'igloohome',
        timezone: 'UTC',
      },
      plan: {} as GuestCode['plan'],
      stay: { id: 'st_1', door: n, doors: 3 },
    },
    AT,
  );
  const active = status === 'requested' ? undefined : `ac${n}`;
  return {
    ...gc,
    status,
    ...(active ? { active_access_code_id: active } : {}),
    notifications: told.map((channel) => ({
      access_code_id: active!,
      channel: channel as 'email',
      at: AT,
    })),
  };
}

describe('nextStayBatch', () => {
  it('waits while a door is not set, before the start and before any message', () => {
    const out = nextStayBatch([door(1, 'set'), door(2, 'waiting')], 'email', false);
    expect(out).toEqual({ send: false, reason: 'waiting for every door to be set' });
  });

  it('sends every door at once when all are set, in door order', () => {
    const out = nextStayBatch([door(2, 'set'), door(1, 'set')], 'email', false);
    expect(out).toEqual({
      send: true,
      doors: [
        { guest_code_id: 'gc_1', access_code_id: 'ac1', door: 1 },
        { guest_code_id: 'gc_2', access_code_id: 'ac2', door: 2 },
      ],
      moreToFollow: false,
      pending: [],
    });
  });

  it('at the start: what is ready, with more to follow', () => {
    const out = nextStayBatch(
      [door(1, 'set'), door(2, 'waiting'), door(3, 'requested')],
      'email',
      true,
    );
    expect(out).toMatchObject({ send: true, moreToFollow: true, pending: [2, 3] });
    expect(out.send && out.doors.map((d) => d.door)).toEqual([1]);
  });

  it('after a first message: only the doors not told yet, through that channel', () => {
    const doors = [door(1, 'notified', ['email']), door(2, 'set'), door(3, 'waiting')];
    const out = nextStayBatch(doors, 'email', false);
    expect(out).toMatchObject({ send: true, moreToFollow: true, pending: [3] });
    expect(out.send && out.doors.map((d) => d.door)).toEqual([2]);
    // The webhook never told door 1: it still waits for all (the stay has not started).
    expect(nextStayBatch(doors, 'webhook', false).send).toBe(false);
  });

  it('a door told at an older contact is told again at the new one, with the others', () => {
    const moved = { ...door(1, 'notified', ['email']), contact_version: 1 };
    const out = nextStayBatch([moved, door(2, 'notified', ['email'])], 'email', false);
    expect(out).toMatchObject({ send: true, moreToFollow: false, pending: [] });
    expect(out.send && out.doors.map((d) => d.door)).toEqual([1]);
  });

  it('leaves cancelled and failed doors out; nothing when every door is told', () => {
    const out = nextStayBatch(
      [door(1, 'set'), door(2, 'cancelled'), door(3, 'failed')],
      'email',
      false,
    );
    expect(out).toMatchObject({ send: true, moreToFollow: false });
    const told = [door(1, 'notified', ['email']), door(2, 'notified', ['email'])];
    expect(nextStayBatch(told, 'email', true).send).toBe(false);
    expect(nextStayBatch([door(1, 'cancelled')], 'email', true).send).toBe(false);
  });

  it('claims a batch by its access codes, whatever their order', () => {
    expect(
      stayBatchClaim([
        { guest_code_id: 'b', access_code_id: 'z', door: 2 },
        { guest_code_id: 'a', access_code_id: 'y', door: 1 },
      ]),
    ).toBe('y,z');
  });
});

describe('composeStayMessage', () => {
  const input: StayMessageInput = {
    guestName: 'Ada',
    pending: 0,
    followUp: false,
    doors: [
      {
        door: 1,
        lockName: 'Front gate',
        pin: '1111222',
        startsAt: '2026-03-28T14:00:00Z',
        endsAt: '2026-03-30T09:00:00Z',
        timezone: 'Europe/Berlin',
        kind: 'hourly_bound',
        caveats: [],
      },
      {
        door: 2,
        lockName: 'Flat 4B',
        pin: '3333444',
        startsAt: '2026-03-28T14:00:00Z',
        endsAt: '2026-03-30T09:00:00Z',
        timezone: 'Europe/Berlin',
        kind: 'hourly_bound',
        caveats: ['igloohome_first_use_within_24h'],
      },
    ],
  };

  it('lists every door with its lock, PIN and window (English)', () => {
    const msg = composeStayMessage(input);
    expect(msg.subject).toBe('Your door codes for your stay (2 doors)');
    expect(msg.text).toContain(
      'Door 1: Front gate\n    1111222\nValid from: Saturday 28 March 2026, 15:00 CET',
    );
    expect(msg.text).toContain('Door 2: Flat 4B\n    3333444');
    expect(msg.text).toMatch(/within 24 hours/);
    expect(msg.text).not.toMatch(/More to follow/);
    expect(msg.html).toContain('1111222');
    expect(msg.html).toContain('3333444');
  });

  it('says when the stay changed, in every template language', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      const plain = composeStayMessage({ ...input, locale: language });
      const changed = composeStayMessage({ ...input, locale: language, changed: true });
      expect(changed.subject).not.toEqual(plain.subject);
      expect(changed.text).toContain('1111222');
      expect(changed.text).not.toMatch(/no longer work|funktioniert nicht mehr|ne fonctionne plus/);
    }
    expect(composeStayMessage({ ...input, changed: true }).subject).toBe(
      'Your stay has changed: your door codes (2 doors)',
    );
  });

  it('says more will follow, in every template language', () => {
    const expected: Record<string, RegExp> = {
      en: /More to follow/,
      de: /Weitere folgen/,
      fr: /D’autres codes suivront/,
    };
    for (const language of TEMPLATE_LANGUAGES) {
      const msg = composeStayMessage({ ...input, locale: language, pending: 1 });
      expect({ language, more: expected[language]!.test(msg.text) }).toEqual({
        language,
        more: true,
      });
      expect(msg.text).toContain('1111222');
      expect(msg.text).toContain('3333444');
      const all = composeStayMessage({ ...input, locale: language });
      expect(expected[language]!.test(all.text)).toBe(false);
      expect(all.subject).not.toEqual(
        composeStayMessage({ ...input, locale: language, followUp: true }).subject,
      );
    }
  });
});
