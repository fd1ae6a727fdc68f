/**
 * Turns a Seam device (the plain shape /devices/get returns) into the LockProfile the rules
 * need, or a RuleViolation saying why offline codes are impossible on it.
 *
 * Device data is untrusted input: every field is validated defensively (zod), a malformed
 * time slot is dropped rather than trusted, and nothing here throws.
 *
 * Fields read, current ones first (@seamapi/types, models/devices/device.ts):
 * - `can_program_offline_access_codes` (top level, `device_capability_flags`): "Indicates
 *   whether the device supports programming offline access codes." The older
 *   `properties.offline_access_codes_enabled` is marked "deprecated: use
 *   device.can_program_offline_access_codes": read only when the current flag is absent, so a
 *   current `false` is never overridden by a deprecated `true`.
 * - `location.time_zone`; `location.timezone` is marked "deprecated: Use `time_zone` instead":
 *   read only when the current field is absent or not a zone.
 * - `capabilities_supported` must include `access_code` (Seam's offline-access-codes guide,
 *   "Before You Begin").
 * - dormakaba: `properties.dormakaba_oracode_metadata.{iana_timezone, predefined_time_slots}`
 *   (models/devices/device-metadata.ts). Every field of a time slot is optional there; a slot
 *   needs only readable check-in and check-out times to be one.
 */
import { z } from 'zod';
import { slotExclusion } from './rules/dormakaba';
import { isValidZone } from './rules/rounding';
import { parseTimeOfDay } from './rules/time-of-day';
import { violation, type RuleViolation } from './rules/violation';

export type Manufacturer = 'igloohome' | 'dormakaba_oracode';

export interface DormakabaTimeSlot {
  name?: string;
  prefix?: number;
  check_in_time: string;
  check_out_time: string;
  is_24_hour: boolean;
  is_one_shot: boolean;
  is_master: boolean;
  is_biweekly_mode: boolean;
  dormakaba_oracode_user_level_id?: string;
}

export interface LockProfile {
  device_id: string;
  name: string;
  manufacturer: Manufacturer;
  /** IANA zone (or a fixed offset such as 'UTC-5'); igloohome without one: 'UTC'. */
  timezone: string;
  /** Where the zone came from (for messages and the record). */
  timezone_source?: string;
  /** [] for igloohome. */
  timeSlots: DormakabaTimeSlot[];
}

/** Plain shape of a Seam device (what /devices/get returns), only the fields we read. */
export interface DeviceFacts {
  device_id: string;
  device_type: string;
  display_name?: string;
  can_program_offline_access_codes?: boolean;
  capabilities_supported?: string[];
  properties?: Record<string, unknown>;
  location?: { time_zone?: string | null; timezone?: string | null } | null;
}

export type ProfileResult =
  { ok: true; profile: LockProfile } | { ok: false; violation: RuleViolation };

export const DEVICE_TYPES: Readonly<Record<string, Manufacturer>> = Object.freeze({
  igloohome_lock: 'igloohome',
  dormakaba_oracode_door: 'dormakaba_oracode',
});

/** A missing optional field is left out, a wrong one too; booleans default to false. */
const optionalText = z.string().trim().min(1).optional().catch(undefined);
const slotSchema = z.object({
  name: optionalText,
  prefix: z.number().int().nonnegative().optional().catch(undefined),
  check_in_time: z.string(),
  check_out_time: z.string(),
  is_24_hour: z.boolean().default(false),
  is_one_shot: z.boolean().default(false),
  is_master: z.boolean().default(false),
  is_biweekly_mode: z.boolean().default(false),
  dormakaba_oracode_user_level_id: optionalText,
});

const dormakabaMetadataSchema = z.object({
  iana_timezone: z.string().nullish(),
  predefined_time_slots: z.array(z.unknown()).nullish(),
});

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function firstNonEmptyString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim().length > 0) return v.trim();
  return undefined;
}

