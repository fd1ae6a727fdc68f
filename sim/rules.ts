/**
 * Manufacturer rules for offline access codes, answered the way Seam answers them: a 400 with
 * `{"error":{"type":"invalid_input","message"}}`, or the window Seam stores. Pure: no I/O, no
 * clock (the current time is passed in where the per-lock limits need it).
 *
 * Written apart from src/domain on purpose (a second reading of the same sources catches a
 * slip in either), from the same documented rules:
 * - seamapi/docs offline-access-codes.md: capability ("`capabilities_supported` includes
 *   `access_code`"; the current flag is the top-level `can_program_offline_access_codes`, per
 *   @seamapi/types, the deprecated `properties.offline_access_codes_enabled` only without it);
 *   the duration table (igloohome hourly-bound 1 to 672 hours, daily-bound 29 to 367 days;
 *   dormakaba 1 to 31 days); rounding ("`1hour` ... returns an error if ... the necessary
 *   rounding amount exceeds one hour"; with `1d` "Seam rounds the time period that you specify
 *   to the nearest day").
 * - creating-igloohome-offline-access-codes.md: daily-bound "Start time and end time must
 *   match"; "Maximum number of hourly-bound codes per hour | 3", "... daily-bound codes per day
 *   | 3", "... one-time-use codes per start date slot | 5", "Total maximum number of offline
 *   codes | 199 PINs"; one-time-use "Lasts for 24 hours" (stored without ends_at, as the guide's
 *   responses show).
 * - dormakaba guides: the code takes the nearest slot's times within 1 hour ("The access code
 *   will use the time slot's times, not your exact booking times"; else "No time slots found");
 *   `1day` rounds "up to a full day to match available slots"; one-shot and master user levels
 *   are not supported; a biweekly user level's codes are "valid for two weeks"; slot times are
 *   Seam TOD strings (seamapi/seam-tod).
 *
 * The simulator's own readings where the sources are silent (the same as src/domain's):
 * hourly-bound times on the lock's local hour (an off-hour time rounds to the hour below for a
 * start, above for an end); rounding never moves a time further than onto the grid; the
 * 3-per-hour/day limit counts live codes with the same start and end on the lock, the
 * 5-per-slot limit live one-time-use codes with the same start hour; a biweekly slot takes only
 * a window of more than 13 and at most 14 days; `1d` rounds only onto a 24-hour slot. Past 199
 * live codes the code is stored with `no_space_for_access_code_on_device` and never set.
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
  can_program_offline_access_codes?: boolean;
  capabilities_supported?: string[];
  properties: Record<string, unknown>;
  location?: { time_zone?: string; timezone?: string } | null;
}

/** The part of an existing code the rules look at. */
export interface ExistingCode {
  device_id: string;
  is_offline_access_code?: boolean;
  is_one_time_use?: boolean;
  starts_at?: string | null;
  ends_at?: string | null;
}

interface TimeSlot {
  name?: string;
  is_master?: boolean;
  is_one_shot?: boolean;
  is_24_hour?: boolean;
  is_biweekly_mode?: boolean;
  check_in_time: string;
  check_out_time: string;
  dormakaba_oracode_user_level_id?: string;
}

/** What Seam stores for an accepted create. */
export interface Accepted {
  starts_at?: string;
  ends_at?: string | null;
  /** An error the code carries from the start (the lock is full). */
  error_code?: string;
  dormakaba_oracode_metadata?: { user_level_id?: string; user_level_name?: string | null };
}

export const IGLOOHOME_MAX_PINS = 199;
const HOUR_MS = 3_600_000;
const ROUNDINGS = ['1hour', '1h', '1day', '1d'];

const invalid = (message: string): RuleError => ({ status: 400, type: 'invalid_input', message });
const isError = (v: RuleError | Accepted): v is RuleError => 'status' in v;

