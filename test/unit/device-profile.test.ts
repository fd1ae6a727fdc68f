import fc from 'fast-check';
import {
  lockProfileFromDevice,
  type DeviceFacts,
  type ProfileResult,
} from '../../src/domain/device-profile';
import { RULE_VIOLATION_CODES } from '../../src/domain/rules';

const SLOT_24 = {
  name: 'User 123 D 24H',
  prefix: 123,
  is_master: false,
  is_24_hour: true,
  is_one_shot: false,
  check_in_time: '00:00:00[Europe/Tirane]',
  check_out_time: '23:59:00[Europe/Tirane]',
  is_biweekly_mode: false,
  dormakaba_oracode_user_level_id: '12e0e160-23e6-4f9b-a82a-ea93d543d1fa',
  ext_dormakaba_oracode_user_level_prefix: 123,
};
const SLOT_MASTER = { ...SLOT_24, name: 'Master', prefix: 1, is_master: true, is_24_hour: false };

function igloo(over: Partial<DeviceFacts> = {}, props: Record<string, unknown> = {}): DeviceFacts {
  return {
    device_id: 'ig-1',
    device_type: 'igloohome_lock',
    display_name: 'Front door',
    capabilities_supported: ['access_code', 'lock'],
    properties: { offline_access_codes_enabled: true, ...props },
    ...over,
  };
}
function dorma(meta: unknown, props: Record<string, unknown> = {}): DeviceFacts {
  return {
    device_id: 'dk-1',
    device_type: 'dormakaba_oracode_door',
    capabilities_supported: ['access_code'],
    properties: { offline_access_codes_enabled: true, dormakaba_oracode_metadata: meta, ...props },
  };
}
function code(r: ProfileResult): string | undefined {
  return r.ok ? undefined : r.violation.code;
}
function message(r: ProfileResult): string {
  return r.ok ? '' : r.violation.message;
}

describe('lockProfileFromDevice: igloohome', () => {
  it('builds a profile with the display name, zone from location.time_zone, no slots', () => {
    // @seamapi/types device.location.time_zone: the current field (was read as UTC)
    const r = lockProfileFromDevice(igloo({ location: { time_zone: 'Asia/Singapore' } }));
    expect(r).toEqual({
      ok: true,
      profile: {
        device_id: 'ig-1',
        name: 'Front door',
        manufacturer: 'igloohome',
        timezone: 'Asia/Singapore',
        timezone_source: 'location.time_zone',
        timeSlots: [],
      },
    });
  });

  it('prefers location.time_zone over the deprecated location.timezone', () => {
    const r = lockProfileFromDevice(
      igloo({ location: { time_zone: 'Europe/Berlin', timezone: 'America/New_York' } }),
    );
    expect(r.ok && r.profile.timezone).toBe('Europe/Berlin');
  });

  it('falls back to the deprecated location.timezone, then UTC; invalid zones are skipped', () => {
    const old = lockProfileFromDevice(igloo({ location: { timezone: 'America/New_York' } }));
    expect(old.ok && [old.profile.timezone, old.profile.timezone_source]).toEqual([
      'America/New_York',
      'location.timezone',
    ]);
    const bad = lockProfileFromDevice(
      igloo({ location: { time_zone: 'Not/AZone', timezone: 'America/New_York' } }),
    );
    expect(bad.ok && bad.profile.timezone).toBe('America/New_York');
    const none = lockProfileFromDevice(igloo({ location: { timezone: null } }));
    expect(none.ok && none.profile.timezone).toBe('UTC');
  });

  it('accepts the current top-level can_program_offline_access_codes flag', () => {
    const r = lockProfileFromDevice(
      igloo({ can_program_offline_access_codes: true }, { offline_access_codes_enabled: false }),
    );
    expect(r.ok).toBe(true);
  });

  it('a current can_program_offline_access_codes: false is not overridden by the deprecated flag', () => {
    const r = lockProfileFromDevice(
      igloo({ can_program_offline_access_codes: false }, { offline_access_codes_enabled: true }),
    );
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/can_program_offline_access_codes is false/);
  });

  it('names: display_name, else properties.name, else device_id', () => {
    const a = lockProfileFromDevice(igloo({ display_name: undefined }, { name: 'Back door' }));
    expect(a.ok && a.profile.name).toBe('Back door');
    const b = lockProfileFromDevice(igloo({ display_name: '  ' }));
    expect(b.ok && b.profile.name).toBe('ig-1');
  });
});

