/**
 * igloohome offline-code rules.
 *
 * Sources (seamapi/docs):
 * - offline-access-codes.md, duration table: "igloohome | Hourly-bound codes | 1 to 672 hours
 *   (28 days)"; "igloohome | Daily-bound codes | 29 to 367 days".
 * - creating-igloohome-offline-access-codes.md: "Daily-bound code schedule restrictions | Start
 *   time and end time must match."; one-time-use "Lasts for 24 hours"; "For codes that last
 *   longer than 24 hours, algoPINs have a 24-hour activation window. Use the code within the
 *   first 24 hours of the start time."
 * - offline-access-codes.md, rounding: with `1d` "Seam rounds the time period that you specify
 *   to the nearest day"; "the Seam API returns an error if `max_time_rounding` is `1hour` and
 *   the necessary rounding amount exceeds one hour". So a window that ROUNDS into a valid range
 *   is valid: the limits are checked on the rounded window, never on the raw one.
 *
 * Readings (inferred where the docs are silent):
 * - Grid: hourly-bound codes start and end on a local hour of the lock (algoPINs are issued per
 *   hour; Seam's default rounding is one hour; every example in the guide is on the hour).
 *   Daily-bound codes start and end at the same local time on the hour, N local calendar days
 *   apart (so 29 days over a DST change keep their wall-clock time and last 29 d +- 1 h).
 * - 672 hours are elapsed hours; 29 and 367 days are local calendar days.
 * - Rounding (rounding.ts): each end rounds to the local hour below or above it; a daily-bound
 *   end rounds to the start's time of day, within 1 hour with '1hour', or with '1day' the number
 *   of days is the stay's length in local days rounded to the nearest whole day.
 * - Which valid window: first the stay rounded OUTWARD to local hours (each end moves by
 *   less than an hour and the guest keeps the whole stay), when that is a valid hourly-bound
 *   code. Otherwise the valid window nearest to the stay (least total movement, Seam's "nearest
 *   day"); ties go to the one taking less of the stay from the guest, then to the one that
 *   keeps the start (a guest who cannot get in is worse off than one who must be out sooner),
 *   then to the earlier window. Every move is in the plan's warnings.
 * - One-time-use: starts_at floors to its local hour (the algoPIN grid), valid 24 h from there.
 */
import type { DateTime } from 'luxon';
import { seamTimesFor, windowWarnings } from './plan';
import {
  HOUR_MS,
  HOUR_ROUNDING_MS,
  describeDuration,
  describeLocal,
  floorLocalHour,
  hourRoundings,
  toUtcIso,
} from './rounding';
import { CAVEATS, type CodeKind, type CodePlan, type PlanResult } from './types';
import { violation } from './violation';
import type { CheckedWindow } from './window';

export const IGLOOHOME_HOURLY_MAX_HOURS = 672;
export const IGLOOHOME_DAILY_MIN_DAYS = 29;
export const IGLOOHOME_DAILY_MAX_DAYS = 367;

interface Candidate {
  kind: 'hourly_bound' | 'daily_bound';
  start: DateTime;
  end: DateTime;
  /** ms of the stay the code does not cover */
  loss: number;
  /** ms the code covers outside the stay */
  extra: number;
  startLoss: number;
}

function candidate(
  kind: Candidate['kind'],
  start: DateTime,
  end: DateTime,
  w: CheckedWindow,
): Candidate {
  const s = w.start.toMillis();
  const e = w.end.toMillis();
  const startLoss = Math.max(0, start.toMillis() - s);
  return {
    kind,
    start,
    end,
    startLoss,
    loss: startLoss + Math.max(0, e - end.toMillis()),
    extra: Math.max(0, s - start.toMillis()) + Math.max(0, end.toMillis() - e),
  };
}

function isHourly(start: DateTime, end: DateTime): boolean {
  const hours = (end.toMillis() - start.toMillis()) / HOUR_MS;
  return hours >= 1 && hours <= IGLOOHOME_HOURLY_MAX_HOURS;
}

/** The daily-bound ends for a code starting at `start` that `end` can round to. */
function dailyEndsFrom(
  start: DateTime,
  end: DateTime,
  rounding: CheckedWindow['rounding'],
): DateTime[] {
  const days = end.diff(start, 'days').days;
  const counts =
    rounding === '1day'
      ? [Math.round(days)]
      : [Math.floor(days), Math.ceil(days)].filter((n, i, all) => all.indexOf(n) === i);
  const out: DateTime[] = [];
  for (const n of counts) {
    if (n < IGLOOHOME_DAILY_MIN_DAYS || n > IGLOOHOME_DAILY_MAX_DAYS) continue;
    const e = start.plus({ days: n });
    // A wall time that does not exist on the end date (spring gap) is not the same time.
    if (e.hour !== start.hour || e.minute !== start.minute) continue;
    if (rounding === '1day' || Math.abs(e.toMillis() - end.toMillis()) <= HOUR_ROUNDING_MS) {
      out.push(e);
    }
  }
  return out;
}

