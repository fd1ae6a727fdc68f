/**
 * The API reads the same everywhere: the outbound delivery id has one prefix, a 202 names the
 * new resource in `Location`, every instant is ISO 8601 with an offset, and the README's list
 * of error codes is what the API can answer.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dereference } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { eventually } from '../../devkit/eventually';
import { API_TOKEN, hourlyWindow, startStack, type Stack } from '../helpers/stack';

/** ISO 8601 with a date, a time and an offset (Z or ±hh:mm). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Every string in `value` that looks like a date-time, or sits under a key naming an instant. */
function instants(value: unknown, at = '$'): { at: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => instants(v, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = `${at}.${k}`;
    const named = /(_at|^at|^timestamp|_since)$/.test(k);
    const looks = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]/.test(v);
    return [
      ...(looks || (named && v !== null && typeof v !== 'object') ? [{ at: here, value: v }] : []),
      ...instants(v, here),
    ];
  });
}

describe('a consistent API', () => {
  let s: Stack;
  let igloo: string;
  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
    igloo = s.sim.devices.igloohome[0]!;
  });
  afterAll(async () => {
    await s.close();
  });

  it('the outbound delivery id is the guest code id once, then the access code id', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: igloo,
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: `delivery-id-${randomUUID().slice(0, 8)}`,
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    const ready = await eventually(async () =>
      s.notifyReceiver.received.find(
        (r) =>
          r.event?.type === 'guest_code.ready' &&
          (r.event as { data: { guest_code_id: string } }).data.guest_code_id === id,
      ),
    );
    const acId = (ready.event as { data: { access_code_id: string } }).data.access_code_id;
    expect(ready.headers['webhook-id']).toBe(`${id}_${acId}`);
    expect(ready.headers['svix-id']).toBe(ready.headers['webhook-id']);
    expect(ready.headers['webhook-id']).not.toMatch(/^gc_gc_/);
  });

  it('answers 202 with Location naming the new guest code, and spells max_time_rounding one way', async () => {
    const res = await fetch(`${s.url}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: igloo,
        guest: { name: 'Loc', email: 'loc@example.com' },
        reference: `location-${randomUUID().slice(0, 8)}`,
        max_time_rounding: '1h',
        ...hourlyWindow(5, 24),
      }),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      guest_code: { id: string; requested: { max_time_rounding: string } };
    };
    expect(res.headers.get('location')).toBe(`/v1/guest-codes/${body.guest_code.id}`);
    expect(body.guest_code.requested.max_time_rounding).toBe('1hour');
    const followed = await s.api(res.headers.get('location')!);
    expect(followed.status).toBe(200);
    expect(followed.body.guest_code.id).toBe(body.guest_code.id);
  });

  it('writes every instant as ISO 8601 with an offset, and every error.details as a list', async () => {
    const reference = `instants-${randomUUID().slice(0, 8)}`;
    const created = await s.api('/v1/guest-codes', {
      body: {
        device_id: igloo,
        guest: { name: 'Iso', email: 'iso@example.com' },
        reference,
        starts_at: '2027-03-01T15:30:00+01:00',
        ends_at: '2027-03-03T11:00:00+01:00',
      },
    });
    expect(created.status).toBe(202);
    const id = created.body.guest_code.id as string;
    await eventually(
      async () => ((await s.store.get(id))?.status === 'notified' ? true : undefined),
      10_000,
    );
    const dorma = s.sim.devices.dormakaba[0]!;
    const answers: unknown[] = [
      created.body,
      (await s.api(`/v1/guest-codes/${id}`)).body,
      (await s.api('/v1/guest-codes?limit=5')).body,
      (await s.api('/v1/guest-codes?stuck=true')).body,
      ...s.notifyReceiver.received.map((r) => r.event),
    ];
    const errors = [
      await s.api('/v1/guest-codes', { body: { device_id: igloo } }),
      await s.api('/v1/guest-codes', {
        body: {
          device_id: dorma,
          guest: { name: 'D', email: 'd@example.com' },
          reference: `${reference}-d`,
          starts_at: '2027-03-01T05:17:00Z',
          ends_at: '2027-03-03T02:00:00Z',
        },
      }),
      await s.api('/v1/guest-codes', {
        body: {
          device_id: igloo,
          guest: { name: 'P', email: 'p@example.com' },
          reference: `${reference}-p`,
          ...hourlyWindow(-48, 24),
        },
      }),
      await s.api('/v1/guest-codes', {
        body: {
          device_id: igloo,
          guest: { name: 'Else', email: 'else@example.com' },
          reference,
          starts_at: '2027-03-01T15:30:00+01:00',
          ends_at: '2027-03-03T11:00:00+01:00',
        },
      }),
      await s.api(`/v1/guest-codes/${id}/resend`, { method: 'POST' }),
      await s.api('/v1/guest-codes/gc_00000000-0000-0000-0000-000000000000'),
      await s.api('/v1/guest-codes?limit=0'),
      await s.api('/v1/guest-codes', { token: 'wrong-token-0123456789abcdef-0123456789' }),
      await s.api('/v1/nothing-here'),
    ];
    expect(errors.map((e) => e.status)).toEqual([400, 422, 422, 409, 409, 404, 400, 401, 404]);
    for (const e of errors) {
      const details = e.body.error.details as unknown;
      expect({ status: e.status, isList: Array.isArray(details) }).toEqual({
        status: e.status,
        isList: true,
      });
      for (const d of details as { message: unknown }[]) expect(typeof d.message).toBe('string');
      answers.push(e.body);
    }
    const found = answers.flatMap((a) => instants(a));
    expect(found.length).toBeGreaterThan(20);
    const bad = found.filter((f) => typeof f.value !== 'string' || !INSTANT.test(f.value));
    expect(bad).toEqual([]);
  });

  it('describes the outbound guest_code.* events under webhooks, and real ones fit', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as OpenAPIV3_1.Document;
    const resolved = await dereference(structuredClone(doc));
    expect(Object.keys(doc.webhooks ?? {}).sort()).toEqual([
      'guest_code.alert',
      'guest_code.changed',
      'guest_code.failed',
      'guest_code.ready',
      'guest_code.replaced',
      'guest_code.window_changed',
      'stay.ready',
    ]);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const op = (type: string) => (resolved.webhooks![type] as OpenAPIV3_1.PathItemObject).post!;
    for (const type of Object.keys(doc.webhooks!)) {
      const headers = (op(type).parameters as OpenAPIV3_1.ParameterObject[])
        .map((p) => p.name)
        .sort();
      expect(headers).toEqual([
        'svix-id',
        'svix-signature',
        'svix-timestamp',
        'webhook-id',
        'webhook-signature',
        'webhook-timestamp',
      ]);
      const signature = (op(type).parameters as OpenAPIV3_1.ParameterObject[]).find(
        (p) => p.name === 'webhook-signature',
      )!;
      expect(signature.description).toMatch(/HMAC-SHA256/);
    }
    // A refused address ends a guest code undelivered: guest_code.failed goes out too.
    s.smtp.rejectRcpt({ code: 550, message: 'no such user' });
    const refused = await s.api('/v1/guest-codes', {
      body: {
        device_id: igloo,
        guest: { name: 'Nope', email: 'nope@example.com' },
        reference: `refused-${randomUUID().slice(0, 8)}`,
        ...hourlyWindow(7, 24),
      },
    });
    await eventually(
      async () =>
        s.notifyReceiver.received.find(
          (r) =>
            r.event?.type === 'guest_code.failed' &&
            (r.event as { data: { guest_code_id: string } }).data.guest_code_id ===
              refused.body.guest_code.id,
        ),
      10_000,
    );
    s.smtp.rejectRcpt(undefined);
    // A stay that changes after its guest was told: guest_code.changed and .window_changed.
    const stay = hourlyWindow(9, 24);
    const booked = await s.api('/v1/guest-codes', {
      body: {
        device_id: igloo,
        guest: { name: 'Mover', email: 'mover@example.com' },
        reference: `moved-${randomUUID().slice(0, 8)}`,
        ...stay,
      },
    });
    const movedId = booked.body.guest_code.id as string;
    const delivered = (type: string) =>
      s.notifyReceiver.received.find(
        (r) =>
          r.event?.type === type &&
          (r.event as { data: { guest_code_id: string } }).data.guest_code_id === movedId,
      );
    await eventually(async () => delivered('guest_code.ready'), 10_000);
    const moved = await s.api(`/v1/guest-codes/${movedId}`, {
      method: 'PATCH',
      body: { ends_at: new Date(Date.parse(stay.ends_at) + 3600_000).toISOString() },
    });
    expect(moved.status).toBe(202);
    await eventually(async () => delivered('guest_code.window_changed'), 10_000);
    await eventually(async () => delivered('guest_code.changed'), 10_000);
    // A stay with two doors: one stay.ready with both.
    const twoDoors = await s.api('/v1/guest-codes', {
      body: {
        device_ids: [igloo, s.sim.devices.igloohome[1]!],
        guest: { name: 'Two Doors', email: 'doors@example.com' },
        reference: `doors-${randomUUID().slice(0, 8)}`,
        ...hourlyWindow(11, 24),
      },
    });
    expect(twoDoors.status).toBe(202);
    await eventually(
      async () =>
        s.notifyReceiver.received.find(
          (r) =>
            r.event?.type === 'stay.ready' &&
            (r.event as { data: { stay_id: string } }).data.stay_id === twoDoors.body.stay.id,
        ),
      10_000,
    );
    const seen = new Set<string>();
    for (const r of s.notifyReceiver.received.filter((x) => x.verified)) {
      const type = String(r.event!.type);
      seen.add(type);
      const schema = (op(type).requestBody as OpenAPIV3_1.RequestBodyObject).content[
        'application/json'
      ]!.schema!;
      const check = ajv.compile(schema);
      if (!check(r.event)) throw new Error(`${type} does not fit: ${JSON.stringify(check.errors)}`);
    }
    expect([...seen].sort()).toEqual([
      'guest_code.changed',
      'guest_code.failed',
      'guest_code.ready',
      'guest_code.window_changed',
      'stay.ready',
    ]);
  });

  it("keeps the docs' error-code tables and the codes the API answers in step", async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as OpenAPIV3_1.Document;
    const resolved = await dereference(structuredClone(doc));
    // Every error code the document lists, from the enums of error.code per status.
    const fromApi = new Set<string>();
    for (const item of Object.values(resolved.paths ?? {})) {
      for (const op of Object.values(item ?? {}) as OpenAPIV3_1.OperationObject[]) {
        for (const [status, answer] of Object.entries(op?.responses ?? {})) {
          if (!/^[45]/.test(status)) continue;
          const schema = (answer as OpenAPIV3_1.ResponseObject).content?.['application/json']
            ?.schema as
            | {
                properties?: {
                  error?: { properties?: { code?: { enum?: string[]; const?: string } } };
                };
              }
            | undefined;
          const code = schema?.properties?.error?.properties?.code;
          expect({ at: `${status}`, listed: !!(code?.enum ?? code?.const) }).toEqual({
            at: `${status}`,
            listed: true,
          });
          for (const c of code?.enum ?? [code!.const!]) fromApi.add(c);
        }
      }
    }
    const root = path.join(__dirname, '../..');
    const docsDir = path.join(root, 'docs');
    const files = [
      path.join(root, 'README.md'),
      ...readdirSync(docsDir)
        .filter((f) => f.endsWith('.md'))
        .map((f) => path.join(docsDir, f)),
    ];
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    // The error tables: rows of the `| status | error.code | when |` tables and of the 422 list.
    const fromDocs = new Set<string>();
    // Which cell holds the codes: the second in a status table, the first in the 422 list.
    let codeCell: number | undefined;
    for (const line of text.split('\n')) {
      if (/^\|\s*status\s*\|\s*`error\.code`/.test(line)) codeCell = 2;
      else if (/^\|\s*422 `error\.code`/.test(line)) codeCell = 1;
      else if (!line.startsWith('|')) codeCell = undefined;
      else if (codeCell !== undefined) {
        const cell = line.split('|')[codeCell] ?? '';
        for (const m of cell.matchAll(/`([a-z][a-z0-9_]*)`/g)) fromDocs.add(m[1]!);
      }
    }
    expect([...fromApi].filter((c) => !fromDocs.has(c)).sort()).toEqual([]);
    expect([...fromDocs].filter((c) => !fromApi.has(c)).sort()).toEqual([]);
  });
});
