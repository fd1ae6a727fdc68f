/**
 * A guest code's steps as pure transitions (src/domain/transitions.ts), over every status: each
 * applies only where it should, says so in its result, and applies once (run again on what it
 * wrote, it writes nothing: the store may run it again after a concurrent write, and a worker
 * may run the same job twice).
 */
import fc from 'fast-check';
import { GUEST_CODE_STATUSES, type GuestCode } from '../../src/domain/guest-code';
import {
  beginReplacement,
  cancel,
  failCreation,
  recordCreatedCode,
  recordNotification,
  startCreation,
  type Transition,
} from '../../src/domain/transitions';
import { record } from '../helpers/guest-code-fixture';

const NOW = new Date('2026-12-24T12:00:00Z');
const CHANNELS = ['email', 'webhook'] as const;

const arbitraryRecord = fc
  .record({
    status: fc.constantFrom(...GUEST_CODE_STATUSES),
    generation: fc.integer({ min: 0, max: 3 }),
    tracked: fc.boolean(),
    notified: fc.subarray([...CHANNELS]),
    inFlight: fc.boolean(),
  })
  .map(({ status, generation, tracked, notified, inFlight }) =>
    record({
      status,
      generation,
      active_access_code_id: tracked ? 'ac_1' : undefined,
      access_codes: tracked
        ? [
            {
              access_code_id: 'ac_1',
              generation,
              status: 'unset',
              errors: [],
              superseded: false,
              created_at: NOW.toISOString(),
            },
          ]
        : [],
      notifications: notified.map((channel) => ({
        access_code_id: 'ac_1',
        channel,
        at: NOW.toISOString(),
      })),
      ...(inFlight ? { create_in_flight: { generation, since: NOW.toISOString() } } : {}),
    }),
  );

/** What the record is after the transition (the store's view: unchanged when nothing is written). */
const after = (cur: GuestCode, t: Transition<unknown>): GuestCode => t.write?.record ?? cur;

describe('guest-code transitions', () => {
  it('cancel: applies to every guest code not already cancelled, once', () => {
    fc.assert(
      fc.property(arbitraryRecord, (gc) => {
        const t = cancel(gc, NOW);
        expect(t.result).toBe(gc.status !== 'cancelled');
        expect(t.write !== undefined).toBe(t.result);
        expect(after(gc, t).status).toBe('cancelled');
        expect(cancel(after(gc, t), NOW).write).toBeUndefined();
      }),
    );
  });

  it('startCreation: only a requested guest code of that generation goes to Seam', () => {
    fc.assert(
      fc.property(arbitraryRecord, fc.integer({ min: 0, max: 3 }), (gc, generation) => {
        const t = startCreation(gc, generation, NOW);
        expect(t.result).toBe(gc.status === 'requested' && gc.generation === generation);
        expect(t.write !== undefined).toBe(t.result);
        if (t.write) {
          expect(t.write.record.create_in_flight).toEqual({
            generation,
            since: NOW.toISOString(),
          });
          expect(t.write.record.create_attempts).toBe(gc.create_attempts + 1);
        }
      }),
    );
  });

  it('recordCreatedCode: the code is tracked and active, once; a cancelled booking stays cancelled', () => {
    fc.assert(
      fc.property(arbitraryRecord, fc.constantFrom('created', 'adopted' as const), (gc, how) => {
        const code = { access_code_id: 'ac_new', starts_at: null, ends_at: null };
        const t = recordCreatedCode(gc, code, how, NOW);
        const made = after(gc, t);
        expect(made.active_access_code_id).toBe('ac_new');
        expect(made.access_codes.filter((c) => c.access_code_id === 'ac_new')).toHaveLength(1);
        expect(made.create_in_flight).toBeUndefined();
        expect(made.status).toBe(gc.status === 'cancelled' ? 'cancelled' : 'waiting');
        expect(t.write?.indexAccessCodes).toEqual(['ac_new']);
        expect(recordCreatedCode(made, code, how, NOW).write).toBeUndefined();
      }),
    );
  });

  it('failCreation: only a requested guest code fails, with the reason', () => {
    fc.assert(
      fc.property(arbitraryRecord, (gc) => {
        const t = failCreation(gc, { code: 'bad', message: 'refused' }, NOW);
        expect(t.write !== undefined).toBe(gc.status === 'requested');
        if (t.write) {
          expect(t.write.record.status).toBe('failed');
          expect(t.write.record.failure).toEqual({
            code: 'bad',
            message: 'refused',
            at: NOW.toISOString(),
          });
          expect(t.write.record.create_in_flight).toBeUndefined();
          expect(
            failCreation(t.write.record, { code: 'x', message: 'y' }, NOW).write,
          ).toBeUndefined();
        }
      }),
    );
  });

  it('beginReplacement: only the active, waiting code is replaced, by one worker', () => {
    fc.assert(
      fc.property(arbitraryRecord, (gc) => {
        const t = beginReplacement(gc, 'ac_1', 'failed_to_set_on_device', NOW);
        expect(t.result).toBe(gc.status === 'waiting' && gc.active_access_code_id === 'ac_1');
        expect(t.write !== undefined).toBe(t.result);
        if (t.write) {
          const r = t.write.record;
          expect(r.status).toBe('requested');
          expect(r.generation).toBe(gc.generation + 1);
          expect(r.replacements).toBe(gc.replacements + 1);
          expect(r.access_codes.find((c) => c.access_code_id === 'ac_1')?.superseded).toBe(true);
          // The second worker that saw the same failure starts nothing.
          expect(beginReplacement(r, 'ac_1', 'again', NOW).result).toBe(false);
        }
      }),
    );
  });

  it('recordNotification: notified once every wanted channel got the code; each send counts once', () => {
    fc.assert(
      fc.property(
        arbitraryRecord,
        fc.constantFrom(...CHANNELS),
        fc.subarray([...CHANNELS], { minLength: 1 }),
        (gc, channel, wanted) => {
          const sent = { access_code_id: 'ac_1', channel, contact: 0 };
          const t = recordNotification(gc, sent, () => wanted, NOW);
          const already = gc.notifications.some((n) => n.channel === channel);
          expect(t.result).toBe(!already);
          const r = after(gc, t);
          const told = new Set(r.notifications.map((n) => n.channel));
          const allTold = wanted.every((ch) => told.has(ch));
          if (t.write) {
            expect(r.status).toBe(
              allTold && (gc.status === 'set' || gc.status === 'undelivered')
                ? 'notified'
                : gc.status,
            );
          }
          expect(recordNotification(r, sent, () => wanted, NOW).write).toBeUndefined();
        },
      ),
    );
  });
});
