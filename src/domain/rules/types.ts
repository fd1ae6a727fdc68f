import type { RuleViolation } from './violation';

export type MaxTimeRounding = '1h' | '1hour' | '1d' | '1day';
export type NormalizedRounding = '1hour' | '1day';

export interface CodeRequest {
  /** ISO 8601 with an offset (`Z` or `±HH:MM`). */
  starts_at: string;
  ends_at?: string;
  is_one_time_use: boolean;
  max_time_rounding: MaxTimeRounding;
}

export type CodeKind = 'hourly_bound' | 'daily_bound' | 'one_time_use';

export const CAVEATS = {
  /** One-time-use: valid for 24 h from starts_at and expires after a single entry. */
  oneTimeUse: 'one_time_use_single_entry_24h',
  /** igloohome codes longer than 24 h must be used for the first time within 24 h of start. */
  firstUseWithin24h: 'igloohome_first_use_within_24h',
} as const;

/** How the planned window differs from the stay at one end. */
export const PLAN_WARNING_CODES = [
  'starts_earlier',
  'starts_later',
  'ends_earlier',
  'ends_later',
] as const;
export type PlanWarningCode = (typeof PLAN_WARNING_CODES)[number];

/**
 * One difference between the stay and the planned window: which end moved, which way and by
 * how much. `starts_later` / `ends_earlier` take time from the guest; `starts_earlier` /
 * `ends_later` open the door outside the stay (and an offline code cannot be revoked).
 */
export interface PlanWarning {
  code: PlanWarningCode;
  field: 'starts_at' | 'ends_at';
  /** How far the end moved, in whole minutes (rounded up). */
  minutes: number;
  /** The instant asked for and the instant planned (ISO, UTC). */
  requested: string;
  planned: string;
  message: string;
}

/** Exactly what goes to Seam's `/access_codes/create` for this plan. */
export interface SeamTimes {
  starts_at: string;
  /** Absent for one-time-use codes (Seam: they need `starts_at` only). */
  ends_at?: string;
  max_time_rounding: NormalizedRounding;
}

export interface CodePlan {
  kind: CodeKind;
  /** ISO UTC: the window we expect Seam to store (after any rounding). */
  starts_at: string;
  ends_at: string;
  /**
   * What we send as max_time_rounding: '1day' for daily-bound codes (Seam's create endpoint:
   * "To create a daily-bound offline access code ... set this parameter to `1d`"), '1hour'
   * otherwise, so Seam may not move an hourly window by more than an hour on its own.
   */
  max_time_rounding: NormalizedRounding;
  /** The lock's zone, for messages. */
  timezone: string;
  /** dormakaba only: the time slot (user level) the window follows. */
  time_slot?: { name: string | null; prefix: number | null; user_level_id: string | null };
  /** Stable caveat ids (see CAVEATS). */
  caveats: string[];
  /** Every way the planned window differs from the stay; empty when it is sent as asked. */
  warnings: PlanWarning[];
  /** The request to Seam: the stay's own strings when no rounding is needed. */
  seam_request: SeamTimes;
}

export type PlanResult = { ok: true; plan: CodePlan } | { ok: false; violations: RuleViolation[] };
