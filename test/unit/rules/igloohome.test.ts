import { DateTime } from 'luxon';
import type { LockProfile } from '../../../src/domain/device-profile';
import {
  planOfflineCode,
  type CodePlan,
  type CodeRequest,
  type MaxTimeRounding,
  type PlanResult,
} from '../../../src/domain/rules';

const NOW = new Date('2024-01-01T00:00:00Z');
const HOUR = 3_600_000;

function lock(timezone = 'UTC'): LockProfile {
  return {
    device_id: 'igloo-1',
    name: 'Front door',
    manufacturer: 'igloohome',
    timezone,
    timeSlots: [],
  };
}

function plan(
  startsAt: string,
  endsAt: string | undefined,
  opts: { zone?: string; rounding?: MaxTimeRounding; oneTime?: boolean; now?: Date } = {},
): PlanResult {
  const req: CodeRequest = {
    starts_at: startsAt,
    is_one_time_use: opts.oneTime ?? false,
    max_time_rounding: opts.rounding ?? '1h',
  };
  if (endsAt !== undefined) req.ends_at = endsAt;
  return planOfflineCode(lock(opts.zone), req, opts.now ?? NOW);
}

function ok(r: PlanResult): CodePlan {
  if (!r.ok) throw new Error(`expected a plan, got ${JSON.stringify(r.violations)}`);
  return r.plan;
}

function codes(r: PlanResult): string[] {
  return r.ok ? [] : r.violations.map((v) => v.code);
}

/** ISO for start + h hours (UTC). */
function plusHours(iso: string, h: number): string {
  return new Date(Date.parse(iso) + h * HOUR).toISOString();
}

const ms = (iso: string) => Date.parse(iso);
const local = (iso: string, zone: string) => DateTime.fromISO(iso).setZone(zone);

