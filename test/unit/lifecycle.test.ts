import fc from 'fast-check';
import type { GuestCode, GuestCodeStatus, SeamStatus } from '../../src/domain/guest-code';
import {
  applySnapshot,
  PENDING_RECHECK_FOR_MS,
  PENDING_RECHECK_MS,
  UNFIXABLE_ERRORS,
  type AccessCodeSnapshot,
  type LifecycleDecision,
  type ReplacementPolicy,
} from '../../src/domain/lifecycle';

const MIN = 60_000;
const T0 = new Date('2030-01-01T10:00:00.000Z');
const STARTS_AT = '2030-01-02T15:00:00.000Z';
const policy: ReplacementPolicy = {
  replaceAfterMs: 15 * MIN,
  notSetGraceMs: 60 * MIN,
  maxReplacements: 2,
};
const at = (ms: number) => new Date(T0.getTime() + ms);

function guestCode(over: Partial<GuestCode> = {}): GuestCode {
  return {
    id: 'gc_1',
    reference: 'booking-1',
    request_fingerprint: 'f',
    request: {
      device_id: 'dev_1',
      guest: { name: 'Ada', email: 'ada@example.com' },
      starts_at: STARTS_AT,
      ends_at: '2030-01-04T11:00:00.000Z',
      is_one_time_use: false,
      max_time_rounding: '1h',
      reference: 'booking-1',
    },
    device: {
      device_id: 'dev_1',
      name: 'Front door',
      manufacturer: 'igloohome',
      timezone: 'Europe/London',
    },
    plan: {
      kind: 'hourly_bound',
      starts_at: STARTS_AT,
      ends_at: '2030-01-04T11:00:00.000Z',
      max_time_rounding: '1hour',
      timezone: 'Europe/London',
      caveats: [],
      warnings: [],
      seam_request: {
        starts_at: STARTS_AT,
        ends_at: '2030-01-04T11:00:00.000Z',
        max_time_rounding: '1hour',
      },
    },
    status: 'waiting',
    generation: 0,
    create_attempts: 1,
    access_codes: [
      {
        access_code_id: 'ac_1',
        generation: 0,
        status: 'unset',
        errors: [],
        superseded: false,
        created_at: T0.toISOString(),
      },
    ],
    active_access_code_id: 'ac_1',
    replacements: 0,
    notifications: [],
    created_at: T0.toISOString(),
    updated_at: T0.toISOString(),
    version: 3,
    ...over,
  };
}

function snap(
  status: SeamStatus,
  opts: { pin?: boolean; errors?: string[]; id?: string } = {},
): AccessCodeSnapshot {
  return {
    access_code_id: opts.id ?? 'ac_1',
    gone: false,
    status,
    has_pin: opts.pin ?? status === 'set',
    errors: opts.errors ?? [],
    warnings: [],
  };
}
const gone = (id = 'ac_1'): AccessCodeSnapshot => ({ access_code_id: id, gone: true });

/** Applies snapshots in turn, one minute apart unless times are given. */
function run(
  gc: GuestCode,
  steps: (AccessCodeSnapshot | [AccessCodeSnapshot, Date])[],
): LifecycleDecision[] {
  const out: LifecycleDecision[] = [];
  let cur = gc;
  steps.forEach((step, i) => {
    const [s, when] = Array.isArray(step) ? step : [step, at(i * MIN)];
    const d = applySnapshot(cur, s, when, policy);
    out.push(d);
    cur = d.record;
  });
  return out;
}
const last = <T>(xs: T[]): T => xs[xs.length - 1]!;
const code = (gc: GuestCode, id = 'ac_1') => gc.access_codes.find((c) => c.access_code_id === id)!;
const effectTypes = (d: LifecycleDecision) => d.effects.map((e) => e.type);

