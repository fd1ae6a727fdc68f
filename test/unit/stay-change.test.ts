/**
 * A stay that changes (pure rules): merging a change into the request, telling a new window
 * from a new contact, and applying it (a new generation, the previous code kept with the end it
 * still opens the door until). Properties over generated changes.
 */
import fc from 'fast-check';
import { closeEndedStay, requestResend } from '../../src/domain/endings';
import {
  notifiedThrough,
  type GuestCode,
  type TrackedAccessCode,
} from '../../src/domain/guest-code';
import {
  applyStayChange,
  contactDiffers,
  mergeStayPatch,
  windowFieldsDiffer,
  type StayPatch,
} from '../../src/domain/stay-change';
import type { CodePlan } from '../../src/domain/rules';
import { record as fixture } from '../helpers/guest-code-fixture';

const NOW = new Date('2026-12-24T12:00:00Z');

const plan = (starts: string, ends: string): CodePlan => ({
  kind: 'hourly_bound',
  starts_at: starts,
  ends_at: ends,
  max_time_rounding: '1hour',
  timezone: 'UTC',
  caveats: [],
  warnings: [],
  seam_request: { starts_at: starts, ends_at: ends, max_time_rounding: '1hour' },
});

const code = (id: string, over: Partial<TrackedAccessCode> = {}): TrackedAccessCode => ({
  access_code_id: id,
  generation: 0,
  status: 'set',
  errors: [],
  superseded: false,
  created_at: '2026-12-20T00:00:00Z',
  starts_at: '2026-12-24T15:00:00.000Z',
  ends_at: '2026-12-27T11:00:00.000Z',
  ...over,
});

/** A notified stay (both channels told ac_1), its plan as `plan` makes it. */
function record(over: Partial<GuestCode> = {}): GuestCode {
  return fixture({
    plan: plan('2026-12-24T15:00:00Z', '2026-12-27T11:00:00Z'),
    status: 'notified',
    access_codes: [code('ac_1')],
    notifications: [
      { access_code_id: 'ac_1', channel: 'email', at: '2026-12-21T00:00:00Z' },
      { access_code_id: 'ac_1', channel: 'webhook', at: '2026-12-21T00:00:00Z' },
    ],
    ...over,
  });
}

const change = (n: number, window: boolean, contact: boolean) => ({
  n,
  fingerprint: `f${n}`,
  at: NOW.toISOString(),
  window,
  contact,
  note: 'note',
});

const instant = fc
  .integer({ min: Date.parse('2026-12-25T00:00:00Z'), max: Date.parse('2027-06-01T00:00:00Z') })
  .map((ms) => new Date(ms).toISOString());
const patchArb: fc.Arbitrary<StayPatch> = fc.record(
  {
    starts_at: instant,
    ends_at: instant,
    is_one_time_use: fc.boolean(),
    max_time_rounding: fc.constantFrom('1h', '1hour', '1d', '1day'),
    guest: fc.record(
      {
        name: fc.constantFrom('Ada', 'Lin'),
        email: fc.constantFrom('a@example.com', 'b@example.com'),
        phone: fc.constantFrom('+44 20 7946 0958', '+1 212 555 0100'),
      },
      { requiredKeys: ['name'] },
    ),
  },
  { requiredKeys: [] },
);

describe('mergeStayPatch', () => {
  it('applying the same change twice is applying it once; an empty change changes nothing', () => {
    fc.assert(
      fc.property(patchArb, (patch) => {
        const req = record().request;
        const once = mergeStayPatch(req, patch);
        expect(mergeStayPatch(once, patch)).toEqual(once);
        expect(mergeStayPatch(req, {})).toEqual(req);
        // Only the fields the stay may change move; the lock and the reference never do.
        expect(once.device_id).toBe(req.device_id);
        expect(once.reference).toBe(req.reference);
      }),
    );
  });

  it('turning a code one-time-use drops its ends_at unless one is given', () => {
    const req = record().request;
    expect(mergeStayPatch(req, { is_one_time_use: true }).ends_at).toBeUndefined();
    expect(
      mergeStayPatch(req, { is_one_time_use: true, ends_at: '2026-12-25T15:00:00Z' }).ends_at,
    ).toBe('2026-12-25T15:00:00Z');
  });

  it('a window is the same at the same instants, whatever the offset; a contact is email and phone', () => {
    const req = record().request;
    expect(windowFieldsDiffer(req, { ...req, starts_at: '2026-12-24T16:00:00+01:00' })).toBe(false);
    expect(windowFieldsDiffer(req, { ...req, ends_at: '2026-12-27T12:00:00Z' })).toBe(true);
    expect(contactDiffers({ name: 'Ada', email: 'a@x.io' }, { name: 'Lin', email: 'a@x.io' })).toBe(
      false,
    );
    expect(contactDiffers({ name: 'Ada', email: 'a@x.io' }, { name: 'Ada', phone: '+1 2' })).toBe(
      true,
    );
  });
});

