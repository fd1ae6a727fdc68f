/**
 * igloohome's per-lock limits (seamapi/docs creating-igloohome-offline-access-codes.md: "199 PINs,
 * including online and offline PINs"; "Maximum number of hourly-bound codes per hour | 3";
 * "... daily-bound codes per day | 3"; "... one-time-use codes per start date slot | 5").
 */
import fc from 'fast-check';
import {
  IGLOOHOME_CODES_PER_WINDOW,
  IGLOOHOME_ONE_TIME_USE_PER_START_SLOT,
  IGLOOHOME_PINS_PER_LOCK,
  decideLockLimits,
  lockClaimFor,
} from '../../src/domain/lock-limits';
import type { CodePlan } from '../../src/domain/rules';

const plan = (over: Partial<CodePlan> = {}): CodePlan => ({
  kind: 'hourly_bound',
  starts_at: '2030-01-02T15:00:00.000Z',
  ends_at: '2030-01-04T11:00:00.000Z',
  max_time_rounding: '1hour',
  timezone: 'UTC',
  caveats: [],
  warnings: [],
  seam_request: {
    starts_at: '2030-01-02T15:00:00.000Z',
    ends_at: '2030-01-04T11:00:00.000Z',
    max_time_rounding: '1hour',
  },
  ...over,
});

describe('lockClaimFor', () => {
  it('groups hourly and daily codes by their exact window, one-time-use by start', () => {
    expect(lockClaimFor('igloohome', plan())).toMatchObject({
      group: `window:${Date.parse('2030-01-02T15:00:00Z')}|${Date.parse('2030-01-04T11:00:00Z')}`,
      groupLimit: 3,
      pinLimit: 199,
    });
    const once = lockClaimFor(
      'igloohome',
      plan({ kind: 'one_time_use', ends_at: '2030-01-03T15:00:00.000Z' }),
    );
    expect(once).toMatchObject({
      group: `one_time_use:${Date.parse('2030-01-02T15:00:00Z')}`,
      groupLimit: 5,
    });
  });

  it('counts nothing on dormakaba (no number documented)', () => {
    expect(lockClaimFor('dormakaba_oracode', plan())).toBeUndefined();
  });
});

describe('decideLockLimits', () => {
  const claim = lockClaimFor('igloohome', plan())!;
  const start = claim.startsAtMs;

  it('the 4th code for the same window is refused, naming the limit', () => {
    expect(decideLockLimits(claim, { total: 2, inGroup: 2 })).toEqual({ kind: 'ok' });
    const d = decideLockLimits(claim, { total: 3, inGroup: 3 });
    expect(d.kind === 'refuse' && d.violation.code).toBe('igloohome_same_window_limit');
    expect(d.kind === 'refuse' && d.violation.message).toMatch(
      /at most 3 hourly-bound codes per hour/,
    );
  });

  it('the 6th one-time-use code of a start slot is refused', () => {
    const once = lockClaimFor(
      'igloohome',
      plan({ kind: 'one_time_use', ends_at: '2030-01-03T15:00:00.000Z' }),
    )!;
    expect(decideLockLimits(once, { total: 5, inGroup: 4 }).kind).toBe('ok');
    const d = decideLockLimits(once, { total: 5, inGroup: 5 });
    expect(d.kind === 'refuse' && d.violation.code).toBe('igloohome_one_time_use_slot_limit');
  });

  it('a full lock waits for a code that ends before this one starts, else refuses', () => {
    expect(
      decideLockLimits(claim, { total: 199, inGroup: 0, earliestEndMs: start - 1000 }),
    ).toEqual({ kind: 'wait', untilMs: start - 1000, limit: 'igloohome_pin_limit' });
    const d = decideLockLimits(claim, { total: 199, inGroup: 0, earliestEndMs: start + 1000 });
    expect(d.kind === 'refuse' && d.violation.code).toBe('igloohome_pin_limit');
  });

  it('property: ok exactly when both counts are under their limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 250 }),
        fc.integer({ min: 0, max: 8 }),
        fc.option(fc.integer({ min: -1e9, max: 1e9 }), { nil: undefined }),
        (total, inGroup, offset) => {
          const usage = {
            total,
            inGroup: Math.min(inGroup, total),
            ...(offset === undefined ? {} : { earliestEndMs: start + offset }),
          };
          const d = decideLockLimits(claim, usage);
          const under =
            usage.inGroup < IGLOOHOME_CODES_PER_WINDOW && usage.total < IGLOOHOME_PINS_PER_LOCK;
          expect(d.kind === 'ok').toBe(under);
          if (d.kind === 'wait') expect(d.untilMs).toBeLessThan(start);
        },
      ),
    );
    expect(IGLOOHOME_ONE_TIME_USE_PER_START_SLOT).toBe(5);
  });
});