export function supportsOfflineCodes(device: RuleDevice): boolean {
  const flag =
    typeof device.can_program_offline_access_codes === 'boolean'
      ? device.can_program_offline_access_codes
      : device.properties.offline_access_codes_enabled === true;
  return (device.capabilities_supported ?? []).includes('access_code') && flag;
}

/** The error Seam would answer for this create, or what it stores when it is acceptable. */
export function checkCreate(
  req: CreateRequest,
  device: RuleDevice,
  existing: readonly ExistingCode[],
  now: Date = new Date(),
): RuleError | Accepted {
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
    return startsAt && endsAt ? { starts_at: iso(startsAt), ends_at: iso(endsAt) } : {};
  }

  if (!supportsOfflineCodes(device)) {
    return invalid('This device does not support offline access codes');
  }
  if (req.code !== undefined) {
    return invalid('Offline access codes get their PIN from the manufacturer: omit code');
  }
  const roundDaily = req.max_time_rounding === '1day' || req.max_time_rounding === '1d';

  if (device.device_type === 'igloohome_lock') {
    const live = existing.filter(
      (c) =>
        c.device_id === device.device_id &&
        (!c.ends_at || Date.parse(c.ends_at) > now.getTime()) &&
        (!c.is_one_time_use ||
          !c.starts_at ||
          Date.parse(c.starts_at) + 24 * HOUR_MS > now.getTime()),
    );
    const result = checkIgloohome(req, device, startsAt, endsAt, roundDaily);
    if (isError(result)) return result;
    return withIgloohomeLimits(req, result, live);
  }
  if (device.device_type === 'dormakaba_oracode_door') {
    return checkDormakaba(req, device, startsAt, endsAt, roundDaily);
  }
  return { starts_at: startsAt ? iso(startsAt) : undefined, ends_at: endsAt ? iso(endsAt) : null };
}

function igloohomeZone(device: RuleDevice): string {
  for (const zone of [device.location?.time_zone, device.location?.timezone]) {
    if (zone && DateTime.now().setZone(zone).isValid) return zone;
  }
  return 'UTC';
}

/** Down to the local hour (an already whole hour stays). */
function floorHour(t: DateTime): DateTime {
  return t.minus({ minutes: t.minute, seconds: t.second, milliseconds: t.millisecond });
}
function ceilHour(t: DateTime): DateTime {
  const f = floorHour(t);
  return f.toMillis() === t.toMillis() ? t : f.plus({ hours: 1 });
}

function checkIgloohome(
  req: CreateRequest,
  device: RuleDevice,
  startsAt: DateTime | undefined,
  endsAt: DateTime | undefined,
  roundDaily: boolean,
): RuleError | Accepted {
  const zone = igloohomeZone(device);
  if (req.is_one_time_use) {
    if (!startsAt) return invalid('One-time-use offline access codes require starts_at');
    // "Lasts for 24 hours" from a start on the hour; stored without ends_at.
    return { starts_at: iso(floorHour(startsAt.setZone(zone))), ends_at: null };
  }
  if (!startsAt || !endsAt) {
    return invalid('Time-bound offline access codes require both starts_at and ends_at');
  }
  const s = floorHour(startsAt.setZone(zone));
  const e = ceilHour(endsAt.setZone(zone));
  if (Math.max(startsAt.toMillis() - s.toMillis(), e.toMillis() - endsAt.toMillis()) > HOUR_MS) {
    return invalid('The necessary rounding amount exceeds max_time_rounding');
  }
  const hours = (e.toMillis() - s.toMillis()) / HOUR_MS;
  if (hours < 1) return invalid('igloohome hourly-bound offline access codes last at least 1 hour');
  if (hours <= 672) return { starts_at: iso(s), ends_at: iso(e) };

  // Longer than 28 days: only a daily-bound code, ending at the start's local time of day.
  const days = endsAt.setZone(zone).diff(s, 'days').days;
  const n = Math.round(days);
  const end = s.plus({ days: n });
  if (!roundDaily && Math.abs(end.toMillis() - endsAt.toMillis()) > HOUR_MS) {
    return invalid(
      'igloohome hourly-bound offline access codes last 1 to 672 hours (28 days); a longer code ' +
        'is daily-bound and needs the same time of day in starts_at and ends_at, and the ' +
        'rounding needed exceeds max_time_rounding 1hour',
    );
  }
  if (n < 29 || n > 367) {
    return invalid(
      `igloohome offline access codes: hourly-bound 1 to 672 hours, daily-bound 29 to 367 days (got ${Math.round(hours)} hours)`,
    );
  }
  return { starts_at: iso(s), ends_at: iso(end) };
}

