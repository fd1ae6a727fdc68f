/**
 * Times of day as Seam writes them for dormakaba Oracode time slots (`check_in_time`,
 * `check_out_time`).
 *
 * Sources:
 * - @seamapi/types, models/devices/device-metadata.ts, `dormakaba_oracode_time_slot`: both
 *   fields are marked `// Seam TOD`.
 * - seamapi/seam-tod README ("Format"): "`09:00:00-05:00`, `09:00:00Z`,
 *   `09:00:00[America/Los_Angeles]`" are valid; the strict output drops zero seconds
 *   ("`01:23[PST]`") and may carry milliseconds ("`01:23:12.543[PST]`"); acceptable zone
 *   specifiers are "IANA Timezones (America/Los_Angeles)" and "NIST Timezones (EST, EDT, UTC)".
 * - seamapi/docs, programming-offline-access-codes-on-dormakaba-oracode-locks.md: "Time slots
 *   use Seam's Time of Day (TOD) format: `15:30:00-08:00[America/Los_Angeles]`", `15:30:00`
 *   being "Hour and minute (3:30 PM)". The seam-tod README calls an offset next to a zone
 *   redundant, but Seam's own guide shows it: both forms are read.
 *
 * Readings (inferred, the sources are silent):
 * - With a zone in brackets the wall-clock time is in that zone and a written offset is only
 *   informative (the guide reads `15:30:00-08:00[America/Los_Angeles]` as 3:30 PM, which holds
 *   in summer too only if the zone, not the offset, rules).
 * - A NIST abbreviation is the fixed offset it names (EST is UTC-5 all year).
 * - No zone and no offset at all: the lock's own zone (`iana_timezone`).
 */
import { DateTime } from 'luxon';

export interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** IANA zone or luxon fixed-offset zone ('UTC-5'); undefined: the lock's zone. */
  zone?: string;
}

/** NIST abbreviations (seam-tod: "NIST Timezones (EST, EDT, UTC)") as fixed offsets. */
const NIST_OFFSETS: Readonly<Record<string, string>> = Object.freeze({
  UTC: 'UTC',
  GMT: 'UTC',
  Z: 'UTC',
  EST: 'UTC-5',
  EDT: 'UTC-4',
  CST: 'UTC-6',
  CDT: 'UTC-5',
  MST: 'UTC-7',
  MDT: 'UTC-6',
  PST: 'UTC-8',
  PDT: 'UTC-7',
  AKST: 'UTC-9',
  AKDT: 'UTC-8',
  HST: 'UTC-10',
});

const TOD =
  /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*(?:\[([^\]]+)\])?$/i;

function isZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

function offsetZone(offset: string): string | undefined {
  if (offset.toUpperCase() === 'Z') return 'UTC';
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 18 || minutes > 59) return undefined;
  if (hours === 0 && minutes === 0) return 'UTC';
  return `UTC${m[1]}${hours}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}`;
}

function bracketZone(name: string): string | undefined {
  const trimmed = name.trim();
  const nist = NIST_OFFSETS[trimmed.toUpperCase()];
  if (nist) return nist;
  return isZone(trimmed) ? trimmed : undefined;
}

/** Parses a Seam TOD string. Null when malformed or when its zone is unknown. */
export function parseTimeOfDay(text: unknown): TimeOfDay | null {
  if (typeof text !== 'string' || text.length > 80) return null;
  const m = TOD.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  const millisecond = m[4] === undefined ? 0 : Number(m[4].padEnd(3, '0'));
  if (hour > 23 || minute > 59 || second > 59) return null;
  let zone: string | undefined;
  if (m[6] !== undefined) {
    zone = bracketZone(m[6]);
    if (zone === undefined) return null;
  } else if (m[5] !== undefined) {
    zone = offsetZone(m[5]);
    if (zone === undefined) return null;
  }
  const tod: TimeOfDay = { hour, minute, second, millisecond };
  if (zone !== undefined) tod.zone = zone;
  return tod;
}

/** 'HH:mm' (with ':ss' when not zero) for messages. */
export function formatTimeOfDay(t: TimeOfDay): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.hour)}:${pad(t.minute)}${t.second ? `:${pad(t.second)}` : ''}`;
}

/** The instant of time of day `t` on the local date `date` (a DateTime in `zone`). */
export function onDate(date: DateTime, t: TimeOfDay, zone: string): DateTime {
  const local = date.setZone(zone);
  return DateTime.fromObject(
    {
      year: local.year,
      month: local.month,
      day: local.day,
      hour: t.hour,
      minute: t.minute,
      second: t.second,
      millisecond: t.millisecond,
    },
    { zone },
  );
}
