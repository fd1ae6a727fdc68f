import type { GuestCode } from '../../src/domain/guest-code';

/** A guest code record as the flows make it (an igloohome hourly stay, set, code ac_1). */
export function record(over: Partial<GuestCode> = {}): GuestCode {
  return {
    id: 'gc_00000000-0000-4000-8000-000000000001',
    reference: 'r',
    request_fingerprint: 'f',
    request: {
      device_id: 'd',
      guest: { name: 'Ada', email: 'ada@example.com' },
      starts_at: '2026-12-24T15:00:00Z',
      ends_at: '2026-12-27T11:00:00Z',
      is_one_time_use: false,
      max_time_rounding: '1h',
      reference: 'r',
    },
    device: { device_id: 'd', name: 'Door', manufacturer: 'igloohome', timezone: 'UTC' },
    plan: {
      kind: 'hourly_bound',
      starts_at: '2026-12-24T15:00:00Z',
      ends_at: '2026-12-27T11:00:00Z',
      max_time_rounding: '1hour',
      timezone: 'UTC',
      caveats: [],
      warnings: [],
      seam_request: {
        starts_at: '2026-12-24T15:00:00Z',
        ends_at: '2026-12-27T11:00:00Z',
        max_time_rounding: '1hour',
      },
    },
    status: 'set',
    generation: 0,
    create_attempts: 1,
    access_codes: [],
    active_access_code_id: 'ac_1',
    replacements: 0,
    notifications: [],
    created_at: '2026-12-20T00:00:00Z',
    updated_at: '2026-12-20T00:00:00Z',
    version: 3,
    ...over,
  };
}
