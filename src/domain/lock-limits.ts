/**
 * igloohome's per-lock limits on offline codes, decided before Seam would refuse. Pure: the
 * counts come from the store (src/store/lock-codes.ts), which applies `LockClaim`s atomically.
 *
 * Source: seamapi/docs, creating-igloohome-offline-access-codes.md, "Offline Access Code
 * Requirements":
 * - "Total maximum number of offline codes | 199 PINs, including online and offline PINs."
 * - "Maximum number of hourly-bound codes per hour | 3"
 * - "Maximum number of daily-bound codes per day | 3"
 * - "Maximum number of one-time-use codes per start date slot | 5"
 *
 * Readings (inferred; the guide does not say what "per hour" counts):
 * - "per hour" / "per day" / "per start date slot" name the code's own slot on the algoPIN grid,
 *   not a creation rate: at most 3 live hourly-bound (or daily-bound) codes with the same start
 *   and end on one lock, at most 5 live one-time-use codes with the same start hour. An igloohome
 *   integrator documents the same limit as "at most 3 PINs per device when both the start and
 *   the end date-time are identical" (RemoteLOCK's igloohome PIN article, third party); the
 *   three parallel rows of Seam's table read the same way. Waiting cannot help (the window is
 *   the stay's): the API answers 422 naming the limit, and a replacement that would exceed it
 *   fails with an alert instead of being made.
 * - 199 PINs: live codes on the lock (a code counts until its end: offline codes cannot be
 *   deleted). Only the codes this service made are counted (others are not visible without
 *   listing the lock on every request); Seam's `no_space_for_access_code_on_device` then fails
 *   the guest code at once (lifecycle.ts). When a counted code ends before the new code starts,
 *   the creation waits for it; otherwise the API answers 422.
 * - dormakaba Oracode: "be aware of device- and installation-specific access code limits" with
 *   no number given; nothing is counted.
 */
import type { Manufacturer } from './device-profile';
import type { CodePlan } from './rules/types';
import { violation, type RuleViolation } from './rules/violation';

export const IGLOOHOME_PINS_PER_LOCK = 199;
export const IGLOOHOME_CODES_PER_WINDOW = 3;
export const IGLOOHOME_ONE_TIME_USE_PER_START_SLOT = 5;

/** What one planned code takes on its lock. */
export interface LockClaim {
  /** Codes sharing a per-slot limit: 'window:<start>|<end>' or 'one_time_use:<start>'. */
  group: string;
  groupLimit: number;
  pinLimit: number;
  /** When the code stops counting (its end), ms. */
  endsAtMs: number;
  startsAtMs: number;
  kind: CodePlan['kind'];
}

/** What the store counted on the lock (expired codes left out). */
export interface LockUsage {
  total: number;
  inGroup: number;
  /** The earliest end among the counted codes, ms. */
  earliestEndMs?: number;
}

export type LimitDecision =
  | { kind: 'ok' }
  /** Wait until `untilMs`, then try again (a code ends before this one starts). */
  | { kind: 'wait'; untilMs: number; limit: 'igloohome_pin_limit' }
  | { kind: 'refuse'; violation: RuleViolation };

export function lockClaimFor(manufacturer: Manufacturer, plan: CodePlan): LockClaim | undefined {
  if (manufacturer !== 'igloohome') return undefined;
  const startsAtMs = Date.parse(plan.starts_at);
  const endsAtMs = Date.parse(plan.ends_at);
  if (plan.kind === 'one_time_use') {
    return {
      group: `one_time_use:${startsAtMs}`,
      groupLimit: IGLOOHOME_ONE_TIME_USE_PER_START_SLOT,
      pinLimit: IGLOOHOME_PINS_PER_LOCK,
      startsAtMs,
      endsAtMs,
      kind: plan.kind,
    };
  }
  return {
    group: `window:${startsAtMs}|${endsAtMs}`,
    groupLimit: IGLOOHOME_CODES_PER_WINDOW,
    pinLimit: IGLOOHOME_PINS_PER_LOCK,
    startsAtMs,
    endsAtMs,
    kind: plan.kind,
  };
}

/** Whether the code may be created now, later, or not at all. */
export function decideLockLimits(claim: LockClaim, usage: LockUsage): LimitDecision {
  if (usage.inGroup >= claim.groupLimit) {
    const oneTime = claim.kind === 'one_time_use';
    return {
      kind: 'refuse',
      violation: oneTime
        ? violation(
            'igloohome_one_time_use_slot_limit',
            `This igloohome lock already has ${usage.inGroup} one-time-use codes starting at ` +
              `${new Date(claim.startsAtMs).toISOString()}; Seam's igloohome guide allows at most ` +
              `${IGLOOHOME_ONE_TIME_USE_PER_START_SLOT} per start slot. Choose another start hour.`,
            'starts_at',
            { limit: IGLOOHOME_ONE_TIME_USE_PER_START_SLOT, existing: usage.inGroup },
          )
        : violation(
            'igloohome_same_window_limit',
            `This igloohome lock already has ${usage.inGroup} codes for exactly this window ` +
              `(${new Date(claim.startsAtMs).toISOString()} to ` +
              `${new Date(claim.endsAtMs).toISOString()}); Seam's igloohome guide allows at most ` +
              `${IGLOOHOME_CODES_PER_WINDOW} ${claim.kind === 'daily_bound' ? 'daily-bound codes per day' : 'hourly-bound codes per hour'}. ` +
              `A window that starts or ends an hour earlier or later is another slot.`,
            'starts_at',
            { limit: IGLOOHOME_CODES_PER_WINDOW, existing: usage.inGroup },
          ),
    };
  }
  if (usage.total >= claim.pinLimit) {
    if (usage.earliestEndMs !== undefined && usage.earliestEndMs < claim.startsAtMs) {
      return { kind: 'wait', untilMs: usage.earliestEndMs, limit: 'igloohome_pin_limit' };
    }
    return {
      kind: 'refuse',
      violation: violation(
        'igloohome_pin_limit',
        `This igloohome lock holds ${usage.total} codes from this service that are still valid ` +
          `when this one would start; Seam's igloohome guide allows at most ` +
          `${IGLOOHOME_PINS_PER_LOCK} PINs per lock (online and offline). Offline codes cannot ` +
          `be deleted: choose a later start, after ` +
          `${usage.earliestEndMs === undefined ? 'some of them end' : new Date(usage.earliestEndMs).toISOString()}.`,
        'starts_at',
        {
          limit: IGLOOHOME_PINS_PER_LOCK,
          existing: usage.total,
          ...(usage.earliestEndMs === undefined
            ? {}
            : { earliest_end: new Date(usage.earliestEndMs).toISOString() }),
        },
      ),
    };
  }
  return { kind: 'ok' };
}