/** A value from a device record, for a message: never throws, whatever the value is. */
function printable(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function notCapable(deviceId: string, message: string, details?: Record<string, unknown>) {
  return {
    ok: false as const,
    violation: violation('device_not_capable', message, 'device_id', {
      device_id: deviceId,
      ...details,
    }),
  };
}

export function lockProfileFromDevice(device: DeviceFacts): ProfileResult {
  const raw = asRecord(device);
  const deviceId = firstNonEmptyString(raw?.device_id);
  if (!raw || !deviceId) {
    return notCapable(
      raw?.device_id === undefined ? '' : printable(raw.device_id),
      'The device record is malformed: it has no device_id.',
    );
  }

  const deviceType = raw.device_type;
  const manufacturer = typeof deviceType === 'string' ? DEVICE_TYPES[deviceType] : undefined;
  if (!manufacturer || !Object.prototype.hasOwnProperty.call(DEVICE_TYPES, deviceType as string)) {
    const supported = Object.keys(DEVICE_TYPES);
    return {
      ok: false,
      violation: violation(
        'unsupported_manufacturer',
        `Device ${deviceId} has device_type '${printable(deviceType)}'; offline access codes are ` +
          `supported here only for ${supported.map((t) => `'${t}'`).join(' and ')} ` +
          `(igloohome and dormakaba Oracode locks).`,
        'device_id',
        { device_id: deviceId, device_type: deviceType, supported_device_types: supported },
      ),
    };
  }

  const props = asRecord(raw.properties) ?? {};
  const capabilities = Array.isArray(raw.capabilities_supported) ? raw.capabilities_supported : [];
  const hasAccessCode = capabilities.includes('access_code');
  const current = raw.can_program_offline_access_codes;
  const deprecated = props.offline_access_codes_enabled;
  const flagSource =
    typeof current === 'boolean'
      ? 'can_program_offline_access_codes'
      : typeof deprecated === 'boolean'
        ? 'properties.offline_access_codes_enabled'
        : undefined;
  const offlineEnabled = typeof current === 'boolean' ? current : deprecated === true;
  if (!hasAccessCode || !offlineEnabled) {
    const missing: string[] = [];
    if (!hasAccessCode) missing.push("capabilities_supported does not include 'access_code'");
    if (!offlineEnabled) {
      missing.push(
        flagSource === 'can_program_offline_access_codes'
          ? 'can_program_offline_access_codes is false'
          : flagSource
            ? 'properties.offline_access_codes_enabled (read because can_program_offline_access_codes is absent) is false'
            : 'neither can_program_offline_access_codes nor properties.offline_access_codes_enabled is true',
      );
    }
    return notCapable(
      deviceId,
      `Device ${deviceId} cannot take offline access codes: ${missing.join('; and ')}. ` +
        `Enable offline access codes for the lock in the manufacturer's app or choose another lock.`,
      {
        missing_access_code_capability: !hasAccessCode,
        can_program_offline_access_codes: offlineEnabled,
        ...(flagSource ? { capability_read_from: flagSource } : {}),
      },
    );
  }

  const name = firstNonEmptyString(raw.display_name, props.name) ?? deviceId;
  const location = asRecord(raw.location);
  const locationZones: Array<[string, unknown]> = [
    ['location.time_zone', location?.time_zone],
    ['location.timezone', location?.timezone],
  ];

  if (manufacturer === 'igloohome') {
    const found = locationZones.find(([, z]) => isValidZone(z));
    // No zone at all: UTC. Hourly codes are the same in every whole-hour zone; a daily-bound
    // code over a DST change would be an hour off, and the stored-window check says so.
    const [source, timezone] = found ? [found[0], found[1] as string] : ['default (UTC)', 'UTC'];
    return {
      ok: true,
      profile: {
        device_id: deviceId,
        name,
        manufacturer,
        timezone,
        timezone_source: source,
        timeSlots: [],
      },
    };
  }

  const meta = dormakabaMetadataSchema.safeParse(props.dormakaba_oracode_metadata ?? {});
  const rawSlots = meta.success ? (meta.data.predefined_time_slots ?? []) : [];
  const timeSlots: DormakabaTimeSlot[] = [];
  let unreadable = 0;
  for (const candidate of rawSlots) {
    const parsed = slotSchema.safeParse(candidate);
    if (!parsed.success) {
      unreadable++;
      continue;
    }
    const slot = Object.fromEntries(
      Object.entries(parsed.data).filter(([, v]) => v !== undefined),
    ) as unknown as DormakabaTimeSlot;
    if (slotExclusion(slot) === 'unreadable_times') {
      unreadable++;
      continue;
    }
    timeSlots.push(slot);
  }
  const usable = timeSlots.filter((s) => slotExclusion(s) === undefined);
  if (usable.length === 0) {
    const masters = timeSlots.filter((s) => s.is_master).length;
    const oneShots = timeSlots.filter((s) => !s.is_master && s.is_one_shot).length;
    return notCapable(
      deviceId,
      `dormakaba Oracode device ${deviceId} has no usable time slot (user level): ` +
        `${rawSlots.length} predefined slot(s): ${masters} master, ${oneShots} one-shot (Seam ` +
        `supports neither), ${unreadable} with unreadable times. Offline codes must follow a ` +
        `non-master, non-one-shot user level; ask the installer to configure one.`,
      {
        predefined_time_slots: rawSlots.length,
        master_slots: masters,
        one_shot_slots: oneShots,
        unreadable_slots: unreadable,
      },
    );
  }

  // The lock's zone: the metadata's, else the device location's, else the first slot's own.
  const iana = meta.success ? meta.data.iana_timezone : undefined;
  const slotZone = usable
    .map((s) => parseTimeOfDay(s.check_in_time)?.zone ?? parseTimeOfDay(s.check_out_time)?.zone)
    .find((z) => z !== undefined);
  const zones: Array<[string, unknown]> = [
    ['properties.dormakaba_oracode_metadata.iana_timezone', iana],
    ...locationZones,
    ['the time slots', slotZone],
  ];
  const found = zones.find(([, z]) => isValidZone(z));
  if (!found) {
    return notCapable(
      deviceId,
      `dormakaba Oracode device ${deviceId} has ` +
        (iana ? `an unknown time zone '${iana}'` : 'no time zone') +
        ` in properties.dormakaba_oracode_metadata.iana_timezone, none in its location, and its ` +
        `time slots name none; their times cannot be interpreted. Set the site's time zone in ` +
        `the dormakaba Oracode portal.`,
      { iana_timezone: iana ?? null },
    );
  }
  return {
    ok: true,
    profile: {
      device_id: deviceId,
      name,
      manufacturer,
      timezone: found[1] as string,
      timezone_source: found[0],
      timeSlots,
    },
  };
}
