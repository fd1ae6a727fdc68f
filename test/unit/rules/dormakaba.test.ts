import { DateTime } from 'luxon';
import type { DormakabaTimeSlot, LockProfile } from '../../../src/domain/device-profile';
import {
  planOfflineCode,
  type CodePlan,
  type MaxTimeRounding,
  type PlanResult,
} from '../../../src/domain/rules';

const NOW = new Date('2024-01-01T00:00:00Z');
const Z = 'Europe/Tirane'; // CET/CEST, DST changes 31 Mar and 27 Oct 2024

function slot(
  name: string,
  prefix: number,
  checkIn: string,
  checkOut: string,
  flags: Partial<DormakabaTimeSlot> = {},
  zone = Z,
): DormakabaTimeSlot {
  return {
    name,
    prefix,
    check_in_time: `${checkIn}:00[${zone}]`,
    check_out_time: `${checkOut}:00[${zone}]`,
    is_24_hour: false,
    is_one_shot: false,
    is_master: false,
    is_biweekly_mode: false,
    dormakaba_oracode_user_level_id: `lvl-${prefix}`,
    ...flags,
  };
}

const ALL_DAY = slot('User 123 D 24H', 123, '00:00', '23:59', { is_24_hour: true });
const DAY = slot('User 126 D 7am-7pm', 126, '07:00', '19:00');
const HOTEL = slot('User 130 Hotel', 130, '15:00', '11:00');
const MASTER = slot('Master', 1, '08:00', '20:00', { is_master: true });
const ONE_SHOT = slot('User 140 one-shot', 140, '10:00', '12:00', { is_one_shot: true });

function lock(timeSlots: DormakabaTimeSlot[], timezone = Z): LockProfile {
  return {
    device_id: 'dk-1',
    name: 'Room 12',
    manufacturer: 'dormakaba_oracode',
    timezone,
    timeSlots,
  };
}

/** local wall time in the lock's zone -> ISO with offset */
function t(localIso: string, zone = Z): string {
  return DateTime.fromISO(localIso, { zone }).toISO() as string;
}
function plusMin(iso: string, minutes: number): string {
  return DateTime.fromISO(iso, { setZone: true }).plus({ minutes }).toISO() as string;
}
function utc(localIso: string, zone = Z): string {
  return DateTime.fromISO(localIso, { zone }).toUTC().toISO() as string;
}

function plan(
  l: LockProfile,
  startsAt: string,
  endsAt: string,
  rounding: MaxTimeRounding = '1h',
): PlanResult {
  return planOfflineCode(
    l,
    { starts_at: startsAt, ends_at: endsAt, is_one_time_use: false, max_time_rounding: rounding },
    NOW,
  );
}
function ok(r: PlanResult): CodePlan {
  if (!r.ok) throw new Error(`expected a plan, got ${JSON.stringify(r.violations)}`);
  return r.plan;
}
function codes(r: PlanResult): string[] {
  return r.ok ? [] : r.violations.map((v) => v.code);
}

const FULL = lock([ALL_DAY, DAY, HOTEL, MASTER, ONE_SHOT]);
const NO_24 = lock([DAY, HOTEL, MASTER, ONE_SHOT]);