describe('lockProfileFromDevice: capability', () => {
  it('device_not_capable without access_code, saying so', () => {
    const r = lockProfileFromDevice(igloo({ capabilities_supported: ['lock'] }));
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/access_code/);
    expect(message(r)).not.toMatch(/offline_access_codes_enabled/);
  });

  it('device_not_capable when offline codes are not enabled, saying so', () => {
    const r = lockProfileFromDevice(igloo({}, { offline_access_codes_enabled: false }));
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/offline_access_codes_enabled/);
    expect(message(r)).toMatch(/can_program_offline_access_codes/);
    expect(message(r)).not.toMatch(/does not include 'access_code'/);
  });

  it('device_not_capable when neither flag is there', () => {
    const r = lockProfileFromDevice(igloo({}, { offline_access_codes_enabled: undefined }));
    expect(code(r)).toBe('device_not_capable');
  });

  it('names both when both are missing', () => {
    const r = lockProfileFromDevice(
      igloo({ capabilities_supported: undefined, properties: undefined }),
    );
    expect(message(r)).toMatch(/access_code/);
    expect(message(r)).toMatch(/offline_access_codes_enabled/);
  });

  it('"true" as a string is not true', () => {
    const r = lockProfileFromDevice(igloo({}, { offline_access_codes_enabled: 'true' }));
    expect(code(r)).toBe('device_not_capable');
  });
});

describe('lockProfileFromDevice: manufacturer', () => {
  it.each(['august_lock', 'toString', '__proto__', 'constructor', ''])(
    'unsupported_manufacturer for device_type %p',
    (deviceType) => {
      const r = lockProfileFromDevice(igloo({ device_type: deviceType }));
      expect(code(r)).toBe('unsupported_manufacturer');
      expect(message(r)).toContain(`'${deviceType}'`);
      expect(message(r)).toContain('igloohome_lock');
      expect(message(r)).toContain('dormakaba_oracode_door');
    },
  );

  it('checks the manufacturer before the capability', () => {
    const r = lockProfileFromDevice(
      igloo({ device_type: 'august_lock', capabilities_supported: [] }),
    );
    expect(code(r)).toBe('unsupported_manufacturer');
  });
});

describe('lockProfileFromDevice: dormakaba', () => {
  it('reads zone and slots, dropping unknown fields', () => {
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Tirane', predefined_time_slots: [SLOT_24, SLOT_MASTER] }),
    );
    if (!r.ok) throw new Error(r.violation.message);
    expect(r.profile.manufacturer).toBe('dormakaba_oracode');
    expect(r.profile.timezone).toBe('Europe/Tirane');
    expect(r.profile.name).toBe('dk-1');
    expect(r.profile.timeSlots).toHaveLength(2);
    expect(r.profile.timeSlots[0]).toEqual({
      name: 'User 123 D 24H',
      prefix: 123,
      check_in_time: '00:00:00[Europe/Tirane]',
      check_out_time: '23:59:00[Europe/Tirane]',
      is_24_hour: true,
      is_one_shot: false,
      is_master: false,
      is_biweekly_mode: false,
      dormakaba_oracode_user_level_id: '12e0e160-23e6-4f9b-a82a-ea93d543d1fa',
    });
  });

  const ZONELESS = { ...SLOT_24, check_in_time: '00:00:00', check_out_time: '23:59:00' };

  it('missing zone everywhere: device_not_capable naming iana_timezone', () => {
    const r = lockProfileFromDevice(dorma({ predefined_time_slots: [ZONELESS] }));
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/iana_timezone/);
  });

  it('unknown zone and zoneless slots: device_not_capable quoting it', () => {
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Atlantis', predefined_time_slots: [ZONELESS] }),
    );
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toContain('Europe/Atlantis');
  });

  it('no iana_timezone but slots with a zone (or a device location): still capable', () => {
    // A lock is "not capable" only when it really has no usable slot.
    const fromSlots = lockProfileFromDevice(dorma({ predefined_time_slots: [SLOT_24] }));
    expect(fromSlots.ok && [fromSlots.profile.timezone, fromSlots.profile.timezone_source]).toEqual(
      ['Europe/Tirane', 'the time slots'],
    );
    const fromLocation = lockProfileFromDevice({
      ...dorma({ predefined_time_slots: [ZONELESS] }),
      location: { time_zone: 'Europe/Berlin' },
    });
    expect(fromLocation.ok && fromLocation.profile.timezone).toBe('Europe/Berlin');
  });

  it('reads every Seam TOD form of check-in/out times', () => {
    const forms = [
      ['15:30:00-08:00[America/Los_Angeles]', '11:00:00-08:00[America/Los_Angeles]'],
      ['15:30:00Z', '11:00:00Z'],
      ['15:30:00-05:00', '11:00:00-05:00'],
      ['15:30[PST]', '11:00[PST]'],
      ['15:30:00.000[Europe/Tirane]', '11:00:00.000[Europe/Tirane]'],
    ];
    const slots = forms.map(([i, o], n) => ({
      ...SLOT_24,
      prefix: 200 + n,
      check_in_time: i,
      check_out_time: o,
    }));
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Tirane', predefined_time_slots: slots }),
    );
    expect(r.ok && r.profile.timeSlots.map((s) => s.prefix)).toEqual([200, 201, 202, 203, 204]);
  });

  it('a slot without its optional name, prefix or user level id is still a slot', () => {
    const { name: _n, prefix: _p, dormakaba_oracode_user_level_id: _u, ...bare } = SLOT_24;
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Tirane', predefined_time_slots: [bare] }),
    );
    expect(r.ok && r.profile.timeSlots).toEqual([
      {
        check_in_time: '00:00:00[Europe/Tirane]',
        check_out_time: '23:59:00[Europe/Tirane]',
        is_24_hour: true,
        is_one_shot: false,
        is_master: false,
        is_biweekly_mode: false,
      },
    ]);
  });

  it('only one-shot slots: device_not_capable (Seam supports none of them)', () => {
    const r = lockProfileFromDevice(
      dorma({
        iana_timezone: 'Europe/Tirane',
        predefined_time_slots: [{ ...SLOT_24, is_one_shot: true }, SLOT_MASTER],
      }),
    );
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/1 master, 1 one-shot/);
  });

  it('missing metadata altogether: device_not_capable', () => {
    expect(code(lockProfileFromDevice(dorma(undefined)))).toBe('device_not_capable');
    expect(code(lockProfileFromDevice(dorma('garbage')))).toBe('device_not_capable');
  });

  it.each([
    ['no slots', []],
    ['only a master slot', [SLOT_MASTER]],
    ['slots with unparsable times', [{ ...SLOT_24, check_in_time: 'noon' }]],
    ['slots of the wrong type', ['x', 1, null]],
  ])('%s: device_not_capable', (_label, slots) => {
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Tirane', predefined_time_slots: slots }),
    );
    expect(code(r)).toBe('device_not_capable');
    expect(message(r)).toMatch(/usable time slot/);
  });

  it('drops malformed slots but keeps good ones', () => {
    const r = lockProfileFromDevice(
      dorma({
        iana_timezone: 'Europe/Tirane',
        predefined_time_slots: [
          { ...SLOT_24, check_out_time: '25:00:00' },
          null,
          { ...SLOT_24, prefix: 124 },
        ],
      }),
    );
    expect(r.ok && r.profile.timeSlots.map((s) => s.prefix)).toEqual([124]);
  });

  it('missing booleans default to false', () => {
    const { is_24_hour: _a, is_one_shot: _b, is_biweekly_mode: _c, ...bare } = SLOT_24;
    const r = lockProfileFromDevice(
      dorma({ iana_timezone: 'Europe/Tirane', predefined_time_slots: [bare] }),
    );
    expect(r.ok && r.profile.timeSlots[0]?.is_24_hour).toBe(false);
  });
});

