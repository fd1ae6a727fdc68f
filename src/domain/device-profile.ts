/**
 * Turns a Seam device (the plain shape /devices/get returns) into the LockProfile the rules
 * need, or a RuleViolation saying why offline codes are impossible on it.
 *
 * Device data is untrusted input: every field is validated defensively (zod), a malformed
 * time slot is dropped rather than trusted, and nothing here throws.
 */
import { z } from 'zod';
import { parseSlotTime } from './rules/dormakaba';
import { isValidZone } from './rules/rounding';
import { violation, type RuleViolation } from './rules/violation';

export type Manufacturer = 'igloohome' | 'dormakaba_oracode';

export interface DormakabaTimeSlot {
  name: string;
  prefix: number;
  check_in_time: string;
  check_out_time: string;
  is_24_hour: boolean;
  is_one_shot: boolean;
  is_master: boolean;
  is_biweekly_mode: boolean;
  dormakaba_oracode_user_level_id: string;
}

export interface LockProfile {
  device_id: string;
  name: string;
  manufacturer: Manufacturer;
  /** IANA zone; igloohome: from device location/properties if present else 'UTC'. */
  timezone: string;
  /** [] for igloohome. */
  timeSlots: DormakabaTimeSlot[];
}

/** Plain shape of a Seam device (what /devices/get returns), only the fields we read. */
export interface DeviceFacts {
  device_id: string;
  device_type: string;
  display_name?: string;
  capabilities_supported?: string[];
  properties?: Record<string, unknown>;
  location?: { timezone?: string | null } | null;
}

export type ProfileResult =
  { ok: true; profile: LockProfile } | { ok: false; violation: RuleViolation };

export const DEVICE_TYPES: Readonly<Record<string, Manufacturer>> = Object.freeze({
  igloohome_lock: 'igloohome',
  dormakaba_oracode_door: 'dormakaba_oracode',
});

const nonEmpty = z.string().trim().min(1);

/** Booleans Seam might omit default to false; a wrong type drops the slot. */
const slotSchema = z.object({
  name: nonEmpty,
  prefix: z.number().int().nonnegative(),
  check_in_time: z.string(),
  check_out_time: z.string(),
  is_24_hour: z.boolean().default(false),
  is_one_shot: z.boolean().default(false),
  is_master: z.boolean().default(false),
  is_biweekly_mode: z.boolean().default(false),
  dormakaba_oracode_user_level_id: nonEmpty,
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
  const offlineEnabled =
    props.offline_access_codes_enabled === true ||
    props.can_program_offline_access_codes === true ||
    raw.can_program_offline_access_codes === true;
  if (!hasAccessCode || !offlineEnabled) {
    const missing: string[] = [];
    if (!hasAccessCode) missing.push("capabilities_supported does not include 'access_code'");
    if (!offlineEnabled) {
      missing.push(
        'neither properties.offline_access_codes_enabled nor ' +
          'properties.can_program_offline_access_codes is true',
      );
    }
    return notCapable(
      deviceId,
      `Device ${deviceId} cannot take offline access codes: ${missing.join('; and ')}. ` +
        `Enable offline access codes for the lock in the manufacturer's app or choose another lock.`,
      {
        missing_access_code_capability: !hasAccessCode,
        offline_access_codes_enabled: offlineEnabled,
      },
    );
  }

  const name = firstNonEmptyString(raw.display_name, props.name) ?? deviceId;

  if (manufacturer === 'igloohome') {
    // Device location first, then a zone in properties; invalid zone names are skipped.
    const location = asRecord(raw.location);
    const candidates = [location?.timezone, props.timezone, asRecord(props.location)?.timezone];
    const timezone = candidates.find(isValidZone) ?? 'UTC';
    return {
      ok: true,
      profile: { device_id: deviceId, name, manufacturer, timezone, timeSlots: [] },
    };
  }

  const meta = dormakabaMetadataSchema.safeParse(props.dormakaba_oracode_metadata ?? {});
  const zone = meta.success ? meta.data.iana_timezone : undefined;
  if (!isValidZone(zone)) {
    return notCapable(
      deviceId,
      `dormakaba Oracode device ${deviceId} has ` +
        (zone ? `an unknown time zone '${zone}'` : 'no time zone') +
        ` in properties.dormakaba_oracode_metadata.iana_timezone; its time slots cannot be ` +
        `interpreted. Set the lock's time zone in the dormakaba Oracode portal.`,
      { iana_timezone: zone ?? null },
    );
  }
  const rawSlots = meta.success ? (meta.data.predefined_time_slots ?? []) : [];
  const timeSlots: DormakabaTimeSlot[] = [];
  for (const candidate of rawSlots) {
    const parsed = slotSchema.safeParse(candidate);
    if (!parsed.success) continue;
    if (!parseSlotTime(parsed.data.check_in_time) || !parseSlotTime(parsed.data.check_out_time))
      continue;
    timeSlots.push(parsed.data);
  }
  if (!timeSlots.some((s) => !s.is_master)) {
    return notCapable(
      deviceId,
      `dormakaba Oracode device ${deviceId} has no usable time slot (user level): ` +
        `${rawSlots.length} predefined slot(s), ${timeSlots.length} well-formed, none of them ` +
        `non-master. Offline codes must follow a non-master user level; ask the installer to ` +
        `configure one.`,
      { predefined_time_slots: rawSlots.length, well_formed_slots: timeSlots.length },
    );
  }
  return {
    ok: true,
    profile: { device_id: deviceId, name, manufacturer, timezone: zone, timeSlots },
  };
}