function withIgloohomeLimits(
  req: CreateRequest,
  accepted: Accepted,
  live: readonly ExistingCode[],
): RuleError | Accepted {
  if (req.is_one_time_use) {
    const hour = Date.parse(accepted.starts_at ?? '');
    const sameSlot = live.filter(
      (c) =>
        c.is_offline_access_code &&
        c.is_one_time_use &&
        c.starts_at &&
        Date.parse(c.starts_at) === hour,
    );
    if (sameSlot.length >= 5) {
      return invalid('igloohome allows at most 5 one-time-use offline access codes per start slot');
    }
  } else {
    const same = live.filter(
      (c) =>
        c.is_offline_access_code &&
        !c.is_one_time_use &&
        c.starts_at &&
        c.ends_at &&
        Date.parse(c.starts_at) === Date.parse(accepted.starts_at ?? '') &&
        Date.parse(c.ends_at) === Date.parse(accepted.ends_at ?? ''),
    );
    if (same.length >= 3) {
      return invalid('igloohome allows at most 3 offline access codes with the same start and end');
    }
  }
  return live.length >= IGLOOHOME_MAX_PINS
    ? { ...accepted, error_code: 'no_space_for_access_code_on_device' }
    : accepted;
}

function checkDormakaba(
  req: CreateRequest,
  device: RuleDevice,
  startsAt: DateTime | undefined,
  endsAt: DateTime | undefined,
  roundDaily: boolean,
): RuleError | Accepted {
  if (req.is_one_time_use) {
    return invalid('dormakaba Oracode locks do not support one-time-use offline access codes');
  }
  if (!startsAt || !endsAt) {
    return invalid('Time-bound offline access codes require both starts_at and ends_at');
  }
  const metadata = device.properties.dormakaba_oracode_metadata as
    { iana_timezone?: string; predefined_time_slots?: TimeSlot[] } | undefined;
  const zone =
    metadata?.iana_timezone ?? device.location?.time_zone ?? device.location?.timezone ?? 'UTC';
  const match = findTimeSlot(
    metadata?.predefined_time_slots ?? [],
    startsAt,
    endsAt,
    zone,
    roundDaily,
  );
  if (!match) {
    return invalid(
      `No time slots found for ${startsAt.setZone(zone).toFormat('HH:mm')}-` +
        `${endsAt.setZone(zone).toFormat('HH:mm')} (${zone}) within the allowed rounding`,
    );
  }
  if (match.end.toMillis() > match.start.plus({ days: 31 }).toMillis()) {
    return invalid('dormakaba Oracode offline access codes last at most 31 days');
  }
  return {
    starts_at: iso(match.start),
    ends_at: iso(match.end),
    dormakaba_oracode_metadata: {
      user_level_id: match.slot.dormakaba_oracode_user_level_id,
      user_level_name: match.slot.name ?? null,
    },
  };
}

interface SlotMatch {
  slot: TimeSlot;
  start: DateTime;
  end: DateTime;
}

