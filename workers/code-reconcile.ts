import { reconcileAccessCode, type ReconcileDeps } from '../src/flows/reconcile';
import type { Handler } from './handler';

/** `code-reconcile`: read one access code from Seam (the truth) and apply it to its guest code. */
export const codeReconcileHandler =
  (deps: ReconcileDeps): Handler<'reconcile'> =>
  (job) =>
    reconcileAccessCode(deps, job.access_code_id, job.event_seq);
