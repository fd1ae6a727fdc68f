import express, { Router } from 'express';
import {
  guestWindow,
  isGuestCodeId,
  type GuestCode,
  type TimelineEntry,
} from '../domain/guest-code';
import { RULE_VIOLATION_CODES } from '../domain/rules';
import { cancelGuestCode } from '../flows/cancel-guest-code';
import { changeGuestCode, type ChangeGuestCodeDeps } from '../flows/change-guest-code';
import { requestGuestCode, type RequestGuestCodeDeps } from '../flows/request-guest-code';
import { resendNotification, type ResendDeps } from '../flows/resend-notification';
import type { GuestCodeStore } from '../store/guest-codes';
import { requireToken } from './auth';
import type { RateLimits } from './rate-limit';
import { sendError } from './errors';
import {
  fieldProblems,
  guestCodeRequestSchema,
  stayPatchSchema,
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
      max_time_rounding: gc.request.max_time_rounding,
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
    cancelled_at: gc.cancelled_at ?? null,
    created_at: gc.created_at,
    updated_at: gc.updated_at,
    ...(timeline ? { timeline } : {}),
  };
}

export function guestCodeRoutes(opts: {
  token: string;
  deps: RequestGuestCodeDeps & {
    queues: RequestGuestCodeDeps['queues'] & ResendDeps['queues'] & ChangeGuestCodeDeps['queues'];
  };
  store: GuestCodeStore;
  bodyLimitBytes?: number;
  /** Budgets: per token once authenticated, per client for failed authentications. */
  limits?: Pick<RateLimits, 'apiCaller' | 'authFailure'>;
}): Router {
  const router = Router();
  const auth = requireToken(opts.token, {
    principal: 'api',
    limitCaller: opts.limits?.apiCaller,
    limitFailures: opts.limits?.authFailure,
  });
  const json = express.json({ limit: opts.bodyLimitBytes ?? 16_384, type: () => true });
  const now = opts.deps.now;

  router.post('/v1/guest-codes', auth, json, async (req, res) => {
    const parsed = guestCodeRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const details = fieldProblems(parsed.error);
      sendError(
        res,
        400,
        'invalid_request',
        `the request has ${details.length} problem(s)`,
        details,
      );
      return;
    }
    const outcome = await requestGuestCode(opts.deps, parsed.data);
    switch (outcome.kind) {
      case 'created':
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
          { guest_code_id: outcome.record.id },
        );
        return;
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
          outcome.violations,
        );
        return;
      }
    }
  });

  router.get('/v1/guest-codes', auth, async (req, res) => {
    const reference = typeof req.query.reference === 'string' ? req.query.reference : undefined;
    if (!reference) {
      sendError(res, 400, 'invalid_request', 'give ?reference=<booking reference>', [
        { field: 'reference', message: 'required' },
      ]);
      return;
    }
    const gc = await opts.store.getByReference(reference);
    if (!gc) {
      sendError(res, 404, 'not_found', `no guest code has reference ${reference}`);
      return;
    }
    res.json({ guest_code: guestCodeView(gc, await opts.store.timeline(gc.id)) });
  });

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
    const parsed = stayPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const details = fieldProblems(parsed.error);
      sendError(
        res,
        400,
        'invalid_request',
        `the change has ${details.length} problem(s)`,
        details,
      );
      return;
    }
    const outcome = await changeGuestCode(
      {
        store: opts.store,
        devices: opts.deps.devices,
        lockCodes: opts.deps.lockCodes,
        queues: opts.deps.queues,
        now,
      },
      id,
      parsed.data,
    );
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
        sendError(res, 409, 'change_not_possible', outcome.reason, {
          status: outcome.record.status,
        });
        return;
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
          outcome.violations,
        );
        return;
      }
    }
  });

  router.delete('/v1/guest-codes/:id', auth, async (req, res) => {
    const id = req.params.id as string;
    const existing = await find(id, res);
    if (!existing) return;
    const outcome = await cancelGuestCode({ store: opts.store, now }, id);
    const record = outcome?.record ?? existing;
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
      sendError(res, 409, 'resend_not_possible', outcome.reason, {
        status: outcome.record.status,
      });
      return;
    }
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
];
