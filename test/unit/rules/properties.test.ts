import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  lockProfileFromDevice,
  type DormakabaTimeSlot,
  type LockProfile,
} from '../../../src/domain/device-profile';
import { decideLockLimits, lockClaimFor } from '../../../src/domain/lock-limits';
import {
  RULE_VIOLATION_CODES,
  planOfflineCode,
  type CodePlan,
  type CodeRequest,
  type MaxTimeRounding,
  type PlanResult,
} from '../../../src/domain/rules';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2024-01-01T00:00:00Z');
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

const igloo = (timezone: string): LockProfile => ({
  device_id: 'ig',
  name: 'ig',
  manufacturer: 'igloohome',
  timezone,
  timeSlots: [],
});
const slot = (
  prefix: number,
  checkIn: string,
  checkOut: string,
  zone: string,
  is24 = false,
): DormakabaTimeSlot => ({
  name: `User ${prefix}`,
  prefix,
  check_in_time: `${checkIn}[${zone}]`,
  check_out_time: `${checkOut}[${zone}]`,
  is_24_hour: is24,
  is_one_shot: false,
  is_master: false,
  is_biweekly_mode: false,
  dormakaba_oracode_user_level_id: `lvl-${prefix}`,
});
const dorma = (zone: string, slots: DormakabaTimeSlot[]): LockProfile => ({
  device_id: 'dk',
  name: 'dk',
  manufacturer: 'dormakaba_oracode',
  timezone: zone,
  timeSlots: slots,
});

const arbRounding = fc.constantFrom<MaxTimeRounding>('1h', '1hour', '1d', '1day');
/** start instants 2024-01-02 .. 2026-12-31, minute resolution */
const arbStartMs = fc
  .integer({ min: 0, max: 1_090 * 24 * 60 })
  .map((m) => Date.parse('2024-01-02T00:00:00Z') + m * 60_000);
const iso = (msValue: number, zone: string) =>
  DateTime.fromMillis(msValue, { zone }).toISO() as string;

/** The warnings list exactly the ends that moved, which way and by how much; no move, no list,
 *  and then the request to Seam is the stay's own strings. */
function assertWarningsDescribe(plan: CodePlan, s: number, e: number) {
  const ps = Date.parse(plan.starts_at);
  const pe = Date.parse(plan.ends_at);
  const expected: Array<[string, number]> = [];
  if (ps !== s)
    expected.push([
      ps < s ? 'starts_earlier' : 'starts_later',
      Math.ceil(Math.abs(ps - s) / 60_000),
    ]);
  if (pe !== e)
    expected.push([pe < e ? 'ends_earlier' : 'ends_later', Math.ceil(Math.abs(pe - e) / 60_000)]);
  expect(plan.warnings.map((w) => [w.code, w.minutes])).toEqual(expected);
  expect(Date.parse(plan.seam_request.starts_at)).toBe(ps);
  if (plan.seam_request.ends_at !== undefined) {
    expect(Date.parse(plan.seam_request.ends_at)).toBe(pe);
  }
  expect(plan.seam_request.max_time_rounding).toBe(plan.max_time_rounding);
}

function assertViolationsWellFormed(r: PlanResult) {
  if (r.ok) return;
  expect(r.violations.length).toBeGreaterThan(0);
  for (const v of r.violations) {
    expect(RULE_VIOLATION_CODES).toContain(v.code);
    expect(v.message.length).toBeGreaterThan(10);
  }
}

