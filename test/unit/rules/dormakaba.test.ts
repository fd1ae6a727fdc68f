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
    });
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
    expect(listed.sort()).toEqual([126, 130, 140]);
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

  it('uses a one-shot slot for a same-day window only', () => {
    const l = lock([ONE_SHOT]);
    expect(ok(plan(l, t('2024-07-01T10:00'), t('2024-07-01T12:00'))).time_slot?.prefix).toBe(140);
    const r = plan(l, t('2024-07-01T10:00'), t('2024-07-03T12:00'));
    expect(codes(r)).toEqual(['no_matching_time_slot']);
    expect(r.ok ? '' : r.violations[0]?.message).toMatch(/one-shot/);
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
  it('prefers the 24-hour slot for a daily window even when another slot is closer', () => {
    const midnight = slot('Midnight', 150, '00:00', '00:00');
    const p = ok(plan(lock([midnight, ALL_DAY]), t('2024-07-01T00:00'), t('2024-07-05T00:00')));
    expect(p.time_slot?.prefix).toBe(123);
    expect(p.kind).toBe('daily_bound');
    // a non-daily window picks the closest
    const q = ok(plan(lock([midnight, ALL_DAY]), t('2024-07-01T00:00'), t('2024-07-05T00:30')));
    expect(q.time_slot?.prefix).toBe(150);
  });

  it('15:00 to 15:00 with 1h and a 24-hour slot: rounding_exceeds_max with the 1d plan', () => {
    const r = plan(lock([ALL_DAY, DAY]), t('2024-07-01T15:00'), t('2024-07-04T15:00'));
    expect(codes(r)).toEqual(['rounding_exceeds_max']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.message).toMatch(/'1d'/);
    expect(v?.details?.suggested_starts_at).toBe(utc('2024-07-01T00:00'));
    expect(v?.details?.suggested_ends_at).toBe(utc('2024-07-04T23:59'));
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
    expect(codes(plan(NO_24, t('2024-07-01T13:00'), t('2024-07-04T13:00'), '1d'))).toEqual([
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

  it('a window snapping to under 1 h is rejected', () => {
    const tight = slot('Tight', 160, '10:00', '10:30');
    const r = plan(lock([tight]), t('2024-07-01T10:00'), t('2024-07-01T11:00'));
    expect(codes(r)).toEqual(['dormakaba_duration_out_of_range']);
  });
});
