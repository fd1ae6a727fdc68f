import { RetryableCreateError } from '../src/flows/create-seam-code';
import { SeamCallError } from '../src/seam/client';

/** The wait Seam asked for (Retry-After on a 429 or 503), if the error carries one. */
function retryAfterOf(err: Error | undefined): number {
  if (err instanceof RetryableCreateError) return err.retryAfterMs ?? 0;
  if (err instanceof SeamCallError) return err.failure.retryAfterMs ?? 0;
  return 0;
}

/**
 * Backoff for every job that calls Seam (creations, reconciles, notifications, which read the
 * PIN from Seam): exponential with jitter (half to all of the ceiling, so many jobs that failed
 * together do not come back together), and never sooner than Seam's Retry-After.
 */
export function seamBackoff(baseMs: number, maxMs: number) {
  return (attemptsMade: number, _type: string | undefined, err?: Error): number => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const jittered = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    return Math.max(jittered, retryAfterOf(err));
  };
}