describe('lockProfileFromDevice: garbage', () => {
  it.each([null, undefined, 42, 'dev', [], {}, { device_id: '' }])(
    'does not throw for %p',
    (input) => {
      const r = lockProfileFromDevice(input as unknown as DeviceFacts);
      expect(code(r)).toBe('device_not_capable');
    },
  );

  it('never throws, and every violation code is listed (property)', () => {
    const device = fc.record(
      {
        device_id: fc.oneof(fc.string(), fc.constant('dev-1'), fc.anything()),
        device_type: fc.oneof(
          fc.constantFrom('igloohome_lock', 'dormakaba_oracode_door', 'august_lock'),
          fc.anything(),
        ),
        display_name: fc.anything(),
        capabilities_supported: fc.oneof(fc.constant(['access_code']), fc.anything()),
        location: fc.anything(),
        properties: fc.oneof(
          fc.record({
            offline_access_codes_enabled: fc.oneof(fc.constant(true), fc.anything()),
            dormakaba_oracode_metadata: fc.oneof(
              fc.record({
                iana_timezone: fc.oneof(fc.constant('Europe/Tirane'), fc.anything()),
                predefined_time_slots: fc.oneof(fc.constant([SLOT_24]), fc.array(fc.anything())),
              }),
              fc.anything(),
            ),
          }),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(device, (d) => {
        const r = lockProfileFromDevice(d as unknown as DeviceFacts);
        if (r.ok) {
          expect(['igloohome', 'dormakaba_oracode']).toContain(r.profile.manufacturer);
          expect(r.profile.name.length).toBeGreaterThan(0);
        } else {
          expect(RULE_VIOLATION_CODES).toContain(r.violation.code);
          expect(r.violation.message.length).toBeGreaterThan(10);
        }
      }),
      {
        numRuns: 500,
        // Found by this property: a value whose toString is not a function broke the message.
        examples: [
          [{ device_id: 'dev-1', device_type: { toString: [] } }],
          [{ device_id: { toString: [] }, device_type: 'igloohome_lock' }],
        ],
      },
    );
  });
});
