/**
 * Two readings of the same sources agree: every plan the service's rules accept
 * (src/domain/rules) is accepted by the simulator's own model of Seam (sim/rules.ts, written
 * apart), which stores exactly the planned window. So "plan accepted => Seam's documented rule
 * holds" is checked against an independent implementation, not only against itself.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { DormakabaTimeSlot, LockProfile } from '../../src/domain/device-profile';
import { planOfflineCode, type MaxTimeRounding } from '../../src/domain/rules';
import { checkCreate, type RuleDevice } from '../../sim/rules';

const NOW = new Date('2024-01-01T00:00:00Z');
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
const arbStartMs = fc
  .integer({ min: 0, max: 1_090 * 24 * 60 })
  .map((m) => Date.parse('2024-01-02T00:00:00Z') + m * 60_000);
const arbRounding = fc.constantFrom<MaxTimeRounding>('1h', '1hour', '1d', '1day');

function slot(
  prefix: number,
  i: string,
  o: string,
  zone: string,
  flags: Partial<DormakabaTimeSlot> = {},
): DormakabaTimeSlot {
  return {
    name: `User ${prefix}`,
    prefix,
    check_in_time: `${i}[${zone}]`,
    check_out_time: `${o}[${zone}]`,
    is_24_hour: false,
    is_one_shot: false,
    is_master: false,
    is_biweekly_mode: false,
    dormakaba_oracode_user_level_id: `lvl-${prefix}`,
    ...flags,
  };
}

it('igloohome: the simulator accepts every plan and stores exactly its window', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ZONES),
      arbStartMs,
      fc.oneof(
        fc.integer({ min: 60, max: 400 * 24 * 60 }),
        fc.integer({ min: 670 * 60, max: 700 * 60 }),
        fc.integer({ min: 366 * 24 * 60, max: 368 * 24 * 60 }),
      ),
      arbRounding,
      fc.boolean(),
      (zone, s, minutes, rounding, oneTime) => {
        const lock: LockProfile = {
          device_id: 'ig',
          name: 'ig',
          manufacturer: 'igloohome',
          timezone: zone,
          timeSlots: [],
        };
        const startsAt = DateTime.fromMillis(s, { zone }).toISO() as string;
        const endsAt = DateTime.fromMillis(s + minutes * 60_000, { zone }).toISO() as string;
        const r = planOfflineCode(
          lock,
          {
            starts_at: startsAt,
            ...(oneTime ? {} : { ends_at: endsAt }),
            is_one_time_use: oneTime,
            max_time_rounding: rounding,
          },
          NOW,
        );
        if (!r.ok) return;
        const device: RuleDevice = {
          device_id: 'ig',
          device_type: 'igloohome_lock',
          can_program_offline_access_codes: true,
          capabilities_supported: ['access_code'],
          properties: {},
          location: { time_zone: zone },
        };
        const stored = checkCreate(
          {
            device_id: 'ig',
            ...r.plan.seam_request,
            is_offline_access_code: true,
            is_one_time_use: oneTime,
          },
          device,
          [],
          NOW,
        );
        expect(stored).not.toHaveProperty('status');
        if ('status' in stored) return;
        expect(stored.starts_at).toBe(r.plan.starts_at);
        expect(stored.ends_at).toBe(oneTime ? null : r.plan.ends_at);
      },
    ),
    { numRuns: 1500 },
  );
});

it('dormakaba: the simulator accepts every plan, on the same slot and window', () => {
  const zone = 'Europe/Berlin';
  const slots = [
    slot(1, '00:00:00', '23:59:00', zone, { is_24_hour: true }),
    slot(2, '15:00:00', '11:00:00', zone),
    slot(3, '07:00', '19:00', zone),
    slot(4, '10:00:00', '12:00:00', zone, { is_one_shot: true }),
    slot(5, '18:00:00', '09:00:00', zone, { is_biweekly_mode: true }),
    slot(6, '09:00:00', '17:00:00', zone, { is_master: true }),
  ];
  const lock: LockProfile = {
    device_id: 'dk',
    name: 'dk',
    manufacturer: 'dormakaba_oracode',
    timezone: zone,
    timeSlots: slots,
  };
  const device: RuleDevice = {
    device_id: 'dk',
    device_type: 'dormakaba_oracode_door',
    can_program_offline_access_codes: true,
    capabilities_supported: ['access_code'],
    properties: {
      dormakaba_oracode_metadata: { iana_timezone: zone, predefined_time_slots: slots },
    },
  };
  fc.assert(
    fc.property(
      arbStartMs,
      fc.integer({ min: 60, max: 35 * 24 * 60 }),
      arbRounding,
      (s, minutes, rounding) => {
        const r = planOfflineCode(
          lock,
          {
            starts_at: DateTime.fromMillis(s, { zone }).toISO() as string,
            ends_at: DateTime.fromMillis(s + minutes * 60_000, { zone }).toISO() as string,
            is_one_time_use: false,
            max_time_rounding: rounding,
          },
          NOW,
        );
        if (!r.ok) return;
        const stored = checkCreate(
          { device_id: 'dk', ...r.plan.seam_request, is_offline_access_code: true },
          device,
          [],
          NOW,
        );
        expect(stored).not.toHaveProperty('status');
        if ('status' in stored) return;
        expect([stored.starts_at, stored.ends_at]).toEqual([r.plan.starts_at, r.plan.ends_at]);
        expect(stored.dormakaba_oracode_metadata?.user_level_id).toBe(
          r.plan.time_slot?.user_level_id,
        );
      },
    ),
    { numRuns: 1500 },
  );
});
