/**
 * What every accepted plan carries besides its window: the list of differences from the stay
 * (`warnings`) and the exact request to Seam (`seam_request`).
 */
import { DateTime } from 'luxon';
import { describeDuration, describeLocal, toUtcIso } from './rounding';
import type { CodeKind, NormalizedRounding, PlanWarning, SeamTimes } from './types';
import type { CheckedWindow } from './window';

/**
 * An instant written in the lock's own offset, e.g. 2026-07-01T15:00:00+02:00. Seam's
 * dormakaba guide (creating-dormakaba-oracode-offline-access-codes.md, "Time Zones"): "you set
 * the `starts_at` and `ends_at` properties using a time and offset that match the local time
 * zone of the lock". Harmless for igloohome: the instant is the same.
 */
export function lockLocalIso(dt: DateTime, zone: string): string {
  const local = dt.setZone(zone);
  return (local.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? toUtcIso(dt)).replace(
    /Z$/,
    '+00:00',
  );
}

function offsetMatchesLock(raw: string, zone: string): boolean {
  const parsed = DateTime.fromISO(raw, { setZone: true });
  return parsed.isValid && parsed.offset === parsed.setZone(zone).offset;
}

/** Seam's `max_time_rounding` for a plan of this kind (see CodePlan.max_time_rounding). */
export function seamRoundingFor(kind: CodeKind): NormalizedRounding {
  return kind === 'daily_bound' ? '1day' : '1hour';
}

/**
 * The request to Seam. When the planned window is the stay (no rounding), the booking
 * system's own strings go out unchanged: "sent exactly as asked". A dormakaba string whose
 * offset is not the lock's is rewritten to the same instant in the lock's offset (see
 * lockLocalIso). A rounded window is written in the lock's offset.
 */
export function seamTimesFor(
  w: CheckedWindow,
  manufacturer: 'igloohome' | 'dormakaba_oracode',
  kind: CodeKind,
  start: DateTime,
  end: DateTime,
): SeamTimes {
  const write = (raw: string | undefined, requested: DateTime, planned: DateTime): string => {
    const unchanged = raw !== undefined && planned.toMillis() === requested.toMillis();
    if (unchanged && (manufacturer === 'igloohome' || offsetMatchesLock(raw, w.zone))) return raw;
    return lockLocalIso(planned, w.zone);
  };
  const times: SeamTimes = {
    starts_at: write(w.raw.starts_at, w.start, start),
    max_time_rounding: seamRoundingFor(kind),
  };
  if (kind !== 'one_time_use') times.ends_at = write(w.raw.ends_at, w.end, end);
  return times;
}

function minutesBetween(a: DateTime, b: DateTime): number {
  return Math.ceil(Math.abs(a.toMillis() - b.toMillis()) / 60_000);
}

/**
 * The differences between the stay and the planned window, one entry per end that moved.
 * `why` says what made the change (a slot, hour or day rounding), for the messages.
 */
export function windowWarnings(
  requested: { start: DateTime; end: DateTime },
  planned: { start: DateTime; end: DateTime },
  zone: string,
  why: string,
): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  const s = requested.start.setZone(zone);
  const ps = planned.start.setZone(zone);
  const e = requested.end.setZone(zone);
  const pe = planned.end.setZone(zone);
  const diffStart = ps.toMillis() - s.toMillis();
  if (diffStart !== 0) {
    const minutes = minutesBetween(s, ps);
    const earlier = diffStart < 0;
    warnings.push({
      code: earlier ? 'starts_earlier' : 'starts_later',
      field: 'starts_at',
      minutes,
      requested: toUtcIso(s),
      planned: toUtcIso(ps),
      message: earlier
        ? `The code starts ${describeDuration(diffStart)} before the requested starts_at ` +
          `(${describeLocal(ps)} instead of ${describeLocal(s)}): the door opens to it before ` +
          `the stay begins. ${why}`
        : `The code starts ${describeDuration(diffStart)} after the requested starts_at ` +
          `(${describeLocal(ps)} instead of ${describeLocal(s)}): the guest cannot open the ` +
          `door before then. ${why}`,
    });
  }
  const diffEnd = pe.toMillis() - e.toMillis();
  if (diffEnd !== 0) {
    const minutes = minutesBetween(e, pe);
    const earlier = diffEnd < 0;
    warnings.push({
      code: earlier ? 'ends_earlier' : 'ends_later',
      field: 'ends_at',
      minutes,
      requested: toUtcIso(e),
      planned: toUtcIso(pe),
      message: earlier
        ? `The code ends ${describeDuration(diffEnd)} before the requested ends_at ` +
          `(${describeLocal(pe)} instead of ${describeLocal(e)}): the guest cannot open the ` +
          `door after then. ${why}`
        : `The code ends ${describeDuration(diffEnd)} after the requested ends_at ` +
          `(${describeLocal(pe)} instead of ${describeLocal(e)}): the door still opens to it ` +
          `after the stay, and offline codes cannot be revoked. ${why}`,
    });
  }
  return warnings;
}