describe('dormakaba slot matching', () => {
  it("reproduces Seam's hourly example: 07:00-19:00 on the 7am-7pm slot", () => {
    const p = ok(plan(FULL, '2024-12-22T06:00:00-00:00', '2024-12-22T18:00:00-00:00'));
    expect(p).toEqual({
      kind: 'hourly_bound',
      starts_at: '2024-12-22T06:00:00.000Z',
      ends_at: '2024-12-22T18:00:00.000Z',
      max_time_rounding: '1hour',
      timezone: Z,
      time_slot: { name: DAY.name, prefix: 126, user_level_id: 'lvl-126' },
      caveats: [],
      warnings: [],
      // the same instants, written in the lock's offset as Seam's dormakaba guide asks
      seam_request: {
        starts_at: '2024-12-22T07:00:00+01:00',
        ends_at: '2024-12-22T19:00:00+01:00',
        max_time_rounding: '1hour',
      },
    });
  });

  it("reproduces Seam's daily example: 00:00 to 23:59 four days later on the 24 h slot", () => {
    const p = ok(plan(FULL, '2024-12-22T23:00:00-00:00', '2024-12-27T22:59:00-00:00', '1d'));
    expect(p).toMatchObject({
      kind: 'daily_bound',
      starts_at: '2024-12-22T23:00:00.000Z',
      ends_at: '2024-12-27T22:59:00.000Z',
      max_time_rounding: '1day',
      time_slot: { prefix: 123 },
      warnings: [],
    });
  });

  it('a stay already in the lock offset is sent exactly as asked', () => {
    const s = '2024-07-01T15:00:00+02:00';
    const e = '2024-07-04T11:00:00+02:00';
    const p = ok(plan(FULL, s, e));
    expect(p.seam_request).toEqual({ starts_at: s, ends_at: e, max_time_rounding: '1hour' });
  });

  it('matches a slot at exactly its times, for a multi-day hotel stay', () => {
    const p = ok(plan(FULL, t('2024-07-01T15:00'), t('2024-07-04T11:00')));
    expect(p.time_slot?.prefix).toBe(130);
    expect(p.kind).toBe('hourly_bound');
    expect(p.starts_at).toBe(utc('2024-07-01T15:00'));
    expect(p.ends_at).toBe(utc('2024-07-04T11:00'));
  });

  it.each([
    ['start 59 min late', 59, 0],
    ['start 59 min early', -59, 0],
    ['end 59 min early', 0, -59],
    ['end 59 min late', 0, 59],
    ['both 59 min off', 59, -59],
    ['start exactly 60 min off', 60, 0],
  ])('%s: snaps to the slot times', (_l, dStart, dEnd) => {
    const p = ok(
      plan(NO_24, plusMin(t('2024-07-01T07:00'), dStart), plusMin(t('2024-07-01T19:00'), dEnd)),
    );
    expect(p.time_slot?.prefix).toBe(126);
    expect(p.starts_at).toBe(utc('2024-07-01T07:00'));
    expect(p.ends_at).toBe(utc('2024-07-01T19:00'));
  });

  it.each([
    ['start 61 min late', 61, 0],
    ['start 61 min early', -61, 0],
    ['end 61 min early', 0, -61],
    ['end 61 min late', 0, 61],
  ])('%s: no_matching_time_slot, listing the slots', (_l, dStart, dEnd) => {
    const r = plan(
      NO_24,
      plusMin(t('2024-07-01T07:00'), dStart),
      plusMin(t('2024-07-01T19:00'), dEnd),
    );
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.message).toContain('07:00');
    expect(v?.message).toContain('19:00');
    expect(v?.message).toContain('User 130 Hotel');
    expect(v?.message).not.toContain('Master');
    expect(v?.details?.timezone).toBe(Z);
    const listed = (v?.details?.available_slots as Array<{ prefix: number }>).map((s) => s.prefix);
    expect(listed.sort()).toEqual([126, 130]); // never the master or the one-shot slot
    expect(v?.details?.nearest_slot).toMatchObject({ prefix: 126 });
  });

  it('compares in the lock zone, not the offset the request was written in', () => {
    // 05:00Z in July is 07:00 in Tirane (CEST)
    const p = ok(plan(NO_24, '2024-07-01T05:00:00Z', '2024-07-01T17:00:00Z'));
    expect(p.time_slot?.prefix).toBe(126);
    // 07:00Z is 09:00 local: 2 h off
    expect(codes(plan(NO_24, '2024-07-01T07:00:00Z', '2024-07-01T17:00:00Z'))).toEqual([
      'no_matching_time_slot',
    ]);
  });

  it('prefers the closest slot when several fit', () => {
    const early = slot('A 07:00', 200, '07:00', '19:00');
    const late = slot('B 07:30', 201, '07:30', '19:00');
    const l = lock([early, late]);
    expect(ok(plan(l, t('2024-07-01T07:20'), t('2024-07-01T19:00'))).time_slot?.prefix).toBe(201);
    expect(ok(plan(l, t('2024-07-01T07:10'), t('2024-07-01T19:00'))).time_slot?.prefix).toBe(200);
    // listed order breaks ties
    expect(ok(plan(l, t('2024-07-01T07:15'), t('2024-07-01T19:00'))).time_slot?.prefix).toBe(200);
  });

  it('never uses a master slot', () => {
    const master = slot('Master', 1, '10:30', '22:30', { is_master: true });
    const r = plan(lock([master, DAY]), t('2024-07-01T10:30'), t('2024-07-01T22:30'));
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    expect(r.ok ? '' : r.violations[0]?.message).not.toContain('Master');
  });

  it('never plans onto a one-shot slot (Seam: "not currently supported"), even an exact fit', () => {
    const r = plan(lock([ONE_SHOT, DAY]), t('2024-07-01T10:00'), t('2024-07-01T12:00'));
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    expect(r.ok ? '' : r.violations[0]?.message).toMatch(/one-shot/);
    const sameDay = plan(lock([ONE_SHOT, DAY]), t('2024-07-01T07:00'), t('2024-07-01T19:00'));
    expect(ok(sameDay).time_slot?.prefix).toBe(126);
  });

  it('matches over midnight: an ends_at of 00:00 snaps to the 23:59 check-out before it', () => {
    const p = ok(plan(FULL, t('2024-07-01T00:00'), t('2024-07-04T00:00')));
    expect(p.time_slot?.prefix).toBe(123);
    expect(p.ends_at).toBe(utc('2024-07-03T23:59'));
  });

  it('matches a slot on the DST change day, in local time', () => {
    // 31 Mar 2024: clocks go 02:00 -> 03:00 in Tirane
    const p = ok(plan(NO_24, '2024-03-31T07:00:00+02:00', '2024-03-31T19:00:00+02:00'));
    expect(p.starts_at).toBe('2024-03-31T05:00:00.000Z');
    // naive +1 h offset arithmetic would call 07:00+01:00 (= 08:00 local) exact; it is 1 h off
    const r = plan(NO_24, '2024-03-31T07:00:00+01:00', '2024-03-31T19:00:00+01:00');
    expect(ok(r).starts_at).toBe('2024-03-31T05:00:00.000Z');
  });

  it('uses the slot zone over a US DST change (America/New_York hotel slot)', () => {
    const NY = 'America/New_York';
    const l = lock([slot('NY hotel', 300, '15:00', '11:00', {}, NY)], NY);
    // 3 Nov 2024 fall-back; guest writes the end in UTC: 15:00Z = 10:00 EST (1 h early)
    const p = ok(plan(l, '2024-11-01T15:00:00-04:00', '2024-11-05T15:00:00Z'));
    expect(p.ends_at).toBe('2024-11-05T16:00:00.000Z'); // 11:00 EST
    // 15:00-04:00 written for 5 Nov is 14:00 EST: 3 h off
    expect(codes(plan(l, '2024-11-01T15:00:00-04:00', '2024-11-05T15:00:00-04:00'))).toEqual([
      'no_matching_time_slot',
    ]);
  });
});