describe('igloohome hourly-bound', () => {
  const S = '2024-06-01T10:00:00.000Z';

  it('1 h is the minimum and is accepted unchanged', () => {
    const p = ok(plan(S, plusHours(S, 1)));
    expect(p).toMatchObject({
      kind: 'hourly_bound',
      starts_at: S,
      ends_at: plusHours(S, 1),
      caveats: [],
    });
    expect(p.timezone).toBe('UTC');
    expect(p.time_slot).toBeUndefined();
  });

  it('24 h has no first-use caveat, 25 h has it', () => {
    expect(ok(plan(S, plusHours(S, 24))).caveats).toEqual([]);
    expect(ok(plan(S, plusHours(S, 25))).caveats).toEqual(['igloohome_first_use_within_24h']);
  });

  it('672 h is the longest hourly-bound code', () => {
    const p = ok(plan(S, plusHours(S, 672)));
    expect(p.kind).toBe('hourly_bound');
    expect(ms(p.ends_at) - ms(p.starts_at)).toBe(672 * HOUR);
  });

  it('673 h falls in the gap, and the message explains both ways out', () => {
    const r = plan(S, plusHours(S, 673));
    expect(codes(r)).toEqual(['igloohome_duration_gap']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.field).toBe('ends_at');
    expect(v?.message).toMatch(/672 hours/);
    expect(v?.message).toMatch(/29 days/);
    expect(v?.message).toMatch(/same local time/);
    expect(v?.details?.latest_hourly_ends_at).toBe(plusHours(S, 672));
    expect(v?.details?.earliest_daily_ends_at).toBe(plusHours(S, 29 * 24));
  });

  it('673 h on the hour stays in the gap: a time on the hour rounds to itself', () => {
    // Rounding moves a time onto the grid, never further: nothing shortens 673 h to 672 h.
    expect(codes(plan(S, plusHours(S, 673), { rounding: '1d' }))).toEqual([
      'igloohome_duration_gap',
    ]);
  });

  it('28 d 23 h rounds into the daily range (1 h to the same time of day), with 1h or 1d', () => {
    // Seam: a window that rounds into a valid range is valid. Today's code refused it.
    for (const rounding of ['1h', '1d'] as const) {
      const p = ok(plan(S, plusHours(S, 28 * 24 + 23), { rounding }));
      expect(p).toMatchObject({
        kind: 'daily_bound',
        starts_at: S,
        ends_at: plusHours(S, 29 * 24),
        max_time_rounding: '1day',
      });
      expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([['ends_later', 60]]);
    }
  });

  it('28 d 22 h 59 min with 1h: the end needs more than 1 h of rounding, so the gap', () => {
    const e = new Date(ms(S) + (28 * 24 + 23) * HOUR - 60_000).toISOString();
    expect(codes(plan(S, e))).toEqual(['igloohome_duration_gap']);
    // with 1d the nearest day is 29
    expect(ok(plan(S, e, { rounding: '1d' })).ends_at).toBe(plusHours(S, 29 * 24));
  });

  it('a 672 h window starting at :30 rounds onto the hour and is valid (was: the gap)', () => {
    const s = '2024-06-01T10:30:00.000Z';
    const p = ok(plan(s, plusHours(s, 672)));
    expect(p).toMatchObject({
      kind: 'hourly_bound',
      starts_at: '2024-06-01T10:00:00.000Z',
      ends_at: plusHours('2024-06-01T10:00:00.000Z', 672),
    });
    // the guest keeps the start; the last half hour is lost, and the answer says so
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([
      ['starts_earlier', 30],
      ['ends_earlier', 30],
    ]);
  });

  it('an hour-aligned window needing no rounding is sent exactly as asked', () => {
    const s = '2024-06-01T12:00:00+02:00';
    const e = '2024-06-03T11:00:00+02:00';
    const p = ok(plan(s, e));
    expect(p.warnings).toEqual([]);
    expect(p.seam_request).toEqual({ starts_at: s, ends_at: e, max_time_rounding: '1hour' });
  });

  it('an hourly window asked with 1d is still sent with 1hour (Seam may not widen it)', () => {
    const p = ok(plan(S, plusHours(S, 70), { rounding: '1d' }));
    expect(p.kind).toBe('hourly_bound');
    expect(p.seam_request.max_time_rounding).toBe('1hour');
    expect(p.max_time_rounding).toBe('1hour');
  });

  it('rounds starts_at down and ends_at up to the hour, and says so', () => {
    const p = ok(plan('2024-06-01T10:20:00Z', '2024-06-01T12:40:00Z'));
    expect(p.starts_at).toBe('2024-06-01T10:00:00.000Z');
    expect(p.ends_at).toBe('2024-06-01T13:00:00.000Z');
    expect(p.warnings.map((w) => [w.code, w.field, w.minutes])).toEqual([
      ['starts_earlier', 'starts_at', 20],
      ['ends_later', 'ends_at', 20],
    ]);
    // a rounded window goes to Seam as planned, in the lock's offset
    expect(p.seam_request).toEqual({
      starts_at: '2024-06-01T10:00:00+00:00',
      ends_at: '2024-06-01T13:00:00+00:00',
      max_time_rounding: '1hour',
    });
  });

  it('rounds by less than 1 h even at :59 / :01', () => {
    const p = ok(plan('2024-06-01T10:59:59Z', '2024-06-01T12:00:01Z'));
    expect(p.starts_at).toBe('2024-06-01T10:00:00.000Z');
    expect(p.ends_at).toBe('2024-06-01T13:00:00.000Z');
  });

  it('671 h 31 m: outward rounding gives 673 h, the nearest valid rounding 672 h', () => {
    // 10:30 -> 10:00 (down), 10:01 28 days later -> 10:00 (down): 672 h, 1 minute lost
    const p = ok(plan('2024-06-01T10:30:00Z', '2024-06-29T10:01:00Z'));
    expect(p.starts_at).toBe('2024-06-01T10:00:00.000Z');
    expect(p.ends_at).toBe('2024-06-29T10:00:00.000Z');
    expect(p.warnings.map((w) => w.code)).toEqual(['starts_earlier', 'ends_earlier']);
  });

  it('rounds to local hours in a half-hour-offset zone (Asia/Kolkata)', () => {
    const p = ok(
      plan('2024-06-01T15:40:00+05:30', '2024-06-01T18:10:00+05:30', { zone: 'Asia/Kolkata' }),
    );
    expect(local(p.starts_at, 'Asia/Kolkata').toFormat('HH:mm')).toBe('15:00');
    expect(local(p.ends_at, 'Asia/Kolkata').toFormat('HH:mm')).toBe('19:00');
    expect(p.starts_at).toBe('2024-06-01T09:30:00.000Z');
  });

  it('counts elapsed hours over a DST change (Europe/Berlin spring: local day of 23 h)', () => {
    const p = ok(
      plan('2024-03-30T22:00:00+01:00', '2024-03-31T22:00:00+02:00', { zone: 'Europe/Berlin' }),
    );
    expect(ms(p.ends_at) - ms(p.starts_at)).toBe(23 * HOUR);
    expect(p.caveats).toEqual([]);
  });

  it('rounds on the ambiguous hour of a fall-back night (America/New_York) without losing it', () => {
    const p = ok(
      plan('2024-11-03T01:30:00-05:00', '2024-11-03T03:10:00-05:00', { zone: 'America/New_York' }),
    );
    expect(p.starts_at).toBe('2024-11-03T06:00:00.000Z'); // 01:00 EST, the second 01:00
    expect(p.ends_at).toBe('2024-11-03T09:00:00.000Z');
  });
});

