/**
 * igloohome offline-code rules.
 *
 * - hourly-bound: 1 to 672 elapsed hours inclusive, measured AFTER rounding to the hour.
 *   Rounding (our choice, documented): starts_at rounds DOWN to the start of its local hour,
 *   ends_at rounds UP to the next local hour boundary. Each moves by less than 1 h, so it is
 *   always within Seam's default max_time_rounding of 1 hour. "Local hour" = hour in the
 *   lock's zone (identical to UTC hours except in 30/45-minute-offset zones).
 * - daily-bound: 29 to 367 days inclusive, starts_at and ends_at at the same local time of day.
 *   Days are counted in the lock's zone as calendar days (luxon, zone-aware), NOT as 24 h
 *   blocks: 29 days spanning a DST change keep the same wall-clock time, so they last 29 d
 *   minus or plus 1 h of real time and are still exactly 29 days.
 *   The bounds apply to the REQUESTED window (fractional local days): rounding never moves a
 *   window into the allowed range, so 28 d 23 h is in the gap even though rounding it to
 *   29 d would take only 1 h.
 *   Planned window: starts_at floors to its local hour (as hourly), ends_at becomes the same
 *   local time of day as the planned start, N local days later, N = requested local days
 *   rounded to the nearest whole day (Seam: "rounds the time period to the nearest day").
 *   "Same time of day" is therefore judged by the rounding needed: if either endpoint moves
 *   by more than 1 h, the window needs day rounding and max_time_rounding must be '1day'
 *   (else `rounding_exceeds_max`). A window whose end is within 1 h of the start's local
 *   time of day is accepted with '1hour', as Seam's own "rounding <= 1 hour" rule allows.
 * - between 672 h and 29 days: `igloohome_duration_gap`; over 367 days:
 *   `igloohome_duration_too_long`.
 * - one-time-use: only starts_at; valid exactly 24 h; planned as given (no rounding).
 * - codes longer than 24 h: caveat `igloohome_first_use_within_24h`.
 */
import type { DateTime } from 'luxon';
import {
  HOUR_MS,
  ceilLocalHour,
  describeDuration,
  describeLocal,
  floorLocalHour,
  roundingLimitMs,
  toUtcIso,
} from './rounding';
import { CAVEATS, type CodePlan, type PlanResult } from './types';
import { violation } from './violation';
import type { CheckedWindow } from './window';

export const IGLOOHOME_HOURLY_MAX_HOURS = 672;
export const IGLOOHOME_DAILY_MIN_DAYS = 29;
export const IGLOOHOME_DAILY_MAX_DAYS = 367;

function caveatsFor(start: DateTime, end: DateTime): string[] {
  return end.toMillis() - start.toMillis() > 24 * HOUR_MS ? [CAVEATS.firstUseWithin24h] : [];
}

