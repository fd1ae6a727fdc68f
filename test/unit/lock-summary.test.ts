/**
 * The lock summary of GET /v1/devices (src/domain/lock-summary.ts): the planner's own rules
 * decide whether a lock can take codes and why not, its zone, its code kinds and its slots.
 */
import type { DeviceFacts } from '../../src/domain/device-profile';
import { summariseLock } from '../../src/domain/lock-summary';
import { lockProfileFromDevice } from '../../src/domain/device-profile';

const slot = (over: Record<string, unknown>) => ({
  name: 'User 124',
  prefix: 124,
  check_in_time: '15:00:00[Europe/Berlin]',
  check_out_time: '11:00:00[Europe/Berlin]',
  is_24_hour: false,
  is_one_shot: false,
  is_master: false,
  is_biweekly_mode: false,
  ...over,
});

const dormakaba = (slots: unknown[], zone: string | null = 'Europe/Berlin'): DeviceFacts => ({
  device_id: 'd1',
  device_type: 'dormakaba_oracode_door',
  display_name: 'Room 1',
  capabilities_supported: ['access_code'],
  can_program_offline_access_codes: true,
  properties: {
    dormakaba_oracode_metadata: { iana_timezone: zone, predefined_time_slots: slots },
  },
});

describe('summariseLock', () => {
  it('a dormakaba lock with only master and one-shot slots cannot take codes, and shows why, slots included', () => {
    const device = dormakaba([
      slot({ name: 'Master', is_master: true }),
      slot({ is_one_shot: true }),
    ]);
    const summary = summariseLock(device);
    const profile = lockProfileFromDevice(device);
    expect(profile.ok).toBe(false);
    expect(summary).toMatchObject({
      can_take_offline_codes: false,
      manufacturer: 'dormakaba_oracode',
      problem: { code: 'device_not_capable' },
      code_kinds: [],
    });
    expect(summary.problem?.message).toBe(profile.ok ? '' : profile.violation.message);
    expect(summary.time_slots.map((s) => [s.name, s.usable, s.not_usable_because])).toEqual([
      ['Master', false, 'master'],
      ['User 124', false, 'one_shot'],
    ]);
  });

  it('local check-in and check-out in the slot zone, seconds shown only when not zero', () => {
    const summary = summariseLock(
      dormakaba([
        slot({}),
        slot({
          name: 'NY',
          check_in_time: '18:00:30-05:00[America/New_York]',
          check_out_time: '09:00[America/New_York]',
        }),
        slot({ name: 'plain', check_in_time: '07:00:00', check_out_time: '19:00:00' }),
      ]),
    );
    expect(summary.time_zone).toBe('Europe/Berlin');
    expect(summary.time_slots.map((s) => [s.check_in, s.check_out, s.time_zone])).toEqual([
      ['15:00', '11:00', 'Europe/Berlin'],
      ['18:00:30', '09:00', 'America/New_York'],
      ['07:00', '19:00', 'Europe/Berlin'],
    ]);
    expect(summary.code_kinds.map((k) => k.kind)).toEqual(['hourly_bound']);
  });

  it('a lock with only a biweekly slot takes 13 to 14-day codes only', () => {
    const summary = summariseLock(dormakaba([slot({ is_biweekly_mode: true })]));
    expect(summary.code_kinds).toEqual([
      expect.objectContaining({ kind: 'hourly_bound', min_hours: 13 * 24, max_hours: 14 * 24 }),
    ]);
  });

  it('a 24-hour slot adds daily-bound codes', () => {
    const summary = summariseLock(
      dormakaba([
        slot({}),
        slot({
          name: '24H',
          is_24_hour: true,
          check_in_time: '00:00:00[Europe/Berlin]',
          check_out_time: '23:59:00[Europe/Berlin]',
        }),
      ]),
    );
    expect(summary.code_kinds.map((k) => k.kind)).toEqual(['hourly_bound', 'daily_bound']);
  });

  it('igloohome without a zone: UTC, as the planner reads it; all three kinds', () => {
    const summary = summariseLock({
      device_id: 'i1',
      device_type: 'igloohome_lock',
      capabilities_supported: ['access_code', 'lock'],
      can_program_offline_access_codes: true,
    });
    expect(summary).toMatchObject({
      name: 'i1',
      time_zone: 'UTC',
      time_zone_source: 'default (UTC)',
      time_slots: [],
    });
    expect(summary.code_kinds.map((k) => k.kind)).toEqual([
      'hourly_bound',
      'daily_bound',
      'one_time_use',
    ]);
  });

  it('never throws on a malformed record', () => {
    for (const bad of [
      null,
      {},
      { device_id: 5 },
      { device_id: 'x', device_type: 'august_lock' },
    ]) {
      const summary = summariseLock(bad as unknown as DeviceFacts);
      expect(summary.can_take_offline_codes).toBe(false);
      expect(summary.problem?.code).toMatch(/device_not_capable|unsupported_manufacturer/);
    }
  });
});