describe('applySnapshot: forward-only status', () => {
  it('follows unset -> setting -> set and asks to notify once the PIN is known', () => {
    const ds = run(guestCode(), [snap('setting'), snap('set')]);
    expect(code(ds[0]!.record).status).toBe('setting');
    expect(ds[0]!.effects).toEqual([
      { type: 'recheck', at: new Date(Date.parse(STARTS_AT) + policy.notSetGraceMs).toISOString() },
    ]);
    const d = last(ds);
    expect(code(d.record).status).toBe('set');
    expect(d.record.status).toBe('set');
    expect(d.effects).toEqual([{ type: 'notify', access_code_id: 'ac_1' }]);
    expect(d.timeline.map((t) => t.type)).toEqual(['access_code_status', 'set']);
  });

  it('an older snapshot never undoes set', () => {
    const ds = run(guestCode(), [snap('set'), snap('setting'), snap('unset')]);
    for (const d of ds.slice(1)) {
      expect(code(d.record).status).toBe('set');
      expect(d.record.status).toBe('set');
      expect(d.timeline.filter((t) => t.message.includes('is now'))).toHaveLength(0);
    }
    // Reading "setting" after "set" changes nothing in the record.
    expect(ds[1]!.changed).toBe(false);
  });

  it('an older snapshot never undoes setting', () => {
    const ds = run(guestCode(), [snap('setting'), snap('unset')]);
    expect(code(last(ds).record).status).toBe('setting');
    expect(last(ds).changed).toBe(false);
  });

  it('set without a PIN yet is not enough to tell the guest: a recheck is scheduled soon', () => {
    const d = last(run(guestCode(), [snap('set', { pin: false })]));
    expect(code(d.record).status).toBe('set');
    expect(d.record.status).toBe('waiting');
    // was: no effect at all, left to the sweeper
    expect(d.effects).toEqual([
      { type: 'recheck', at: new Date(T0.getTime() + PENDING_RECHECK_MS).toISOString() },
    ]);
  });

  it('the soon rechecks stop after a while (the sweeper keeps following the code)', () => {
    const ds = run(guestCode(), [
      [snap('set', { pin: false }), at(0)],
      [snap('set', { pin: false }), at(PENDING_RECHECK_FOR_MS - 1)],
      [snap('set', { pin: false }), at(PENDING_RECHECK_FOR_MS)],
      [snap('set'), at(PENDING_RECHECK_FOR_MS + MIN)],
    ]);
    expect(effectTypes(ds[1]!)).toEqual(['recheck']);
    expect(ds[2]!.effects).toEqual([]);
    expect(effectTypes(ds[3]!)).toEqual(['notify']);
    expect(code(ds[3]!.record).pending_since).toBeUndefined();
  });

  it('removing before the guest was told: rechecked soon, and a 404 then fails with an alert', () => {
    const ds = run(guestCode(), [snap('removing'), gone()]);
    expect(ds[0]!.record.status).toBe('waiting');
    expect(effectTypes(ds[0]!)).toEqual(['recheck']);
    expect(ds[1]!.record.failure?.code).toBe('access_code_deleted');
    expect(ds[1]!.effects).toEqual([expect.objectContaining({ type: 'fail', alert: true })]);
  });

  it('set again is idempotent: no change, the notify effect repeats (claims make it safe)', () => {
    const ds = run(guestCode(), [snap('set'), snap('set')]);
    expect(ds[1]!.changed).toBe(false);
    expect(ds[1]!.record).toBe(ds[0]!.record);
    expect(ds[1]!.effects).toEqual([{ type: 'notify', access_code_id: 'ac_1' }]);
  });

  it('is pure: the input record is not mutated', () => {
    const gc = guestCode();
    const before = structuredClone(gc);
    applySnapshot(gc, snap('set'), T0, policy);
    applySnapshot(gc, snap('unset', { errors: ['failed_to_set_on_device'] }), T0, policy);
    expect(gc).toEqual(before);
  });

  it('ignores a snapshot of a code the guest code does not own', () => {
    const gc = guestCode();
    const d = applySnapshot(gc, snap('set', { id: 'ac_other' }), T0, policy);
    expect(d).toEqual({ record: gc, timeline: [], effects: [], changed: false });
  });
});

