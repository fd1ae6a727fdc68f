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

export interface CodePlan {
  kind: CodeKind;
  /** ISO UTC, the planned window AFTER rounding (what we send to Seam). */
  starts_at: string;
  ends_at: string;
  /** Normalized value to send to Seam. */
  max_time_rounding: NormalizedRounding;
  /** The lock's zone, for messages. */
  timezone: string;
  /** dormakaba only. */
  time_slot?: { name: string; prefix: number; user_level_id: string };
  /** Stable caveat ids (see CAVEATS). */
  caveats: string[];
}

export type PlanResult = { ok: true; plan: CodePlan } | { ok: false; violations: RuleViolation[] };
