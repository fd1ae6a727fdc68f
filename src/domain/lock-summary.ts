/**
 * What a booking system needs to know of a lock before asking for a code (`GET /v1/devices`):
 * whether it can take offline codes, its manufacturer and time zone, the kinds of codes it
 * supports with their limits, and for dormakaba Oracode its time slots (user levels) with
 * local check-in and check-out. Pure: built from the device record with the same rules the
 * planner uses (device-profile.ts for capability and zone, rules/ for slots and limits), so
 * the listing can never promise what POST /v1/guest-codes would refuse.
 */
import {
  DEVICE_TYPES,
  lockProfileFromDevice,
  type DeviceFacts,
  type DormakabaTimeSlot,
  type Manufacturer,
} from './device-profile';
import {
  BIWEEKLY_MAX_DAYS,
  BIWEEKLY_MIN_DAYS,
  DORMAKABA_MAX_DAYS,
  formatTimeOfDay,
  IGLOOHOME_DAILY_MAX_DAYS,
  IGLOOHOME_DAILY_MIN_DAYS,
  IGLOOHOME_HOURLY_MAX_HOURS,
  parseTimeOfDay,
  slotExclusion,
  type CodeKind,
} from './rules';

/** One kind of code a lock takes, and what POST needs for it. */
export interface CodeKindSummary {
  kind: CodeKind;
  /** How long a code of this kind may last, in words and in numbers. */
  duration: string;
  min_hours: number;
  max_hours: number;
  /** What to send: `is_one_time_use`, `max_time_rounding`, `ends_at`. */
  request: string;
}

export interface TimeSlotSummary {
  name: string | null;
  prefix: number | null;
  /** Local wall-clock times, 'HH:mm', in `time_zone`. */
  check_in: string | null;
  check_out: string | null;
  /** The zone the slot's times are in: the slot's own, else the lock's. */
  time_zone: string | null;
  /** As Seam gives them (Seam TOD). */
  check_in_time: string;
  check_out_time: string;
  is_24_hour: boolean;
  is_biweekly_mode: boolean;
  /** Whether a code can follow this slot; else why not (Seam supports no master or one-shot). */
  usable: boolean;
  not_usable_because: 'master' | 'one_shot' | 'unreadable_times' | null;
  dormakaba_oracode_user_level_id: string | null;
}

export interface LockSummary {
  device_id: string;
  name: string;
  device_type: string;
  /** igloohome or dormakaba_oracode; null for a device this service cannot serve. */
  manufacturer: Manufacturer | null;
  can_take_offline_codes: boolean;
  /** Why not, in POST's words (its 422 `error.code` and message); null when it can. */
  problem: { code: string; message: string } | null;
  time_zone: string | null;
  /** Where the zone was read (e.g. `location.time_zone`). */
  time_zone_source: string | null;
  code_kinds: CodeKindSummary[];
  /** dormakaba Oracode only (else empty): every predefined slot, usable or not. */
  time_slots: TimeSlotSummary[];
}

const IGLOOHOME_KINDS: CodeKindSummary[] = [
  {
    kind: 'hourly_bound',
    duration: `1 to ${IGLOOHOME_HOURLY_MAX_HOURS} hours, on the lock's local hour`,
    min_hours: 1,
    max_hours: IGLOOHOME_HOURLY_MAX_HOURS,
    request: "starts_at and ends_at; max_time_rounding '1hour' (the default)",
  },
  {
    kind: 'daily_bound',
    duration: `${IGLOOHOME_DAILY_MIN_DAYS} to ${IGLOOHOME_DAILY_MAX_DAYS} days, the same local time at both ends`,
    min_hours: IGLOOHOME_DAILY_MIN_DAYS * 24,
    max_hours: IGLOOHOME_DAILY_MAX_DAYS * 24,
    request: "starts_at and ends_at; max_time_rounding '1day' to let a stay round to whole days",
  },
  {
    kind: 'one_time_use',
    duration: '24 hours from starts_at, one entry',
    min_hours: 24,
    max_hours: 24,
    request: 'starts_at only, is_one_time_use: true',
  },
];

function dormakabaKinds(usable: TimeSlotSummary[]): CodeKindSummary[] {
  const kinds: CodeKindSummary[] = [];
  if (usable.some((s) => !s.is_24_hour)) {
    kinds.push({
      kind: 'hourly_bound',
      duration: `1 hour to ${DORMAKABA_MAX_DAYS} days, taking the times of a slot within 1 hour of the stay`,
      min_hours: 1,
      max_hours: DORMAKABA_MAX_DAYS * 24,
      request: 'starts_at and ends_at within 1 hour of a time slot',
    });
  }
  if (usable.some((s) => s.is_24_hour)) {
    kinds.push({
      kind: 'daily_bound',
      duration: `1 to ${DORMAKABA_MAX_DAYS} days on a 24-hour slot`,
      min_hours: 24,
      max_hours: DORMAKABA_MAX_DAYS * 24,
      request:
        "starts_at and ends_at; max_time_rounding '1day' lets a stay more than 1 hour off the slot widen to the slot's whole days",
    });
  }
  if (usable.some((s) => s.is_biweekly_mode)) {
    const biweekly = {
      kind: 'hourly_bound' as const,
      duration: `a biweekly slot: more than ${BIWEEKLY_MIN_DAYS} and at most ${BIWEEKLY_MAX_DAYS} days`,
      min_hours: BIWEEKLY_MIN_DAYS * 24,
      max_hours: BIWEEKLY_MAX_DAYS * 24,
      request: 'starts_at and ends_at within 1 hour of the biweekly slot',
    };
    if (!usable.some((s) => !s.is_biweekly_mode)) return [biweekly];
  }
  return kinds;
}

