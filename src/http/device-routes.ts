import { Router, type Response } from 'express';
import { OFFLINE_LOCK_DEVICE_TYPES, summariseLock } from '../domain/lock-summary';
import { SeamCallError, type SeamGateway } from '../seam/client';
import { requireToken } from './auth';
import { sendError } from './errors';
import type { RateLimits } from './rate-limit';

/**
 * The workspace's locks as a booking system needs them (GET /v1/devices, GET /v1/devices/{id}):
 * read from Seam each time (no cache: this is where an operator checks a lock they just
 * connected), summarised by src/domain/lock-summary.ts with the planner's own rules.
 */
export function deviceRoutes(opts: {
  token: string;
  seam: Pick<SeamGateway, 'getDevice' | 'listDevices'>;
  limits?: Pick<RateLimits, 'apiCaller' | 'authFailure'>;
}): Router {
  const router = Router();
  const auth = requireToken(opts.token, {
    principal: 'api',
    limitCaller: opts.limits?.apiCaller,
    limitFailures: opts.limits?.authFailure,
  });

  const seamFailed = (res: Response, err: unknown, deviceId?: string): void => {
    if (!(err instanceof SeamCallError)) throw err;
    // Seam answers 400 for an id that is not one of its ids at all: no such device either.
    if (
      deviceId !== undefined &&
      (err.failure.kind === 'not_found' || err.failure.status === 400)
    ) {
      sendError(res, 404, 'device_not_found', `Seam knows no device ${deviceId}`);
      return;
    }
    res.setHeader('Retry-After', '5');
    sendError(
      res,
      503,
      'seam_unavailable',
      `could not read devices from Seam: ${err.failure.message}`,
    );
  };

  router.get('/v1/devices', auth, async (_req, res) => {
    let devices;
    try {
      devices = await opts.seam.listDevices(OFFLINE_LOCK_DEVICE_TYPES);
    } catch (err) {
      seamFailed(res, err);
      return;
    }
    const summaries = devices.map(summariseLock);
    res.json({
      devices: summaries.filter((d) => d.can_take_offline_codes),
      not_capable: summaries.filter((d) => !d.can_take_offline_codes),
    });
  });

  router.get('/v1/devices/:id', auth, async (req, res) => {
    const id = req.params.id as string;
    let device;
    try {
      device = await opts.seam.getDevice(id);
    } catch (err) {
      seamFailed(res, err, id);
      return;
    }
    res.json({ device: summariseLock(device) });
  });

  return router;
}
