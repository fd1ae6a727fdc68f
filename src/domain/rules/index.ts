/**
 * Manufacturer rules for Seam offline access codes (igloohome, dormakaba Oracode).
 * Pure: no I/O, no clock (the current time is passed in), never throws on bad input.
 *
 * planOfflineCode runs in three stages, so violations are collected where they are
 * independent but no nonsense follow-ups are produced:
 *  1. lock profile (manufacturer, zone): unusable -> stop.
 *  2. request shape: starts_at/ends_at parse, ends_at required / forbidden (one-time-use),
 *     max_time_rounding valid, one-time-use supported; then, on whatever parsed:
 *     window_in_past (ends_at <= now) and window_inverted (starts_at >= ends_at), both
 *     reported together. Any violation so far -> stop.
 *  3. generic minimum (1 h), then the manufacturer's duration/rounding/slot rules.
 */
import type { DateTime } from 'luxon';
import type { LockProfile } from '../device-profile';
import { planDormakaba } from './dormakaba';
import { planIgloohomeOneTimeUse, planIgloohomeTimeBound } from './igloohome';
import {
  HOUR_MS,
  describeDuration,
  describeLocal,
  isValidZone,
  normalizeRounding,
  parseInstant,
} from './rounding';
import type { CodeRequest, PlanResult } from './types';
import { violation, type RuleViolation } from './violation';

export * from './types';
export { RULE_VIOLATION_CODES, RULE_VIOLATION_DESCRIPTIONS, type RuleViolation } from './violation';
export { normalizeRounding } from './rounding';
export {
  parseSlotTime,
  slotExclusion,
  DORMAKABA_MAX_DAYS,
  BIWEEKLY_MAX_DAYS,
  BIWEEKLY_MIN_DAYS,
} from './dormakaba';
export { parseTimeOfDay, formatTimeOfDay, type TimeOfDay } from './time-of-day';
export { lockLocalIso } from './plan';
export {
  IGLOOHOME_DAILY_MAX_DAYS,
  IGLOOHOME_DAILY_MIN_DAYS,
  IGLOOHOME_HOURLY_MAX_HOURS,
} from './igloohome';

const ONE_TIME_USE_MS = 24 * HOUR_MS;

function isMissing(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
  );
}

export function planOfflineCode(lock: LockProfile, req: CodeRequest, now: Date): PlanResult {
  try {
    return plan(lock, req, now);
  } catch (err) {
    // Defensive: the rules are written not to throw; if they ever do, fail closed.
    return {
      ok: false,
      violations: [
        violation(
          'invalid_lock_profile',
          `The request could not be checked against the lock's rules (${String(err)}).`,
        ),
      ],
    };
  }
}

