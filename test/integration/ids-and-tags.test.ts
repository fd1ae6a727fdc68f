/**
 * Ids and tags. An id that is not `gc_<uuid>` is never looked up (so `x:timeline` cannot read
 * another key: 404, not 500). A create whose answer was lost adopts only the code whose name
 * carries its tag exactly where the service writes it: a code named with the tag somewhere
 * else, or a guest whose free-text name holds another guest code's tag, is never adopted
 * (that guest would be handed another guest's PIN).
 */
import { randomUUID } from 'node:crypto';
import { carriesTag, creationTag } from '../../src/domain/guest-code';
import { createSeamGateway } from '../../src/seam/client';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const CREATE = '/access_codes/create';

describe('guest code ids in the API', () => {
  let s: Stack;
  let id: string;
  beforeAll(async () => {
    s = await startStack();
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Ada', email: 'ada@example.com' },
        ...hourlyWindow(3, 24),
        reference: `ids-${randomUUID()}`,
      },
    });
    expect(res.status).toBe(202);
    id = res.body.guest_code.id as string;
  });
  afterAll(async () => {
    await s.close();
  });

  it('an id of another shape is a 404, never a read of another key (and never a 500)', async () => {
    const bad = [
      'x:timeline',
      `${id}:timeline`,
      encodeURIComponent(`${id}:timeline`),
      'gc_',
      `${id.toUpperCase()}`,
      encodeURIComponent('../gc'),
      'x'.repeat(300),
    ];
    for (const path of bad) {
      for (const method of ['GET', 'DELETE']) {
        const res = await s.api(`/v1/guest-codes/${path}`, { method });
        expect({ path, method, status: res.status, code: res.body?.error?.code }).toEqual({
          path,
          method,
          status: 404,
          code: 'not_found',
        });
      }
    }
    // The real one is still there, and was not cancelled by any of the above.
    const real = await s.api(`/v1/guest-codes/${id}`);
    expect(real.status).toBe(200);
    expect(real.body.guest_code.status).not.toBe('cancelled');
    expect(s.logs.lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });
});

describe('adopting a code after a lost answer', () => {
  let s: Stack;
  beforeAll(async () => {
    // Slow retries: room to put other codes on the lock between the first try and the next.
    s = await startStack({
      sim: { settingAfterMs: 100, setAfterMs: 300 },
      env: { SEAM_RETRY_BASE_MS: '3000', SEAM_RETRY_MAX_MS: '3000' },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it("adopts only its own tag at the end of the name: not a code naming it elsewhere, not a guest's name", async () => {
    const device = s.sim.devices.igloohome[0]!;
    const window = hourlyWindow(4, 24);
    // A's first create is answered 503 without being stored: its outcome is unknown to A.
    s.sim.setFaults({ createErrors: { count: 1, status: 503 } });
    s.sim.resetCounts();
    const a = await s.api('/v1/guest-codes', {
      body: {
        device_id: device,
        guest: { name: 'Ada', email: 'ada@example.com' },
        ...window,
        reference: `tag-a-${randomUUID()}`,
      },
    });
    expect(a.status).toBe(202);
    const aId = a.body.guest_code.id as string;
    const aTag = creationTag(aId, 0);
    await eventually(async () => {
      const gc = await s.store.get(aId);
      return (s.sim.requestCounts()[CREATE] ?? 0) >= 1 && gc?.create_in_flight ? gc : undefined;
    }, 10_000);

    // While A waits to retry: a code made outside the service that names A's tag, not at the
    // end...
    const seam = createSeamGateway({ apiKey: s.sim.apiKey, endpoint: s.sim.url });
    const planted = await seam.createOfflineAccessCode({
      device_id: device,
      name: `Spare [${aTag}] (front desk)`,
      starts_at: window.starts_at,
      ends_at: window.ends_at,
      is_one_time_use: false,
      max_time_rounding: '1hour',
    });
    // ...and another guest whose name is A's tag.
    const b = await s.api('/v1/guest-codes', {
      body: {
        device_id: device,
        guest: { name: `Mallory [${aTag}]`, email: 'mallory@example.com' },
        ...window,
        reference: `tag-b-${randomUUID()}`,
      },
    });
    expect(b.status).toBe(202);
    const bId = b.body.guest_code.id as string;

    const done = async (gcId: string) =>
      eventually(async () => {
        const gc = await s.store.get(gcId);
        return gc?.status === 'notified' ? gc : undefined;
      }, 20_000);
    const [aDone, bDone] = [await done(aId), await done(bId)];

    // Three codes on the lock, each its own: A created one of its own.
    const codes = s.sim.accessCodes().filter((c) => c.device_id === device);
    const aCode = codes.find((c) => c.access_code_id === aDone.active_access_code_id)!;
    const bCode = codes.find((c) => c.access_code_id === bDone.active_access_code_id)!;
    expect(aCode.access_code_id).not.toBe(planted.access_code_id);
    expect(aCode.access_code_id).not.toBe(bCode.access_code_id);
    expect(carriesTag(aCode.name!, aTag)).toBe(true);
    // B's name kept none of the brackets that would have made it look like A's tag.
    expect(carriesTag(bCode.name!, aTag)).toBe(false);
    expect(bCode.name).toBe(`Mallory gc:${aId}:0 [${creationTag(bId, 0)}]`);
    // Each guest got their own PIN.
    const mailTo = (to: string) => s.smtp.messages.filter((m) => m.rcptTo.includes(to));
    expect(mailTo('ada@example.com')).toHaveLength(1);
    expect(mailTo('ada@example.com')[0]!.text).toContain(aCode.code!);
    expect(mailTo('mallory@example.com')[0]!.text).toContain(bCode.code!);
    expect(aCode.code).not.toBe(bCode.code);
  }, 40_000);
});
