/**
 * /openapi.json cannot drift from the code: it is served by the running service without auth,
 * is valid OpenAPI 3.1, lists exactly the routes the public routers register, every documented
 * operation is served, and the real answers of a provisioning flow (and the webhook) validate
 * against the documented schema for their status, with every status they answer documented.
 */
import { randomUUID } from 'node:crypto';
import { compileErrors, dereference, validate } from '@readme/openapi-parser';
import type { Router } from 'express';
import type { OpenAPIV3_1 } from 'openapi-types';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { deviceRoutes } from '../../src/http/device-routes';
import { guestCodeRoutes } from '../../src/http/guest-code-routes';
import { webhookRoutes } from '../../src/http/webhook-routes';
import { eventually } from '../../devkit/eventually';
import { API_TOKEN, hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { accessCodeEvent, newWebhookSecret, signDelivery } from '../../devkit/svix';

type Doc = OpenAPIV3_1.Document;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** JSON Schema 2020-12, the dialect of OpenAPI 3.1. */
function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Every `METHOD /path` a router registers, in OpenAPI's path syntax. */
function registeredRoutes(router: Router): string[] {
  const out: string[] = [];
  const stack = (router as unknown as { stack: { route?: { path: string; methods: object } }[] })
    .stack;
  for (const layer of stack) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods))
      out.push(`${method.toUpperCase()} ${path}`);
  }
  return out;
}