describe('dormakaba daily-bound and rounding', () => {
  it('the nearest slot wins, 24-hour or not', () => {
    const midnight = slot('Midnight', 150, '00:00', '00:00');
    const exact = ok(plan(lock([midnight, ALL_DAY]), t('2024-07-01T00:00'), t('2024-07-05T00:00')));
    expect(exact.time_slot?.prefix).toBe(150);
    expect(exact.kind).toBe('hourly_bound');
    const p = ok(plan(lock([midnight, ALL_DAY]), t('2024-07-01T00:00'), t('2024-07-04T23:59')));
    expect(p.time_slot?.prefix).toBe(123);
    expect(p.kind).toBe('daily_bound');
    expect(p.max_time_rounding).toBe('1day');
  });

  it('with 1d, a slot within the hour is used, not a whole-day widening (was: 24-hour slot)', () => {
    const threeToThree = slot('User 131 3pm-3pm', 131, '15:00', '15:00');
    const p = ok(
      plan(lock([ALL_DAY, threeToThree]), t('2024-07-01T15:00'), t('2024-07-04T15:00'), '1d'),
    );
    expect(p).toMatchObject({
      kind: 'hourly_bound',
      starts_at: utc('2024-07-01T15:00'),
      ends_at: utc('2024-07-04T15:00'),
      time_slot: { prefix: 131 },
      warnings: [],
      max_time_rounding: '1hour',
    });
  });

  it('a stay 1 h off its slot is planned on it, with warnings saying what changed', () => {
    // issue #16: 16:00 -> 12:00 on a 15:00 -> 11:00 slot ends an hour before check-out
    const p = ok(plan(FULL, t('2024-07-01T16:00'), t('2024-07-04T12:00')));
    expect(p.time_slot?.prefix).toBe(130);
    expect(p.warnings.map((w) => [w.code, w.field, w.minutes])).toEqual([
      ['starts_earlier', 'starts_at', 60],
      ['ends_earlier', 'ends_at', 60],
    ]);
    expect(p.warnings[1]?.message).toMatch(/cannot open the door after/);
    expect(p.warnings[1]?.message).toContain('User 130 Hotel');
    expect(p.seam_request).toEqual({
      starts_at: '2024-07-01T15:00:00+02:00',
      ends_at: '2024-07-04T11:00:00+02:00',
      max_time_rounding: '1hour',
    });
  });

  it("2 h off every slot with 1h: the 422 lists the slots and the nearest, and offers 1d only within the stay's days", () => {
    const r = plan(lock([ALL_DAY, DAY]), t('2024-07-01T13:00'), t('2024-07-04T17:00'));
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.details?.nearest_slot).toMatchObject({
      prefix: 126,
      starts_at: '2024-07-01T07:00:00+02:00',
      ends_at: '2024-07-04T19:00:00+02:00',
      check_in_off_minutes: -360,
      check_out_off_minutes: 120,
    });
    expect(v?.message).toContain('2024-07-01T07:00:00+02:00');
    // the 24-hour slot stays within 1 to 4 July: offered, saying what it opens
    expect(v?.details?.day_rounding_option).toMatchObject({
      max_time_rounding: '1d',
      starts_at: utc('2024-07-01T00:00'),
      ends_at: utc('2024-07-04T23:59'),
      opens_before_stay_minutes: 13 * 60,
      opens_after_stay_minutes: 6 * 60 + 59,
    });
    expect(v?.message).toMatch(/'1d'.*13 hours before check-in.*cannot be revoked/);
  });

  it('no 1d suggestion when whole days would open the door on other days', () => {
    const noon = slot('User 125 24H noon', 125, '12:00', '12:00', { is_24_hour: true });
    const r = plan(lock([noon, HOTEL]), t('2024-07-01T10:00'), t('2024-07-04T14:00'));
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.details?.day_rounding_option).toBeUndefined();
    expect(v?.message).not.toMatch(/'1d'/);
    expect(v?.details?.nearest_slot).toMatchObject({ prefix: 125, check_in_off_minutes: 120 });
  });

  it('1d asked for and no slot within the hour: whole days on the 24-hour slot, with warnings', () => {
    const p = ok(plan(lock([ALL_DAY, DAY]), t('2024-07-01T15:00'), t('2024-07-04T15:00'), '1d'));
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([
      ['starts_earlier', 15 * 60],
      ['ends_later', 8 * 60 + 59],
    ]);
    expect(p.warnings[1]?.message).toMatch(/cannot be revoked/);
  });

  it('15:00 to 15:00 with 1d: whole days on the 24-hour slot, covering the stay', () => {
    const p = ok(plan(lock([ALL_DAY, DAY]), t('2024-07-01T15:00'), t('2024-07-04T15:00'), '1d'));
    expect(p).toMatchObject({
      kind: 'daily_bound',
      starts_at: utc('2024-07-01T00:00'),
      ends_at: utc('2024-07-04T23:59'),
      time_slot: { prefix: 123 },
    });
  });

  it('with 1d, an endpoint already within 1 h snaps to the nearest slot time', () => {
    const p = ok(plan(lock([ALL_DAY]), t('2024-07-01T00:30'), t('2024-07-04T15:00'), '1d'));
    expect(p.starts_at).toBe(utc('2024-07-01T00:00'));
    expect(p.ends_at).toBe(utc('2024-07-04T23:59'));
  });

  it('a daily window on a 1h lock with a fitting non-24h slot uses it', () => {
    const p = ok(plan(lock([ALL_DAY, HOTEL]), t('2024-07-01T15:00'), t('2024-07-04T11:00')));
    expect(p.time_slot?.prefix).toBe(130);
  });

  it('no 24-hour slot and 1d: still no_matching_time_slot (day rounding needs one)', () => {
    const r = plan(NO_24, t('2024-07-01T13:00'), t('2024-07-04T13:00'), '1d');
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    expect(r.ok ? undefined : r.violations[0]?.details?.day_rounding_option).toBeUndefined();
  });

  it('1d never rounds a non-24-hour slot by more than an hour', () => {
    // HOTEL is 2 h from 13:00 -> 09:00; with no 24-hour slot, 1d changes nothing
    expect(codes(plan(lock([HOTEL]), t('2024-07-01T13:00'), t('2024-07-04T09:00'), '1d'))).toEqual([
      'no_matching_time_slot',
    ]);
  });
});

