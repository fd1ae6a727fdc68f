import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import {
  guestWindow,
  isGuestCodeId,
  type GuestCode,
  type TimelineEntry,
} from '../domain/guest-code';
import { GUEST_UNREACHABLE } from '../domain/notification-channel';
import { RULE_VIOLATION_CODES, type RuleViolation } from '../domain/rules';
import { cancelGuestCode } from '../flows/cancel-guest-code';
import { changeGuestCode, type ChangeGuestCodeDeps } from '../flows/change-guest-code';
import { requestGuestCode, type RequestGuestCodeDeps } from '../flows/request-guest-code';
import { resendNotification, type ResendDeps } from '../flows/resend-notification';
import { cancelStay, changeStay, loadStay, type StayDeps } from '../flows/change-stay';
import { requestStay } from '../flows/request-stay';
import { isStayId, type StayRecord } from '../domain/stay';
import type { StayStore } from '../store/stays';
import type { GuestCodeStore } from '../store/guest-codes';
import { requireToken } from './auth';
import type { RateLimits } from './rate-limit';
import { sendError } from './errors';
import {
  fieldProblems,
  guestCodeListQuerySchema,
  guestCodeRequestSchema,
  stayPatchSchema,
  type StayPatchBody,
  stayRequestSchema,
  type StayView,
  type FieldProblem,
  type GuestCodeListQuery,
  type GuestCodeView,
} from './guest-code-schema';

/** What the API shows of a guest code. No PIN: the guest gets that through the notification. */
export function guestCodeView(gc: GuestCode, timeline?: TimelineEntry[]): GuestCodeView {
  return {
    id: gc.id,
    reference: gc.reference,
    status: gc.status,
    device: gc.device,
    guest: gc.request.guest,
    requested: {
      starts_at: gc.request.starts_at,
      ends_at: gc.request.ends_at ?? null,
      is_one_time_use: gc.request.is_one_time_use,
      // One spelling in answers, Seam's: '1h' and '1d' are accepted as aliases only.
      max_time_rounding: canonicalRounding(gc.request.max_time_rounding),
    },
    // Records written before warnings and seam_request existed get them derived.
    planned: {
      ...gc.plan,
      warnings: gc.plan.warnings ?? [],
      seam_request: gc.plan.seam_request ?? {
        starts_at: gc.plan.starts_at,
        ...(gc.plan.kind === 'one_time_use' ? {} : { ends_at: gc.plan.ends_at }),
        max_time_rounding: gc.plan.max_time_rounding,
      },
    },
    window: guestWindow(gc, gc.active_access_code_id),
    access_code_ids: gc.access_codes.map((c) => c.access_code_id),
    active_access_code_id: gc.active_access_code_id ?? null,
    access_codes: gc.access_codes.map((c) => ({ ...c, warnings: c.warnings ?? [] })),
    create_attempts: gc.create_attempts,
    replacements: gc.replacements,
    resends: gc.resends ?? 0,
    notifications: gc.notifications,
    previous_codes: gc.previous_codes ?? [],
    pending_change: gc.pending_change
      ? {
          n: gc.pending_change.change.n,
          at: gc.pending_change.change.at,
          window: gc.pending_change.change.window,
          contact: gc.pending_change.change.contact,
          ...(gc.pending_change.change.to ? { to: gc.pending_change.change.to } : {}),
        }
      : null,
    changes: (gc.changes ?? []).map((c) => ({
      n: c.n,
      at: c.at,
      window: c.window,
      contact: c.contact,
      ...(c.generation !== undefined ? { generation: c.generation } : {}),
      ...(c.from ? { from: c.from } : {}),
      ...(c.to ? { to: c.to } : {}),
    })),
    error: gc.failure ?? null,
    stay: gc.stay ?? null,
    cancelled_at: gc.cancelled_at ?? null,
    status_since: gc.status_since ?? gc.created_at,
    created_at: gc.created_at,
    updated_at: gc.updated_at,
    ...(timeline ? { timeline } : {}),
  };
}