describe("applySnapshot: Seam's unknown status", () => {
  it('is kept and shown, with the last known status; no replacement because of it', () => {
    const ds = run(guestCode(), [
      [snap('setting'), at(0)],
      [snap('unknown'), at(MIN)],
      // long past starts_at + grace: an unset/setting code would be replaced now
      [snap('unknown'), new Date(Date.parse(STARTS_AT) + policy.notSetGraceMs * 3)],
    ]);
    expect(code(ds[1]!.record)).toMatchObject({ status: 'unknown', last_known_status: 'setting' });
    expect(ds[1]!.timeline.map((t) => t.message)).toEqual([
      'Seam reports the status as unknown (was setting)',
    ]);
    for (const d of ds.slice(1)) {
      expect(d.record.status).toBe('waiting');
      expect(effectTypes(d)).not.toContain('replace');
      expect(effectTypes(d)).not.toContain('fail');
    }
  });

  it('a known status after it resumes, never moving backwards', () => {
    const ds = run(guestCode(), [snap('setting'), snap('unknown'), snap('unset'), snap('set')]);
    expect(code(ds[2]!.record).status).toBe('unknown');
    expect(code(ds[3]!.record).status).toBe('set');
    expect(code(ds[3]!.record).last_known_status).toBeUndefined();
    expect(effectTypes(ds[3]!)).toEqual(['notify']);
  });

  it('after the guest was told, unknown is recorded only', () => {
    const gc = guestCode({ status: 'notified' });
    gc.access_codes[0]!.status = 'set';
    const d = applySnapshot(gc, snap('unknown'), T0, policy);
    expect(code(d.record).status).toBe('unknown');
    expect(d.record.status).toBe('notified');
    expect(d.effects).toEqual([]);
  });
});

describe('applySnapshot: what Seam stored and said', () => {
  const withWindow = (starts: string | null, ends: string | null, extra = {}) =>
    ({ ...snap('setting'), starts_at: starts, ends_at: ends, ...extra }) as AccessCodeSnapshot;
  const plannedEnd = '2030-01-04T11:00:00.000Z';
  const shift = (iso: string, minutes: number) =>
    new Date(Date.parse(iso) + minutes * MIN).toISOString();

  it('keeps the window Seam stored on the code; the same as planned: nothing else', () => {
    const d = applySnapshot(guestCode(), withWindow(STARTS_AT, plannedEnd), T0, policy);
    expect(code(d.record)).toMatchObject({ starts_at: STARTS_AT, ends_at: plannedEnd });
    expect(d.timeline.map((t) => t.type)).toEqual(['access_code_status']);
    expect(effectTypes(d)).toEqual(['recheck']);
  });

  it('within the rounding asked for: noted, no alert', () => {
    const d = applySnapshot(guestCode(), withWindow(shift(STARTS_AT, -60), plannedEnd), T0, policy);
    expect(code(d.record).starts_at).toBe(shift(STARTS_AT, -60));
    expect(d.timeline.map((t) => t.type)).toContain('stored_window');
    expect(effectTypes(d)).not.toContain('alert');
  });

  it('further than the rounding asked for: one alert per code, the guest code goes on', () => {
    const far = withWindow(STARTS_AT, shift(plannedEnd, 61));
    const ds = run(guestCode(), [far, far, snap('set')]);
    expect(ds[0]!.effects).toContainEqual({
      type: 'alert',
      code: 'stored_window_differs',
      message: expect.stringContaining("max_time_rounding '1h'"),
    });
    expect(code(ds[0]!.record).window_alerted).toBe(true);
    expect(effectTypes(ds[1]!)).not.toContain('alert');
    expect(effectTypes(ds[2]!)).toEqual(['notify']);
  });

  it("with '1d' asked for, a day's difference is within the rounding", () => {
    const gc = guestCode();
    gc.request.max_time_rounding = '1d';
    const d = applySnapshot(gc, withWindow(STARTS_AT, shift(plannedEnd, 23 * 60)), T0, policy);
    expect(effectTypes(d)).not.toContain('alert');
  });

  it('Seam warnings appear on the code, and clear', () => {
    const ds = run(guestCode(), [
      { ...snap('setting'), warnings: ['delay_in_setting_on_device'] } as AccessCodeSnapshot,
      snap('setting'),
    ]);
    expect(code(ds[0]!.record).warnings).toEqual(['delay_in_setting_on_device']);
    expect(ds[0]!.timeline.map((t) => t.message)).toContain(
      'Seam reports warnings: delay_in_setting_on_device',
    );
    expect(code(ds[1]!.record).warnings).toEqual([]);
  });

  it('a code that is not an offline code fails the guest code with an alert', () => {
    const d = applySnapshot(
      guestCode(),
      { ...snap('set'), is_offline_access_code: false } as AccessCodeSnapshot,
      T0,
      policy,
    );
    expect(d.record.status).toBe('failed');
    expect(d.record.failure?.code).toBe('not_offline_access_code');
    expect(d.effects).toEqual([
      { type: 'fail', code: 'not_offline_access_code', message: expect.any(String), alert: true },
    ]);
  });
});