/** Every valid window the stay can round to. */
function candidates(w: CheckedWindow, rounding: CheckedWindow['rounding']): Candidate[] {
  const out: Candidate[] = [];
  const starts = hourRoundings(w.start);
  for (const s of starts) {
    for (const e of hourRoundings(w.end)) {
      if (isHourly(s, e)) out.push(candidate('hourly_bound', s, e, w));
    }
    for (const e of dailyEndsFrom(s, w.end, rounding)) out.push(candidate('daily_bound', s, e, w));
  }
  return out;
}

function nearest(list: Candidate[], w0: number): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of list) {
    if (!best) {
      best = c;
      continue;
    }
    const key = (x: Candidate) => [
      x.loss + x.extra,
      x.loss,
      x.startLoss,
      Math.abs(x.start.toMillis() - w0),
      x.start.toMillis(),
    ];
    const a = key(c);
    const b = key(best);
    for (let i = 0; i < a.length; i++) {
      if ((a[i] as number) !== (b[i] as number)) {
        if ((a[i] as number) < (b[i] as number)) best = c;
        break;
      }
    }
  }
  return best;
}

/** The window this module plans for `w` with `rounding`, or undefined when none is valid. */
function choose(w: CheckedWindow, rounding: CheckedWindow['rounding']): Candidate | undefined {
  // Outward: the earliest hour the start can round to, the latest the end can round to.
  const s = hourRoundings(w.start)[0];
  const e = hourRoundings(w.end).at(-1);
  if (s && e && s.toMillis() <= w.start.toMillis() && e.toMillis() >= w.end.toMillis()) {
    if (isHourly(s, e)) return candidate('hourly_bound', s, e, w);
  }
  return nearest(candidates(w, rounding), w.start.toMillis());
}

function caveatsFor(start: DateTime, end: DateTime): string[] {
  return end.toMillis() - start.toMillis() > 24 * HOUR_MS ? [CAVEATS.firstUseWithin24h] : [];
}

function toPlan(w: CheckedWindow, c: { kind: CodeKind; start: DateTime; end: DateTime }): CodePlan {
  const why =
    c.kind === 'daily_bound'
      ? `igloohome daily-bound codes start and end at the same local time on the hour, ` +
        `${IGLOOHOME_DAILY_MIN_DAYS} to ${IGLOOHOME_DAILY_MAX_DAYS} days apart.`
      : c.kind === 'hourly_bound'
        ? `igloohome hourly-bound codes start and end on the hour and last 1 to ` +
          `${IGLOOHOME_HOURLY_MAX_HOURS} hours.`
        : 'igloohome one-time-use codes start on the hour and last 24 hours.';
  return {
    kind: c.kind,
    starts_at: toUtcIso(c.start),
    ends_at: toUtcIso(c.end),
    max_time_rounding: c.kind === 'daily_bound' ? '1day' : '1hour',
    timezone: w.zone,
    caveats: c.kind === 'one_time_use' ? [CAVEATS.oneTimeUse] : caveatsFor(c.start, c.end),
    warnings: windowWarnings(w, c, w.zone, why),
    seam_request: seamTimesFor(w, 'igloohome', c.kind, c.start, c.end),
  };
}

