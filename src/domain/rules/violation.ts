/**
 * Rule violations: a stable snake_case `code` for machines, a `message` for a person
 * (what was asked, what is allowed, what to change).
 */
export interface RuleViolation {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

/** Every code this module (rules and device profile) can return, with its meaning. */
export const RULE_VIOLATION_DESCRIPTIONS = {
  invalid_starts_at: 'starts_at is missing or not an ISO 8601 timestamp with an offset',
  invalid_ends_at: 'ends_at is not an ISO 8601 timestamp with an offset',
  invalid_max_time_rounding: "max_time_rounding is not one of '1h', '1hour', '1d', '1day'",
  ends_at_required: 'a time-bound (not one-time-use) code needs ends_at',
  window_in_past: 'the window ends at or before now',
  window_inverted: 'starts_at is at or after ends_at',
  duration_too_short: 'the requested window is shorter than 1 hour',
  rounding_exceeds_max:
    "igloohome: the window needs more than 1 hour of rounding but max_time_rounding is '1hour'",
  one_time_use_window_fixed: 'a one-time-use code lasts exactly 24 h: ends_at must be omitted',
  one_time_use_not_supported: 'the manufacturer has no one-time-use offline codes',
  igloohome_duration_gap:
    'igloohome: longer than 672 h (hourly-bound) but shorter than 29 days, after rounding',
  igloohome_duration_too_long: 'igloohome: longer than 367 days, after rounding',
  dormakaba_duration_out_of_range: 'dormakaba Oracode: outside 1 hour to 31 days',
  no_matching_time_slot:
    'dormakaba Oracode: no slot within 1 hour; details list the slots, the nearest, the 1d option',
  unsupported_manufacturer: 'the device is not an igloohome or dormakaba Oracode lock',
  device_not_capable: 'the device cannot take offline access codes (capability, zone or slots)',
  invalid_lock_profile: 'the lock profile handed to the planner is unusable (e.g. bad zone)',
  igloohome_same_window_limit:
    'igloohome: the lock already has 3 codes with exactly this start and end',
  igloohome_one_time_use_slot_limit:
    'igloohome: the lock already has 5 one-time-use codes starting in this hour',
  igloohome_pin_limit: 'igloohome: the lock holds 199 codes still valid when this one would start',
} as const satisfies Record<string, string>;

export type RuleViolationCode = keyof typeof RULE_VIOLATION_DESCRIPTIONS;

export const RULE_VIOLATION_CODES: readonly string[] = Object.freeze(
  Object.keys(RULE_VIOLATION_DESCRIPTIONS),
);

export function violation(
  code: RuleViolationCode,
  message: string,
  field?: string,
  details?: Record<string, unknown>,
): RuleViolation {
  const v: RuleViolation = { code, message };
  if (field !== undefined) v.field = field;
  if (details !== undefined) v.details = details;
  return v;
}
