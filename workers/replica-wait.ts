import { DelayedError, type Job } from 'bullmq';
import { ReplicaAckError } from '../src/redis/connections';

/** How long a job waits for the replicas before it looks again. */
const REPLICA_WAIT_MS = 1000;

/**
 * The replicas did not confirm a guard in time (REDIS_MIN_REPLICAS_ACK: a replica stalled, or
 * a failover under way). That is Redis's state, not the job's failure: the job waits and looks
 * again without spending an attempt, so a long replica outage never gives up on a guest (a
 * notification's last attempt would end it `undelivered`) nor fails a creation.
 */
export async function waitForReplicas(err: unknown, job: Job, token?: string): Promise<void> {
  if (!(err instanceof ReplicaAckError)) return;
  await job.moveToDelayed(Date.now() + REPLICA_WAIT_MS, token);
  throw new DelayedError();
}