describe('igloohome daily-bound', () => {
  const S = '2024-06-01T15:00:00.000Z';

  it('29 d at the same time of day is daily-bound, unchanged', () => {
    const p = ok(plan(S, plusHours(S, 29 * 24)));
    expect(p).toMatchObject({
      kind: 'daily_bound',
      starts_at: S,
      ends_at: plusHours(S, 29 * 24),
      caveats: ['igloohome_first_use_within_24h'],
      // Seam: "To create a daily-bound offline access code ... set this parameter to `1d`"
      max_time_rounding: '1day',
      warnings: [],
    });
    expect(p.seam_request).toEqual({
      starts_at: S,
      ends_at: plusHours(S, 29 * 24),
      max_time_rounding: '1day',
    });
  });

  it('367 d is the longest daily-bound code', () => {
    expect(ok(plan(S, plusHours(S, 367 * 24))).kind).toBe('daily_bound');
  });

  it('368 d is too long, with the latest allowed ends_at', () => {
    const r = plan(S, plusHours(S, 368 * 24));
    expect(codes(r)).toEqual(['igloohome_duration_too_long']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.message).toMatch(/367 days/);
    expect(v?.details?.latest_ends_at).toBe(plusHours(S, 367 * 24));
  });

  it('367 d and a few minutes rounds down to 367 d with 1h (was: too long)', () => {
    const p = ok(plan(S, plusHours(S, 367 * 24 + 10 / 60)));
    expect(p).toMatchObject({ kind: 'daily_bound', ends_at: plusHours(S, 367 * 24) });
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([['ends_earlier', 10]]);
  });

  it('367 d 30 min rounds down with 1h or 1d; 367 d 13 h is the nearest day 368: too long', () => {
    expect(ok(plan(S, plusHours(S, 367 * 24 + 0.5))).ends_at).toBe(plusHours(S, 367 * 24));
    expect(ok(plan(S, plusHours(S, 367 * 24 + 11), { rounding: '1d' })).ends_at).toBe(
      plusHours(S, 367 * 24),
    );
    expect(codes(plan(S, plusHours(S, 367 * 24 + 13), { rounding: '1d' }))).toEqual([
      'igloohome_duration_too_long',
    ]);
    expect(codes(plan(S, plusHours(S, 367 * 24 + 2)))).toEqual(['igloohome_duration_too_long']);
  });

  it('end 30 min off the start time: 1hour rounding suffices, end snaps to the same time', () => {
    const p = ok(plan(S, plusHours(S, 40 * 24 + 0.5)));
    expect(p.kind).toBe('daily_bound');
    expect(p.ends_at).toBe(plusHours(S, 40 * 24));
    expect(p.max_time_rounding).toBe('1day');
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([['ends_earlier', 30]]);
  });

  it('end exactly 1 h off: still within 1hour rounding', () => {
    expect(ok(plan(S, plusHours(S, 40 * 24 + 1))).ends_at).toBe(plusHours(S, 40 * 24));
  });

  it('end 1 h 1 min off with 1hour: rounding_exceeds_max, suggesting 1d or the aligned end', () => {
    const r = plan(S, new Date(ms(S) + (40 * 24 + 1) * HOUR + 60_000).toISOString());
    expect(codes(r)).toEqual(['rounding_exceeds_max']);
    const v = r.ok ? undefined : r.violations[0];
    expect(v?.field).toBe('max_time_rounding');
    expect(v?.message).toMatch(/'1d'/);
    expect(v?.details?.suggested_ends_at).toBe(plusHours(S, 40 * 24));
    expect(v?.details?.rounding_needed_minutes).toBe(61);
  });

  it('different times of day with 1d: the stay rounds to the nearest whole day', () => {
    const up = ok(plan(S, plusHours(S, 40 * 24 + 13), { rounding: '1d' }));
    expect(up).toMatchObject({
      kind: 'daily_bound',
      max_time_rounding: '1day',
      starts_at: S,
      ends_at: plusHours(S, 41 * 24),
    });
    expect(up.warnings.map((w) => [w.code, w.minutes])).toEqual([['ends_later', 11 * 60]]);
    const down = ok(plan(S, plusHours(S, 40 * 24 + 11), { rounding: '1day' }));
    expect(down.ends_at).toBe(plusHours(S, 40 * 24));
    expect(down.warnings.map((w) => [w.code, w.minutes])).toEqual([['ends_earlier', 11 * 60]]);
  });

  it('a start off the hour floors to the hour, and the end keeps the same local time', () => {
    const p = ok(plan('2024-06-01T15:30:00Z', '2024-07-10T15:30:00Z'));
    expect(p.starts_at).toBe('2024-06-01T15:00:00.000Z');
    expect(p.ends_at).toBe('2024-07-10T15:00:00.000Z');
  });
});