describe('dormakaba duration', () => {
  it('31 days on the 24-hour slot is allowed', () => {
    const p = ok(plan(FULL, t('2024-07-01T00:00'), t('2024-08-01T00:00'), '1d'));
    expect(p.ends_at).toBe(utc('2024-07-31T23:59'));
  });

  it('32 days is rejected with the latest allowed end', () => {
    const r = plan(FULL, t('2024-07-01T00:00'), t('2024-08-02T00:00'), '1d');
    expect(codes(r)).toEqual(['dormakaba_duration_out_of_range']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.message).toMatch(/31 days/);
    expect(v?.details?.latest_ends_at).toBe(utc('2024-08-01T00:00'));
  });

  it('31 local days over a DST change (743 h elapsed) are allowed', () => {
    const p = ok(plan(FULL, t('2024-03-15T00:00'), t('2024-04-15T00:00'), '1d'));
    expect(Date.parse(p.ends_at) - Date.parse(p.starts_at)).toBe(
      (31 * 24 - 1) * 3_600_000 - 60_000,
    );
  });

  it('hotel slot: 30 d 20 h allowed, 31 d 20 h rejected', () => {
    expect(ok(plan(FULL, t('2024-07-01T15:00'), t('2024-08-01T11:00'))).time_slot?.prefix).toBe(
      130,
    );
    expect(codes(plan(FULL, t('2024-07-01T15:00'), t('2024-08-02T11:00')))).toEqual([
      'dormakaba_duration_out_of_range',
    ]);
  });

  it('a 12 h code (under one day) is allowed', () => {
    expect(ok(plan(FULL, t('2024-07-01T07:00'), t('2024-07-01T19:00'))).kind).toBe('hourly_bound');
  });

  it('a too-long window that also fits no slot reports both', () => {
    const r = plan(NO_24, t('2024-07-01T13:00'), t('2024-09-01T13:00'));
    expect(codes(r).sort()).toEqual(['dormakaba_duration_out_of_range', 'no_matching_time_slot']);
  });

  it('31 days exactly on the hotel slot over a DST change (both directions)', () => {
    // spring forward 31 Mar, fall back 27 Oct 2024 in Tirane
    for (const from of ['2024-03-15', '2024-10-10']) {
      const s = DateTime.fromISO(`${from}T15:00`, { zone: Z });
      const fits = plan(
        FULL,
        s.toISO() as string,
        s.plus({ days: 30, hours: 20 }).toISO() as string,
      );
      expect(ok(fits).time_slot?.prefix).toBe(130);
      expect(ok(fits).warnings).toEqual([]);
      const over = plan(
        FULL,
        s.toISO() as string,
        s.plus({ days: 31, hours: 20 }).toISO() as string,
      );
      expect(codes(over)).toEqual(['dormakaba_duration_out_of_range']);
    }
  });

  it('a window snapping to under 1 h is rejected', () => {
    const tight = slot('Tight', 160, '10:00', '10:30');
    const r = plan(lock([tight]), t('2024-07-01T10:00'), t('2024-07-01T11:00'));
    expect(codes(r)).toEqual(['dormakaba_duration_out_of_range']);
  });
});

