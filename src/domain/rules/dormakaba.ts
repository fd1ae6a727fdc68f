/**
 * dormakaba Oracode offline-code rules.
 *
 * Readings chosen (the guide only says "1 to 31 days"):
 * - Duration: the PLANNED window (after snapping to the slot) must last at least 1 hour and
 *   at most 31 days, days counted as calendar days in the lock's zone (DST-proof):
 *   ends_at <= starts_at + 31 local days. 31 d is allowed, anything longer (32 d) is
 *   rejected. Shorter than 1 day is allowed (Seam's own example is a 12 h code on the
 *   7am-7pm slot); shorter than 1 hour is rejected (generic `duration_too_short`).
 * - No one-time-use codes, no master codes.
 * - Time slots ("user levels"): a slot is usable when it is not `is_master`, its times
 *   parse, and (for stays over 24 h) it is not `is_one_shot`. `is_biweekly_mode` is not
 *   documented by Seam and is ignored.
 * - Matching: for each endpoint, the slot time nearest to it (check_in_time for starts_at,
 *   check_out_time for ends_at, taken on the endpoint's local date or the day before/after,
 *   so midnight wraps work: an ends_at of 00:00 matches a 23:59 check-out one minute
 *   earlier) must be within 1 hour (Seam rounds by up to 1 h to the nearest slot). Slot
 *   times are local to the zone in brackets ('HH:MM:SS[Zone]'), else the lock's zone.
 *   The plan snaps both endpoints to those slot times. Among fitting slots the closest
 *   (least total movement) wins; ties go to the slot listed first.
 * - Daily-bound windows (same local time of day at start and end, whole days) prefer a
 *   24-hour slot. With max_time_rounding '1day', a window that fits no slot within 1 h is
 *   rounded to whole days on a 24-hour slot: each endpoint that is not within 1 h of the
 *   slot time widens outward (starts_at to the check-in at or before it, ends_at to the
 *   check-out at or after it) so the guest's stay stays inside the code. With '1hour' the
 *   same window gets `rounding_exceeds_max`; with no 24-hour slot, `no_matching_time_slot`.
 * - kind: 'daily_bound' when the chosen slot is a 24-hour slot, else 'hourly_bound'.
 */
import { DateTime } from 'luxon';
import type { DormakabaTimeSlot } from '../device-profile';
import { HOUR_MS, describeDuration, describeLocal, isValidZone, toUtcIso } from './rounding';
import type { CodePlan, PlanResult } from './types';
import { violation, type RuleViolation } from './violation';
import type { CheckedWindow } from './window';

export const DORMAKABA_MAX_DAYS = 31;
const SLOT_TOLERANCE_MS = HOUR_MS;

export interface SlotTime {
  hour: number;
  minute: number;
  second: number;
  zone?: string;
}

const SLOT_TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\[([^\]]+)\])?$/;

/** Parses 'HH:MM:SS[Zone]' (seconds and zone optional). Null when malformed. */
export function parseSlotTime(text: unknown): SlotTime | null {
  if (typeof text !== 'string') return null;
  const m = SLOT_TIME.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[4];
  if (zone !== undefined && !isValidZone(zone)) return null;
  return zone === undefined ? { hour, minute, second } : { hour, minute, second, zone };
}