describe('igloohome across DST changes', () => {
  describe.each([
    // zone, a start before the spring change, a start before the autumn change
    ['Europe/Berlin', '2024-03-20T10:00:00', '2024-10-10T10:00:00'], // changes: 31 Mar, 27 Oct 2024
    ['America/New_York', '2024-02-25T10:00:00', '2024-10-15T10:00:00'], // changes: 10 Mar, 3 Nov 2024
  ])('%s', (zone, spring, autumn) => {
    const at = (isoLocal: string, days: number) =>
      DateTime.fromISO(isoLocal, { zone }).plus({ days }).toISO() as string;

    it('29 local days over the spring change last 28 d 23 h in UTC and are daily-bound', () => {
      const s = at(spring, 0);
      const e = at(spring, 29);
      expect(ms(e) - ms(s)).toBe((29 * 24 - 1) * HOUR);
      const p = ok(plan(s, e, { zone }));
      expect(p.kind).toBe('daily_bound');
      expect(ms(p.ends_at) - ms(p.starts_at)).toBe((29 * 24 - 1) * HOUR);
      expect(local(p.ends_at, zone).toFormat('HH:mm')).toBe('10:00');
    });

    it('the same UTC length in a zone without DST rounds 1 h to 29 days (end later)', () => {
      const s = `${spring}Z`;
      const p = ok(plan(s, plusHours(s, 29 * 24 - 1), { zone: 'UTC' }));
      expect(p.ends_at).toBe(plusHours(s, 29 * 24));
      expect(p.warnings.map((w) => w.code)).toEqual(['ends_later']);
    });

    it('a lock read as UTC would shift the daily end by an hour: the zone matters', () => {
      const s = at(spring, 0);
      const e = at(spring, 40);
      expect(ok(plan(s, e, { zone })).warnings).toEqual([]);
      // the same instants on a lock whose zone is unknown (UTC): the end moves by 1 h
      expect(ok(plan(s, e, { zone: 'UTC' })).warnings.map((w) => [w.code, w.minutes])).toEqual([
        ['ends_later', 60],
      ]);
    });

    it('29 local days over the autumn change last 29 d 1 h in UTC and are daily-bound', () => {
      const s = at(autumn, 0);
      const e = at(autumn, 29);
      expect(ms(e) - ms(s)).toBe((29 * 24 + 1) * HOUR);
      const p = ok(plan(s, e, { zone }));
      expect(p.kind).toBe('daily_bound');
      expect(p.ends_at).toBe(new Date(ms(e)).toISOString());
    });

    it('28 local days over the autumn change are 673 h: the gap, not hourly', () => {
      const r = plan(at(autumn, 0), at(autumn, 28), { zone });
      expect(codes(r)).toEqual(['igloohome_duration_gap']);
    });

    it('28 local days over the spring change are 671 h: hourly-bound', () => {
      const p = ok(plan(at(spring, 0), at(spring, 28), { zone }));
      expect(p.kind).toBe('hourly_bound');
      expect(ms(p.ends_at) - ms(p.starts_at)).toBe(671 * HOUR);
    });

    it('with 1d, an end 3 h off rounds to the same LOCAL time after the change', () => {
      const s = at(spring, 0);
      const e = DateTime.fromISO(at(spring, 29)).plus({ hours: 3 }).toISO() as string;
      const p = ok(plan(s, e, { zone, rounding: '1d' }));
      expect(p.ends_at).toBe(new Date(ms(at(spring, 29))).toISOString());
      expect(local(p.ends_at, zone).toFormat('HH:mm')).toBe('10:00');
    });

    it('with 1h, the same end needs 3 h of rounding: rounding_exceeds_max', () => {
      const e = DateTime.fromISO(at(spring, 29)).plus({ hours: 3 }).toISO() as string;
      expect(codes(plan(at(spring, 0), e, { zone }))).toEqual(['rounding_exceeds_max']);
    });
  });
});