describe('applyStayChange', () => {
  it('a new window: a new generation to create, the followed code kept with the end it still opens the door until', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<GuestCode['status']>('waiting', 'set', 'notified', 'undelivered'),
        fc.integer({ min: 0, max: 3 }),
        (status, generation) => {
          const before = record({
            status,
            generation,
            access_codes: [
              code('ac_0', { superseded: true, generation: Math.max(0, generation - 1) }),
              code('ac_1', { generation }),
            ],
            ...(status === 'undelivered'
              ? { failure: { code: 'notification_undelivered', message: 'm', at: 'x' } }
              : {}),
          });
          const next = plan('2026-12-24T15:00:00Z', '2026-12-26T11:00:00Z');
          const out = applyStayChange(
            before,
            { change: change(1, true, false), request: before.request, plan: next },
            NOW,
          );
          expect(out.createGeneration).toBe(generation + 1);
          expect(out.windowChanged).toMatchObject({ n: 1, generation: generation + 1 });
          expect(out.record).toMatchObject({ status: 'requested', generation: generation + 1 });
          expect(out.record.plan).toEqual(next);
          expect(out.record.active_access_code_id).toBeUndefined();
          expect(out.record.failure).toBeUndefined();
          expect(out.record.access_codes.every((c) => c.superseded)).toBe(true);
          // Only the code followed until now becomes a previous code (a replaced one is not).
          expect(out.record.previous_codes).toEqual([
            {
              access_code_id: 'ac_1',
              valid_until: '2026-12-27T11:00:00.000Z',
              superseded_at: NOW.toISOString(),
            },
          ]);
          expect(out.record.changes).toHaveLength(1);
        },
      ),
    );
  });

  it('a contact change: no code; a new email or phone makes the guest owed the PIN at it, once', () => {
    const before = record();
    const request = { ...before.request, guest: { name: 'Ada', email: 'new@example.com' } };
    const out = applyStayChange(
      before,
      { change: change(1, false, true), request, plan: before.plan },
      NOW,
    );
    expect(out.createGeneration).toBeUndefined();
    expect(out.windowChanged).toBeUndefined();
    expect(out.record).toMatchObject({ status: 'notified', generation: 0, contact_version: 1 });
    expect(out.record.active_access_code_id).toBe('ac_1');
    expect(notifiedThrough(out.record, 'ac_1', 'email')).toBe(false);

    const resend = requestResend(out.record, ['email', 'webhook'], NOW);
    expect(resend).toMatchObject({ kind: 'resend', resend: 1, channels: ['email', 'webhook'] });
    if (resend.kind !== 'resend') throw new Error('unreachable');
    // Told at the new contact: nothing more to resend.
    const told: GuestCode = {
      ...resend.ending.record,
      status: 'notified',
      notifications: [
        ...out.record.notifications,
        { access_code_id: 'ac_1', channel: 'email', at: 'x', contact: 1 },
        { access_code_id: 'ac_1', channel: 'webhook', at: 'x', contact: 1 },
      ],
    };
    expect(requestResend(told, ['email', 'webhook'], NOW).kind).toBe('not_possible');

    // A new name alone: nothing owed.
    const renamed = applyStayChange(
      before,
      {
        change: change(1, false, true),
        request: { ...before.request, guest: { ...before.request.guest, name: 'Ada L.' } },
        plan: before.plan,
      },
      NOW,
    );
    expect(renamed.record.contact_version).toBeUndefined();
    expect(requestResend(renamed.record, ['email', 'webhook'], NOW).kind).toBe('not_possible');
  });

  it('a stay whose plan is over is not closed while a waiting change carries it further', () => {
    const over = record({
      status: 'requested',
      plan: plan('2026-12-20T15:00:00Z', '2026-12-24T11:00:00Z'),
      create_in_flight: { generation: 0, since: '2026-12-24T10:00:00Z' },
    });
    expect(closeEndedStay(over, NOW)).toBeDefined();
    const later = plan('2026-12-20T15:00:00Z', '2026-12-26T11:00:00Z');
    const waiting: GuestCode = {
      ...over,
      pending_change: {
        change: change(1, true, false),
        request: { ...over.request, ends_at: later.ends_at },
        plan: later,
      },
    };
    expect(closeEndedStay(waiting, NOW)).toBeUndefined();
  });
});