describe('applySnapshot: 404 and deletion are terminal', () => {
  it('a 404 while waiting fails the guest code with an alert', () => {
    const d = last(run(guestCode(), [snap('setting'), gone()]));
    expect(code(d.record).status).toBe('deleted');
    expect(d.record.status).toBe('failed');
    expect(d.record.failure?.code).toBe('access_code_deleted');
    expect(d.effects).toEqual([expect.objectContaining({ type: 'fail', alert: true })]);
  });

  it('nothing revives a deleted code', () => {
    const ds = run(guestCode(), [gone(), snap('set'), snap('setting')]);
    for (const d of ds.slice(1)) {
      expect(code(d.record).status).toBe('deleted');
      expect(d.record.status).toBe('failed');
      expect(d.effects).toEqual([]);
    }
  });

  it('a 404 after the guest was told is recorded and nothing else', () => {
    const gc = guestCode({ status: 'notified' });
    gc.access_codes[0]!.status = 'set';
    const d = applySnapshot(gc, gone(), T0, policy);
    expect(code(d.record).status).toBe('deleted');
    expect(d.record.status).toBe('notified');
    expect(d.effects).toEqual([]);
  });
});

describe('applySnapshot: unfixable errors fail at once', () => {
  it.each([...UNFIXABLE_ERRORS])('%s: failed with the reason, no replacement', (error) => {
    const d = applySnapshot(guestCode(), snap('setting', { errors: [error] }), T0, policy);
    expect(d.record.status).toBe('failed');
    expect(d.record.failure).toMatchObject({ code: error, at: T0.toISOString() });
    expect(d.effects).toEqual([
      { type: 'fail', code: error, message: expect.any(String), alert: true },
    ]);
    expect(code(d.record).failing_since).toBeUndefined();
  });

  it('no_space_for_access_code_on_device is never replaced, even past every grace period', () => {
    // was: waited, then replaced as not_set_in_time (a second code on a full lock)
    const late = new Date(Date.parse(STARTS_AT) + policy.notSetGraceMs * 2);
    const d = applySnapshot(
      guestCode(),
      snap('unset', { errors: ['no_space_for_access_code_on_device'] }),
      late,
      policy,
    );
    expect(d.record.status).toBe('failed');
    expect(effectTypes(d)).toEqual(['fail']);
    expect(d.effects[0]).toMatchObject({ alert: true });
  });

  it('wins over a replaceable error on the same code', () => {
    const d = applySnapshot(
      guestCode(),
      snap('setting', { errors: ['failed_to_set_on_device', 'code_constraints_violated'] }),
      T0,
      policy,
    );
    expect(d.record.failure?.code).toBe('code_constraints_violated');
    expect(effectTypes(d)).toEqual(['fail']);
  });
});

