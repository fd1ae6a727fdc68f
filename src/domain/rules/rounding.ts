import { DateTime } from 'luxon';
import type { NormalizedRounding } from './types';

export const HOUR_MS = 3_600_000;

/** Seam accepts '1h'/'1hour' (default) and '1d'/'1day'. Anything else: null. */
export function normalizeRounding(value: unknown): NormalizedRounding | null {
  if (value === undefined || value === null) return '1hour'; // Seam's default
  if (value === '1h' || value === '1hour') return '1hour';
  if (value === '1d' || value === '1day') return '1day';
  return null;
}

/**
 * Rounding, as Seam documents it (offline-access-codes.md):
 * - '1hour' (the default): "the Seam API returns an error if `max_time_rounding` is `1hour` and
 *   the necessary rounding amount exceeds one hour".
 * - '1day': "Seam rounds the time period that you specify to the nearest day".
 *
 * Reading (inferred): rounding moves a time onto the manufacturer's grid and no further. A time
 * already on the grid rounds to itself; rounding never shortens or stretches a window just to
 * fit a duration limit. So an end rounds to the local hour below or above it (<= 1 h), a
 * daily-bound end to the start's time of day (<= 1 h with '1hour'), and with '1day' the number
 * of days is the stay's length rounded to the nearest whole day. The limits are then checked
 * on the rounded window.
 */
export const HOUR_ROUNDING_MS = HOUR_MS;

/**
 * The local hours a time can round to: itself when on the hour, else the one below and the one
 * above, each only if within an hour (around a 30-minute DST change the local hours are
 * 90 minutes apart, and rounding by more than an hour is what Seam refuses).
 */
export function hourRoundings(dt: DateTime): DateTime[] {
  const floor = floorLocalHour(dt);
  if (floor.toMillis() === dt.toMillis()) return [dt];
  return [floor, ceilLocalHour(dt)].filter(
    (t) => Math.abs(t.toMillis() - dt.toMillis()) <= HOUR_ROUNDING_MS,
  );
}

export function isOnLocalHour(dt: DateTime): boolean {
  return dt.minute === 0 && dt.second === 0 && dt.millisecond === 0;
}

const OFFSET_SUFFIX = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Parses an ISO 8601 timestamp that carries an explicit offset. A timestamp without an
 * offset ("2024-05-01T10:00") is refused: its instant would depend on a zone we'd guess.
 */
export function parseInstant(value: unknown): DateTime | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length === 0 || text.length > 64 || !text.includes('T') || !OFFSET_SUFFIX.test(text)) {
    return null;
  }
  const dt = DateTime.fromISO(text, { setZone: true });
  return dt.isValid ? dt : null;
}

export function isValidZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  return DateTime.now().setZone(zone).isValid;
}

/**
 * Floors to the start of the local hour of `dt` in its zone: the latest instant at or before
 * `dt` whose local minute, second and millisecond are 0. Done by subtracting the local fields as
 * elapsed time, so an ambiguous wall-clock hour (DST fall-back) keeps its offset and
 * 30/45-minute-offset zones floor to their own hours. Across a 30-minute DST change
 * (Australia/Lord_Howe) the subtraction can land on :30; it then steps back to the hour.
 */
export function floorLocalHour(dt: DateTime): DateTime {
  let c = dt.minus({ minutes: dt.minute, seconds: dt.second, milliseconds: dt.millisecond });
  for (let i = 0; i < 4 && !isOnLocalHour(c); i++) {
    c = c.minus({ minutes: c.minute || 60, seconds: c.second, milliseconds: c.millisecond });
  }
  return c;
}

/** Ceils to the next local hour boundary (identity when already on the hour): the first
 *  instant at or after `dt` on a local hour (see floorLocalHour). */
export function ceilLocalHour(dt: DateTime): DateTime {
  const floored = floorLocalHour(dt);
  if (floored.toMillis() === dt.toMillis()) return dt;
  for (let minutes = 30; minutes <= 150; minutes += 30) {
    const candidate = floorLocalHour(dt.plus({ minutes }));
    if (candidate.toMillis() > dt.toMillis()) return candidate;
  }
  return floored.plus({ hours: 1 });
}

export function toUtcIso(dt: DateTime): string {
  return dt.toUTC().toISO() ?? new Date(dt.toMillis()).toISOString();
}

/** "2024-03-31 15:00 (Europe/Berlin, UTC+2)" for messages. */
export function describeLocal(dt: DateTime): string {
  return `${dt.toFormat('yyyy-MM-dd HH:mm')} (${dt.zoneName ?? 'UTC'}, UTC${dt.toFormat('ZZ')})`;
}

/** Human duration: "28 days 23 hours", "45 minutes". */
export function describeDuration(ms: number): string {
  const totalMinutes = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  if (minutes || parts.length === 0) parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`);
  return parts.join(' ');
}