describe('igloohome one-time-use', () => {
  const S = '2024-06-01T10:20:00.000Z';

  it('needs only starts_at; valid 24 h; on the hour it is sent as asked; caveat', () => {
    const onHour = '2024-06-01T10:00:00+02:00';
    const p = ok(plan(onHour, undefined, { oneTime: true }));
    expect(p).toEqual({
      kind: 'one_time_use',
      starts_at: '2024-06-01T08:00:00.000Z',
      ends_at: '2024-06-02T08:00:00.000Z',
      max_time_rounding: '1hour',
      timezone: 'UTC',
      caveats: ['one_time_use_single_entry_24h'],
      warnings: [],
      seam_request: { starts_at: onHour, max_time_rounding: '1hour' },
    });
  });

  it('off the hour: the start floors to the hour (the 24 h window moves with it), with warnings', () => {
    const p = ok(plan(S, undefined, { oneTime: true }));
    expect(p.starts_at).toBe('2024-06-01T10:00:00.000Z');
    expect(p.ends_at).toBe('2024-06-02T10:00:00.000Z');
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([
      ['starts_earlier', 20],
      ['ends_earlier', 20],
    ]);
    expect(p.seam_request).toEqual({
      starts_at: '2024-06-01T10:00:00+00:00',
      max_time_rounding: '1hour',
    });
  });

  it('accepts an ends_at of exactly starts_at + 24 h (any offset)', () => {
    const p = ok(plan(S, '2024-06-02T12:20:00+02:00', { oneTime: true }));
    expect(p.ends_at).toBe('2024-06-02T10:00:00.000Z');
  });

  it.each([23, 25, 1])(
    'rejects an ends_at of starts_at + %i h with one_time_use_window_fixed',
    (h) => {
      const r = plan(S, plusHours(S, h), { oneTime: true });
      expect(codes(r)).toEqual(['one_time_use_window_fixed']);
      expect(r.ok ? '' : r.violations[0]?.message).toMatch(/Omit ends_at/);
    },
  );

  it('rejects a garbage ends_at as invalid_ends_at, telling them to omit it', () => {
    const r = plan(S, 'soon', { oneTime: true });
    expect(codes(r)).toEqual(['invalid_ends_at']);
    expect(r.ok ? '' : r.violations[0]?.message).toMatch(/omit/);
  });

  it('starts 23 h ago: still valid for an hour', () => {
    const now = new Date(ms(S) + 23 * HOUR);
    expect(ok(plan(S, undefined, { oneTime: true, now })).kind).toBe('one_time_use');
  });

  it('started 24 h ago: window_in_past', () => {
    const now = new Date(ms(S) + 24 * HOUR);
    expect(codes(plan(S, undefined, { oneTime: true, now }))).toEqual(['window_in_past']);
  });

  it('24 h is elapsed time, even over a DST change', () => {
    const p = ok(
      plan('2024-03-30T12:00:00+01:00', undefined, { oneTime: true, zone: 'Europe/Berlin' }),
    );
    expect(p.ends_at).toBe('2024-03-31T11:00:00.000Z');
  });

  it('one-time-use in a half-hour zone floors to the local hour', () => {
    const p = ok(
      plan('2024-06-01T09:45:00+05:30', undefined, { oneTime: true, zone: 'Asia/Kolkata' }),
    );
    expect(local(p.starts_at, 'Asia/Kolkata').toFormat('HH:mm')).toBe('09:00');
    expect(p.seam_request.starts_at).toBe('2024-06-01T09:00:00+05:30');
  });

  it('an inverted-looking ends_at is still just "omit ends_at"', () => {
    expect(codes(plan(S, plusHours(S, -5), { oneTime: true }))).toEqual([
      'one_time_use_window_fixed',
    ]);
  });
});