describe('applySnapshot: grace period before replacing', () => {
  const failing = (error = 'failed_to_set_on_device') => snap('setting', { errors: [error] });

  it.each(['failed_to_set_on_device', 'provider_issue'])(
    '%s: recheck until the grace period is over, then replace',
    (error) => {
      const ds = run(guestCode(), [
        [failing(error), at(0)],
        [failing(error), at(policy.replaceAfterMs - 1)],
        [failing(error), at(policy.replaceAfterMs)],
      ]);
      expect(code(ds[0]!.record).failing_since).toBe(at(0).toISOString());
      expect(ds[0]!.effects).toEqual([
        { type: 'recheck', at: at(policy.replaceAfterMs).toISOString() },
      ]);
      expect(ds[1]!.effects).toEqual([
        { type: 'recheck', at: at(policy.replaceAfterMs).toISOString() },
      ]);
      expect(code(ds[1]!.record).failing_since).toBe(at(0).toISOString());
      expect(ds[2]!.effects).toEqual([
        { type: 'replace', reason: expect.stringContaining(error), kind: error },
      ]);
      // Replacing is the caller's job; the record stays waiting until then.
      expect(ds[2]!.record.status).toBe('waiting');
    },
  );

  it('a failure that clears restarts the clock when it comes back', () => {
    const ds = run(guestCode(), [
      [failing(), at(0)],
      [snap('setting'), at(10 * MIN)],
      [failing(), at(20 * MIN)],
      [failing(), at(20 * MIN + policy.replaceAfterMs - 1)],
    ]);
    expect(code(ds[1]!.record).failing_since).toBeUndefined();
    expect(code(ds[2]!.record).failing_since).toBe(at(20 * MIN).toISOString());
    expect(effectTypes(last(ds))).toEqual(['recheck']);
  });

  it('a code still unset after starts_at + grace is replaced; before that, rechecked', () => {
    const due = Date.parse(STARTS_AT) + policy.notSetGraceMs;
    const before = applySnapshot(guestCode(), snap('unset'), new Date(due - 1), policy);
    expect(before.effects).toEqual([{ type: 'recheck', at: new Date(due).toISOString() }]);
    const after = applySnapshot(guestCode(), snap('setting'), new Date(due), policy);
    expect(after.effects).toEqual([
      { type: 'replace', reason: expect.any(String), kind: 'not_set_in_time' },
    ]);
  });
});