function slotSummary(slot: DormakabaTimeSlot, lockZone: string | null): TimeSlotSummary {
  const checkIn = parseTimeOfDay(slot.check_in_time);
  const checkOut = parseTimeOfDay(slot.check_out_time);
  const exclusion = slotExclusion(slot) ?? null;
  return {
    name: slot.name ?? null,
    prefix: slot.prefix ?? null,
    check_in: checkIn ? formatTimeOfDay(checkIn) : null,
    check_out: checkOut ? formatTimeOfDay(checkOut) : null,
    time_zone: checkIn?.zone ?? checkOut?.zone ?? lockZone,
    check_in_time: slot.check_in_time,
    check_out_time: slot.check_out_time,
    is_24_hour: slot.is_24_hour,
    is_biweekly_mode: slot.is_biweekly_mode,
    usable: exclusion === null,
    not_usable_because: exclusion,
    dormakaba_oracode_user_level_id: slot.dormakaba_oracode_user_level_id ?? null,
  };
}

/** Whether a Seam device is one of the lock types this service serves (for the listing). */
export function isOfflineLockType(deviceType: unknown): boolean {
  return typeof deviceType === 'string' && Object.hasOwn(DEVICE_TYPES, deviceType);
}

/** The device types to ask Seam's /devices/list for. */
export const OFFLINE_LOCK_DEVICE_TYPES: readonly string[] = Object.freeze(
  Object.keys(DEVICE_TYPES),
);

export function summariseLock(device: DeviceFacts): LockSummary {
  const raw = (device ?? {}) as Partial<DeviceFacts>;
  const deviceType = typeof raw.device_type === 'string' ? raw.device_type : '';
  const manufacturer = isOfflineLockType(deviceType) ? (DEVICE_TYPES[deviceType] ?? null) : null;
  const name =
    (typeof raw.display_name === 'string' && raw.display_name.trim()) ||
    (typeof raw.properties?.name === 'string' && raw.properties.name.trim()) ||
    String(raw.device_id ?? '');
  const profile = lockProfileFromDevice(device);
  if (!profile.ok) {
    // Still show a dormakaba lock's slots: they are often why it cannot take codes.
    const slots =
      manufacturer === 'dormakaba_oracode'
        ? readableSlots(raw.properties)
        : ([] as TimeSlotSummary[]);
    return {
      device_id: String(raw.device_id ?? ''),
      name,
      device_type: deviceType,
      manufacturer,
      can_take_offline_codes: false,
      problem: { code: profile.violation.code, message: profile.violation.message },
      time_zone: null,
      time_zone_source: null,
      code_kinds: [],
      time_slots: slots,
    };
  }
  const lock = profile.profile;
  const slots = lock.timeSlots.map((s) => slotSummary(s, lock.timezone));
  return {
    device_id: lock.device_id,
    name: lock.name,
    device_type: deviceType,
    manufacturer: lock.manufacturer,
    can_take_offline_codes: true,
    problem: null,
    time_zone: lock.timezone,
    time_zone_source: lock.timezone_source ?? null,
    code_kinds:
      lock.manufacturer === 'igloohome'
        ? IGLOOHOME_KINDS.map((k) => ({ ...k }))
        : dormakabaKinds(slots.filter((s) => s.usable)),
    time_slots: slots,
  };
}

/** The slots of a dormakaba lock that cannot take codes, for display only (no zone known). */
function readableSlots(properties: Record<string, unknown> | undefined): TimeSlotSummary[] {
  const meta = properties?.dormakaba_oracode_metadata as
    { predefined_time_slots?: unknown; iana_timezone?: unknown } | undefined;
  const list = Array.isArray(meta?.predefined_time_slots) ? meta.predefined_time_slots : [];
  const zone = typeof meta?.iana_timezone === 'string' ? meta.iana_timezone : null;
  const slots: TimeSlotSummary[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const s = item as Record<string, unknown>;
    if (typeof s.check_in_time !== 'string' || typeof s.check_out_time !== 'string') continue;
    slots.push(
      slotSummary(
        {
          check_in_time: s.check_in_time,
          check_out_time: s.check_out_time,
          is_24_hour: s.is_24_hour === true,
          is_one_shot: s.is_one_shot === true,
          is_master: s.is_master === true,
          is_biweekly_mode: s.is_biweekly_mode === true,
          ...(typeof s.name === 'string' ? { name: s.name } : {}),
          ...(typeof s.prefix === 'number' ? { prefix: s.prefix } : {}),
          ...(typeof s.dormakaba_oracode_user_level_id === 'string'
            ? { dormakaba_oracode_user_level_id: s.dormakaba_oracode_user_level_id }
            : {}),
        },
        zone,
      ),
    );
  }
  return slots;
}
