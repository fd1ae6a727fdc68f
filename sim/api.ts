/**
 * The Seam routes the simulator answers itself instead of the fake: access code create / get /
 * list (the fake drops the offline fields, and its list ignores device_id) and events/list
 * (the fake's access_code_id filter is broken). Every other route goes to the fake.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '@seamapi/fake-seam-connect';
import type { CodeStore, NewAccessCode, SimAccessCode } from './codes';
import type { EventLog } from './events';
import type { FaultState } from './faults';
import type { Lifecycle } from './lifecycle';
import { checkCreate, type RuleDevice } from './rules';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A create request as received (a `code` in it, i.e. an online PIN, is left out). */
export interface CreateRequestLog {
  at: string;
  body: Record<string, unknown>;
}

export interface ApiContext {
  db: Database;
  store: CodeStore;
  /** Every create request received, in order. */
  createRequests: CreateRequestLog[];
  events: EventLog;
  lifecycle: Lifecycle;
  faults: FaultState;
  /** Stores and delivers an access-code event. */
  emit(eventType: string, code: SimAccessCode, extra?: Record<string, unknown>): void;
}

export type RouteHandler = (params: unknown, workspaceId: string) => ApiResponse;

export const errorResponse = (status: number, type: string, message: string): ApiResponse => ({
  status,
  body: { error: { type, message } },
});

const ok = (body: Record<string, unknown>): ApiResponse => ({
  status: 200,
  body: { ...body, ok: true },
});

/** Resolves the workspace of a `Bearer <api key>` header, as the fake does. */
export function authenticate(
  db: Database,
  authorization: string | undefined,
): string | ApiResponse {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (!token) return errorResponse(401, 'unauthorized', 'No token provided');
  const key = db.api_keys.find((k) => k.token === token);
  if (!key) return errorResponse(401, 'unauthorized', 'API Key not found');
  return key.workspace_id;
}

const stringList = z.union([z.array(z.string()), z.string().transform((s) => s.split(','))]);

const createBody = z.object({
  device_id: z.string(),
  name: z.string().optional(),
  code: z.string().optional(),
  starts_at: z.string().optional(),
  ends_at: z.string().optional(),
  is_offline_access_code: z.boolean().optional(),
  // Older name of is_offline_access_code, still accepted by Seam.
  use_offline_access_code: z.boolean().optional(),
  is_one_time_use: z.boolean().optional(),
  max_time_rounding: z.string().optional(),
  preferred_code_length: z.number().int().min(4).max(9).optional(),
});

const getParams = z.object({ access_code_id: z.string(), device_id: z.string().optional() });

