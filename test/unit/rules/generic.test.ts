import type { LockProfile } from '../../../src/domain/device-profile';
import {
  RULE_VIOLATION_CODES,
  normalizeRounding,
  planOfflineCode,
  type CodeRequest,
  type PlanResult,
} from '../../../src/domain/rules';

const NOW = new Date('2025-01-10T12:00:00Z');

const igloo: LockProfile = {
  device_id: 'igloo-1',
  name: 'Front door',
  manufacturer: 'igloohome',
  timezone: 'UTC',
  timeSlots: [],
};
const dorma: LockProfile = {
  device_id: 'dk-1',
  name: 'Room 12',
  manufacturer: 'dormakaba_oracode',
  timezone: 'Europe/Tirane',
  timeSlots: [
    {
      name: 'User 126 D 7am-7pm',
      prefix: 126,
      check_in_time: '07:00:00[Europe/Tirane]',
      check_out_time: '19:00:00[Europe/Tirane]',
      is_24_hour: false,
      is_one_shot: false,
      is_master: false,
      is_biweekly_mode: false,
      dormakaba_oracode_user_level_id: 'lvl-126',
    },
  ],
};

function req(over: Partial<CodeRequest> & Record<string, unknown> = {}): CodeRequest {
  return {
    starts_at: '2025-02-01T10:00:00Z',
    ends_at: '2025-02-01T14:00:00Z',
    is_one_time_use: false,
    max_time_rounding: '1h',
    ...over,
  } as CodeRequest;
}

function codes(r: PlanResult): string[] {
  return r.ok ? [] : r.violations.map((v) => v.code);
}

