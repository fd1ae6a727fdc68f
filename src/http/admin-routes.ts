import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BeforeHook } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router } from 'express';
import { QUEUES } from '../queues/names';
import { requireToken } from './auth';

export const ADMIN_QUEUES_PATH = '/admin/queues';

const DESCRIPTIONS: Record<string, string> = {
  [QUEUES.events]: 'Seam webhook deliveries (access_code.*), one job per Svix message',
  [QUEUES.create]: "creation of a guest's offline code on Seam",
  [QUEUES.reconcile]: 'fetch an access code from Seam and apply it to its guest code',
  [QUEUES.notify]: 'tell a guest their PIN (email, booking-system webhook) and ops alerts',
  [QUEUES.sweep]: 'the periodic safety net that polls Seam for what webhooks missed',
};

/**
 * Dashboard actions refused on every queue. They remove jobs or their identity, and with them
 * the guarantees the producers rely on: a clean or removal deletes BullMQ's deduplication keys
 * (a Seam delivery could then be queued twice), removing a failed creation leaves its guest
 * code waiting forever, removing the sweeper's scheduler stops the safety net, and hand-made or
 * edited jobs bypass the job ids that keep creations and notifications single.
 */
const REFUSED_ROUTES = new Set([
  '/api/queues/:queueName/clean/:queueStatus',
  '/api/queues/:queueName/:jobId/clean',
  '/api/queues/:queueName/empty',
  '/api/queues/:queueName/obliterate',
  '/api/queues/:queueName/job-schedulers/:schedulerId/remove',
  '/api/queues/:queueName/add',
  '/api/queues/:queueName/:jobId/update-data',
]);

const REFUSED = {
  allow: false,
  status: 403,
  message: 'refused by this service: it would break deduplication or lose work',
} as const;

/** Only failed jobs are retried: re-running a completed creation or notification is not a fix. */
const refuseUnsafe: BeforeHook = async ({ route, request }) => {
  if (REFUSED_ROUTES.has(route)) return REFUSED;
  const params = request.params as { queueName?: string; queueStatus?: string; jobId?: string };
  if (route === '/api/queues/:queueName/retry/:queueStatus' && params.queueStatus !== 'failed') {
    return REFUSED;
  }
  if (route === '/api/queues/:queueName/:jobId/retry' && params.queueName && params.jobId) {
    const job = await request.queues.get(params.queueName)?.getJob(params.jobId);
    if (job && (await job.getState()) !== 'failed') return REFUSED;
  }
  return { allow: true };
};

/**
 * The queue dashboard (bull-board) at /admin/queues, behind the API token (Bearer, or Basic
 * with the token as the password so a browser can log in). Failed jobs can be inspected and
 * retried; completed jobs cannot be re-run from here (a second creation or notification).
 */
export function adminRoutes(opts: { token: string; queues: Queue[] }): Router {
  // `allowCompletedRetries` (hides the button) is read by the adapter but missing from its type.
  const retryFailedOnly = { allowRetries: true, allowCompletedRetries: false };
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: opts.queues.map(
      (queue) =>
        new BullMQAdapter(queue, {
          ...retryFailedOnly,
          description: DESCRIPTIONS[queue.name] ?? '',
        }),
    ),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'seam-offline-codes', hideDocsLink: true },
      handlerHooks: { before: refuseUnsafe },
    },
  });
  const board = serverAdapter.getRouter() as Router & { disable?: (setting: string) => void };
  // bull-board mounts its own express app, which would announce itself again.
  board.disable?.('x-powered-by');

  const router = Router();
  router.use(ADMIN_QUEUES_PATH, requireToken(opts.token), board);
  return router;
}