const listParams = z
  .object({
    device_id: z.string().optional(),
    access_code_ids: stringList.optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .refine(
    (p) => p.device_id || p.access_code_ids,
    "Either 'device_id' or 'access_code_ids' is required",
  );

const eventsParams = z
  .object({
    since: z.string().optional(),
    between: z.array(z.string()).length(2).optional(),
    event_type: z.string().optional(),
    event_types: stringList.optional(),
    access_code_id: z.string().optional(),
    access_code_ids: stringList.optional(),
    device_id: z.string().optional(),
    device_ids: stringList.optional(),
    connected_account_id: z.string().optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .refine(
    (p) => (p.since === undefined) !== (p.between === undefined),
    'Must specify either since or between',
  );

function parse<T>(schema: z.ZodType<T>, params: unknown): T | ApiResponse {
  const result = schema.safeParse(params ?? {});
  if (result.success) return result.data;
  const message = result.error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join(', ');
  return errorResponse(400, 'invalid_input', message);
}

const isResponse = (value: unknown): value is ApiResponse =>
  typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

export function createRoutes(ctx: ApiContext): Record<string, RouteHandler> {
  const findDevice = (deviceId: string, workspaceId: string) =>
    ctx.db.devices.find((d) => d.device_id === deviceId && d.workspace_id === workspaceId);
  const inWorkspace = (code: SimAccessCode, workspaceId: string) =>
    code.workspace_id === workspaceId;

  return {
    '/access_codes/create': (params, workspaceId) => {
      if (params && typeof params === 'object') {
        const { code: _pin, ...body } = params as Record<string, unknown>;
        ctx.createRequests.push({ at: new Date().toISOString(), body: structuredClone(body) });
      }
      const req = parse(createBody, params);
      if (isResponse(req)) return req;
      const device = findDevice(req.device_id, workspaceId);
      if (!device) return errorResponse(404, 'device_not_found', 'Device not found');
      const offline = req.is_offline_access_code ?? req.use_offline_access_code ?? false;
      const verdict = checkCreate(
        { ...req, is_offline_access_code: offline },
        device as unknown as RuleDevice,
        ctx.store.all(),
      );
      if ('status' in verdict) return errorResponse(verdict.status, verdict.type, verdict.message);

      const timeBound = req.starts_at !== undefined;
      // Seam stores the rounded window (a fault can move it, to model a Seam that rounds
      // differently from the caller's plan).
      const shift = ctx.faults.storedWindowShiftMinutes(device.device_id) * 60_000;
      const stored = (t: string | null | undefined) =>
        t ? new Date(Date.parse(t) + shift).toISOString() : (t ?? null);
      const fresh: NewAccessCode = {
        device_id: device.device_id,
        workspace_id: workspaceId,
        // Kept exactly: callers find a code they lost track of by its name.
        name: req.name ?? null,
        code: offline ? null : (req.code ?? randomDigits(req.preferred_code_length ?? 4)),
        type: timeBound ? 'time_bound' : 'ongoing',
        status: 'unset',
        ...(timeBound
          ? { starts_at: stored(verdict.starts_at), ends_at: stored(verdict.ends_at) }
          : {}),
        errors: verdict.error_code
          ? [
              {
                error_code: verdict.error_code,
                message: 'No space for access code on device.',
                created_at: new Date().toISOString(),
              },
            ]
          : [],
        warnings: [],
        is_managed: true,
        is_offline_access_code: offline,
        is_one_time_use: req.is_one_time_use ?? false,
        ...(req.max_time_rounding ? { max_time_rounding: req.max_time_rounding } : {}),
        is_waiting_for_code_assignment: offline,
        is_scheduled_on_device: false,
        is_external_modification_allowed: false,
        is_backup_access_code_available: false,
        pulled_backup_access_code_id: null,
        common_code_key: null,
        appearance: null,
        ...(verdict.dormakaba_oracode_metadata
          ? { dormakaba_oracode_metadata: verdict.dormakaba_oracode_metadata }
          : {}),
      };
      const created = ctx.store.add(fresh);
      ctx.emit('access_code.created', created);
      // A code on a full lock keeps its error and is never set.
      if (!verdict.error_code) {
        ctx.lifecycle.track(created.access_code_id, ctx.faults.fateFor(device.device_id));
      }
      return ok({ access_code: created });
    },

    '/access_codes/get': (params, workspaceId) => {
      const req = parse(getParams, params);
      if (isResponse(req)) return req;
      const code = ctx.store.get(req.access_code_id);
      if (!code || !inWorkspace(code, workspaceId)) {
        return errorResponse(404, 'access_code_not_found', 'Access code not found');
      }
      return ok({ access_code: code });
    },

    '/access_codes/list': (params, workspaceId) => {
      const req = parse(listParams, params);
      if (isResponse(req)) return req;
      const codes = ctx.store
        .all()
        .filter(
          (c) =>
            inWorkspace(c, workspaceId) &&
            (req.device_id === undefined || c.device_id === req.device_id) &&
            (req.access_code_ids === undefined || req.access_code_ids.includes(c.access_code_id)),
        )
        .slice(0, req.limit);
      return ok({
        access_codes: codes,
        pagination: { has_next_page: false, next_page_cursor: null, next_page_url: null },
      });
    },

    '/events/list': (params, workspaceId) => {
      const req = parse(eventsParams, params);
      if (isResponse(req)) return req;
      return ok({ events: ctx.events.list(workspaceId, req) });
    },
  };
}

function randomDigits(length: number): string {
  let pin = '';
  for (let i = 0; i < length; i++) pin += String(randomInt(0, 10));
  return pin;
}