describe('dormakaba slot formats and flags', () => {
  it.each([
    ['zone in brackets', '15:00:00[Europe/Tirane]', '11:00:00[Europe/Tirane]'],
    [
      'offset and zone (Seam guide form)',
      '15:00:00+01:00[Europe/Tirane]',
      '11:00:00+01:00[Europe/Tirane]',
    ],
    ['minutes only', '15:00[Europe/Tirane]', '11:00[Europe/Tirane]'],
    ['milliseconds', '15:00:00.000[Europe/Tirane]', '11:00:00.000[Europe/Tirane]'],
    ['no zone (lock zone)', '15:00:00', '11:00:00'],
  ])('reads %s', (_label, checkIn, checkOut) => {
    const s = { ...HOTEL, check_in_time: checkIn, check_out_time: checkOut };
    const p = ok(plan(lock([s]), t('2024-07-01T15:00'), t('2024-07-04T11:00')));
    expect(p.starts_at).toBe(utc('2024-07-01T15:00'));
    expect(p.ends_at).toBe(utc('2024-07-04T11:00'));
  });

  it('reads Z and fixed offsets as fixed offsets', () => {
    const z = { ...HOTEL, check_in_time: '13:00:00Z', check_out_time: '09:00:00Z' };
    const p = ok(plan(lock([z]), '2024-07-01T13:00:00Z', '2024-07-04T09:00:00Z'));
    expect(p.starts_at).toBe('2024-07-01T13:00:00.000Z');
    const off = { ...HOTEL, check_in_time: '15:00:00-05:00', check_out_time: '11:00:00-05:00' };
    const q = ok(plan(lock([off]), '2024-07-01T20:00:00Z', '2024-07-04T16:00:00Z'));
    expect(q.ends_at).toBe('2024-07-04T16:00:00.000Z');
  });

  it('reads NIST zone abbreviations as fixed offsets (seam-tod)', () => {
    const pst = { ...HOTEL, check_in_time: '15:00[PST]', check_out_time: '11:00[PST]' };
    // 15:00 at UTC-8 in July is 23:00Z
    const p = ok(plan(lock([pst]), '2024-07-01T23:00:00Z', '2024-07-04T19:00:00Z'));
    expect(p.starts_at).toBe('2024-07-01T23:00:00.000Z');
  });

  it('a slot without a name or prefix is still a slot', () => {
    const bare: DormakabaTimeSlot = {
      check_in_time: '15:00:00[Europe/Tirane]',
      check_out_time: '11:00:00[Europe/Tirane]',
      is_24_hour: false,
      is_one_shot: false,
      is_master: false,
      is_biweekly_mode: false,
    };
    const p = ok(plan(lock([bare]), t('2024-07-01T15:00'), t('2024-07-04T11:00')));
    expect(p.time_slot).toEqual({ name: null, prefix: null, user_level_id: null });
  });

  describe('biweekly slots ("a code that is valid for two weeks")', () => {
    const BI = slot('User 150 biweekly', 150, '15:00', '11:00', { is_biweekly_mode: true });

    it('carry a two-week stay', () => {
      const p = ok(plan(lock([BI]), t('2024-07-01T15:00'), t('2024-07-15T11:00')));
      expect(p.time_slot?.prefix).toBe(150);
    });

    it('never carry a shorter (or longer) stay: the code might last two weeks', () => {
      for (const end of ['2024-07-04T11:00', '2024-07-14T11:00', '2024-07-16T11:00']) {
        const r = plan(lock([BI]), t('2024-07-01T15:00'), t(end));
        expect(codes(r)).toEqual(['no_matching_time_slot']);
        expect(r.ok ? '' : r.violations[0]?.message).toMatch(/biweekly/);
      }
    });

    it('a non-biweekly slot with the same times takes the short stay', () => {
      const p = ok(plan(lock([BI, HOTEL]), t('2024-07-01T15:00'), t('2024-07-04T11:00')));
      expect(p.time_slot?.prefix).toBe(130);
    });
  });
});

