import { Router } from 'express';

export type ReadinessCheck = () => Promise<{ ok: true } | { ok: false; reason: string }>;

export interface Lifecycle {
  /** Set once on SIGTERM/SIGINT; readiness turns 503 at once so the balancer drains us. */
  shuttingDown: boolean;
}

/** Liveness says the event loop turns; readiness says this process can take traffic now. */
export function healthRoutes(lifecycle: Lifecycle, checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (lifecycle.shuttingDown) {
      res.status(503).json({ status: 'unavailable', reason: 'shutting down' });
      return;
    }
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          const r = await check();
          return r.ok ? undefined : `${name}: ${r.reason}`;
        } catch (err) {
          return `${name}: ${err instanceof Error ? err.message : 'check failed'}`;
        }
      }),
    );
    const failures = results.filter((r): r is string => r !== undefined);
    if (failures.length > 0) {
      res.status(503).json({ status: 'unavailable', reason: failures.join('; ') });
      return;
    }
    res.status(200).json({ status: 'ready' });
  });
  return router;
}
