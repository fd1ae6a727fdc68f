/**
 * dormakaba Oracode offline-code rules.
 *
 * Sources (seamapi/docs):
 * - offline-access-codes.md, duration table: "dormakaba Oracode | Hourly- or daily-bound codes
 *   | 1 to 31 days"; creating-dormakaba-oracode-offline-access-codes.md: "The duration limit
 *   for a dormakaba Oracode offline access code is 31 consecutive days."
 * - programming-offline-access-codes-on-dormakaba-oracode-locks.md: "Seam automatically rounds
 *   your booking times (within 1 hour) to match an available time slot. The access code will
 *   use the time slot's times, not your exact booking times." (3:45 PM -> 10:15 AM on a
 *   4:00 PM -> 10:00 AM slot gives 4:00 PM -> 10:00 AM); "If your booking times are more than
 *   1 hour away from any configured slot, code creation will fail." ("No time slots found").
 * - same page: "`is_one_shot`: Whether code expires after first use (not currently
 *   supported)"; "`is_master`: Whether this provides master access (not currently supported)";
 *   "You can also set `max_time_rounding` to `1day` to allow Seam to round up to a full day to
 *   match available slots."
 * - creating-dormakaba-oracode-offline-access-codes.md, User Levels: a user level fixes
 *   "Whether the access code is daily-bound (`is_24_hour`)" and "Whether the access code is a
 *   biweekly code (that is, a code that is valid for two weeks)"; "Seam does not currently
 *   support dormakaba Oracode one-time-use offline access codes" nor master codes.
 * - Slot times are Seam TOD strings (time-of-day.ts), local to their zone.
 *
 * Readings (inferred where the docs are silent; each chosen so that no code Seam would refuse
 * is planned and no stay is widened further than the rounding asked for):
 * - A slot is usable unless `is_master` or `is_one_shot`, or its times do not parse. A missing
 *   name or prefix does not matter (both are optional in @seamapi/types).
 * - Slot choice (Seam's rule): the nearest slot with BOTH ends within 1 hour, on the local dates
 *   around each end (so a 23:59 check-out matches an ends_at of 00:00 the next day). Nearest =
 *   least total movement; ties go to the slot taking less of the stay from the guest, then to
 *   the slot listed first. This holds for any max_time_rounding: '1d' never overrides a slot
 *   that fits within the hour.
 * - '1d' ("round up to a full day"): only when no slot within the hour can carry the code, and
 *   only onto a 24-hour slot. Each end within 1 hour of the slot's time snaps to it; any other
 *   end widens outward to the slot's check-in before the stay / check-out after it (at most a
 *   day), so the stay stays inside the code. Non-24-hour slots are never rounded by more than
 *   an hour.
 * - Biweekly slots: a code on one is "valid for two weeks", whether that means "at most" or
 *   "exactly" two weeks is not documented. Planned only when the window lasts more than 13 and
 *   at most 14 local days, which holds under both readings and never opens the door for two
 *   weeks to a shorter stay.
 * - Duration: the planned window lasts at least 1 hour (Seam's own example is a 12-hour code on
 *   a 7am-7pm slot) and ends no later than 31 local calendar days after it starts.
 * - kind: 'daily_bound' on a 24-hour slot (sent with max_time_rounding '1day', as the guide's
 *   daily example does), else 'hourly_bound'.
 */
import type { DateTime } from 'luxon';
import type { DormakabaTimeSlot } from '../device-profile';
import { lockLocalIso, seamTimesFor, windowWarnings } from './plan';
import { HOUR_MS, describeDuration, describeLocal, toUtcIso } from './rounding';
import { formatTimeOfDay, onDate, parseTimeOfDay, type TimeOfDay } from './time-of-day';
import type { CodePlan, PlanResult } from './types';
import { violation, type RuleViolation } from './violation';
import type { CheckedWindow } from './window';

