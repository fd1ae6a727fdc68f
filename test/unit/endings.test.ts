/**
 * How a guest code ends when the happy path does not get there (pure rules): a notification
 * that gives up, an operator's resend, a stay that is over. Properties over every status.
 */
import fc from 'fast-check';
import {
  closeEndedStay,
  giveUpNotification,
  requestResend,
  STAY_ENDED,
  UNDELIVERED,
} from '../../src/domain/endings';
import { GUEST_CODE_STATUSES } from '../../src/domain/guest-code';
import { record } from '../helpers/guest-code-fixture';

const NOW = new Date('2026-12-24T12:00:00Z');
const CHANNELS = ['email', 'webhook'] as const;

const arbitraryRecord = fc
  .record({
    status: fc.constantFrom(...GUEST_CODE_STATUSES),
    notified: fc.subarray([...CHANNELS]),
    active: fc.constantFrom('ac_1', 'ac_2'),
    resends: fc.integer({ min: 0, max: 3 }),
    endsInHours: fc.integer({ min: -48, max: 48 }),
  })
  .map(({ status, notified, active, resends, endsInHours }) =>
    record({
      status,
      active_access_code_id: active,
      resends,
      notifications: notified.map((channel) => ({
        access_code_id: active,
        channel,
        at: NOW.toISOString(),
      })),
      plan: {
        ...record().plan,
        ends_at: new Date(NOW.getTime() + endsInHours * 3600_000).toISOString(),
      },
    }),
  );

describe('giving up a notification', () => {
  it('ends a set guest code undelivered with the reason; a channel that got through, another code, or a finished one: nothing', () => {
    const out = giveUpNotification(
      record(),
      { access_code_id: 'ac_1', channel: 'email', reason: 'SMTP 550' },
      NOW,
    )!;
    expect(out.record).toMatchObject({
      status: 'undelivered',
      failure: { code: UNDELIVERED, message: 'email: SMTP 550' },
    });
    expect(out.timeline.map((t) => t.type)).toEqual(['undelivered']);
    const told = record({
      notifications: [{ access_code_id: 'ac_1', channel: 'email', at: NOW.toISOString() }],
    });
    expect(
      giveUpNotification(told, { access_code_id: 'ac_1', channel: 'email', reason: 'x' }, NOW),
    ).toBeUndefined();
    expect(
      giveUpNotification(record(), { access_code_id: 'ac_0', channel: 'email', reason: 'x' }, NOW),
    ).toBeUndefined();
    for (const status of ['notified', 'failed', 'cancelled', 'requested', 'waiting'] as const) {
      expect(
        giveUpNotification(
          record({ status }),
          { access_code_id: 'ac_1', channel: 'email', reason: 'x' },
          NOW,
        ),
      ).toBeUndefined();
    }
  });
});

describe('resend', () => {
  it('only from undelivered; never a channel that got through; repeated while it runs: nothing new', () => {
    fc.assert(
      fc.property(arbitraryRecord, (gc) => {
        const d = requestResend(gc, CHANNELS, NOW);
        const told = gc.notifications.map((n) => n.channel);
        if (d.kind === 'resend') {
          expect(gc.status).toBe('undelivered');
          expect(d.ending.record.status).toBe('set');
          expect(d.resend).toBe((gc.resends ?? 0) + 1);
          expect(d.ending.record.failure).toBeUndefined();
          // The same request again, on the record it made: in progress, same number.
          const again = requestResend(d.ending.record, CHANNELS, NOW);
          expect(again).toMatchObject({ kind: 'in_progress', resend: d.resend });
        } else if (d.kind === 'in_progress') {
          expect(gc.status).toBe('set');
          expect(gc.resends).toBeGreaterThan(0);
        } else {
          expect(
            gc.status === 'undelivered' || (gc.status === 'set' && (gc.resends ?? 0) > 0),
          ).toBe(false);
        }
        if (d.kind !== 'not_possible') for (const ch of d.channels) expect(told).not.toContain(ch);
      }),
    );
  });
});

describe('a stay that is over', () => {
  it('closes open guest codes (failed, stay_ended) and nothing else', () => {
    fc.assert(
      fc.property(arbitraryRecord, (gc) => {
        const out = closeEndedStay(gc, NOW);
        const open = ['requested', 'waiting', 'set'].includes(gc.status);
        const over = Date.parse(gc.plan.ends_at) <= NOW.getTime();
        expect(out !== undefined).toBe(open && over);
        if (out) {
          expect(out.record.status).toBe('failed');
          expect(out.record.failure?.code).toBe(STAY_ENDED);
        }
      }),
    );
  });
});