describe('OpenAPI document (GET /openapi.json)', () => {
  let s: Stack;
  let doc: Doc;
  let resolved: Doc;
  let ajv: Ajv2020;
  let igloo: string;

  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
    igloo = s.sim.devices.igloohome[0]!;
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Doc;
    resolved = await dereference(structuredClone(doc));
    ajv = newAjv();
  });
  afterAll(async () => {
    await s.close();
  });

  const operation = (method: Method, path: string) => {
    const op = resolved.paths?.[path]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return op;
  };

  /** Fails unless the status is documented for the operation and the body fits its schema. */
  function expectDocumented(method: Method, path: string, status: number, body: unknown): void {
    const documented = operation(method, path).responses?.[String(status)] as
      OpenAPIV3_1.ResponseObject | undefined;
    if (!documented) {
      throw new Error(`${method.toUpperCase()} ${path} answered ${status}: not documented`);
    }
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method.toUpperCase()} ${path} ${status}: no JSON schema`);
    const check = ajv.compile(schema);
    if (!check(body)) {
      throw new Error(
        `${method.toUpperCase()} ${path} ${status}: body does not fit the documented schema: ` +
          `${JSON.stringify(check.errors, null, 1)}\nbody: ${JSON.stringify(body)}`,
      );
    }
  }

  function expectValidRequest(body: unknown, valid: boolean): void {
    const content = (
      operation('post', '/v1/guest-codes').requestBody as OpenAPIV3_1.RequestBodyObject
    ).content['application/json']!;
    const check = ajv.compile(content.schema!);
    expect({ body, valid: check(body) }).toEqual({ body, valid });
  }

  async function call(
    method: Method,
    path: string,
    opts: { body?: string | object; auth?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const auth = opts.auth === undefined ? `Bearer ${API_TOKEN}` : opts.auth;
    const res = await fetch(`${s.url}${path}`, {
      method: method.toUpperCase(),
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: auth } : {}),
        ...opts.headers,
      },
      body:
        opts.body === undefined
          ? undefined
          : typeof opts.body === 'string'
            ? opts.body
            : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.specification).toBe('OpenAPI');
  });

  it('documents exactly the routes the public routers register', () => {
    // Routes are registered when a router is built; its dependencies are only used per request.
    const routers = [
      guestCodeRoutes({ token: API_TOKEN, deps: {} as never, store: {} as never }),
      deviceRoutes({ token: API_TOKEN, seam: {} as never }),
      webhookRoutes({
        secret: newWebhookSecret(),
        bodyLimitBytes: 1024,
        deps: {} as never,
        metrics: {} as never,
        logger: {} as never,
      }),
    ];
    const registered = routers.flatMap(registeredRoutes).sort();
    const documented = Object.entries(doc.paths ?? {})
      .flatMap(([path, item]) =>
        (['get', 'post', 'put', 'patch', 'delete'] as const)
          .filter((m) => item?.[m])
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    expect(documented).toEqual(registered);
    expect(registered).toEqual(
      expect.arrayContaining(['POST /v1/guest-codes', 'POST /webhooks/seam']),
    );
  });

  it('every documented operation is served (not the 404 for unknown endpoints)', async () => {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        if (!item?.[method]) continue;
        const res = await call(method, path.replace(/\{\w+\}/g, 'drift-check'), {
          body: method === 'post' ? {} : undefined,
        });
        const message = (res.body as { error?: { message?: string } } | undefined)?.error?.message;
        expect({ route: `${method} ${path}`, message }).not.toEqual({
          route: `${method} ${path}`,
          message: 'no such endpoint',
        });
      }
    }
    // The probe itself: an undocumented path gets that 404.
    const unknown = await call('get', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { message: 'no such endpoint' } });
  });

  it('the answers of a stay with several doors fit the documented schemas', async () => {
    const reference = `drift-doors-${randomUUID().slice(0, 8)}`;
    const window = hourlyWindow(5, 24);
    const request = {
      device_ids: [igloo, s.sim.devices.igloohome[1]!],
      reference,
      guest: { name: 'Drift Doors', email: 'drift-doors@example.com' },
      ...window,
    };
    expectValidRequest(request, true);
    expectValidRequest({ ...request, device_id: igloo }, false);
    const created = await call('post', '/v1/guest-codes', { body: request });
    expect(created.status).toBe(202);
    expectDocumented('post', '/v1/guest-codes', 202, created.body);
    const id = (created.body as { stay: { id: string } }).stay.id;
    expect(created.headers.get('location')).toBe(`/v1/stays/${id}`);
    const repeat = await call('post', '/v1/guest-codes', { body: request });
    expect(repeat.status).toBe(200);
    expectDocumented('post', '/v1/guest-codes', 200, repeat.body);
    const conflict = await call('post', '/v1/guest-codes', {
      body: { ...request, guest: { name: 'Else', email: 'else@example.com' } },
    });
    expect(conflict.status).toBe(409);
    expectDocumented('post', '/v1/guest-codes', 409, conflict.body);
    const refused = await call('post', '/v1/guest-codes', {
      body: {
        ...request,
        reference: `${reference}-refused`,
        device_ids: [igloo, s.sim.devices.dormakaba[0]!],
        is_one_time_use: true,
      },
    });
    expect(refused.status).toBe(422);
    expectDocumented('post', '/v1/guest-codes', 422, refused.body);
    const got = await call('get', `/v1/stays/${id}`);
    expect(got.status).toBe(200);
    expectDocumented('get', '/v1/stays/{id}', 200, got.body);
    const badPatch = await call('patch', `/v1/stays/${id}`, {
      body: { ends_at: window.starts_at },
    });
    expect(badPatch.status).toBe(422);
    expectDocumented('patch', '/v1/stays/{id}', 422, badPatch.body);
    const patched = await call('patch', `/v1/stays/${id}`, {
      body: { ends_at: new Date(Date.parse(window.ends_at) + 3600_000).toISOString() },
    });
    expect(patched.status).toBe(202);
    expectDocumented('patch', '/v1/stays/{id}', 202, patched.body);
    const cancelled = await call('delete', `/v1/stays/${id}`);
    expect(cancelled.status).toBe(200);
    expectDocumented('delete', '/v1/stays/{id}', 200, cancelled.body);
    const missing = await call('get', '/v1/stays/st_00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expectDocumented('get', '/v1/stays/{id}', 404, missing.body);
  });

  it('the answers of a provisioning flow fit the documented schemas', async () => {
    const reference = `drift-${randomUUID().slice(0, 8)}`;
    const request = {
      device_id: igloo,
      reference,
      guest: { name: 'Drift Check', email: 'drift@example.com' },
      ...hourlyWindow(3, 24),
    };
    expectValidRequest(request, true);

    const created = await call('post', '/v1/guest-codes', { body: request });
    expect(created.status).toBe(202);
    expectDocumented('post', '/v1/guest-codes', 202, created.body);
    const id = (created.body as { guest_code: { id: string } }).guest_code.id;

    const repeat = await call('post', '/v1/guest-codes', { body: request });
    expect(repeat.status).toBe(200);
    expectDocumented('post', '/v1/guest-codes', 200, repeat.body);

    const conflict = await call('post', '/v1/guest-codes', {
      body: { ...request, guest: { name: 'Someone Else', email: 'else@example.com' } },
    });
    expect(conflict.status).toBe(409);
    expectDocumented('post', '/v1/guest-codes', 409, conflict.body);

    const malformed = { ...request, reference: 'has spaces', colour: 'blue' };
    expectValidRequest(malformed, false);
    const invalid = await call('post', '/v1/guest-codes', { body: malformed });
    expect(invalid.status).toBe(400);
    expectDocumented('post', '/v1/guest-codes', 400, invalid.body);

    const notJson = await call('post', '/v1/guest-codes', { body: '{"device_id": ' });
    expect(notJson.status).toBe(400);
    expectDocumented('post', '/v1/guest-codes', 400, notJson.body);

    const tooLarge = await call('post', '/v1/guest-codes', {
      body: { ...request, padding: 'x'.repeat(20_000) },
    });
    expect(tooLarge.status).toBe(413);
    expectDocumented('post', '/v1/guest-codes', 413, tooLarge.body);

    const unreadable = await call('post', '/v1/guest-codes', {
      body: request,
      headers: { 'content-encoding': 'x-unknown' },
    });
    expect(unreadable.status).toBe(415);
    expectDocumented('post', '/v1/guest-codes', 415, unreadable.body);

    for (const auth of [null, 'Bearer wrong-token-0123456789', 'Basic ' + btoa(`ops:nope`)]) {
      const denied = await call('post', '/v1/guest-codes', { body: request, auth });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toMatch(/Basic realm=/);
      expectDocumented('post', '/v1/guest-codes', 401, denied.body);
    }
    // Basic with the token as the password is the documented second scheme.
    const basic = await call('get', `/v1/guest-codes/${id}`, {
      auth: 'Basic ' + btoa(`ops:${API_TOKEN}`),
    });
    expect(basic.status).toBe(200);

    const noDevice = await call('post', '/v1/guest-codes', {
      body: { ...request, reference: `${reference}-nodevice`, device_id: 'no-such-device' },
    });
    expect(noDevice.status).toBe(404);
    expectDocumented('post', '/v1/guest-codes', 404, noDevice.body);

    const past = await call('post', '/v1/guest-codes', {
      body: { ...request, reference: `${reference}-past`, ...hourlyWindow(-48, 24) },
    });
    expect(past.status).toBe(422);
    expectDocumented('post', '/v1/guest-codes', 422, past.body);

    // Once the code is set and the guest told, the record has access codes, notifications and
    // a timeline: the richest answer the schema has to describe.
    await eventually(
      async () => ((await s.store.get(id))?.status === 'notified' ? true : undefined),
      15_000,
    );
    const byId = await call('get', `/v1/guest-codes/${id}`);
    expect(byId.status).toBe(200);
    const record = (byId.body as { guest_code: Record<string, unknown[]> }).guest_code;
    expect(record.access_codes!.length).toBeGreaterThan(0);
    expect(record.notifications!.length).toBeGreaterThan(0);
    expect(record.timeline!.length).toBeGreaterThan(0);
    expectDocumented('get', '/v1/guest-codes/{id}', 200, byId.body);

    const byRef = await call('get', `/v1/guest-codes?reference=${reference}`);
    expect(byRef.status).toBe(200);
    expectDocumented('get', '/v1/guest-codes', 200, byRef.body);
    const list = await call('get', '/v1/guest-codes?limit=1');
    expect(list.status).toBe(200);
    expectDocumented('get', '/v1/guest-codes', 200, list.body);
    const stuck = await call('get', '/v1/guest-codes?stuck=true&status=requested');
    expect(stuck.status).toBe(200);
    expectDocumented('get', '/v1/guest-codes', 200, stuck.body);
    const badQuery = await call('get', '/v1/guest-codes?limit=0&colour=blue');
    expect(badQuery.status).toBe(400);
    expectDocumented('get', '/v1/guest-codes', 400, badQuery.body);
    const unknownRef = await call('get', '/v1/guest-codes?reference=nobody-has-this');
    expect(unknownRef.status).toBe(404);
    expectDocumented('get', '/v1/guest-codes', 404, unknownRef.body);
    const unknownId = await call('get', '/v1/guest-codes/nobody-has-this');
    expect(unknownId.status).toBe(404);
    expectDocumented('get', '/v1/guest-codes/{id}', 404, unknownId.body);
    const deniedRead = await call('get', `/v1/guest-codes/${id}`, { auth: null });
    expect(deniedRead.status).toBe(401);
    expectDocumented('get', '/v1/guest-codes/{id}', 401, deniedRead.body);

    // Resend: nothing to resend for a notified code (409), an unknown one (404), and an
    // undelivered one (the relay refused the address, then accepts it): 202.
    const notNeeded = await call('post', `/v1/guest-codes/${id}/resend`);
    expect(notNeeded.status).toBe(409);
    expectDocumented('post', '/v1/guest-codes/{id}/resend', 409, notNeeded.body);
    const resendUnknown = await call('post', '/v1/guest-codes/nobody-has-this/resend');
    expect(resendUnknown.status).toBe(404);
    expectDocumented('post', '/v1/guest-codes/{id}/resend', 404, resendUnknown.body);
    s.smtp.rejectRcpt({ code: 550, message: 'no such user' });
    const refused = await call('post', '/v1/guest-codes', {
      body: { ...request, reference: `${reference}-refused` },
    });
    const refusedId = (refused.body as { guest_code: { id: string } }).guest_code.id;
    await eventually(
      async () => ((await s.store.get(refusedId))?.status === 'undelivered' ? true : undefined),
      15_000,
    );
    const undelivered = await call('get', `/v1/guest-codes/${refusedId}`);
    expectDocumented('get', '/v1/guest-codes/{id}', 200, undelivered.body);
    s.smtp.rejectRcpt(undefined);
    const resent = await call('post', `/v1/guest-codes/${refusedId}/resend`);
    expect(resent.status).toBe(202);
    expectDocumented('post', '/v1/guest-codes/{id}/resend', 202, resent.body);

    // Change the stay: a contact (200, offers a resend), a new window (202, previous_codes),
    // the same again (200), a malformed body (400), a window against the rules (422), an
    // unknown code (404); once cancelled, 409.
    const contact = await call('patch', `/v1/guest-codes/${id}`, {
      body: { guest: { name: 'Ada', email: `moved-${reference}@example.com` } },
    });
    expect(contact.status).toBe(200);
    expectDocumented('patch', '/v1/guest-codes/{id}', 200, contact.body);
    const longer = {
      ends_at: new Date(Date.parse(request.ends_at) + 3600_000).toISOString(),
    };
    const changed = await call('patch', `/v1/guest-codes/${id}`, { body: longer });
    expect(changed.status).toBe(202);
    expectDocumented('patch', '/v1/guest-codes/{id}', 202, changed.body);
    const sameAgain = await call('patch', `/v1/guest-codes/${id}`, { body: longer });
    expect(sameAgain.status).toBe(200);
    expectDocumented('patch', '/v1/guest-codes/{id}', 200, sameAgain.body);
    const malformedChange = await call('patch', `/v1/guest-codes/${id}`, { body: { x: 1 } });
    expect(malformedChange.status).toBe(400);
    expectDocumented('patch', '/v1/guest-codes/{id}', 400, malformedChange.body);
    const brokenChange = await call('patch', `/v1/guest-codes/${id}`, {
      body: { ends_at: request.starts_at },
    });
    expect(brokenChange.status).toBe(422);
    expectDocumented('patch', '/v1/guest-codes/{id}', 422, brokenChange.body);
    const changeUnknown = await call('patch', '/v1/guest-codes/nobody-has-this', { body: longer });
    expect(changeUnknown.status).toBe(404);
    expectDocumented('patch', '/v1/guest-codes/{id}', 404, changeUnknown.body);

    for (let i = 0; i < 2; i++) {
      const cancelled = await call('delete', `/v1/guest-codes/${id}`);
      expect(cancelled.status).toBe(200);
      expectDocumented('delete', '/v1/guest-codes/{id}', 200, cancelled.body);
    }
    const changeCancelled = await call('patch', `/v1/guest-codes/${id}`, { body: longer });
    expect(changeCancelled.status).toBe(409);
    expectDocumented('patch', '/v1/guest-codes/{id}', 409, changeCancelled.body);
    const cancelUnknown = await call('delete', '/v1/guest-codes/nobody-has-this');
    expect(cancelUnknown.status).toBe(404);
    expectDocumented('delete', '/v1/guest-codes/{id}', 404, cancelUnknown.body);
  });

  it('the answers of the webhook endpoint fit the documented schemas', async () => {
    const payload = accessCodeEvent({ device_id: igloo });
    const delivery = signDelivery(s.sim.webhookSecret, payload);
    for (const expected of ['accepted', 'duplicate']) {
      const res = await call('post', '/webhooks/seam', {
        body: delivery.body,
        headers: delivery.headers,
        auth: null,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true, outcome: expected });
      expectDocumented('post', '/webhooks/seam', 200, res.body);
    }

    // The unbranded webhook-* headers are documented alternates of svix-*.
    const unbranded = signDelivery(s.sim.webhookSecret, accessCodeEvent({ device_id: igloo }));
    const alt = await call('post', '/webhooks/seam', {
      body: unbranded.body,
      auth: null,
      headers: {
        'webhook-id': unbranded.headers['svix-id']!,
        'webhook-timestamp': unbranded.headers['svix-timestamp']!,
        'webhook-signature': unbranded.headers['svix-signature']!,
      },
    });
    expect(alt.status).toBe(200);
    expectDocumented('post', '/webhooks/seam', 200, alt.body);
    const headerNames = (operation('post', '/webhooks/seam').parameters ?? [])
      .map((p) => (p as OpenAPIV3_1.ParameterObject).name)
      .sort();
    expect(headerNames).toEqual(
      [
        'svix-id',
        'svix-signature',
        'svix-timestamp',
        'webhook-id',
        'webhook-signature',
        'webhook-timestamp',
      ].sort(),
    );

    const forged = await call('post', '/webhooks/seam', { body: delivery.body, auth: null });
    expect(forged.status).toBe(401);
    expectDocumented('post', '/webhooks/seam', 401, forged.body);

    const huge = signDelivery(s.sim.webhookSecret, {
      ...payload,
      padding: 'x'.repeat(s.config.WEBHOOK_BODY_LIMIT_BYTES),
    });
    const tooLarge = await call('post', '/webhooks/seam', {
      body: huge.body,
      headers: huge.headers,
      auth: null,
    });
    expect(tooLarge.status).toBe(413);
    expectDocumented('post', '/webhooks/seam', 413, tooLarge.body);
  });

  it('documents the security schemes on every provisioning operation and none on the webhook', () => {
    expect(doc.components?.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of ['get', 'post', 'delete'] as const) {
        const op = item?.[method];
        if (!op) continue;
        if (path.startsWith('/v1/')) {
          expect(op.security).toEqual([{ bearerAuth: [] }, { basicAuth: [] }]);
          expect(Object.keys(op.responses ?? {})).toEqual(expect.arrayContaining(['401', '503']));
        } else {
          expect(op.security).toEqual([]);
        }
      }
    }
  });
});