export const DORMAKABA_MAX_DAYS = 31;
export const BIWEEKLY_MIN_DAYS = 13;
export const BIWEEKLY_MAX_DAYS = 14;
const SLOT_TOLERANCE_MS = HOUR_MS;

/** @deprecated name kept for callers: see parseTimeOfDay. */
export const parseSlotTime = parseTimeOfDay;

interface ParsedSlot {
  slot: DormakabaTimeSlot;
  index: number;
  checkIn: TimeOfDay;
  checkOut: TimeOfDay;
  zone: string;
}

export type SlotExclusion = 'master' | 'one_shot' | 'unreadable_times';

/** Why a slot cannot carry a code, or undefined when it can. */
export function slotExclusion(slot: DormakabaTimeSlot): SlotExclusion | undefined {
  if (slot.is_master) return 'master';
  if (slot.is_one_shot) return 'one_shot';
  if (!parseTimeOfDay(slot.check_in_time) || !parseTimeOfDay(slot.check_out_time)) {
    return 'unreadable_times';
  }
  return undefined;
}

function parseSlot(slot: DormakabaTimeSlot, index: number, lockZone: string): ParsedSlot | null {
  if (slotExclusion(slot)) return null;
  const checkIn = parseTimeOfDay(slot.check_in_time) as TimeOfDay;
  const checkOut = parseTimeOfDay(slot.check_out_time) as TimeOfDay;
  return { slot, index, checkIn, checkOut, zone: checkIn.zone ?? checkOut.zone ?? lockZone };
}

/** The slot time on the local dates around `at`: the day before, the same day, the day after. */
function around(at: DateTime, t: TimeOfDay, zone: string): DateTime[] {
  const local = at.setZone(zone);
  return [-1, 0, 1].map((offset) => onDate(local.plus({ days: offset }), t, zone));
}

function nearestTo(at: DateTime, list: DateTime[]): DateTime {
  let best = list[0] as DateTime;
  for (const c of list) {
    if (Math.abs(c.toMillis() - at.toMillis()) < Math.abs(best.toMillis() - at.toMillis()))
      best = c;
  }
  return best;
}

interface Snap {
  parsed: ParsedSlot;
  start: DateTime;
  end: DateTime;
  movement: number;
  loss: number;
}

function snap(parsed: ParsedSlot, start: DateTime, end: DateTime, w: CheckedWindow): Snap {
  const s = w.start.toMillis();
  const e = w.end.toMillis();
  return {
    parsed,
    start,
    end,
    movement: Math.abs(start.toMillis() - s) + Math.abs(end.toMillis() - e),
    loss: Math.max(0, start.toMillis() - s) + Math.max(0, e - end.toMillis()),
  };
}

/** Why a snapped window cannot be a code on its slot, or undefined when it can. */
function durationProblem(sn: Snap): 'too_short' | 'too_long' | 'biweekly' | undefined {
  const { start, end, parsed } = sn;
  if (end.toMillis() - start.toMillis() < HOUR_MS) return 'too_short';
  if (end.toMillis() > start.plus({ days: DORMAKABA_MAX_DAYS }).toMillis()) return 'too_long';
  if (
    parsed.slot.is_biweekly_mode &&
    !(
      end.toMillis() > start.plus({ days: BIWEEKLY_MIN_DAYS }).toMillis() &&
      end.toMillis() <= start.plus({ days: BIWEEKLY_MAX_DAYS }).toMillis()
    )
  ) {
    return 'biweekly';
  }
  return undefined;
}

/** Both ends at the slot's nearest times; null when either is more than 1 h away. */
function snapWithinHour(p: ParsedSlot, w: CheckedWindow): Snap | null {
  const s = nearestTo(w.start, around(w.start, p.checkIn, p.zone));
  const e = nearestTo(w.end, around(w.end, p.checkOut, p.zone));
  if (Math.abs(s.toMillis() - w.start.toMillis()) > SLOT_TOLERANCE_MS) return null;
  if (Math.abs(e.toMillis() - w.end.toMillis()) > SLOT_TOLERANCE_MS) return null;
  return snap(p, s, e, w);
}

