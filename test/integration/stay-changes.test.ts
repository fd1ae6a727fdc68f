/**
 * Stays that change (issue 17, PATCH /v1/guest-codes/{id}). An offline code can be neither
 * edited nor revoked, so a new window gets a new code (same safety as the first), the guest
 * gets one message with its PIN, and the previous code is kept in `previous_codes` with the end
 * it still opens the door until, said in the answer and in `guest_code.window_changed`. The
 * whole service runs against the Seam simulator, real Redis, a real SMTP server and a real
 * receiver; every test asserts the end state.
 */
import type { SimAccessCode } from '../../sim/codes';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('changing a stay', () => {
  let s: Stack;
  let seq = 0;

  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 50, setAfterMs: 150 },
      // Many codes on two locks within a minute: Seam's per-lock pace is not under test here.
      env: { DEVICE_CREATE_LIMIT_PER_MINUTE: '1000', REPLACE_AFTER_MS: '300' },
    });
  });
  afterEach(() => {
    s.sim.clearFaults();
  });
  afterAll(async () => {
    await s.close();
  });

  const codesOf = (id: string): SimAccessCode[] =>
    s.sim.accessCodes().filter((c) => c.name?.includes(`[gc:${id}:`));
  const mailTo = (to: string) => s.smtp.messages.filter((m) => m.rcptTo.includes(to));
  const eventsFor = (id: string, type: string) =>
    s.notifyReceiver.received.filter(
      (r) =>
        r.verified &&
        r.event?.type === type &&
        (r.event.data as { guest_code_id: string }).guest_code_id === id,
    );
  const patch = (id: string, body: unknown) =>
    s.api(`/v1/guest-codes/${id}`, { method: 'PATCH', body });
  /** Notified for the given generation (a change makes a new one). */
  const notifiedAt = (id: string, generation: number, timeoutMs = 15_000) =>
    eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'notified' && gc.generation === generation ? gc : undefined;
    }, timeoutMs);

  /** A booking on its own window (igloohome takes at most 3 codes per window). */
  async function book(hours = 48, opts: { device?: number; startIn?: number } = {}) {
    const n = ++seq;
    const email = `stay-${n}@guest.example`;
    // Whole days apart, so no two tests' windows meet on the lock.
    const window = hourlyWindow(opts.startIn ?? 2 + 24 * n, hours);
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[opts.device ?? 0],
        guest: { name: 'Ada', email },
        ...window,
        reference: `stay-change-${n}`,
      },
    });
    expect(res.status).toBe(202);
    return { id: res.body.guest_code.id as string, email, ...window };
  }

  it('extend: a new code for the whole new window, one new message; the old code kept with its end', async () => {
    const b = await book(48);
    const first = await notifiedAt(b.id, 0);
    const oldCode = first.active_access_code_id!;
    const newEnd = iso(Date.parse(b.ends_at) + 24 * HOUR);

    const res = await patch(b.id, { ends_at: newEnd });
    expect(res.status).toBe(202);
    expect(res.body.guest_code).toMatchObject({
      status: 'requested',
      previous_codes: [{ access_code_id: oldCode, valid_until: b.ends_at }],
      changes: [{ n: 1, window: true, contact: false, to: { ends_at: newEnd } }],
    });
    expect(res.body.note).toContain(`still opens the door until ${b.ends_at}`);
    expect(res.body.note).not.toContain("after the stay's new end");

    const done = await notifiedAt(b.id, 1);
    const codes = codesOf(b.id);
    expect(codes).toHaveLength(2);
    const fresh = codes.find((c) => c.access_code_id === done.active_access_code_id)!;
    expect(Date.parse(fresh.ends_at!)).toBe(Date.parse(newEnd));
    expect(Date.parse(fresh.starts_at!)).toBe(Date.parse(b.starts_at));
    expect(done.access_codes.find((c) => c.access_code_id === oldCode)!.superseded).toBe(true);

    // One message per change: the first PIN, then the new one, each once.
    await sleep(300);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toMatch(/stay has changed/);
    expect(mails[1]!.text).toContain(fresh.code!);
    expect(mails[1]!.text).not.toMatch(/no longer work/);
    const changed = eventsFor(b.id, 'guest_code.changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.event!.data).toMatchObject({ pin: fresh.code, ends_at: newEnd });
    const [windowChanged] = await eventually(() => {
      const found = eventsFor(b.id, 'guest_code.window_changed');
      return found.length > 0 ? found : undefined;
    });
    expect(windowChanged!.event!.data).toMatchObject({
      change: 1,
      shortened: false,
      window: { ends_at: newEnd },
      previous_codes: [{ access_code_id: oldCode, valid_until: b.ends_at, outlasts_stay: false }],
    });
    expect(windowChanged!.raw).not.toContain(fresh.code!);
    for (const c of codes) expect(s.logs.text()).not.toContain(c.code!);
  });

  it('shorten: the answer and guest_code.window_changed say the old PIN opens the door until its original end', async () => {
    const b = await book(48);
    const first = await notifiedAt(b.id, 0);
    const oldCode = first.active_access_code_id!;
    const newEnd = iso(Date.parse(b.starts_at) + 24 * HOUR);

    const res = await patch(b.id, { ends_at: newEnd });
    expect(res.status).toBe(202);
    expect(res.body.note).toContain(`PIN (${oldCode}), which the guest was told, still opens`);
    expect(res.body.note).toContain(`still opens the door until ${b.ends_at}`);
    expect(res.body.note).toContain(`after the stay's new end (${newEnd})`);

    const done = await notifiedAt(b.id, 1);
    expect(done.previous_codes).toEqual([
      { access_code_id: oldCode, valid_until: b.ends_at, superseded_at: expect.any(String) },
    ]);
    const view = await s.api(`/v1/guest-codes/${b.id}`);
    expect(view.body.guest_code.window).toMatchObject({ ends_at: newEnd, source: 'seam' });
    expect(view.body.guest_code.previous_codes[0].valid_until).toBe(b.ends_at);
    const [event] = await eventually(() => {
      const found = eventsFor(b.id, 'guest_code.window_changed');
      return found.length > 0 ? found : undefined;
    });
    expect(event!.event!.data).toMatchObject({
      shortened: true,
      previous_window: { ends_at: b.ends_at },
      window: { ends_at: newEnd },
      previous_codes: [{ access_code_id: oldCode, valid_until: b.ends_at, outlasts_stay: true }],
    });
    expect((event!.event!.data as { message: string }).message).toContain(
      `still opens the door until ${b.ends_at}, after the stay's new end`,
    );
    await sleep(300);
    expect(mailTo(b.email)).toHaveLength(2);
    expect(eventsFor(b.id, 'guest_code.window_changed')).toHaveLength(1);
  });

  it('move: both ends move; the new code has the new window, the old one its own', async () => {
    const b = await book(24);
    await notifiedAt(b.id, 0);
    const moved = {
      starts_at: iso(Date.parse(b.starts_at) + 48 * HOUR),
      ends_at: iso(Date.parse(b.ends_at) + 48 * HOUR),
    };
    const res = await patch(b.id, moved);
    expect(res.status).toBe(202);
    const done = await notifiedAt(b.id, 1);
    const codes = codesOf(b.id);
    expect(codes).toHaveLength(2);
    const windows = codes
      .map((c) => [Date.parse(c.starts_at!), Date.parse(c.ends_at!)].join('-'))
      .sort();
    expect(windows).toEqual(
      [
        [Date.parse(b.starts_at), Date.parse(b.ends_at)].join('-'),
        [Date.parse(moved.starts_at), Date.parse(moved.ends_at)].join('-'),
      ].sort(),
    );
    expect(done.plan).toMatchObject({ starts_at: moved.starts_at, ends_at: moved.ends_at });
    expect(done.request).toMatchObject(moved);
  });

  it('contact change: no new code; resend sends the same PIN to the new contact once', async () => {
    const b = await book(24);
    const told = await notifiedAt(b.id, 0);
    const pin = codesOf(b.id)[0]!.code!;
    const newEmail = `moved-${seq}@guest.example`;

    const res = await patch(b.id, { guest: { name: 'Ada', email: newEmail } });
    expect(res.status).toBe(200);
    expect(res.body.guest_code).toMatchObject({
      status: 'notified',
      guest: { email: newEmail },
      previous_codes: [],
    });
    expect(res.body.note).toContain(`POST /v1/guest-codes/${b.id}/resend`);
    expect(codesOf(b.id)).toHaveLength(1);

    const [resend, again] = await Promise.all([
      s.api(`/v1/guest-codes/${b.id}/resend`, { method: 'POST' }),
      s.api(`/v1/guest-codes/${b.id}/resend`, { method: 'POST' }),
    ]);
    expect([resend.status, again.status]).toEqual([202, 202]);
    const done = await eventually(async () => {
      const gc = await s.store.get(b.id);
      return gc?.status === 'notified' && gc.notifications.length === 4 ? gc : undefined;
    });
    await sleep(300);
    expect(mailTo(newEmail)).toHaveLength(1);
    expect(mailTo(newEmail)[0]!.text).toContain(pin);
    expect(mailTo(b.email)).toHaveLength(1);
    expect(done.active_access_code_id).toBe(told.active_access_code_id);
    expect(codesOf(b.id)).toHaveLength(1);
    const ready = eventsFor(b.id, 'guest_code.ready');
    expect(ready).toHaveLength(2);
    expect(ready[1]!.event!.data).toMatchObject({ guest: { email: newEmail }, pin });
    // Told at the new contact: nothing left to resend.
    const after = await s.api(`/v1/guest-codes/${b.id}/resend`, { method: 'POST' });
    expect(after.status).toBe(409);
    expect(s.logs.text()).not.toContain(pin);
  });

  it('a contact change before the guest was told: the one message goes to the new contact', async () => {
    s.sim.setFaults({ setDelayMs: 1500 });
    const b = await book(24);
    const newEmail = `early-${seq}@guest.example`;
    const res = await patch(b.id, {
      guest: { name: 'Ada', phone: '+44 20 7946 0958', email: newEmail },
    });
    expect(res.status).toBe(200);
    expect(res.body.note).toContain('will be told at the new contact');
    await notifiedAt(b.id, 0);
    await sleep(300);
    expect(mailTo(newEmail)).toHaveLength(1);
    expect(mailTo(b.email)).toHaveLength(0);
  });

  it('a change while the first code is being created waits for it: one code per window, one message', async () => {
    const device = s.sim.devices.igloohome[1]!;
    // The create request is held by Seam for a while: it is in flight when the change comes.
    s.sim.setFaults({ devices: { [device]: { latencyMs: 1500 } } });
    const b = await book(24, { device: 1 });
    await eventually(async () => ((await s.store.get(b.id))?.create_in_flight ? true : undefined));
    s.sim.clearFaults();
    const newEnd = iso(Date.parse(b.ends_at) + 24 * HOUR);

    const res = await patch(b.id, { ends_at: newEnd });
    expect(res.status).toBe(202);
    expect(res.body.guest_code.pending_change).toMatchObject({ n: 1, window: true });
    expect(res.body.note).toContain('applies once that creation finishes');
    // Asked again while it waits: the same answer, nothing new.
    const again = await patch(b.id, { ends_at: newEnd });
    expect(again.status).toBe(200);
    expect(again.body.note).toBe(res.body.note);

    const done = await notifiedAt(b.id, 1);
    const codes = codesOf(b.id);
    expect(codes).toHaveLength(2);
    const ends = codes.map((c) => Date.parse(c.ends_at!)).sort();
    expect(ends).toEqual([Date.parse(b.ends_at), Date.parse(newEnd)]);
    const firstCode = codes.find((c) => Date.parse(c.ends_at!) === Date.parse(b.ends_at))!;
    expect(done.previous_codes).toEqual([
      {
        access_code_id: firstCode.access_code_id,
        valid_until: b.ends_at,
        superseded_at: expect.any(String),
      },
    ]);
    expect(done.pending_change).toBeUndefined();
    expect(done.changes).toHaveLength(1);
    // The guest was never told the first PIN: one message, the new one.
    await sleep(300);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).not.toContain(firstCode.code!);
    expect(mails[0]!.text).toContain(codes.find((c) => c !== firstCode)!.code!);
  });

  it('the same change again is 200 with the same result, and makes nothing', async () => {
    const b = await book(24);
    await notifiedAt(b.id, 0);
    const body = { ends_at: iso(Date.parse(b.ends_at) + 2 * HOUR) };
    const first = await patch(b.id, body);
    expect(first.status).toBe(202);
    // Concurrently too: one change, one code.
    const [second, third] = await Promise.all([patch(b.id, body), patch(b.id, body)]);
    expect([second.status, third.status]).toEqual([200, 200]);
    expect(second.body.note).toBe(first.body.note);
    expect(third.body.guest_code.id).toBe(b.id);
    const done = await notifiedAt(b.id, 1);
    const later = await patch(b.id, body);
    expect(later.status).toBe(200);
    expect(later.body.note).toBe(first.body.note);
    await sleep(300);
    expect(codesOf(b.id)).toHaveLength(2);
    expect(done.changes).toHaveLength(1);
    expect(mailTo(b.email)).toHaveLength(2);
    expect(eventsFor(b.id, 'guest_code.window_changed')).toHaveLength(1);
  });

  it("the new window's code has the first one's safety: a lost create answer is adopted, not made twice", async () => {
    const b = await book(24);
    await notifiedAt(b.id, 0);
    const newEnd = iso(Date.parse(b.ends_at) + 5 * HOUR);
    // Seam stores the new code, then the connection drops before the answer.
    s.sim.setFaults({ dropCreates: 1 });
    const res = await patch(b.id, { ends_at: newEnd });
    expect(res.status).toBe(202);
    const done = await notifiedAt(b.id, 1);
    await sleep(300);
    const fresh = codesOf(b.id).filter((c) => Date.parse(c.ends_at!) === Date.parse(newEnd));
    expect(fresh).toHaveLength(1);
    expect(done.active_access_code_id).toBe(fresh[0]!.access_code_id);
    expect((await s.store.timeline(b.id)).map((t) => t.type)).toContain('adopted');
    expect(mailTo(b.email)).toHaveLength(2);
  });

  it("a new window the lock's limits refuse (igloohome: 3 codes per window) is 422 and changes nothing", async () => {
    const device = s.sim.devices.igloohome[1]!;
    const full = hourlyWindow(2 + 24 * 40, 24);
    for (let i = 0; i < 3; i++) {
      const taken = await s.api('/v1/guest-codes', {
        body: {
          device_id: device,
          guest: { name: 'Other', email: `other-${i}@guest.example` },
          ...full,
          reference: `stay-full-${i}`,
        },
      });
      expect(taken.status).toBe(202);
    }
    // The three are made (each claimed its place on the lock) before the change is asked.
    await eventually(() =>
      s.sim
        .accessCodes()
        .filter(
          (c) =>
            c.device_id === device &&
            c.starts_at &&
            Date.parse(c.starts_at) === Date.parse(full.starts_at),
        ).length === 3
        ? true
        : undefined,
    );
    const b = await book(24, { device: 1 });
    const before = await notifiedAt(b.id, 0);
    const res = await patch(b.id, full);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('igloohome_same_window_limit');
    await sleep(300);
    expect(await s.store.get(b.id)).toEqual(before);
    expect(codesOf(b.id)).toHaveLength(1);
  });

  it('the new code fails and is replaced: the guest still gets one changed-stay message, never told the old PIN stopped', async () => {
    const b = await book(24);
    await notifiedAt(b.id, 0);
    s.sim.setFaults({ failNextSets: 1 });
    const res = await patch(b.id, { ends_at: iso(Date.parse(b.ends_at) + 3 * HOUR) });
    expect(res.status).toBe(202);
    const done = await notifiedAt(b.id, 2);
    expect(done.replacements).toBe(1);
    await sleep(300);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toMatch(/stay has changed/);
    expect(mails[1]!.text).not.toMatch(/no longer work/);
    expect(eventsFor(b.id, 'guest_code.changed')).toHaveLength(1);
    expect(eventsFor(b.id, 'guest_code.replaced')).toHaveLength(0);
  });

  it("a change that breaks the lock's rules is 422 and changes nothing", async () => {
    const b = await book(24);
    const before = await notifiedAt(b.id, 0);
    // 700 hours: past igloohome's 672-hour hourly codes, and more than the hour of rounding
    // '1h' allows away from them.
    const res = await patch(b.id, { ends_at: iso(Date.parse(b.starts_at) + 700 * HOUR) });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('rounding_exceeds_max');
    const bad = await patch(b.id, { ends_at: 'tomorrow', device_id: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      '(body)',
      'ends_at',
    ]);
    await sleep(300);
    const after = await s.store.get(b.id);
    expect(after).toEqual(before);
    expect(codesOf(b.id)).toHaveLength(1);
    expect(eventsFor(b.id, 'guest_code.window_changed')).toHaveLength(0);
  });

  it('a cancelled guest code cannot change (409); an unknown one is 404', async () => {
    const b = await book(24);
    await s.api(`/v1/guest-codes/${b.id}`, { method: 'DELETE' });
    const res = await patch(b.id, { ends_at: iso(Date.parse(b.ends_at) + HOUR) });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'change_not_possible',
      details: [{ field: 'status', status: 'cancelled' }],
    });
    const missing = await patch('gc_00000000-0000-4000-8000-000000000000', { ends_at: b.ends_at });
    expect(missing.status).toBe(404);
  });
});