describe('generic request checks', () => {
  it('accepts a plain valid window (sanity baseline)', () => {
    const r = planOfflineCode(igloo, req(), NOW);
    expect(r.ok).toBe(true);
  });

  it.each([
    ['garbage', 'tomorrow'],
    ['no offset (zone would be guessed)', '2025-02-01T10:00:00'],
    ['date only', '2025-02-01'],
    ['impossible date', '2025-02-30T10:00:00Z'],
    ['empty string', ''],
  ])('rejects starts_at %s as invalid_starts_at', (_label, startsAt) => {
    const r = planOfflineCode(igloo, req({ starts_at: startsAt }), NOW);
    expect(codes(r)).toEqual(['invalid_starts_at']);
    expect(r.ok ? undefined : r.violations[0]?.field).toBe('starts_at');
  });

  it('rejects a missing starts_at with a message saying it is required', () => {
    const r = planOfflineCode(igloo, req({ starts_at: undefined as unknown as string }), NOW);
    expect(codes(r)).toEqual(['invalid_starts_at']);
    expect(r.ok ? '' : r.violations[0]?.message).toMatch(/required/);
  });

  it('rejects an unparsable ends_at as invalid_ends_at', () => {
    const r = planOfflineCode(igloo, req({ ends_at: '2025-02-01 14h' }), NOW);
    expect(codes(r)).toEqual(['invalid_ends_at']);
  });

  it.each([undefined, null, '', '   '])('requires ends_at (%p) for time-bound codes', (endsAt) => {
    const r = planOfflineCode(igloo, req({ ends_at: endsAt as unknown as string }), NOW);
    expect(codes(r)).toEqual(['ends_at_required']);
    expect(r.ok ? '' : r.violations[0]?.message).toMatch(/one-time-use/);
  });

  it('accepts explicit offsets and reports the plan in UTC', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-02-01T11:00:00+01:00', ends_at: '2025-02-01T15:00:00+01:00' }),
      NOW,
    );
    expect(r.ok && r.plan.starts_at).toBe('2025-02-01T10:00:00.000Z');
    expect(r.ok && r.plan.ends_at).toBe('2025-02-01T14:00:00.000Z');
  });

  it('window_in_past when ends_at equals now', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-01-10T10:00:00Z', ends_at: '2025-01-10T12:00:00Z' }),
      NOW,
    );
    expect(codes(r)).toEqual(['window_in_past']);
  });

  it('a window that started in the past but ends in the future is fine', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-01-10T09:00:00Z', ends_at: '2025-01-10T13:00:00Z' }),
      NOW,
    );
    expect(r.ok).toBe(true);
  });

  it('window_inverted when starts_at is after ends_at', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-02-02T10:00:00Z', ends_at: '2025-02-01T10:00:00Z' }),
      NOW,
    );
    expect(codes(r)).toEqual(['window_inverted']);
  });

  it('window_inverted when starts_at equals ends_at', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-02-01T10:00:00Z', ends_at: '2025-02-01T10:00:00Z' }),
      NOW,
    );
    expect(codes(r)).toEqual(['window_inverted']);
  });

  it('reports both past and inverted, and no duration follow-up', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: '2025-01-05T10:00:00Z', ends_at: '2025-01-01T10:00:00Z' }),
      NOW,
    );
    expect(codes(r).sort()).toEqual(['window_in_past', 'window_inverted']);
  });

  it('collects independent shape errors together but nothing derived from them', () => {
    const r = planOfflineCode(
      igloo,
      req({ starts_at: 'x', ends_at: '2024-12-01T00:00:00Z', max_time_rounding: '2h' as never }),
      NOW,
    );
    expect(codes(r).sort()).toEqual([
      'invalid_max_time_rounding',
      'invalid_starts_at',
      'window_in_past',
    ]);
  });

  it('duration_too_short under 1 hour (59 minutes), exactly 1 hour is fine', () => {
    const short = planOfflineCode(
      igloo,
      req({ starts_at: '2025-02-01T10:00:00Z', ends_at: '2025-02-01T10:59:00Z' }),
      NOW,
    );
    expect(codes(short)).toEqual(['duration_too_short']);
    expect(short.ok ? '' : short.violations[0]?.message).toMatch(/59 minutes/);
    const hour = planOfflineCode(
      igloo,
      req({ starts_at: '2025-02-01T10:00:00Z', ends_at: '2025-02-01T11:00:00Z' }),
      NOW,
    );
    expect(hour.ok).toBe(true);
  });

  it('duration_too_short applies to dormakaba too', () => {
    const r = planOfflineCode(
      dorma,
      req({ starts_at: '2025-02-01T07:00:00+01:00', ends_at: '2025-02-01T07:30:00+01:00' }),
      NOW,
    );
    expect(codes(r)).toEqual(['duration_too_short']);
  });

  describe('max_time_rounding', () => {
    it.each([
      ['1h', '1hour'],
      ['1hour', '1hour'],
      ['1d', '1day'],
      ['1day', '1day'],
      [undefined, '1hour'],
    ])('normalizes %p to %p', (input, expected) => {
      expect(normalizeRounding(input)).toBe(expected);
      const r = planOfflineCode(igloo, req({ max_time_rounding: input as never }), NOW);
      // what goes to Seam follows the kind of code, not the allowance asked for
      expect(r.ok && r.plan.max_time_rounding).toBe('1hour');
    });

    it('treats null as "not given" (Seam default 1hour)', () => {
      expect(normalizeRounding(null)).toBe('1hour');
    });

    it.each(['1H', '2h', 'day', '', 1, {}])('rejects %p', (input) => {
      const r = planOfflineCode(igloo, req({ max_time_rounding: input as never }), NOW);
      expect(codes(r)).toEqual(['invalid_max_time_rounding']);
    });
  });

  describe('lock profile', () => {
    it('unsupported_manufacturer for an unknown manufacturer', () => {
      const r = planOfflineCode({ ...igloo, manufacturer: 'august' as never }, req(), NOW);
      expect(codes(r)).toEqual(['unsupported_manufacturer']);
    });

    it('invalid_lock_profile for a bad zone', () => {
      const r = planOfflineCode({ ...igloo, timezone: 'Mars/Olympus' }, req(), NOW);
      expect(codes(r)).toEqual(['invalid_lock_profile']);
    });

    it('invalid_lock_profile for an invalid now', () => {
      const r = planOfflineCode(igloo, req(), new Date('nope'));
      expect(codes(r)).toEqual(['invalid_lock_profile']);
    });

    it('does not throw for null lock or request', () => {
      expect(codes(planOfflineCode(null as never, req(), NOW))).toEqual([
        'unsupported_manufacturer',
      ]);
      expect(codes(planOfflineCode(igloo, null as never, NOW)).sort()).toEqual([
        'ends_at_required',
        'invalid_starts_at',
      ]);
    });
  });

  describe('one-time-use on dormakaba', () => {
    it('is rejected with one_time_use_not_supported only', () => {
      const r = planOfflineCode(
        dorma,
        req({ is_one_time_use: true, starts_at: '2025-02-01T07:00:00+01:00', ends_at: undefined }),
        NOW,
      );
      expect(codes(r)).toEqual(['one_time_use_not_supported']);
      expect(r.ok ? undefined : r.violations[0]?.field).toBe('is_one_time_use');
    });

    it('only is_one_time_use === true counts as one-time-use', () => {
      const r = planOfflineCode(dorma, req({ is_one_time_use: 'yes' as never }), NOW);
      expect(codes(r)).not.toContain('one_time_use_not_supported');
    });
  });

  it('every violation message is non-empty and every code is listed', () => {
    const results = [
      planOfflineCode(
        igloo,
        req({ starts_at: 'x', ends_at: 'y', max_time_rounding: 'z' as never }),
        NOW,
      ),
      planOfflineCode(
        igloo,
        req({ starts_at: '2024-01-02T00:00:00Z', ends_at: '2024-01-01T00:00:00Z' }),
        NOW,
      ),
    ];
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      for (const v of r.violations) {
        expect(RULE_VIOLATION_CODES).toContain(v.code);
        expect(v.message.length).toBeGreaterThan(20);
      }
    }
  });
});