/** What the API shows of a stay with several doors: each door, its lock and its status now. */
export function stayView(stay: StayRecord, doors: readonly GuestCode[]): StayView {
  const byId = new Map(doors.map((d) => [d.id, d]));
  return {
    id: stay.id,
    reference: stay.reference,
    doors: stay.doors.map((d) => {
      const gc = byId.get(d.guest_code_id);
      return {
        door: d.door,
        device_id: d.device_id,
        lock_name: gc?.device.name ?? d.device_id,
        guest_code_id: d.guest_code_id,
        // A door a crash left unwritten is still to be requested (a retried POST writes it).
        status: gc?.status ?? 'requested',
      };
    }),
  };
}

function canonicalRounding(value: string): '1hour' | '1day' {
  return value === '1d' || value === '1day' ? '1day' : '1hour';
}

/** How long each open status may last before a code counts as stuck (STUCK_*_MS). */
export const DEFAULT_STUCK_AFTER_MS = {
  requested: 15 * 60_000,
  waiting: 2 * 3600_000,
  set: 15 * 60_000,
};
export type StuckAfterMs = typeof DEFAULT_STUCK_AFTER_MS;

/** The query, each parameter once; problems named by parameter like body fields are. */
function parseListQuery(
  query: express.Request['query'],
): { ok: true; query: GuestCodeListQuery } | { ok: false; problems: FieldProblem[] } {
  const repeated = Object.entries(query)
    .filter(([, v]) => typeof v !== 'string')
    .map(([field]) => ({ field, message: 'give it once, as a plain value' }));
  if (repeated.length > 0) return { ok: false, problems: repeated };
  const parsed = guestCodeListQuerySchema.safeParse(query);
  if (!parsed.success) {
    const problems = fieldProblems(parsed.error).map((p) =>
      p.field === '(body)'
        ? { ...p, field: '(query)', message: p.message.replace('field', 'parameter') }
        : p,
    );
    return { ok: false, problems };
  }
  const q = parsed.data;
  const problems: FieldProblem[] = [];
  if (q.reference !== undefined) {
    const others = Object.keys(query).filter((k) => k !== 'reference');
    for (const field of others) {
      problems.push({ field, message: 'cannot be combined with reference (one guest code)' });
    }
  }
  if (
    q.starts_after !== undefined &&
    q.starts_before !== undefined &&
    Date.parse(q.starts_after) >= Date.parse(q.starts_before)
  ) {
    problems.push({ field: 'starts_before', message: 'must be later than starts_after' });
  }
  if (q.stuck === 'true' && q.status !== undefined && !(q.status in DEFAULT_STUCK_AFTER_MS)) {
    problems.push({
      field: 'status',
      message: `with stuck=true, must be an open status: ${Object.keys(DEFAULT_STUCK_AFTER_MS).join(', ')}`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, query: q };
}

function filterFingerprint(filters: object): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

/** Opaque to the caller: where the page stopped, bound to the filters that made it. */
function encodeCursor(next: { index: number; member: string }, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ i: next.index, m: next.member, f: fingerprint })).toString(
    'base64url',
  );
}

function decodeCursor(
  cursor: string,
  fingerprint: string,
): { index: number; member: string } | undefined {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      i?: unknown;
      m?: unknown;
      f?: unknown;
    };
    if (
      c.f !== fingerprint ||
      typeof c.m !== 'string' ||
      !/^[0-9]{0,15}(:[A-Za-z0-9_-]+)?$/.test(c.m)
    ) {
      return undefined;
    }
    if (typeof c.i !== 'number' || !Number.isInteger(c.i) || c.i < 0 || c.i > 2) return undefined;
    return { index: c.i, member: c.m };
  } catch {
    return undefined;
  }
}