describe('planOfflineCode properties', () => {
  it('never throws on garbage and only returns listed codes', () => {
    const arbField = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '2024-05-01T10:00:00Z',
        '2024-05-01T10:00:00',
        '2024-02-30T00:00:00Z',
        '',
        ' ',
      ),
      fc.anything(),
    );
    const arbLock = fc.oneof(
      fc.constantFrom<LockProfile>(
        igloo('UTC'),
        dorma('Europe/Tirane', [slot(1, '07:00:00', '19:00:00', 'Europe/Tirane')]),
      ),
      fc.record({ manufacturer: fc.anything(), timezone: fc.anything(), timeSlots: fc.anything() }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        arbLock,
        arbField,
        arbField,
        fc.anything(),
        arbField,
        fc.date(),
        (lock, s, e, otu, rnd, now) => {
          const req = { starts_at: s, ends_at: e, is_one_time_use: otu, max_time_rounding: rnd };
          const r = planOfflineCode(lock as LockProfile, req as CodeRequest, now);
          expect(typeof r.ok).toBe('boolean');
          assertViolationsWellFormed(r);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('igloohome: accepted plans respect the bounds and the rounding limit', () => {
    // durations from 0 to 400 days at minute resolution, biased to the boundaries
    const arbDuration = fc
      .oneof(
        fc.integer({ min: 0, max: 400 * 24 * 60 }),
        fc.integer({ min: 671 * 60, max: 674 * 60 }),
        fc.integer({ min: 28 * 24 * 60, max: 30 * 24 * 60 }),
        fc.integer({ min: 366 * 24 * 60, max: 368 * 24 * 60 }),
      )
      .map((m) => m * 60_000);
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        arbStartMs,
        arbDuration,
        arbRounding,
        (zone, s, d, rounding) => {
          const req: CodeRequest = {
            starts_at: iso(s, zone),
            ends_at: iso(s + d, zone),
            is_one_time_use: false,
            max_time_rounding: rounding,
          };
          const r = planOfflineCode(igloo(zone), req, NOW);
          assertViolationsWellFormed(r);
          if (!r.ok) {
            // short windows fail for one reason only
            const got = r.violations.map((v) => v.code);
            if (d === 0) expect(got).toEqual(['window_inverted']);
            else if (d < HOUR) expect(got).toEqual(['duration_too_short']);
            else expect(d).toBeGreaterThan(672 * HOUR - 2 * HOUR); // only long windows can fail
            return;
          }
          const ps = Date.parse(r.plan.starts_at);
          const pe = Date.parse(r.plan.ends_at);
          // Rounding moves a time onto the grid: the start by at most an hour; the end by
          // at most an hour, or to the nearest day with '1d' (half a day, from a start that
          // moved by less than an hour).
          expect(Math.abs(ps - s)).toBeLessThanOrEqual(HOUR);
          const dayRounding = r.plan.kind === 'daily_bound' && !rounding.startsWith('1h');
          expect(Math.abs(pe - (s + d))).toBeLessThanOrEqual(dayRounding ? 13 * HOUR : HOUR);
          expect(r.plan.max_time_rounding).toBe(r.plan.kind === 'daily_bound' ? '1day' : '1hour');
          expect(r.plan.caveats.includes('igloohome_first_use_within_24h')).toBe(pe - ps > DAY);
          assertWarningsDescribe(r.plan, s, s + d);
          const lps = DateTime.fromMillis(ps, { zone });
          const lpe = DateTime.fromMillis(pe, { zone });
          // both endpoints on a local hour
          expect([
            lps.minute,
            lps.second,
            lps.millisecond,
            lpe.minute,
            lpe.second,
            lpe.millisecond,
          ]).toEqual([0, 0, 0, 0, 0, 0]);
          if (r.plan.kind === 'hourly_bound') {
            expect(pe - ps).toBeGreaterThanOrEqual(HOUR);
            expect(pe - ps).toBeLessThanOrEqual(672 * HOUR);
          } else {
            expect(r.plan.kind).toBe('daily_bound');
            const days = lpe.diff(lps, 'days').days;
            expect(Number.isInteger(days)).toBe(true);
            expect(days).toBeGreaterThanOrEqual(29);
            expect(days).toBeLessThanOrEqual(367);
            expect(lpe.toFormat('HH:mm')).toBe(lps.toFormat('HH:mm'));
          }
          // outward rounding to the hour is used whenever it is a valid hourly code
          const outS = DateTime.fromMillis(s, { zone }).startOf('hour').toMillis();
          const endLocal = DateTime.fromMillis(s + d, { zone });
          const outE =
            endLocal.startOf('hour').toMillis() === s + d
              ? s + d
              : endLocal.startOf('hour').plus({ hours: 1 }).toMillis();
          if (zone !== 'Australia/Lord_Howe' && outE - outS <= 672 * HOUR) {
            expect([ps, pe]).toEqual([outS, outE]);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('igloohome: every window of 1 to 672 h (after rounding) is accepted as hourly-bound', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        arbStartMs,
        fc.integer({ min: 1, max: 672 }),
        (zone, s, h) => {
          const start = DateTime.fromMillis(s, { zone });
          const hs = start.minus({ minutes: start.minute, seconds: start.second });
          const he = hs.plus({ hours: h });
          fc.pre(he.minute === 0); // Lord Howe's 30-minute DST shift moves the local hour
          const req: CodeRequest = {
            starts_at: hs.toISO() as string,
            ends_at: he.toISO() as string,
            is_one_time_use: false,
            max_time_rounding: '1h',
          };
          const r = planOfflineCode(igloo(zone), req, NOW);
          expect(r.ok && r.plan.kind).toBe('hourly_bound');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('igloohome: every same-local-time window of 29 to 367 days is daily-bound (any DST)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        arbStartMs,
        fc.integer({ min: 29, max: 367 }),
        (zone, s, days) => {
          const start = DateTime.fromMillis(s, { zone }).startOf('hour');
          const end = start.plus({ days });
          fc.pre(end.toFormat('HH:mm') === start.toFormat('HH:mm')); // skip nonexistent wall times
          const req: CodeRequest = {
            starts_at: start.toISO() as string,
            ends_at: end.toISO() as string,
            is_one_time_use: false,
            max_time_rounding: '1h',
          };
          const r = planOfflineCode(igloo(zone), req, NOW);
          expect(r.ok && r.plan.kind).toBe('daily_bound');
          expect(r.ok && Date.parse(r.plan.ends_at)).toBe(end.toMillis());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('igloohome one-time-use: exactly 24 h from starts_at floored to the local hour', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), arbStartMs, (zone, s) => {
        const r = planOfflineCode(
          igloo(zone),
          { starts_at: iso(s, zone), is_one_time_use: true, max_time_rounding: '1h' },
          NOW,
        );
        expect(r.ok && Date.parse(r.plan.ends_at) - Date.parse(r.plan.starts_at)).toBe(DAY);
        const ps = r.ok ? Date.parse(r.plan.starts_at) : NaN;
        expect(ps).toBeLessThanOrEqual(s);
        expect(s - ps).toBeLessThan(HOUR);
        expect(DateTime.fromMillis(ps, { zone }).minute).toBe(0);
        if (r.ok) assertWarningsDescribe(r.plan, s, s + DAY);
        expect(r.ok && r.plan.seam_request.ends_at).toBeUndefined();
      }),
    );
  });

  it('dormakaba: windows near the slot snap exactly when within 1 h, and fail beyond', () => {
    const zones = ['Europe/Tirane', 'America/New_York', 'Europe/Berlin'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        arbStartMs,
        fc.integer({ min: 0, max: 34 }),
        fc.integer({ min: -180, max: 180 }),
        fc.integer({ min: -180, max: 180 }),
        (zone, s, days, jitterIn, jitterOut) => {
          const l = dorma(zone, [slot(7, '07:00:00', '19:00:00', zone)]);
          const d0 = DateTime.fromMillis(s, { zone }).startOf('day');
          const slotIn = d0.set({ hour: 7 });
          const slotOut = d0.plus({ days }).set({ hour: 19 });
          const req: CodeRequest = {
            starts_at: slotIn.plus({ minutes: jitterIn }).toISO() as string,
            ends_at: slotOut.plus({ minutes: jitterOut }).toISO() as string,
            is_one_time_use: false,
            max_time_rounding: '1h',
          };
          const r = planOfflineCode(l, req, NOW);
          assertViolationsWellFormed(r);
          const fits = Math.abs(jitterIn) <= 60 && Math.abs(jitterOut) <= 60;
          const withinDays = slotOut.toMillis() <= slotIn.plus({ days: 31 }).toMillis();
          if (fits && withinDays) {
            expect(r.ok).toBe(true);
            expect(r.ok && r.plan.starts_at).toBe(slotIn.toUTC().toISO());
            expect(r.ok && r.plan.ends_at).toBe(slotOut.toUTC().toISO());
            expect(r.ok && r.plan.time_slot?.prefix).toBe(7);
          } else if (!fits) {
            expect(r.ok ? [] : r.violations.map((v) => v.code)).toContain('no_matching_time_slot');
          } else {
            expect(r.ok ? [] : r.violations.map((v) => v.code)).toEqual([
              'dormakaba_duration_out_of_range',
            ]);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('dormakaba: accepted plans are 1 h to 31 local days and on a non-master slot', () => {
    const zone = 'Europe/Tirane';
    const slots = [
      slot(1, '00:00:00', '23:59:00', zone, true),
      slot(2, '15:00:00', '11:00:00', zone),
      { ...slot(3, '09:00:00', '17:00:00', zone), is_master: true },
      { ...slot(4, '10:00:00', '12:00:00', zone), is_one_shot: true },
      { ...slot(5, '16:00:00', '10:00:00', zone), is_biweekly_mode: true },
    ];
    fc.assert(
      fc.property(
        arbStartMs,
        fc.integer({ min: 0, max: 40 * 24 * 60 }),
        arbRounding,
        (s, minutes, rounding) => {
          const r = planOfflineCode(
            dorma(zone, slots),
            {
              starts_at: iso(s, zone),
              ends_at: iso(s + minutes * 60_000, zone),
              is_one_time_use: false,
              max_time_rounding: rounding,
            },
            NOW,
          );
          assertViolationsWellFormed(r);
          if (!r.ok) return;
          const ps = DateTime.fromISO(r.plan.starts_at).setZone(zone);
          const pe = DateTime.fromISO(r.plan.ends_at).setZone(zone);
          expect(pe.toMillis() - ps.toMillis()).toBeGreaterThanOrEqual(HOUR);
          expect(pe.toMillis()).toBeLessThanOrEqual(ps.plus({ days: 31 }).toMillis());
          // never a master or one-shot slot; a biweekly one only for a two-week code
          expect([1, 2, 5]).toContain(r.plan.time_slot?.prefix);
          const chosen = slots.find(
            (x) => x.prefix === r.plan.time_slot?.prefix,
          ) as DormakabaTimeSlot;
          if (chosen.is_biweekly_mode) {
            expect(pe.toMillis()).toBeGreaterThan(ps.plus({ days: 13 }).toMillis());
            expect(pe.toMillis()).toBeLessThanOrEqual(ps.plus({ days: 14 }).toMillis());
          }
          expect(r.plan.kind).toBe(chosen.is_24_hour ? 'daily_bound' : 'hourly_bound');
          expect(ps.toFormat('HH:mm:ss')).toBe(chosen.check_in_time.slice(0, 8));
          expect(pe.toFormat('HH:mm:ss')).toBe(chosen.check_out_time.slice(0, 8));
          // within the hour, or whole days on the 24-hour slot when '1d' was asked
          const e = s + minutes * 60_000;
          const limit = rounding.startsWith('1d') && chosen.is_24_hour ? DAY : HOUR;
          expect(Math.abs(ps.toMillis() - s)).toBeLessThanOrEqual(limit);
          expect(Math.abs(pe.toMillis() - e)).toBeLessThanOrEqual(limit);
          // an end moved by more than an hour (day rounding) moved outward: it widens
          if (Math.abs(ps.toMillis() - s) > HOUR) expect(ps.toMillis()).toBeLessThan(s);
          if (Math.abs(pe.toMillis() - e) > HOUR) expect(pe.toMillis()).toBeGreaterThan(e);
          assertWarningsDescribe(r.plan, s, e);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('RULE_VIOLATION_CODES', () => {
  it('is snake_case and unique', () => {
    expect(new Set(RULE_VIOLATION_CODES).size).toBe(RULE_VIOLATION_CODES.length);
    for (const c of RULE_VIOLATION_CODES) expect(c).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('lists exactly the codes the module can return (each one reachable)', () => {
    const Z = 'Europe/Tirane';
    const dk = dorma(Z, [slot(7, '07:00:00', '19:00:00', Z)]);
    const dk24 = dorma(Z, [slot(1, '00:00:00', '23:59:00', Z, true)]);
    const ig = igloo('UTC');
    const S = '2024-06-01T10:00:00Z';
    const at = (h: number) => new Date(Date.parse(S) + h * HOUR).toISOString();
    const req = (over: Partial<CodeRequest>): CodeRequest => ({
      starts_at: S,
      ends_at: at(2),
      is_one_time_use: false,
      max_time_rounding: '1h',
      ...over,
    });
    const results: PlanResult[] = [
      planOfflineCode(ig, req({ starts_at: 'x' }), NOW),
      planOfflineCode(ig, req({ ends_at: 'x' }), NOW),
      planOfflineCode(ig, req({ max_time_rounding: 'x' as never }), NOW),
      planOfflineCode(ig, req({ ends_at: undefined }), NOW),
      planOfflineCode(
        ig,
        req({ starts_at: '2023-01-01T00:00:00Z', ends_at: '2023-01-02T00:00:00Z' }),
        NOW,
      ),
      planOfflineCode(ig, req({ ends_at: at(-1) }), NOW),
      planOfflineCode(ig, req({ ends_at: at(0.5) }), NOW),
      planOfflineCode(ig, req({ ends_at: at(40 * 24 + 3) }), NOW),
      planOfflineCode(ig, req({ is_one_time_use: true, ends_at: at(3) }), NOW),
      planOfflineCode(dk, req({ is_one_time_use: true, ends_at: undefined }), NOW),
      planOfflineCode(ig, req({ ends_at: at(680) }), NOW),
      planOfflineCode(ig, req({ ends_at: at(400 * 24) }), NOW),
      planOfflineCode(
        dk24,
        req({ starts_at: '2024-06-01T00:00:00+02:00', ends_at: '2024-08-01T00:00:00+02:00' }),
        NOW,
      ),
      planOfflineCode(dk, req({}), NOW),
      planOfflineCode({ ...ig, manufacturer: 'x' as never }, req({}), NOW),
      planOfflineCode({ ...ig, timezone: 'x' }, req({}), NOW),
    ];
    const seen = new Set<string>();
    for (const r of results) if (!r.ok) for (const v of r.violations) seen.add(v.code);
    const profileCodes = [
      lockProfileFromDevice({ device_id: 'a', device_type: 'august_lock' }),
      lockProfileFromDevice({ device_id: 'a', device_type: 'igloohome_lock' }),
    ];
    for (const r of profileCodes) if (!r.ok) seen.add(r.violation.code);
    // the per-lock limits (src/domain/lock-limits.ts)
    const claim = lockClaimFor(
      'igloohome',
      (planOfflineCode(ig, req({}), NOW) as { plan: CodePlan }).plan,
    )!;
    const once = lockClaimFor('igloohome', {
      ...(
        planOfflineCode(ig, req({ is_one_time_use: true, ends_at: undefined }), NOW) as {
          plan: CodePlan;
        }
      ).plan,
    })!;
    for (const d of [
      decideLockLimits(claim, { total: 3, inGroup: 3 }),
      decideLockLimits(once, { total: 5, inGroup: 5 }),
      decideLockLimits(claim, { total: 199, inGroup: 0 }),
    ]) {
      if (d.kind === 'refuse') seen.add(d.violation.code);
    }
    expect([...seen].sort()).toEqual([...RULE_VIOLATION_CODES].sort());
  });
});