/** Slot rounding (within 1 h) and the 31-day limit on and off the hour, both DST directions. */
describe.each([
  ['Europe/Tirane', '2024-03-29'], // spring forward 31 Mar 2024
  ['Europe/Tirane', '2024-10-25'], // fall back 27 Oct 2024
  ['America/New_York', '2024-03-08'], // spring forward 10 Mar 2024
  ['America/New_York', '2024-11-01'], // fall back 3 Nov 2024
  ['UTC', '2024-03-29'],
])('dormakaba boundaries in %s from %s', (zone, day) => {
  const l = lock([slot('Hotel', 1, '15:00', '11:00', {}, zone)], zone);
  const at = (d: number, hm: string, plusMin = 0) =>
    DateTime.fromISO(`${day}T${hm}`, { zone }).plus({ days: d, minutes: plusMin });
  const run = (s: DateTime, e: DateTime) => plan(l, s.toISO() as string, e.toISO() as string);

  it.each([0, 30, 60, -60, -30])('check-in %i min off: snaps to 15:00 local', (off) => {
    const p = ok(run(at(0, '15:00', off), at(4, '11:00')));
    expect(DateTime.fromISO(p.starts_at).setZone(zone).toFormat('HH:mm')).toBe('15:00');
    expect(DateTime.fromISO(p.ends_at).setZone(zone).toFormat('HH:mm')).toBe('11:00');
    expect(p.warnings.length).toBe(off === 0 ? 0 : 1);
  });

  it('61 min off: refused', () => {
    expect(codes(run(at(0, '15:00', 61), at(4, '11:00')))).toEqual(['no_matching_time_slot']);
    expect(codes(run(at(0, '15:00'), at(4, '11:00', -61)))).toEqual(['no_matching_time_slot']);
  });

  it('31 nights fit, 32 do not', () => {
    expect(ok(run(at(0, '15:00'), at(31, '11:00'))).warnings).toEqual([]);
    expect(codes(run(at(0, '15:00'), at(32, '11:00')))).toEqual([
      'dormakaba_duration_out_of_range',
    ]);
  });
});

describe('dormakaba 1d when the slot within the hour cannot carry the stay', () => {
  it('a short stay near only a biweekly slot: 1d rounds onto the 24-hour slot instead', () => {
    const BI = slot('User 150 biweekly', 150, '15:00', '11:00', { is_biweekly_mode: true });
    const l = lock([BI, ALL_DAY]);
    expect(codes(plan(l, t('2024-07-01T15:00'), t('2024-07-04T11:00')))).toEqual([
      'no_matching_time_slot',
    ]);
    const p = ok(plan(l, t('2024-07-01T15:00'), t('2024-07-04T11:00'), '1d'));
    expect(p.time_slot?.prefix).toBe(123);
    expect([p.starts_at, p.ends_at]).toEqual([utc('2024-07-01T00:00'), utc('2024-07-04T23:59')]);
  });
});