/**
 * Every igloohome limit (1 h, 672 h, 29 d, 367 d; seamapi/docs offline-access-codes.md duration
 * table) on and off the hour, in UTC and in zones crossing DST both ways.
 */
describe.each([
  ['UTC', '2024-03-20T10:00:00'],
  ['Europe/Berlin', '2024-03-20T10:00:00'], // spring forward 31 Mar 2024
  ['Europe/Berlin', '2024-10-10T10:00:00'], // fall back 27 Oct 2024
  ['America/New_York', '2024-02-25T10:00:00'], // spring forward 10 Mar 2024
  ['America/New_York', '2024-10-15T10:00:00'], // fall back 3 Nov 2024
])('igloohome boundaries in %s from %s', (zone, base) => {
  const start = DateTime.fromISO(base, { zone });
  const iso = (dt: DateTime) => dt.toISO() as string;
  const offHour = start.plus({ minutes: 30 });
  const run = (s: DateTime, e: DateTime, rounding: MaxTimeRounding = '1h') =>
    plan(iso(s), iso(e), { zone, rounding });

  it('1 h on the hour: hourly, sent as asked; 59 min: too short', () => {
    const p = ok(run(start, start.plus({ hours: 1 })));
    expect([p.kind, p.warnings.length]).toEqual(['hourly_bound', 0]);
    expect(codes(run(start, start.plus({ minutes: 59 })))).toEqual(['duration_too_short']);
  });

  it('1 h off the hour rounds outward to 2 h', () => {
    const p = ok(run(offHour, offHour.plus({ hours: 1 })));
    expect(ms(p.ends_at) - ms(p.starts_at)).toBe(2 * HOUR);
    expect(p.warnings.map((w) => w.code)).toEqual(['starts_earlier', 'ends_later']);
  });

  it('672 elapsed hours on the hour: hourly, no rounding; 673: the gap', () => {
    const p = ok(run(start, start.plus({ hours: 672 })));
    expect([p.kind, p.warnings.length, ms(p.ends_at) - ms(p.starts_at)]).toEqual([
      'hourly_bound',
      0,
      672 * HOUR,
    ]);
    const gap = run(start, start.plus({ hours: 673 }));
    // 673 h over the autumn change are exactly 28 local days: no day rounding reaches 29
    expect(codes(gap)).toEqual(['igloohome_duration_gap']);
  });

  it('672 elapsed hours off the hour: rounds onto the hour, keeping 672 h', () => {
    const p = ok(run(offHour, offHour.plus({ hours: 672 })));
    expect(p.kind).toBe('hourly_bound');
    expect(ms(p.ends_at) - ms(p.starts_at)).toBe(672 * HOUR);
    expect(ms(p.starts_at)).toBe(start.toMillis());
  });

  it('29 local days at the same local time: daily, as asked (even over a DST change)', () => {
    const p = ok(run(start, start.plus({ days: 29 })));
    expect([p.kind, p.warnings.length]).toEqual(['daily_bound', 0]);
    expect(local(p.ends_at, zone).toFormat('HH:mm')).toBe('10:00');
  });

  it('29 local days off the hour: both ends round to the same local hour', () => {
    const p = ok(run(offHour, offHour.plus({ days: 29 })));
    expect(p.kind).toBe('daily_bound');
    expect(local(p.starts_at, zone).toFormat('HH:mm')).toBe('10:00');
    expect(local(p.ends_at, zone).toFormat('HH:mm')).toBe('10:00');
    expect(p.warnings.map((w) => [w.code, w.minutes])).toEqual([
      ['starts_earlier', 30],
      ['ends_earlier', 30],
    ]);
  });

  it('367 local days: daily; 368: too long, with 1h and with 1d', () => {
    expect(ok(run(start, start.plus({ days: 367 }))).kind).toBe('daily_bound');
    for (const rounding of ['1h', '1d'] as const) {
      expect(codes(run(start, start.plus({ days: 368 }), rounding))).toEqual([
        'igloohome_duration_too_long',
      ]);
    }
  });

  it('accepted plans keep the rules: on the local hour, within the range', () => {
    for (const [s, e] of [
      [start, start.plus({ hours: 30 })],
      [offHour, offHour.plus({ days: 45, minutes: 20 })],
    ] as const) {
      const p = ok(run(s, e, '1d'));
      for (const t of [p.starts_at, p.ends_at]) {
        expect(local(t, zone).toFormat('mm:ss.SSS')).toBe('00:00.000');
      }
    }
  });
});