/** Day rounding onto a 24-hour slot: an end within 1 h snaps, any other widens outward. */
function snapWholeDays(p: ParsedSlot, w: CheckedWindow): Snap {
  const sAll = around(w.start, p.checkIn, p.zone);
  const eAll = around(w.end, p.checkOut, p.zone);
  let s = nearestTo(w.start, sAll);
  if (Math.abs(s.toMillis() - w.start.toMillis()) > SLOT_TOLERANCE_MS) {
    s = sAll.filter((c) => c.toMillis() <= w.start.toMillis()).pop() as DateTime;
  }
  let e = nearestTo(w.end, eAll);
  if (Math.abs(e.toMillis() - w.end.toMillis()) > SLOT_TOLERANCE_MS) {
    e = eAll.find((c) => c.toMillis() >= w.end.toMillis()) as DateTime;
  }
  return snap(p, s, e, w);
}

/** The slot aligned to the stay's dates, however far: for the "nearest slot" of a 422. */
function snapNearest(p: ParsedSlot, w: CheckedWindow): Snap {
  const s = nearestTo(w.start, around(w.start, p.checkIn, p.zone));
  let e = nearestTo(w.end, around(w.end, p.checkOut, p.zone));
  if (e.toMillis() <= s.toMillis()) e = e.plus({ days: 1 });
  return snap(p, s, e, w);
}

function best(snaps: Snap[]): Snap | undefined {
  let winner: Snap | undefined;
  for (const c of snaps) {
    if (
      !winner ||
      c.movement < winner.movement ||
      (c.movement === winner.movement && c.loss < winner.loss)
    ) {
      winner = c;
    }
  }
  return winner;
}

function slotLabel(slot: DormakabaTimeSlot): string {
  const name = slot.name ? `"${slot.name}"` : 'unnamed slot';
  return slot.prefix === null || slot.prefix === undefined
    ? name
    : `${name} (prefix ${slot.prefix})`;
}

function describeSlot(p: ParsedSlot): string {
  const flags = [
    p.slot.is_24_hour ? '24-hour' : '',
    p.slot.is_biweekly_mode ? `biweekly: ${BIWEEKLY_MAX_DAYS}-day codes only` : '',
  ].filter(Boolean);
  return (
    `${slotLabel(p.slot)}: check-in ${formatTimeOfDay(p.checkIn)}, check-out ` +
    `${formatTimeOfDay(p.checkOut)}${flags.length ? ` (${flags.join(', ')})` : ''}`
  );
}

function slotDetails(p: ParsedSlot) {
  return {
    name: p.slot.name ?? null,
    prefix: p.slot.prefix ?? null,
    check_in: formatTimeOfDay(p.checkIn),
    check_out: formatTimeOfDay(p.checkOut),
    is_24_hour: p.slot.is_24_hour,
    is_biweekly_mode: p.slot.is_biweekly_mode,
  };
}

function describeMove(requested: DateTime, planned: DateTime, what: string): string {
  const diff = planned.toMillis() - requested.toMillis();
  if (diff === 0) return `${what} as asked`;
  return `${what} ${describeDuration(diff)} ${diff < 0 ? 'earlier' : 'later'}`;
}

