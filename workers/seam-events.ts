import { recordSeamEvent, type ReconcileDeps } from '../src/flows/reconcile';
import type { Handler } from './handler';

/** `seam-events`: record an authentic delivery and ask for a read of its access code. */
export const seamEventsHandler =
  (deps: ReconcileDeps): Handler<'events'> =>
  (event) =>
    recordSeamEvent(deps, event);
