import { Router } from 'express';
import type { Logger } from '../logger';

import type { Lifecycle, ReadinessCheck } from '../process/readiness';

/**
 * Liveness says the event loop turns; readiness says this process can take traffic now.
 * /readyz is public (a balancer polls it): it names the failing check only. Why it failed
 * (an address, an error text) goes to the log, not to whoever asked.
 */
export function healthRoutes(
  lifecycle: Lifecycle,
  checks: Record<string, ReadinessCheck>,
  logger?: Logger,
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (lifecycle.shuttingDown) {
      res.status(503).json({ status: 'unavailable', reason: 'shutting down' });
      return;
    }
    const failing = await failingChecks(checks, logger);
    if (failing.length > 0) {
      res.status(503).json({ status: 'unavailable', reason: `${failing.join(', ')} not ready` });
      return;
    }
    res.status(200).json({ status: 'ready' });
  });
  return router;
}

/** The names of the checks that fail now (each failure's detail goes to the log, if given). */
export async function failingChecks(
  checks: Record<string, ReadinessCheck>,
  logger?: Logger,
): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let detail: string | undefined;
      try {
        const r = await check();
        detail = r.ok ? undefined : r.reason;
      } catch (err) {
        detail = err instanceof Error ? err.message : 'check failed';
      }
      if (detail === undefined) return undefined;
      logger?.warn({ check: name, detail }, 'not ready');
      return name;
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}

/** What /readyz would answer, as a yes or no (for the `seam_ready` gauge). */
export function readinessProbe(
  lifecycle: Lifecycle,
  checks: Record<string, ReadinessCheck>,
): () => Promise<boolean> {
  return async () => !lifecycle.shuttingDown && (await failingChecks(checks)).length === 0;
}
