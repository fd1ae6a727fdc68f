import { DateTime } from 'luxon';
import type { Simulator } from '../../sim/simulator';

/** The demo's bookings: one per kind of offline code, and one the igloohome rules refuse. */
export interface Scenario {
  reference: string;
  kind: string;
  deviceId: string;
  lock: string;
  guest: { name: string; email: string };
  window: { starts_at: string; ends_at?: string };
  extra?: Record<string, unknown>;
  /** A rule violation the API must answer with 422 and this code. */
  rejectWith?: string;
}

export function scenarios(sim: Simulator, lockName: (id: string) => string): Scenario[] {
  const [iglooA, iglooB] = sim.devices.igloohome;
  const [kaba] = sim.devices.dormakaba;
  if (!iglooA || !iglooB || !kaba) throw new Error('the simulator fixture lacks the demo locks');
  const london = DateTime.now().setZone('Europe/London');
  const berlin = DateTime.now().setZone('Europe/Berlin');
  const at = (d: DateTime, days: number, hour: number) =>
    d.plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  const iso = (d: DateTime) => d.toISO({ suppressMilliseconds: true }) as string;
  const checkIn = at(london, 1, 15);
  const gapStart = at(london, 2, 15);
  return [
    {
      reference: 'BK-1001',
      kind: 'igloohome hourly',
      deviceId: iglooA,
      lock: lockName(iglooA),
      guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
      // 3 nights, 15:00 -> 11:00: 68 hours, well inside the 1..672 h hourly range
      window: { starts_at: iso(checkIn), ends_at: iso(at(london, 4, 11)) },
    },
    {
      reference: 'BK-1002',
      kind: 'igloohome daily',
      deviceId: iglooB,
      lock: lockName(iglooB),
      guest: { name: 'Grace Hopper', email: 'grace@example.com' },
      // 30 days, same local time at both ends: daily-bound
      window: { starts_at: iso(checkIn), ends_at: iso(checkIn.plus({ days: 30 })) },
      extra: { max_time_rounding: '1d' },
    },
    {
      reference: 'BK-1003',
      kind: 'igloohome one-time',
      deviceId: iglooA,
      lock: lockName(iglooA),
      guest: { name: 'Alan Turing', email: 'alan@example.com' },
      // only starts_at: valid 24 h, one entry
      window: { starts_at: iso(at(london, 0, london.hour).plus({ hours: 1 })) },
      extra: { is_one_time_use: true },
    },
    {
      reference: 'BK-1004',
      kind: 'dormakaba slot',
      deviceId: kaba,
      lock: lockName(kaba),
      guest: { name: 'Katherine Johnson', email: 'katherine@example.com' },
      // 16:00 -> 12:00 in the lock's zone (Europe/Berlin): Seam rounds it (within 1 h) to the
      // lock's "User 124 D 3pm-11am" slot, and the 202 answer's warnings say so
      window: { starts_at: iso(at(berlin, 1, 16)), ends_at: iso(at(berlin, 3, 12)) },
    },
    {
      reference: 'BK-1005',
      kind: 'igloohome (bad)',
      deviceId: iglooB,
      lock: lockName(iglooB),
      guest: { name: 'Charles Babbage', email: 'charles@example.com' },
      // 680 h: longer than hourly (672 h), shorter than daily (29 days = 696 h)
      window: { starts_at: iso(gapStart), ends_at: iso(gapStart.plus({ hours: 680 })) },
      rejectWith: 'igloohome_duration_gap',
    },
  ];
}

export interface Tracked {
  scenario: Scenario;
  id?: string;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  status: string;
  seamStatus?: string;
  accessCodeId?: string;
  startedAt: number;
  finishedAt?: number;
}

/** The parts of the API's answers the demo reads. */
export interface GuestCodeView {
  id: string;
  status: string;
  planned: {
    kind: string;
    starts_at: string;
    ends_at: string;
    time_slot?: { name: string | null };
    warnings?: { code: string; message: string }[];
  };
  access_codes: { access_code_id: string; status: string }[];
  active_access_code_id: string | null;
}
export interface ApiBody {
  guest_code?: GuestCodeView;
  note?: string;
  error?: { code?: string; message?: string };
}