export function planIgloohomeTimeBound(w: CheckedWindow): PlanResult {
  const chosen = choose(w, w.rounding);
  if (chosen) return { ok: true, plan: toPlan(w, chosen) };

  const { start, end, zone, rounding } = w;
  const elapsedHours = (end.toMillis() - start.toMillis()) / HOUR_MS;
  const days = end.diff(start, 'days').days;
  const requested = {
    starts_at: describeLocal(start),
    ends_at: describeLocal(end),
    hours: Math.round(elapsedHours * 100) / 100,
    local_days: Math.round(days * 1000) / 1000,
    max_time_rounding: rounding,
  };
  const hStart = floorLocalHour(start);
  const latestHourly = hStart.plus({ hours: IGLOOHOME_HOURLY_MAX_HOURS });
  const earliestDaily = hStart.plus({ days: IGLOOHOME_DAILY_MIN_DAYS });

  if (days > IGLOOHOME_DAILY_MAX_DAYS) {
    const latest = hStart.plus({ days: IGLOOHOME_DAILY_MAX_DAYS });
    return {
      ok: false,
      violations: [
        violation(
          'igloohome_duration_too_long',
          `The window ${requested.starts_at} to ${requested.ends_at} lasts about ` +
            `${Math.floor(days)} days; igloohome daily-bound offline codes last at most ` +
            `${IGLOOHOME_DAILY_MAX_DAYS} days${rounding === '1day' ? ' (rounded to the nearest day)' : ''}. Move ends_at to ` +
            `${describeLocal(latest)} or earlier (or split the stay into several codes).`,
          'ends_at',
          {
            ...requested,
            daily_max_days: IGLOOHOME_DAILY_MAX_DAYS,
            latest_ends_at: toUtcIso(latest),
          },
        ),
      ],
    };
  }

  if (days < IGLOOHOME_DAILY_MIN_DAYS) {
    const withDay = rounding === '1hour' ? choose(w, '1day') : undefined;
    const dayHint = withDay
      ? ` With max_time_rounding '1d' the code would be ${describeLocal(withDay.start)} to ` +
        `${describeLocal(withDay.end)} (${withDay.loss > 0 ? `${describeDuration(withDay.loss)} shorter than the stay` : `${describeDuration(withDay.extra)} longer than the stay`}).`
      : '';
    return {
      ok: false,
      violations: [
        violation(
          'igloohome_duration_gap',
          `The window ${requested.starts_at} to ${requested.ends_at} lasts ` +
            `${describeDuration(end.toMillis() - start.toMillis())}. igloohome offline codes are ` +
            `either hourly-bound (1 to ${IGLOOHOME_HOURLY_MAX_HOURS} hours) or daily-bound ` +
            `(${IGLOOHOME_DAILY_MIN_DAYS} to ${IGLOOHOME_DAILY_MAX_DAYS} days, same time of day ` +
            `at start and end), and no rounding within max_time_rounding '${rounding}' reaches ` +
            `either. Shorten the window to at most ${IGLOOHOME_HOURLY_MAX_HOURS} hours (ends_at ` +
            `${describeLocal(latestHourly)} or earlier), or lengthen it to at least ` +
            `${IGLOOHOME_DAILY_MIN_DAYS} days ending at the same local time as it starts ` +
            `(e.g. ends_at ${describeLocal(earliestDaily)}).${dayHint}`,
          'ends_at',
          {
            ...requested,
            hourly_max_hours: IGLOOHOME_HOURLY_MAX_HOURS,
            daily_min_days: IGLOOHOME_DAILY_MIN_DAYS,
            latest_hourly_ends_at: toUtcIso(latestHourly),
            earliest_daily_ends_at: toUtcIso(earliestDaily),
            ...(withDay
              ? {
                  with_1d_starts_at: toUtcIso(withDay.start),
                  with_1d_ends_at: toUtcIso(withDay.end),
                }
              : {}),
          },
        ),
      ],
    };
  }

  // 29 to 367 days, but the two times of day are too far apart for the allowed rounding.
  const aligned = hStart.plus({
    days: Math.max(IGLOOHOME_DAILY_MIN_DAYS, Math.min(IGLOOHOME_DAILY_MAX_DAYS, Math.round(days))),
  });
  const withDay = rounding === '1hour' ? choose(w, '1day') : undefined;
  const needed = Math.abs(end.toMillis() - aligned.toMillis());
  return {
    ok: false,
    violations: [
      violation(
        'rounding_exceeds_max',
        `A ${Math.round(days)}-day igloohome code is daily-bound: it must start and end at the ` +
          `same local time of day on the hour (${zone}). ${requested.starts_at} to ` +
          `${requested.ends_at} would need ${describeDuration(needed)} of rounding, more than ` +
          `max_time_rounding '${rounding}' allows. ` +
          `Set ends_at to ${describeLocal(aligned)}` +
          (withDay
            ? `, or set max_time_rounding to '1d': the code would then be ` +
              `${describeLocal(withDay.start)} to ${describeLocal(withDay.end)}` +
              (withDay.loss > 0
                ? `, ${describeDuration(withDay.loss)} shorter than the stay.`
                : `, ${describeDuration(withDay.extra)} longer than the stay.`)
            : '.'),
        rounding === '1hour' ? 'max_time_rounding' : 'ends_at',
        {
          ...requested,
          rounding_needed_minutes: Math.round(needed / 60_000),
          suggested_ends_at: toUtcIso(aligned),
          ...(withDay
            ? { with_1d_starts_at: toUtcIso(withDay.start), with_1d_ends_at: toUtcIso(withDay.end) }
            : {}),
        },
      ),
    ],
  };
}

/**
 * One-time-use: "valid for 24 hours from the `starts_at`" (offline-access-codes.md). The start
 * floors to its local hour (see the readings above); the window is then fixed.
 */
export function planIgloohomeOneTimeUse(w: CheckedWindow): PlanResult {
  const start = floorLocalHour(w.start);
  const end = start.plus({ hours: 24 });
  return {
    ok: true,
    plan: toPlan({ ...w, end: w.start.plus({ hours: 24 }) }, { kind: 'one_time_use', start, end }),
  };
}