function plan(lock: LockProfile, req: CodeRequest, now: Date): PlanResult {
  const l = (lock ?? {}) as Partial<LockProfile>;
  const r = (req !== null && typeof req === 'object' ? req : {}) as Partial<
    Record<keyof CodeRequest, unknown>
  >;

  // 1. The lock.
  if (l.manufacturer !== 'igloohome' && l.manufacturer !== 'dormakaba_oracode') {
    return {
      ok: false,
      violations: [
        violation(
          'unsupported_manufacturer',
          `Lock ${String(l.device_id)} has manufacturer '${String(l.manufacturer)}'; only ` +
            `'igloohome' and 'dormakaba_oracode' offline codes are supported.`,
          undefined,
          { manufacturer: l.manufacturer },
        ),
      ],
    };
  }
  const zone = l.timezone;
  if (!isValidZone(zone)) {
    return {
      ok: false,
      violations: [
        violation(
          'invalid_lock_profile',
          `Lock ${String(l.device_id)} has no valid IANA time zone ('${String(zone)}'); ` +
            `build the profile with lockProfileFromDevice.`,
          undefined,
          { timezone: zone },
        ),
      ],
    };
  }
  const nowMs = now instanceof Date ? now.getTime() : NaN;
  if (!Number.isFinite(nowMs)) {
    return {
      ok: false,
      violations: [
        violation('invalid_lock_profile', 'The current time passed to the planner is invalid.'),
      ],
    };
  }

  // 2. The request's shape.
  const violations: RuleViolation[] = [];
  const oneTimeUse = r.is_one_time_use === true;
  const rounding = normalizeRounding(r.max_time_rounding);
  if (rounding === null) {
    violations.push(
      violation(
        'invalid_max_time_rounding',
        `max_time_rounding '${String(r.max_time_rounding)}' is not allowed; use '1h' (or '1hour', ` +
          `the default) or '1d' (or '1day') for daily-bound codes.`,
        'max_time_rounding',
        { received: r.max_time_rounding },
      ),
    );
  }
  if (oneTimeUse && l.manufacturer === 'dormakaba_oracode') {
    violations.push(
      violation(
        'one_time_use_not_supported',
        'dormakaba Oracode locks have no one-time-use offline codes. Send is_one_time_use: false ' +
          "with ends_at set to fit one of the lock's time slots.",
        'is_one_time_use',
      ),
    );
  }
  const start = parseInstant(r.starts_at);
  if (!start) {
    violations.push(
      violation(
        'invalid_starts_at',
        isMissing(r.starts_at)
          ? 'starts_at is required: an ISO 8601 timestamp with an offset, e.g. 2025-07-01T15:00:00+02:00.'
          : `starts_at '${String(r.starts_at).slice(0, 80)}' is not an ISO 8601 timestamp with an ` +
              'offset; send e.g. 2025-07-01T15:00:00+02:00 or 2025-07-01T13:00:00Z.',
        'starts_at',
      ),
    );
  }
  const endGiven = !isMissing(r.ends_at);
  const end = endGiven ? parseInstant(r.ends_at) : null;
  if (endGiven && !end) {
    violations.push(
      violation(
        'invalid_ends_at',
        `ends_at '${String(r.ends_at).slice(0, 80)}' is not an ISO 8601 timestamp with an offset; ` +
          'send e.g. 2025-07-05T11:00:00+02:00 or 2025-07-05T09:00:00Z' +
          (oneTimeUse ? ', or omit it for a one-time-use code.' : '.'),
        'ends_at',
      ),
    );
  }
  let effectiveEnd: DateTime | null = end;
  if (oneTimeUse) {
    effectiveEnd = start ? start.plus({ milliseconds: ONE_TIME_USE_MS }) : null;
    if (
      start &&
      end &&
      effectiveEnd &&
      end.toMillis() !== effectiveEnd.toMillis() &&
      l.manufacturer === 'igloohome'
    ) {
      violations.push(
        violation(
          'one_time_use_window_fixed',
          `A one-time-use code is valid for exactly 24 hours from starts_at (until ` +
            `${describeLocal(effectiveEnd.setZone(zone))}); ends_at ` +
            `${describeLocal(end.setZone(zone))} cannot be honoured. Omit ends_at.`,
          'ends_at',
          { fixed_ends_at: effectiveEnd.toUTC().toISO() },
        ),
      );
    }
  } else if (!endGiven) {
    violations.push(
      violation(
        'ends_at_required',
        'ends_at is required for a time-bound offline code (only one-time-use codes, ' +
          'is_one_time_use: true, need starts_at alone).',
        'ends_at',
      ),
    );
  }
  if (effectiveEnd && effectiveEnd.toMillis() <= nowMs) {
    violations.push(
      violation(
        'window_in_past',
        `The code would end at ${describeLocal(effectiveEnd.setZone(zone))}, which is not after now ` +
          `(${new Date(nowMs).toISOString()}). Choose ${oneTimeUse ? 'a starts_at less than 24 hours ago or later' : 'an ends_at in the future'}.`,
        oneTimeUse ? 'starts_at' : 'ends_at',
        { ends_at: effectiveEnd.toUTC().toISO(), now: new Date(nowMs).toISOString() },
      ),
    );
  }
  if (start && effectiveEnd && start.toMillis() >= effectiveEnd.toMillis()) {
    violations.push(
      violation(
        'window_inverted',
        `starts_at (${describeLocal(start.setZone(zone))}) is not before ends_at ` +
          `(${describeLocal(effectiveEnd.setZone(zone))}). Swap them or fix the dates.`,
        'ends_at',
      ),
    );
  }
  if (violations.length > 0 || !start || !effectiveEnd || !rounding) {
    return { ok: false, violations };
  }

  // 3. Minimum length, then the manufacturer.
  const raw = { starts_at: String(r.starts_at).trim() };
  const window = {
    zone,
    start: start.setZone(zone),
    end: effectiveEnd.setZone(zone),
    rounding,
    raw: oneTimeUse ? raw : { ...raw, ends_at: String(r.ends_at).trim() },
  };
  if (oneTimeUse) return planIgloohomeOneTimeUse(window);
  const durationMs = effectiveEnd.toMillis() - start.toMillis();
  if (durationMs < HOUR_MS) {
    return {
      ok: false,
      violations: [
        violation(
          'duration_too_short',
          `The window lasts ${describeDuration(durationMs)}; offline codes last at least 1 hour. ` +
            `Move ends_at to ${describeLocal(window.start.plus({ hours: 1 }))} or later.`,
          'ends_at',
          { duration_minutes: Math.round(durationMs / 60_000) },
        ),
      ],
    };
  }
  return l.manufacturer === 'igloohome'
    ? planIgloohomeTimeBound(window)
    : planDormakaba(window, Array.isArray(l.timeSlots) ? l.timeSlots : []);
}