function toPlan(w: CheckedWindow, chosen: Snap, dayRounded: boolean): CodePlan {
  const slot = chosen.parsed.slot;
  const kind = slot.is_24_hour ? 'daily_bound' : 'hourly_bound';
  const why = dayRounded
    ? `No time slot of the lock is within 1 hour of the stay; max_time_rounding '1d' rounds ` +
      `it to whole days on the 24-hour slot ${slotLabel(slot)}.`
    : `dormakaba Oracode codes take the times of one of the lock's time slots (user levels); ` +
      `Seam rounds to the nearest slot within 1 hour: ${describeSlot(chosen.parsed)}.`;
  return {
    kind,
    starts_at: toUtcIso(chosen.start),
    ends_at: toUtcIso(chosen.end),
    max_time_rounding: kind === 'daily_bound' ? '1day' : '1hour',
    timezone: w.zone,
    time_slot: {
      name: slot.name ?? null,
      prefix: slot.prefix ?? null,
      user_level_id: slot.dormakaba_oracode_user_level_id ?? null,
    },
    caveats: [],
    warnings: windowWarnings(w, chosen, w.zone, why),
    seam_request: seamTimesFor(w, 'dormakaba_oracode', kind, chosen.start, chosen.end),
  };
}

export function planDormakaba(
  w: CheckedWindow,
  timeSlots: readonly DormakabaTimeSlot[],
): PlanResult {
  const { start, end, zone, rounding } = w;
  const usable = timeSlots
    .map((s, i) => (s ? parseSlot(s, i, zone) : null))
    .filter((p): p is ParsedSlot => p !== null);

  // 1. The nearest slot within the hour, whatever max_time_rounding says.
  const withinHour = usable.map((p) => snapWithinHour(p, w)).filter((s): s is Snap => s !== null);
  const fitting = withinHour.filter((s) => !durationProblem(s));
  const chosen = best(fitting);
  if (chosen) return { ok: true, plan: toPlan(w, chosen, false) };

  // 2. Day rounding onto a 24-hour slot, only when asked for and no slot within the hour can
  //    carry the code (the window sent is then the 24-hour slot's own times, so it is the
  //    nearest slot to what Seam receives).
  const allDay = usable.filter((p) => p.slot.is_24_hour);
  const wholeDays = allDay.map((p) => snapWholeDays(p, w));
  if (rounding === '1day') {
    const dayChosen = best(wholeDays.filter((s) => !durationProblem(s)));
    if (dayChosen) return { ok: true, plan: toPlan(w, dayChosen, true) };
  }

  // 3. Refused: say why, list the slots, name the nearest one.
  const requested = `${describeLocal(start)} to ${describeLocal(end)}`;
  const considered = [...withinHour, ...(rounding === '1day' ? wholeDays : [])];
  const problems = considered.map(durationProblem);
  const latest = start.plus({ days: DORMAKABA_MAX_DAYS });
  const tooLong = violation(
    'dormakaba_duration_out_of_range',
    `The window ${requested} lasts ${describeDuration(end.toMillis() - start.toMillis())}; ` +
      `dormakaba Oracode offline codes last 1 hour to ${DORMAKABA_MAX_DAYS} days. Move ` +
      `ends_at to ${describeLocal(latest)} or earlier (or split the stay into several codes).`,
    'ends_at',
    { max_days: DORMAKABA_MAX_DAYS, latest_ends_at: toUtcIso(latest) },
  );
  if (problems.includes('too_long')) return { ok: false, violations: [tooLong] };
  if (problems.length > 0 && problems.every((p) => p === 'too_short')) {
    return {
      ok: false,
      violations: [
        violation(
          'dormakaba_duration_out_of_range',
          `Rounded to the nearest time slot the window ${requested} would last less than 1 hour; ` +
            `dormakaba Oracode offline codes last 1 hour to ${DORMAKABA_MAX_DAYS} days. Choose ` +
            `times that fit a longer slot.`,
          'ends_at',
        ),
      ],
    };
  }
  const violations: RuleViolation[] = [];
  if (considered.length === 0 && end.toMillis() > latest.plus({ hours: 1 }).toMillis()) {
    violations.push(tooLong);
  }

  const excluded = timeSlots.filter((s) => s && slotExclusion(s));
  const excludedNote =
    excluded.length > 0
      ? ` (${excluded.length} other slot(s) cannot carry codes: master and one-shot user levels ` +
        `are not supported by Seam, and slots whose times cannot be read are skipped)`
      : '';
  const biweeklyOnly = problems.length > 0 && problems.every((p) => p === 'biweekly');
  const nearest = best(usable.map((p) => snapNearest(p, w)));
  const nearestText = nearest
    ? ` The nearest is ${describeSlot(nearest.parsed)}: send starts_at ` +
      `${lockLocalIso(nearest.start, zone)} and ends_at ${lockLocalIso(nearest.end, zone)} ` +
      `(${describeMove(start, nearest.start, 'check-in')}, ${describeMove(end, nearest.end, 'check-out')}).`
    : '';

  // '1d' is suggested only when it keeps the code within the stay's own dates.
  let dayOption: Record<string, unknown> | undefined;
  let dayText = '';
  if (rounding === '1hour') {
    const option = best(wholeDays.filter((s) => !durationProblem(s)));
    const sameDates =
      option &&
      option.start.setZone(zone).startOf('day').toMillis() >=
        start.setZone(zone).startOf('day').toMillis() &&
      option.end.setZone(zone).startOf('day').toMillis() <=
        end.setZone(zone).startOf('day').toMillis();
    if (option && sameDates) {
      const before = Math.max(0, start.toMillis() - option.start.toMillis());
      const after = Math.max(0, option.end.toMillis() - end.toMillis());
      dayOption = {
        max_time_rounding: '1d',
        slot: slotDetails(option.parsed),
        starts_at: toUtcIso(option.start),
        ends_at: toUtcIso(option.end),
        opens_before_stay_minutes: Math.ceil(before / 60_000),
        opens_after_stay_minutes: Math.ceil(after / 60_000),
      };
      dayText =
        ` Or set max_time_rounding to '1d' to use the 24-hour slot ${slotLabel(option.parsed.slot)}: ` +
        `the code would open the door from ${describeLocal(option.start)} to ` +
        `${describeLocal(option.end)}` +
        (before || after
          ? `, ${before ? `${describeDuration(before)} before check-in` : ''}` +
            `${before && after ? ' and ' : ''}${after ? `${describeDuration(after)} after check-out` : ''}` +
            `, and it cannot be revoked.`
          : '.');
    }
  }

  violations.unshift(
    violation(
      'no_matching_time_slot',
      `dormakaba Oracode codes take the times of one of the lock's time slots (user levels); ` +
        `Seam rounds a stay to the nearest slot only within 1 hour` +
        `${rounding === '1day' ? " (and '1d' rounds to whole days only onto a 24-hour slot)" : ''}. ` +
        `The stay ${requested} checks in at ${start.toFormat('HH:mm')} and out at ` +
        `${end.toFormat('HH:mm')} (${zone})` +
        (biweeklyOnly
          ? `, which fits only biweekly slot(s): those carry ${BIWEEKLY_MAX_DAYS}-day codes only.`
          : ', which fits no slot.') +
        ` The lock's slots: ${usable.length > 0 ? usable.map(describeSlot).join('; ') : 'none'}` +
        `${excludedNote}.${nearestText}${dayText}`,
      'starts_at',
      {
        requested_check_in: start.toFormat('HH:mm'),
        requested_check_out: end.toFormat('HH:mm'),
        timezone: zone,
        available_slots: usable.map(slotDetails),
        ...(nearest
          ? {
              nearest_slot: {
                ...slotDetails(nearest.parsed),
                starts_at: lockLocalIso(nearest.start, zone),
                ends_at: lockLocalIso(nearest.end, zone),
                check_in_off_minutes: Math.round(
                  (nearest.start.toMillis() - start.toMillis()) / 60_000,
                ),
                check_out_off_minutes: Math.round(
                  (nearest.end.toMillis() - end.toMillis()) / 60_000,
                ),
              },
            }
          : {}),
        ...(dayOption ? { day_rounding_option: dayOption } : {}),
      },
    ),
  );
  return { ok: false, violations };
}
