/**
 * Manufacturer rules for offline access codes, answered the way Seam answers them: a 400 with
 * `{"error":{"type":"invalid_input","message"}}`. Pure: no I/O, no clock.
 *
 * Modelled (from seam-facts.md and Seam's offline-access-codes guide):
 * - offline codes need `access_code` in capabilities_supported and
 *   properties.offline_access_codes_enabled;
 * - igloohome: hourly-bound 1..672 h; daily-bound 29..367 days with the same local time of day
 *   (rounding over 1 h needs max_time_rounding 1day); one-time-use needs only starts_at, at
 *   most 5 per lock and start hour;
 * - dormakaba Oracode: 1 h..31 days, no one-time-use, must fit a predefined non-master time
 *   slot within the allowed rounding (1 h, or 12 h with 1day) in the door's iana_timezone.
 * Not modelled: Seam's per-device create rate limit, igloohome's "3 per hour" and 199-PIN caps.
 */
import { DateTime } from 'luxon';

export interface RuleError {
  status: number;
  type: string;
  message: string;
}

export interface CreateRequest {
  device_id: string;
  name?: string;
  code?: string;
  starts_at?: string;
  ends_at?: string;
  is_offline_access_code?: boolean;
  is_one_time_use?: boolean;
  max_time_rounding?: string;
}

export interface RuleDevice {
  device_id: string;
  device_type: string;
  capabilities_supported?: string[];
  properties: Record<string, unknown>;
  location?: { timezone?: string } | null;
}

/** The part of an existing code the rules look at. */
export interface ExistingCode {
  device_id: string;
  is_offline_access_code?: boolean;
  is_one_time_use?: boolean;
  starts_at?: string | null;
}