/** The slot the code takes: the nearest within 1 h, else with 1d a 24-hour slot (outward). */
export function findTimeSlot(
  slots: readonly TimeSlot[],
  startsAt: DateTime,
  endsAt: DateTime,
  zone: string,
  roundDaily = false,
): SlotMatch | undefined {
  const usable = slots
    .filter((s) => !s.is_master && !s.is_one_shot)
    .map((slot) => ({
      slot,
      in: tod(slot.check_in_time, zone),
      out: tod(slot.check_out_time, zone),
    }))
    .filter((x): x is { slot: TimeSlot; in: Tod; out: Tod } => x.in !== null && x.out !== null);
  const fitsBiweekly = (m: SlotMatch) =>
    !m.slot.is_biweekly_mode ||
    (m.end > m.start.plus({ days: 13 }) && m.end <= m.start.plus({ days: 14 }));
  const dist = (m: SlotMatch) =>
    Math.abs(m.start.toMillis() - startsAt.toMillis()) +
    Math.abs(m.end.toMillis() - endsAt.toMillis());

  const near: SlotMatch[] = [];
  for (const u of usable) {
    const start = closest(startsAt, u.in);
    const end = closest(endsAt, u.out);
    if (Math.abs(start.toMillis() - startsAt.toMillis()) > HOUR_MS) continue;
    if (Math.abs(end.toMillis() - endsAt.toMillis()) > HOUR_MS) continue;
    if (end <= start) continue;
    near.push({ slot: u.slot, start, end });
  }
  const nearFit = near.filter(fitsBiweekly).sort((a, b) => dist(a) - dist(b));
  if (nearFit[0] || !roundDaily) return nearFit[0];

  const days = usable
    .filter((u) => u.slot.is_24_hour)
    .map((u) => {
      let start = closest(startsAt, u.in);
      if (Math.abs(start.toMillis() - startsAt.toMillis()) > HOUR_MS && start > startsAt) {
        start = start.minus({ days: 1 });
      }
      let end = closest(endsAt, u.out);
      if (Math.abs(end.toMillis() - endsAt.toMillis()) > HOUR_MS && end < endsAt) {
        end = end.plus({ days: 1 });
      }
      return { slot: u.slot, start, end };
    })
    .filter((m) => m.end > m.start && fitsBiweekly(m))
    .sort((a, b) => dist(a) - dist(b));
  return days[0];
}

interface Tod {
  hour: number;
  minute: number;
  second: number;
  zone: string;
}

const NIST: Record<string, string> = {
  UTC: 'UTC',
  GMT: 'UTC',
  EST: 'UTC-5',
  EDT: 'UTC-4',
  CST: 'UTC-6',
  CDT: 'UTC-5',
  MST: 'UTC-7',
  MDT: 'UTC-6',
  PST: 'UTC-8',
  PDT: 'UTC-7',
};

/** A Seam TOD string: HH:MM[:SS[.mmm]], then Z or an offset, then [zone], each optional. */
function tod(value: string, lockZone: string): Tod | null {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?(?:\[([^\]]+)\])?$/.exec(
    value.trim(),
  );
  if (!m) return null;
  let zone = lockZone;
  if (m[5]) zone = NIST[m[5].toUpperCase()] ?? m[5];
  else if (m[4]) zone = m[4] === 'Z' ? 'UTC' : `UTC${m[4]}`;
  if (!DateTime.now().setZone(zone).isValid) return null;
  return { hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? 0), zone };
}

/** The instant of `t` on the local date before, of, or after `at`, nearest to `at`. */
function closest(at: DateTime, t: Tod): DateTime {
  const local = at.setZone(t.zone);
  const options = [-1, 0, 1].map((d) => {
    const day = local.plus({ days: d });
    return DateTime.fromObject(
      {
        year: day.year,
        month: day.month,
        day: day.day,
        hour: t.hour,
        minute: t.minute,
        second: t.second,
      },
      { zone: t.zone },
    );
  });
  return options.reduce((a, b) =>
    Math.abs(b.toMillis() - at.toMillis()) < Math.abs(a.toMillis() - at.toMillis()) ? b : a,
  );
}

function parseTime(value: string): DateTime | null {
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid ? parsed : null;
}

function iso(t: DateTime): string {
  return t.toUTC().toISO() as string;
}