export function planIgloohomeTimeBound(w: CheckedWindow): PlanResult {
  const { start, end, zone, rounding } = w;

  // 1. Hourly-bound, after rounding to the hour.
  const hStart = floorLocalHour(start);
  const hEnd = ceilLocalHour(end);
  const hours = (hEnd.toMillis() - hStart.toMillis()) / HOUR_MS;
  if (hours <= IGLOOHOME_HOURLY_MAX_HOURS) {
    const plan: CodePlan = {
      kind: 'hourly_bound',
      starts_at: toUtcIso(hStart),
      ends_at: toUtcIso(hEnd),
      max_time_rounding: rounding,
      timezone: zone,
      caveats: caveatsFor(hStart, hEnd),
    };
    return { ok: true, plan };
  }

  // 2. Too long for hourly: daily-bound, counted in local calendar days.
  const days = end.diff(start, 'days').days;
  const requested = {
    starts_at: describeLocal(start),
    ends_at: describeLocal(end),
    hours_after_rounding: hours,
    local_days: Math.round(days * 1000) / 1000,
  };
  if (days < IGLOOHOME_DAILY_MIN_DAYS) {
    const sameTimeEnd = start.plus({ days: IGLOOHOME_DAILY_MIN_DAYS });
    return {
      ok: false,
      violations: [
        violation(
          'igloohome_duration_gap',
          `The window ${requested.starts_at} to ${requested.ends_at} lasts ` +
            `${describeDuration(hEnd.toMillis() - hStart.toMillis())} after rounding to the hour. ` +
            `igloohome offline codes are either hourly-bound (1 to ${IGLOOHOME_HOURLY_MAX_HOURS} hours) ` +
            `or daily-bound (${IGLOOHOME_DAILY_MIN_DAYS} to ${IGLOOHOME_DAILY_MAX_DAYS} days, same time of day ` +
            `at start and end); nothing in between is possible. Either shorten the window to at most ` +
            `${IGLOOHOME_HOURLY_MAX_HOURS} hours, or lengthen it to at least ${IGLOOHOME_DAILY_MIN_DAYS} days ` +
            `ending at the same local time as it starts (e.g. ends_at ${describeLocal(sameTimeEnd)}).`,
          'ends_at',
          {
            ...requested,
            hourly_max_hours: IGLOOHOME_HOURLY_MAX_HOURS,
            daily_min_days: IGLOOHOME_DAILY_MIN_DAYS,
            latest_hourly_ends_at: toUtcIso(hStart.plus({ hours: IGLOOHOME_HOURLY_MAX_HOURS })),
            earliest_daily_ends_at: toUtcIso(sameTimeEnd),
          },
        ),
      ],
    };
  }
  if (days > IGLOOHOME_DAILY_MAX_DAYS) {
    const latest = start.plus({ days: IGLOOHOME_DAILY_MAX_DAYS });
    return {
      ok: false,
      violations: [
        violation(
          'igloohome_duration_too_long',
          `The window ${requested.starts_at} to ${requested.ends_at} lasts about ` +
            `${Math.floor(days)} days; igloohome daily-bound offline codes last at most ` +
            `${IGLOOHOME_DAILY_MAX_DAYS} days. Move ends_at to ${describeLocal(latest)} or earlier ` +
            `(or split the stay into several codes).`,
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

  const wholeDays = Math.min(
    IGLOOHOME_DAILY_MAX_DAYS,
    Math.max(IGLOOHOME_DAILY_MIN_DAYS, Math.round(days)),
  );
  const dStart = floorLocalHour(start);
  const dEnd = dStart.plus({ days: wholeDays }); // calendar days: keeps the local time over DST
  const needed = Math.max(
    Math.abs(dStart.toMillis() - start.toMillis()),
    Math.abs(dEnd.toMillis() - end.toMillis()),
  );
  if (needed > roundingLimitMs(rounding)) {
    return {
      ok: false,
      violations: [
        violation(
          'rounding_exceeds_max',
          `A ${wholeDays}-day igloohome code is daily-bound: it must start and end at the same ` +
            `local time of day (${zone}). ${requested.starts_at} to ${requested.ends_at} would need ` +
            `${describeDuration(needed)} of rounding, more than max_time_rounding '1hour' allows. ` +
            `Either set max_time_rounding to '1d' (planned window would be ${describeLocal(dStart)} ` +
            `to ${describeLocal(dEnd)}), or set ends_at to ${describeLocal(dEnd)}.`,
          'max_time_rounding',
          {
            ...requested,
            rounding_needed_minutes: Math.round(needed / 60_000),
            max_time_rounding: rounding,
            suggested_ends_at: toUtcIso(dEnd),
          },
        ),
      ],
    };
  }
  const plan: CodePlan = {
    kind: 'daily_bound',
    starts_at: toUtcIso(dStart),
    ends_at: toUtcIso(dEnd),
    max_time_rounding: rounding,
    timezone: zone,
    caveats: caveatsFor(dStart, dEnd),
  };
  return { ok: true, plan };
}

/** One-time-use: the window is fixed by the manufacturer (24 h from starts_at). */
export function planIgloohomeOneTimeUse(w: CheckedWindow): PlanResult {
  const plan: CodePlan = {
    kind: 'one_time_use',
    starts_at: toUtcIso(w.start),
    ends_at: toUtcIso(w.end),
    max_time_rounding: w.rounding,
    timezone: w.zone,
    caveats: [CAVEATS.oneTimeUse],
  };
  return { ok: true, plan };
}