/** A 400 naming every problem of the `subject` (request, change, query) at once. */
function sendProblems(
  res: express.Response,
  subject: string,
  details: readonly { field: string; message: string }[],
): void {
  sendError(res, 400, 'invalid_request', `the ${subject} has ${details.length} problem(s)`, [
    ...details,
  ]);
}

/** A PATCH body (of a guest code or a stay), or the 400 naming every problem already sent. */
function parseChange(body: unknown, res: express.Response): StayPatchBody | undefined {
  const parsed = stayPatchSchema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const details = fieldProblems(parsed.error);
  sendProblems(res, 'change', details);
  return undefined;
}

/** Why a stay could not be planned: the lock unknown to Seam, Seam unreachable, or the rules. */
type PlanningRefusal =
  | { kind: 'device_not_found'; deviceId: string }
  | { kind: 'device_unavailable'; message: string }
  | { kind: 'rejected'; violations: readonly RuleViolation[] };

/** The answer to a planning refusal, the same for POST and PATCH of a guest code or a stay. */
function sendPlanningRefusal(res: express.Response, outcome: PlanningRefusal): void {
  switch (outcome.kind) {
    case 'device_not_found':
      sendError(res, 404, 'device_not_found', `Seam knows no device ${outcome.deviceId}`);
      return;
    case 'device_unavailable':
      res.setHeader('Retry-After', '5');
      sendError(
        res,
        503,
        'seam_unavailable',
        `could not read the device from Seam: ${outcome.message}`,
      );
      return;
    case 'rejected': {
      const [first] = outcome.violations;
      sendError(
        res,
        422,
        first?.code ?? 'rule_violation',
        outcome.violations.map((v) => v.message).join(' '),
        [...outcome.violations],
      );
      return;
    }
  }
}
export function guestCodeRoutes(opts: {
  token: string;
  /** Thresholds of `stuck=true`; the defaults where not given. */
  stuckAfterMs?: Partial<StuckAfterMs>;
  deps: RequestGuestCodeDeps & {
    queues: RequestGuestCodeDeps['queues'] &
      ResendDeps['queues'] &
      ChangeGuestCodeDeps['queues'] &
      StayDeps['queues'];
  };
  store: GuestCodeStore;
  /** Stays with several doors (POST with device_ids, /v1/stays); absent: refused. */
  stays?: StayStore;
  bodyLimitBytes?: number;
  /** Budgets: per token once authenticated, per client for failed authentications. */
  limits?: Pick<RateLimits, 'apiCaller' | 'authFailure'>;
  /**
   * Resolves once what a request wrote is safe to acknowledge (REDIS_MIN_REPLICAS_ACK: `WAIT`
   * on the connection the store and queues write with); throws otherwise, which answers 503.
   * Called before every 2xx of a request that may have written.
   */
  confirmWrites?: () => Promise<void>;
}): Router {
  const router = Router();
  const auth = requireToken(opts.token, {
    principal: 'api',
    limitCaller: opts.limits?.apiCaller,
    limitFailures: opts.limits?.authFailure,
  });
  const json = express.json({ limit: opts.bodyLimitBytes ?? 16_384, type: () => true });
  const now = opts.deps.now;
  const confirmed = async () => opts.confirmWrites?.();

  router.post('/v1/guest-codes', auth, json, async (req, res) => {
    const body: unknown = req.body ?? {};
    const has = (field: string) =>
      typeof body === 'object' && body !== null && !Array.isArray(body) && field in body;
    if (has('device_ids')) {
      if (has('device_id')) {
        sendError(res, 400, 'invalid_request', 'the request has 1 problem(s)', [
          {
            field: 'device_ids',
            message: 'give device_id (one lock) or device_ids (several locks), not both',
          },
        ]);
        return;
      }
      await postStay(body, res);
      return;
    }
    const parsed = guestCodeRequestSchema.safeParse(body);
    if (!parsed.success) {
      const details = fieldProblems(parsed.error).map((p) =>
        p.field === 'device_id' && !has('device_id')
          ? { ...p, message: 'give device_id (one lock) or device_ids (several locks)' }
          : p,
      );
      sendProblems(res, 'request', details);
      return;
    }
    const outcome = await requestGuestCode(opts.deps, parsed.data);
    // 'existing' too: its record may come from an attempt whose confirmation failed.
    if (outcome.kind === 'created' || outcome.kind === 'existing') await confirmed();
    switch (outcome.kind) {
      case 'created':
        res.location(`/v1/guest-codes/${outcome.record.id}`);
        res.status(202).json({ guest_code: guestCodeView(outcome.record) });
        return;
      case 'existing':
        res.status(200).json({ guest_code: guestCodeView(outcome.record) });
        return;
      case 'conflict':
        sendError(
          res,
          409,
          'reference_conflict',
          `reference ${outcome.record.reference} already names guest code ${outcome.record.id} with a different request; use a new reference or send the same body`,
          [
            {
              field: 'reference',
              message: `names guest code ${outcome.record.id}, made from another body`,
              guest_code_id: outcome.record.id,
            },
          ],
        );
        return;
      case 'device_not_found':
      case 'device_unavailable':
      case 'rejected':
        sendPlanningRefusal(res, outcome);
        return;
    }
  });

  const postStay = async (body: unknown, res: express.Response): Promise<void> => {
    const parsed = stayRequestSchema.safeParse(body);
    if (!parsed.success) {
      const details = fieldProblems(parsed.error);
      sendProblems(res, 'request', details);
      return;
    }
    if (!opts.stays) {
      sendError(res, 400, 'invalid_request', 'stays with several doors are not served here', [
        { field: 'device_ids', message: 'not supported by this service' },
      ]);
      return;
    }
    const outcome = await requestStay({ ...opts.deps, stays: opts.stays }, parsed.data);
    if (outcome.kind === 'created' || outcome.kind === 'existing') await confirmed();
    switch (outcome.kind) {
      case 'created':
        res.location(`/v1/stays/${outcome.stay.id}`);
        res.status(202).json({ stay: stayView(outcome.stay, outcome.doors) });
        return;
      case 'existing':
        res.status(200).json({ stay: stayView(outcome.stay, outcome.doors) });
        return;
      case 'conflict':
        sendError(
          res,
          409,
          'reference_conflict',
          `reference ${outcome.stay.reference} already names stay ${outcome.stay.id} with a different request; use a new reference or send the same body`,
          [
            {
              field: 'reference',
              message: `names stay ${outcome.stay.id}, made from another body`,
              stay_id: outcome.stay.id,
            },
          ],
        );
        return;
      case 'device_not_found':
        sendError(res, 404, 'device_not_found', `Seam knows no device ${outcome.deviceId}`, [
          {
            field: `device_ids[${outcome.index}]`,
            message: `Seam knows no device ${outcome.deviceId}`,
          },
        ]);
        return;
      case 'device_unavailable':
      case 'rejected':
        sendPlanningRefusal(res, outcome);
        return;
    }
  };

  const stayDeps = () => ({
    store: opts.store,
    stays: opts.stays!,
    devices: opts.deps.devices,
    lockCodes: opts.deps.lockCodes,
    queues: opts.deps.queues,
    now,
    notifyChannels: opts.deps.notifyChannels,
  });

  const findStay = async (id: string, res: express.Response) => {
    const loaded = isStayId(id) && opts.stays ? await loadStay(stayDeps(), id) : undefined;
    if (!loaded) {
      sendError(
        res,
        404,
        'not_found',
        isStayId(id) ? `no stay ${id}` : 'no such stay (ids look like st_<uuid>)',
      );
    }
    return loaded;
  };

  router.get('/v1/stays/:id', auth, async (req, res) => {
    const loaded = await findStay(req.params.id as string, res);
    if (!loaded) return;
    res.json({ stay: stayView(loaded.stay, loaded.doors) });
  });

  router.delete('/v1/stays/:id', auth, async (req, res) => {
    const id = req.params.id as string;
    if (!(await findStay(id, res))) return;
    const outcome = await cancelStay(stayDeps(), id);
    if (!outcome) {
      sendError(res, 404, 'not_found', `no stay ${id}`);
      return;
    }
    await confirmed();
    res.json({ stay: stayView(outcome.stay, outcome.doors), notes: outcome.notes });
  });

  router.patch('/v1/stays/:id', auth, json, async (req, res) => {
    const id = req.params.id as string;
    if (!(await findStay(id, res))) return;
    const patch = parseChange(req.body, res);
    if (!patch) return;
    const outcome = await changeStay(stayDeps(), id, patch);
    if (outcome.kind === 'changed') await confirmed();
    switch (outcome.kind) {
      case 'changed':
        res
          .status(outcome.newCode ? 202 : 200)
          .json({ stay: stayView(outcome.stay, outcome.doors), notes: outcome.notes });
        return;
      case 'not_found':
        sendError(res, 404, 'not_found', `no stay ${id}`);
        return;
      case 'not_possible':
        sendError(res, 409, 'change_not_possible', outcome.reason, [
          {
            field: 'status',
            message: `door ${outcome.door} is ${outcome.status}; it cannot change any more`,
            status: outcome.status,
          },
        ]);
        return;
      case 'device_not_found':
      case 'device_unavailable':
      case 'rejected':
        sendPlanningRefusal(res, outcome);
        return;
    }
  });

  router.get('/v1/guest-codes', auth, async (req, res) => {
    const parsed = parseListQuery(req.query);
    if (!parsed.ok) {
      sendProblems(res, 'query', parsed.problems);
      return;
    }
    const q = parsed.query;
    if (q.reference === undefined) {
      await listGuestCodes(q, res);
      return;
    }
    const reference = q.reference;
    const gc = await opts.store.getByReference(reference);
    if (!gc) {
      sendError(res, 404, 'not_found', `no guest code has reference ${reference}`);
      return;
    }
    res.json({ guest_code: guestCodeView(gc, await opts.store.timeline(gc.id)) });
  });

  const stuckAfterMs = { ...DEFAULT_STUCK_AFTER_MS, ...opts.stuckAfterMs };

  const listGuestCodes = async (q: GuestCodeListQuery, res: express.Response): Promise<void> => {
    const filters = {
      status: q.status,
      device_id: q.device_id,
      starts_after: q.starts_after,
      starts_before: q.starts_before,
      stuck: q.stuck === 'true',
    };
    const fingerprint = filterFingerprint(filters);
    let after: { index: number; member: string } | undefined;
    if (q.cursor !== undefined) {
      after = decodeCursor(q.cursor, fingerprint);
      if (!after) {
        sendError(res, 400, 'invalid_request', 'the cursor is not one this listing gave', [
          {
            field: 'cursor',
            message:
              'must be the next_cursor of a previous page, with the same status, device_id, starts_after, starts_before and stuck',
          },
        ]);
        return;
      }
    }
    const nowMs = now().getTime();
    const page = await opts.store.list({
      status: q.status,
      deviceId: q.device_id,
      startsAfter: q.starts_after === undefined ? undefined : Date.parse(q.starts_after),
      startsBefore: q.starts_before === undefined ? undefined : Date.parse(q.starts_before),
      stuckBefore: filters.stuck
        ? Object.fromEntries(
            Object.entries(stuckAfterMs).map(([status, ms]) => [status, nowMs - ms]),
          )
        : undefined,
      limit: q.limit,
      after,
      budget: Math.max(q.limit * 10, 1000),
    });
    res.json({
      guest_codes: page.records.map((gc) => guestCodeView(gc)),
      next_cursor: page.next ? encodeCursor(page.next, fingerprint) : null,
      stuck_after_ms: stuckAfterMs,
    });
  };

  /** The record named by `:id`, or a 404 (an id of the wrong shape is never looked up). */
  const find = async (id: string, res: express.Response): Promise<GuestCode | undefined> => {
    const gc = isGuestCodeId(id) ? await opts.store.get(id) : undefined;
    if (!gc) {
      sendError(
        res,
        404,
        'not_found',
        isGuestCodeId(id) ? `no guest code ${id}` : 'no such guest code (ids look like gc_<uuid>)',
      );
    }
    return gc;
  };

  router.get('/v1/guest-codes/:id', auth, async (req, res) => {
    const gc = await find(req.params.id as string, res);
    if (!gc) return;
    res.json({ guest_code: guestCodeView(gc, await opts.store.timeline(gc.id)) });
  });

  router.patch('/v1/guest-codes/:id', auth, json, async (req, res) => {
    const id = req.params.id as string;
    if (!(await find(id, res))) return;
    const patch = parseChange(req.body, res);
    if (!patch) return;
    const outcome = await changeGuestCode(
      {
        store: opts.store,
        devices: opts.deps.devices,
        lockCodes: opts.deps.lockCodes,
        queues: opts.deps.queues,
        now,
        notifyChannels: opts.deps.notifyChannels,
      },
      id,
      patch,
    );
    if (outcome.kind === 'changed' || outcome.kind === 'unchanged') await confirmed();
    switch (outcome.kind) {
      case 'changed':
        // 202 while a new code is on its way, as for POST; a contact change is done at once.
        res
          .status(outcome.newCode || outcome.waits ? 202 : 200)
          .json({ guest_code: guestCodeView(outcome.record), note: outcome.note });
        return;
      case 'unchanged':
        res.status(200).json({ guest_code: guestCodeView(outcome.record), note: outcome.note });
        return;
      case 'not_found':
        sendError(res, 404, 'not_found', `no guest code ${id}`);
        return;
      case 'not_possible':
        sendError(res, 409, 'change_not_possible', outcome.reason, [
          {
            field: 'status',
            message: `the guest code is ${outcome.record.status}; it cannot change any more`,
            status: outcome.record.status,
          },
        ]);
        return;
      case 'device_not_found':
      case 'device_unavailable':
      case 'rejected':
        sendPlanningRefusal(res, outcome);
        return;
    }
  });

  router.delete('/v1/guest-codes/:id', auth, async (req, res) => {
    const id = req.params.id as string;
    const existing = await find(id, res);
    if (!existing) return;
    const outcome = await cancelGuestCode({ store: opts.store, now }, id);
    const record = outcome?.record ?? existing;
    await confirmed();
    res.json({
      guest_code: guestCodeView(record),
      note: outcome?.note ?? 'Already cancelled.',
    });
  });

  router.post('/v1/guest-codes/:id/resend', auth, async (req, res) => {
    const id = req.params.id as string;
    if (!(await find(id, res))) return;
    const outcome = await resendNotification(
      { store: opts.store, queues: opts.deps.queues, now },
      id,
    );
    if (!outcome) {
      sendError(res, 404, 'not_found', `no guest code ${id}`);
      return;
    }
    if (outcome.kind === 'not_possible') {
      sendError(res, 409, 'resend_not_possible', outcome.reason, [
        {
          field: 'status',
          message: `the guest code is ${outcome.record.status}; only an undelivered one is resent`,
          status: outcome.record.status,
        },
      ]);
      return;
    }
    await confirmed();
    res.location(`/v1/guest-codes/${outcome.record.id}`);
    res.status(202).json({ guest_code: guestCodeView(outcome.record), note: outcome.note });
  });

  return router;
}

export const DOCUMENTED_ERROR_CODES = [
  'resend_not_possible',
  'change_not_possible',
  'invalid_request',
  'unauthorized',
  'reference_conflict',
  'device_not_found',
  'seam_unavailable',
  'not_found',
  ...RULE_VIOLATION_CODES,
  GUEST_UNREACHABLE,
];
