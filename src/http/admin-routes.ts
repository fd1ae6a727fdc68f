import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BeforeHook } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type RequestHandler } from 'express';
import { definitionOf } from '../queues/catalog';
import { requireToken } from './auth';

export const ADMIN_QUEUES_PATH = '/admin/queues';

/**
 * The dashboard is read-only but for one action: retrying failed jobs (one, or all of a
 * queue's failed jobs). Every other action bull-board offers is refused, whatever its route:
 * pausing or resuming queues (a paused queue stops its workers), changing the global
 * concurrency or rate limit, editing, running or removing the sweeper's schedule (once a year
 * would switch off the safety net), promoting, re-prioritising or re-delaying jobs, adding or
 * editing jobs (they bypass the job ids that keep creations and notifications single),
 * cleaning, emptying, obliterating or removing jobs (they drop BullMQ's deduplication keys, so
 * a Seam delivery could be queued twice). Reading stays open: GET is allowed, nothing else is,
 * so an action a later bull-board adds is refused until someone decides otherwise.
 */
const RETRY_ROUTES = new Set([
  '/api/queues/:queueName/retry/:queueStatus',
  '/api/queues/:queueName/:jobId/retry',
]);

const REFUSED = {
  allow: false,
  status: 403,
  message: 'refused: the dashboard is read-only except for retrying failed jobs',
} as const;

/** Only failed jobs are retried: re-running a completed creation or notification is not a fix. */
const readOnlyButRetry: BeforeHook = async ({ method, route, request }) => {
  if (method.toLowerCase() === 'get') return { allow: true };
  if (!RETRY_ROUTES.has(route)) return REFUSED;
  const params = request.params as { queueName?: string; queueStatus?: string; jobId?: string };
  if (route === '/api/queues/:queueName/retry/:queueStatus') {
    return params.queueStatus === 'failed' ? { allow: true } : REFUSED;
  }
  if (!params.queueName || !params.jobId) return REFUSED;
  const job = await request.queues.get(params.queueName)?.getJob(params.jobId);
  return job && (await job.getState()) === 'failed' ? { allow: true } : REFUSED;
};

/**
 * The queue dashboard (bull-board) at /admin/queues, behind its own token (ADMIN_TOKEN: Bearer,
 * or Basic with the token as the password so a browser can log in), never the booking
 * system's. Failed jobs can be inspected and retried; nothing else changes from here. Its
 * pages may not be framed by another site (clickjacking the retry button).
 */
export function adminRoutes(opts: {
  token: string;
  queues: Queue[];
  /** Failed logins spend the failures' budget (see rate-limit.ts). */
  limitFailures?: RequestHandler;
}): Router {
  // `allowCompletedRetries` (hides the button) is read by the adapter but missing from its type.
  const retryFailedOnly = { allowRetries: true, allowCompletedRetries: false };
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: opts.queues.map(
      (queue) =>
        new BullMQAdapter(queue, {
          ...retryFailedOnly,
          description: definitionOf(queue.name)?.description ?? '',
        }),
    ),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'seam-offline-codes', hideDocsLink: true },
      handlerHooks: { before: readOnlyButRetry },
    },
  });
  const board = serverAdapter.getRouter() as Router & { disable?: (setting: string) => void };
  // bull-board mounts its own express app, which would announce itself again.
  board.disable?.('x-powered-by');

  const noFraming: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
  const router = Router();
  router.use(
    ADMIN_QUEUES_PATH,
    noFraming,
    requireToken(opts.token, {
      principal: 'admin',
      limitFailures: opts.limitFailures,
      needed: 'the dashboard token (ADMIN_TOKEN)',
    }),
    board,
  );
  return router;
}
