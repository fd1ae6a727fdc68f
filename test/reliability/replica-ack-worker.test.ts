/**
 * Reliability: REDIS_MIN_REPLICAS_ACK on the workers' side. A primary and one replica (real
 * redis-servers on loopback), the service (ingress and workers) in this process, the Seam
 * simulator driven by hand and an SMTP server.
 *
 * The marks that guard a side effect must reach the replica before the side effect happens:
 * a creation's in-flight note before Seam is asked (a failover that lost it would let a retry
 * create a second offline code without looking, and offline codes cannot be deleted), and a
 * notification's claim before the guest is sent the PIN (a failover that lost it would let a
 * second sender send again). So while the replica is stalled, no code is created and no email
 * goes out; once it is back, the code is created once and the guest told once.
 */
import { removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { eventually } from '../../devkit/eventually';
import { Redis } from 'ioredis';

jest.setTimeout(90_000);

// Longer than all of a job's attempts together: waiting for the replicas spends none of them.
const STALL_MS = 6000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function untilReplicating(replica: PrivateRedis): Promise<void> {
  const r = new Redis(replica.url);
  try {
    await eventually(
      async () => (/master_link_status:up/.test(await r.info('replication')) ? true : undefined),
      10_000,
    );
  } finally {
    r.disconnect();
  }
}

describe('REDIS_MIN_REPLICAS_ACK=1: no side effect before its guard is on the replica', () => {
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    primary = await startPrivateRedis();
    replica = await startPrivateRedis({ replicaOf: primary.port });
    await untilReplicating(replica);
    stack = await startStack({
      sim: { autoAdvance: false },
      env: {
        REDIS_URL: primary.url,
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '300',
        // The sweeper brings the code's `set` to the workers while the ingress cannot
        // acknowledge Seam's webhook (it waits for the same replica).
        RECONCILE_SWEEP_INTERVAL_MS: '1000',
        SEAM_RETRY_BASE_MS: '50',
        SEAM_RETRY_MAX_MS: '300',
        CREATE_MAX_ATTEMPTS: '6',
      },
    });
  });

  afterAll(async () => {
    replica?.signal('SIGCONT');
    await stack?.close();
    for (const r of [replica, primary]) {
      await r?.stop({ hard: true });
      if (r) removeDir(r.dir);
    }
  });

  const codesFor = (id: string) =>
    stack.sim.accessCodes().filter((c) => typeof c.name === 'string' && c.name.includes(id));
  const emailsTo = (address: string) =>
    stack.smtp.messages.filter((m) => m.rcptTo.includes(address)).length;
  const booking = (reference: string, email: string) => ({
    device_id: stack.sim.devices.igloohome[0],
    reference,
    guest: { name: 'Ada', email },
    ...hourlyWindow(3, 24),
  });

  it('a creation asks Seam only once its in-flight note is on the replica', async () => {
    const body = booking('ack-create', 'create@guest.example');
    replica.signal('SIGSTOP');
    try {
      // The booking's own 202 waits for the replica too: 503, but the record and its creation
      // job are on the primary, and a worker takes the job at once.
      expect((await stack.api('/v1/guest-codes', { body })).status).toBe(503);
      await sleep(STALL_MS);
      expect(stack.sim.createRequests()).toHaveLength(0);
    } finally {
      replica.signal('SIGCONT');
    }
    await untilReplicating(replica);
    const again = await eventually(async () => {
      const res = await stack.api('/v1/guest-codes', { body });
      return res.status === 200 || res.status === 202 ? res : undefined;
    }, 10_000);
    const id = again.body.guest_code.id as string;
    await eventually(() => (codesFor(id).length > 0 ? true : undefined), 20_000);
    await sleep(500);
    expect(codesFor(id)).toHaveLength(1);
  });

  it('a guest is sent the PIN only once its claim is on the replica', async () => {
    const address = 'notify@guest.example';
    const res = await stack.api('/v1/guest-codes', {
      body: booking('ack-notify', address),
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    const [code] = await eventually(() => {
      const made = codesFor(id);
      return made.length > 0 ? made : undefined;
    }, 20_000);

    replica.signal('SIGSTOP');
    try {
      stack.sim.setStatus(code!.access_code_id, 'set');
      // The sweeper's reconcile finds it set and queues the notification; the send waits.
      await sleep(STALL_MS);
      expect(emailsTo(address)).toBe(0);
    } finally {
      replica.signal('SIGCONT');
    }
    // Waiting for the replica is not a failure to tell the guest: never `undelivered`.
    const ended = await eventually(async () => {
      const gc = await stack.store.get(id);
      return gc?.status === 'notified' || gc?.status === 'undelivered' ? gc : undefined;
    }, 30_000);
    expect(ended.status).toBe('notified');
    await sleep(1000);
    expect(emailsTo(address)).toBe(1);
  });
});
