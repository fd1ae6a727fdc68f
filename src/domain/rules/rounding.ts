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

/** Most rounding Seam applies silently for a given max_time_rounding, per endpoint. */
export function roundingLimitMs(rounding: NormalizedRounding): number {
  return rounding === '1hour' ? HOUR_MS : 24 * HOUR_MS;
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
 * Floors to the start of the local hour of `dt` in its zone. Done by subtracting the local
 * minute/second/millisecond fields as elapsed time, so an ambiguous wall-clock hour (DST
 * fall-back) keeps its offset and 30/45-minute-offset zones floor to their own hours.
 */
export function floorLocalHour(dt: DateTime): DateTime {
  return dt.minus({ minutes: dt.minute, seconds: dt.second, milliseconds: dt.millisecond });
}

/** Ceils to the next local hour boundary (identity when already on the hour). */
export function ceilLocalHour(dt: DateTime): DateTime {
  const floored = floorLocalHour(dt);
  return floored.toMillis() === dt.toMillis() ? dt : floored.plus({ hours: 1 });
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