interface TimeSlot {
  name: string;
  is_master?: boolean;
  is_one_shot?: boolean;
  check_in_time: string;
  check_out_time: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ROUNDINGS = ['1hour', '1h', '1day', '1d'];

const invalid = (message: string): RuleError => ({ status: 400, type: 'invalid_input', message });

export function supportsOfflineCodes(device: RuleDevice): boolean {
  return (
    (device.capabilities_supported ?? []).includes('access_code') &&
    device.properties.offline_access_codes_enabled === true
  );
}

/** Returns the error Seam would answer for this create, or null when it is acceptable. */
export function checkCreate(
  req: CreateRequest,
  device: RuleDevice,
  existing: readonly ExistingCode[],
): RuleError | null {
  const startsAt = req.starts_at === undefined ? undefined : parseTime(req.starts_at);
  const endsAt = req.ends_at === undefined ? undefined : parseTime(req.ends_at);
  if (startsAt === null) return invalid('starts_at is not a valid ISO 8601 timestamp');
  if (endsAt === null) return invalid('ends_at is not a valid ISO 8601 timestamp');
  if (req.max_time_rounding !== undefined && !ROUNDINGS.includes(req.max_time_rounding)) {
    return invalid(`max_time_rounding must be one of ${ROUNDINGS.join(', ')}`);
  }
  if (startsAt && endsAt && endsAt <= startsAt) return invalid('ends_at must be after starts_at');

  if (!req.is_offline_access_code) {
    if (req.is_one_time_use) return invalid('is_one_time_use requires is_offline_access_code');
    if (device.properties.online_access_codes_enabled === false) {
      return invalid('This device does not support online access codes');
    }
    if ((startsAt === undefined) !== (endsAt === undefined)) {
      return invalid('Both starts_at and ends_at must be provided if one is');
    }
    return null;
  }

  if (!supportsOfflineCodes(device)) {
    return invalid('This device does not support offline access codes');
  }
  if (req.code !== undefined) {
    return invalid('Offline access codes get their PIN from the manufacturer: omit code');
  }
  const roundDaily = req.max_time_rounding === '1day' || req.max_time_rounding === '1d';

  if (device.device_type === 'igloohome_lock') {
    return checkIgloohome(req, device, existing, startsAt, endsAt, roundDaily);
  }
  if (device.device_type === 'dormakaba_oracode_door') {
    return checkDormakaba(req, device, startsAt, endsAt, roundDaily);
  }
  return null;
}

function checkIgloohome(
  req: CreateRequest,
  device: RuleDevice,
  existing: readonly ExistingCode[],
  startsAt: DateTime | undefined,
  endsAt: DateTime | undefined,
  roundDaily: boolean,
): RuleError | null {
  if (req.is_one_time_use) {
    if (!startsAt) return invalid('One-time-use offline access codes require starts_at');
    const hour = startsAt.toUTC().startOf('hour').toMillis();
    const sameSlot = existing.filter(
      (c) =>
        c.device_id === device.device_id &&
        c.is_offline_access_code &&
        c.is_one_time_use &&
        c.starts_at &&
        DateTime.fromISO(c.starts_at).toUTC().startOf('hour').toMillis() === hour,
    );
    if (sameSlot.length >= 5) {
      return invalid('igloohome allows at most 5 one-time-use offline access codes per start slot');
    }
    return null;
  }
  if (!startsAt || !endsAt) {
    return invalid('Time-bound offline access codes require both starts_at and ends_at');
  }
  const durationMs = endsAt.toMillis() - startsAt.toMillis();
  const hours = Math.round(durationMs / HOUR_MS);
  if (hours < 1) return invalid('igloohome hourly-bound offline access codes last at least 1 hour');
  if (hours <= 672) return null;

  // Longer than 28 days: only a daily-bound code (same local time of day) can do it.
  const zone = device.location?.timezone ?? 'UTC';
  const roundingMinutes = circularMinutes(
    minuteOfDay(startsAt.setZone(zone)),
    minuteOfDay(endsAt.setZone(zone)),
  );
  if (roundingMinutes > 60 && !roundDaily) {
    return invalid(
      'igloohome hourly-bound offline access codes last 1 to 672 hours (28 days); a longer code ' +
        'is daily-bound and needs the same time of day in starts_at and ends_at, and the ' +
        'rounding needed exceeds max_time_rounding 1hour',
    );
  }
  const days = Math.round(durationMs / DAY_MS);
  if (days < 29 || days > 367) {
    return invalid(
      `igloohome offline access codes: hourly-bound 1 to 672 hours, daily-bound 29 to 367 days (got ${hours} hours)`,
    );
  }
  return null;
}

function checkDormakaba(
  req: CreateRequest,
  device: RuleDevice,
  startsAt: DateTime | undefined,
  endsAt: DateTime | undefined,
  roundDaily: boolean,
): RuleError | null {
  if (req.is_one_time_use) {
    return invalid('dormakaba Oracode locks do not support one-time-use offline access codes');
  }
  if (!startsAt || !endsAt) {
    return invalid('Time-bound offline access codes require both starts_at and ends_at');
  }
  const durationMs = endsAt.toMillis() - startsAt.toMillis();
  if (durationMs > 31 * DAY_MS + HOUR_MS) {
    return invalid('dormakaba Oracode offline access codes last at most 31 days');
  }
  const metadata = device.properties.dormakaba_oracode_metadata as
    { iana_timezone?: string; predefined_time_slots?: TimeSlot[] } | undefined;
  const zone = metadata?.iana_timezone ?? device.location?.timezone ?? 'UTC';
  const slot = findTimeSlot(
    metadata?.predefined_time_slots ?? [],
    startsAt,
    endsAt,
    zone,
    roundDaily,
  );
  if (!slot) {
    return invalid(
      `No time slots found for ${startsAt.setZone(zone).toFormat('HH:mm')}-` +
        `${endsAt.setZone(zone).toFormat('HH:mm')} (${zone}) within the allowed rounding`,
    );
  }
  return null;
}

/** The predefined (non-master, non-one-shot) slot the code fits, after rounding. */
export function findTimeSlot(
  slots: readonly TimeSlot[],
  startsAt: DateTime,
  endsAt: DateTime,
  zone: string,
  roundDaily = false,
): TimeSlot | undefined {
  const tolerance = roundDaily ? 12 * 60 : 60;
  const start = minuteOfDay(startsAt.setZone(zone));
  const end = minuteOfDay(endsAt.setZone(zone));
  return slots.find((slot) => {
    if (slot.is_master || slot.is_one_shot) return false;
    const checkIn = slotMinute(slot.check_in_time);
    const checkOut = slotMinute(slot.check_out_time);
    if (checkIn === null || checkOut === null) return false;
    return (
      circularMinutes(start, checkIn) <= tolerance && circularMinutes(end, checkOut) <= tolerance
    );
  });
}

function parseTime(value: string): DateTime | null {
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid ? parsed : null;
}

const minuteOfDay = (t: DateTime): number => t.hour * 60 + t.minute;

/** "15:00:00[Europe/Berlin]" -> 900. */
function slotMinute(value: string): number | null {
  const match = /^(\d{2}):(\d{2})/.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** Distance between two minutes of the day, going round midnight (23:59 vs 00:00 is 1). */
function circularMinutes(a: number, b: number): number {
  const d = Math.abs(a - b) % 1440;
  return Math.min(d, 1440 - d);
}