describe('applySnapshot: the replacement bound', () => {
  const failing = snap('setting', { errors: ['failed_to_set_on_device'] });
  const pastGrace = (gc: GuestCode) =>
    last(
      run(gc, [
        [failing, at(0)],
        [failing, at(policy.replaceAfterMs)],
      ]),
    );

  it('replaces while under the bound', () => {
    const d = pastGrace(guestCode({ replacements: policy.maxReplacements - 1 }));
    expect(effectTypes(d)).toEqual(['replace']);
    expect(d.record.status).toBe('waiting');
  });

  it('fails with an alert once the bound is reached', () => {
    const d = pastGrace(guestCode({ replacements: policy.maxReplacements }));
    expect(d.record.status).toBe('failed');
    expect(d.record.failure?.code).toBe('replacements_exhausted');
    expect(d.effects).toEqual([
      { type: 'fail', code: 'replacements_exhausted', message: expect.any(String), alert: true },
    ]);
  });

  it('with no replacements allowed, the first failure past grace is final', () => {
    const strictPolicy = { ...policy, maxReplacements: 0 };
    const first = applySnapshot(guestCode(), failing, at(0), strictPolicy);
    expect(effectTypes(first)).toEqual(['recheck']);
    const d = applySnapshot(first.record, failing, at(policy.replaceAfterMs), strictPolicy);
    expect(d.record.failure?.code).toBe('replacements_exhausted');
    expect(effectTypes(d)).toEqual(['fail']);
  });

  it('a superseded code is recorded but never acted on', () => {
    const gc = guestCode({ active_access_code_id: 'ac_2', generation: 1, replacements: 1 });
    gc.access_codes[0]!.superseded = true;
    gc.access_codes.push({
      access_code_id: 'ac_2',
      generation: 1,
      status: 'unset',
      errors: [],
      superseded: false,
      created_at: T0.toISOString(),
    });
    for (const s of [
      snap('set'),
      gone(),
      snap('setting', { errors: ['code_constraints_violated'] }),
    ]) {
      const d = applySnapshot(gc, s, at(policy.replaceAfterMs * 2), policy);
      expect(d.effects).toEqual([]);
      expect(d.record.status).toBe('waiting');
      expect(d.record.active_access_code_id).toBe('ac_2');
    }
  });

  it('while a replacement is being created, snapshots are recorded only', () => {
    const gc = guestCode({ status: 'requested' });
    const d = applySnapshot(gc, snap('set'), T0, policy);
    expect(code(d.record).status).toBe('set');
    expect(d.record.status).toBe('requested');
    expect(d.effects).toEqual([]);
  });
});

describe('applySnapshot: properties', () => {
  const CODE_RANK: Record<SeamStatus, number> = {
    unknown: -1,
    unset: 0,
    setting: 1,
    set: 2,
    removing: 3,
    deleted: 4,
  };
  const GUEST_RANK: Record<GuestCodeStatus, number> = {
    requested: 0,
    waiting: 1,
    set: 2,
    notified: 3,
    undelivered: 3,
    failed: 3,
    cancelled: 3,
  };
  const ERRORS = [
    'failed_to_set_on_device',
    'provider_issue',
    'code_constraints_violated',
    'no_space_for_access_code_on_device',
    'device_offline',
    'duplicate_code_on_device',
  ];
  const snapshotArb: fc.Arbitrary<[AccessCodeSnapshot, number]> = fc.tuple(
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(gone()) },
      {
        weight: 12,
        arbitrary: fc.record({
          access_code_id: fc.constant('ac_1'),
          gone: fc.constant(false as const),
          status: fc.constantFrom<SeamStatus>('unset', 'setting', 'set', 'removing', 'unknown'),
          has_pin: fc.boolean(),
          errors: fc.subarray(ERRORS, { maxLength: 2 }),
          warnings: fc.constant<string[]>([]),
        }),
      },
    ),
    fc.integer({ min: 0, max: 40 * MIN }),
  );

  it("a code's status rank never decreases, whatever the order of snapshots", () => {
    fc.assert(
      fc.property(fc.array(snapshotArb, { maxLength: 30 }), (steps) => {
        let cur = guestCode();
        let now = T0.getTime();
        for (const [s, dt] of steps) {
          now += dt;
          const d = applySnapshot(cur, s, new Date(now), policy);
          const known = (c: ReturnType<typeof code>) =>
            c.status === 'unknown' ? (c.last_known_status ?? 'unknown') : c.status;
          const was = known(code(cur));
          const is = known(code(d.record));
          if (CODE_RANK[is] < CODE_RANK[was]) return false;
          // The guest code moves forward too, and never leaves a terminal state.
          if (GUEST_RANK[d.record.status] < GUEST_RANK[cur.status]) return false;
          if (GUEST_RANK[cur.status] === 3 && d.record.status !== cur.status) return false;
          // The guest is told only about a set code with a PIN and no unfixable error.
          if (d.effects.some((e) => e.type === 'notify')) {
            if (s.gone || !s.has_pin || code(d.record).status !== 'set') return false;
            if (d.record.status !== 'set') return false;
          }
          cur = d.record;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