function formatSlotTime(t: SlotTime): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.hour)}:${pad(t.minute)}`;
}

interface ParsedSlot {
  slot: DormakabaTimeSlot;
  checkIn: SlotTime;
  checkOut: SlotTime;
  zone: string;
}

function parseSlot(slot: DormakabaTimeSlot, lockZone: string): ParsedSlot | null {
  const checkIn = parseSlotTime(slot.check_in_time);
  const checkOut = parseSlotTime(slot.check_out_time);
  if (!checkIn || !checkOut) return null;
  return { slot, checkIn, checkOut, zone: checkIn.zone ?? checkOut.zone ?? lockZone };
}

/** The slot time on the local dates around `at` (day before, same day, day after). */
function slotInstantsAround(at: DateTime, t: SlotTime, zone: string): DateTime[] {
  const local = at.setZone(zone);
  return [-1, 0, 1].map((offset) => {
    const day = local.plus({ days: offset });
    return DateTime.fromObject(
      {
        year: day.year,
        month: day.month,
        day: day.day,
        hour: t.hour,
        minute: t.minute,
        second: t.second,
      },
      { zone },
    );
  });
}

function nearest(at: DateTime, candidates: DateTime[]): DateTime {
  let best = candidates[0] as DateTime;
  for (const c of candidates) {
    if (Math.abs(c.toMillis() - at.toMillis()) < Math.abs(best.toMillis() - at.toMillis()))
      best = c;
  }
  return best;
}

interface Snap {
  parsed: ParsedSlot;
  start: DateTime;
  end: DateTime;
  /** total movement of both endpoints, ms */
  score: number;
}

function snapWithin(p: ParsedSlot, start: DateTime, end: DateTime): Snap | null {
  const s = nearest(start, slotInstantsAround(start, p.checkIn, p.zone));
  const e = nearest(end, slotInstantsAround(end, p.checkOut, p.zone));
  const ds = Math.abs(s.toMillis() - start.toMillis());
  const de = Math.abs(e.toMillis() - end.toMillis());
  if (ds > SLOT_TOLERANCE_MS || de > SLOT_TOLERANCE_MS || e.toMillis() <= s.toMillis()) return null;
  return { parsed: p, start: s, end: e, score: ds + de };
}

/** Day rounding on a 24-hour slot: endpoints not within 1 h widen outward. */
function snapCovering(p: ParsedSlot, start: DateTime, end: DateTime): Snap {
  const sCands = slotInstantsAround(start, p.checkIn, p.zone);
  const eCands = slotInstantsAround(end, p.checkOut, p.zone);
  let s = nearest(start, sCands);
  if (Math.abs(s.toMillis() - start.toMillis()) > SLOT_TOLERANCE_MS) {
    s = sCands.filter((c) => c.toMillis() <= start.toMillis()).pop() as DateTime;
  }
  let e = nearest(end, eCands);
  if (Math.abs(e.toMillis() - end.toMillis()) > SLOT_TOLERANCE_MS) {
    e = eCands.find((c) => c.toMillis() >= end.toMillis()) as DateTime;
  }
  const score = Math.abs(s.toMillis() - start.toMillis()) + Math.abs(e.toMillis() - end.toMillis());
  return { parsed: p, start: s, end: e, score };
}

function best(snaps: Snap[]): Snap | undefined {
  let winner: Snap | undefined;
  for (const s of snaps) if (!winner || s.score < winner.score) winner = s;
  return winner;
}

function describeSlot(p: ParsedSlot): string {
  return (
    `"${p.slot.name}" (prefix ${p.slot.prefix}, check-in ${formatSlotTime(p.checkIn)}, ` +
    `check-out ${formatSlotTime(p.checkOut)}${p.slot.is_24_hour ? ', 24-hour' : ''}` +
    `${p.slot.is_one_shot ? ', one-shot' : ''})`
  );
}

function tooLong(start: DateTime, end: DateTime, zone: string): RuleViolation | null {
  const s = start.setZone(zone);
  const latest = s.plus({ days: DORMAKABA_MAX_DAYS });
  if (end.toMillis() <= latest.toMillis()) return null;
  return violation(
    'dormakaba_duration_out_of_range',
    `The window ${describeLocal(s)} to ${describeLocal(end.setZone(zone))} lasts ` +
      `${describeDuration(end.toMillis() - start.toMillis())}; dormakaba Oracode offline codes ` +
      `last 1 hour to ${DORMAKABA_MAX_DAYS} days. Move ends_at to ${describeLocal(latest)} or ` +
      `earlier (or split the stay into several codes).`,
    'ends_at',
    { max_days: DORMAKABA_MAX_DAYS, latest_ends_at: toUtcIso(latest) },
  );
}

export function planDormakaba(
  w: CheckedWindow,
  timeSlots: readonly DormakabaTimeSlot[],
): PlanResult {
  const { start, end, zone, rounding } = w;
  const durationMs = end.toMillis() - start.toMillis();
  const multiDay = durationMs > 24 * HOUR_MS;

  const parsed = timeSlots
    .filter((s) => s && !s.is_master)
    .map((s) => parseSlot(s, zone))
    .filter((p): p is ParsedSlot => p !== null);
  const eligible = parsed.filter((p) => !(multiDay && p.slot.is_one_shot));
  const allDay = eligible.filter((p) => p.slot.is_24_hour);

  const localDays = end.diff(start, 'days').days;
  const dailyShaped = Number.isInteger(localDays) && localDays >= 1;

  const within = eligible
    .map((p) => snapWithin(p, start, end))
    .filter((s): s is Snap => s !== null);
  const within24 = within.filter((s) => s.parsed.slot.is_24_hour);
  const covering24 = () => best(allDay.map((p) => snapCovering(p, start, end)));

  let chosen: Snap | undefined;
  if (dailyShaped && within24.length > 0) chosen = best(within24);
  else if (dailyShaped && allDay.length > 0 && rounding === '1day') chosen = covering24();
  else if (within.length > 0) chosen = best(within);
  else if (allDay.length > 0 && rounding === '1day') chosen = covering24();

  const requested = `${describeLocal(start)} to ${describeLocal(end)}`;
  if (!chosen) {
    const violations: RuleViolation[] = [];
    if (allDay.length > 0) {
      const alt = covering24() as Snap;
      violations.push(
        violation(
          'rounding_exceeds_max',
          `The window ${requested} is within 1 hour of none of the lock's time slots. Rounding it ` +
            `to whole days on the 24-hour slot ${describeSlot(alt.parsed)} needs more than 1 hour ` +
            `of rounding, which max_time_rounding '1hour' does not allow. Either set ` +
            `max_time_rounding to '1d' (planned window would be ${describeLocal(alt.start)} to ` +
            `${describeLocal(alt.end)}), or move starts_at/ends_at to within 1 hour of a slot's ` +
            `check-in/check-out times (${zone}).`,
          'max_time_rounding',
          {
            max_time_rounding: rounding,
            suggested_starts_at: toUtcIso(alt.start),
            suggested_ends_at: toUtcIso(alt.end),
          },
        ),
      );
    } else {
      const list = eligible.length > 0 ? eligible.map(describeSlot).join('; ') : 'none';
      const excluded = parsed.length - eligible.length;
      violations.push(
        violation(
          'no_matching_time_slot',
          `dormakaba Oracode codes must follow one of the lock's time slots (user levels), within ` +
            `1 hour. The window ${requested} has check-in ${start.toFormat('HH:mm')} and check-out ` +
            `${end.toFormat('HH:mm')} (${zone}), which fits no slot. Available slots: ${list}` +
            `${excluded > 0 ? ` (${excluded} one-shot slot(s) cannot be used for stays over 24 hours)` : ''}. ` +
            `Move starts_at to within 1 hour of a slot's check-in time and ends_at to within 1 hour ` +
            `of the same slot's check-out time.`,
          'starts_at',
          {
            requested_check_in: start.toFormat('HH:mm'),
            requested_check_out: end.toFormat('HH:mm'),
            timezone: zone,
            available_slots: eligible.map((p) => ({
              name: p.slot.name,
              prefix: p.slot.prefix,
              check_in: formatSlotTime(p.checkIn),
              check_out: formatSlotTime(p.checkOut),
              is_24_hour: p.slot.is_24_hour,
            })),
          },
        ),
      );
    }
    const long = tooLong(start, end, zone);
    if (long) violations.push(long);
    return { ok: false, violations };
  }

  const long = tooLong(chosen.start, chosen.end, zone);
  if (long) return { ok: false, violations: [long] };
  if (chosen.end.toMillis() - chosen.start.toMillis() < HOUR_MS) {
    return {
      ok: false,
      violations: [
        violation(
          'dormakaba_duration_out_of_range',
          `Snapped to the slot ${describeSlot(chosen.parsed)}, the window would last less than 1 hour ` +
            `(${describeLocal(chosen.start)} to ${describeLocal(chosen.end)}); dormakaba Oracode codes ` +
            `last 1 hour to ${DORMAKABA_MAX_DAYS} days. Choose times that fit a longer slot.`,
          'ends_at',
        ),
      ],
    };
  }

  const slot = chosen.parsed.slot;
  const plan: CodePlan = {
    kind: slot.is_24_hour ? 'daily_bound' : 'hourly_bound',
    starts_at: toUtcIso(chosen.start),
    ends_at: toUtcIso(chosen.end),
    max_time_rounding: rounding,
    timezone: zone,
    time_slot: {
      name: slot.name,
      prefix: slot.prefix,
      user_level_id: slot.dormakaba_oracode_user_level_id,
    },
    caveats: [],
  };
  return { ok: true, plan };
}
