import { Redis } from 'ioredis';
import { removeDir, startPrivateRedis } from '../devkit/redis';
import { runLoad } from './ingress';
import { startServiceProcess, type BenchContext } from './lib/context';
import { sleep, waitForHttp } from './lib/processes';
import { median, round } from './lib/stats';
import type { LoadResult } from './load';

export interface ReplicaAckOptions {
  rounds: number;
  warmupS: number;
  durationS: number;
  connections: number;
  /** REDIS_REPLICA_ACK_TIMEOUT_MS of the ACK=1 ingress. */
  ackTimeoutMs: number;
  /** Open-loop at this many requests per second (`--rate`): p99 at equal load. */
  rate?: number;
}

export interface ReplicaAckFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
}

export interface ReplicaAckReport {
  connections: number;
  rate?: number;
  rounds: Record<string, LoadResult>[];
  median: { ack0: ReplicaAckFigures; ack1: ReplicaAckFigures };
  /** Medians over rounds of ACK=1 over ACK=0, measured within each round. */
  ratios: { rps: number; p99: number };
}

/**
 * What REDIS_MIN_REPLICAS_ACK=1 costs the ingress: the bench Redis gets a replica on loopback
 * (its own redis-server), and two ingress processes of the built service load it in turn, one
 * with REDIS_MIN_REPLICAS_ACK=0 (the default: 200 once the primary has the delivery) and one
 * with 1 (200 once `WAIT` says the replica has it too). Rounds alternate who goes first; Redis
 * is flushed before each run. On loopback the replica is a few microseconds away: across
 * machines add the network round trip to the replica to every batch.
 */
export async function benchReplicaAck(
  ctx: BenchContext,
  opts: ReplicaAckOptions,
  log: (line: string) => void,
): Promise<ReplicaAckReport> {
  const replica = await startPrivateRedis({ replicaOf: Number(new URL(ctx.redisUrl).port) });
  const onReplica = new Redis(replica.url);
  try {
    for (let i = 0; !/master_link_status:up/.test(await onReplica.info('replication')); i++) {
      if (i > 400) throw new Error('the bench replica never caught up');
      await sleep(25);
    }
  } finally {
    onReplica.disconnect();
  }
  const ack = {
    REDIS_REPLICA_ACK_TIMEOUT_MS: String(opts.ackTimeoutMs),
    // Loopback and one client IP: the flood guards would only measure themselves.
    WEBHOOK_RATE_LIMIT: '0',
  };
  const targets = {
    ack0: await startServiceProcess(ctx, 'ingress-ack0', 'ingress', {
      ...ack,
      REDIS_MIN_REPLICAS_ACK: '0',
    }),
    ack1: await startServiceProcess(ctx, 'ingress-ack1', 'ingress', {
      ...ack,
      REDIS_MIN_REPLICAS_ACK: '1',
    }),
  };
  const rounds: Record<string, LoadResult>[] = [];
  try {
    for (const t of Object.values(targets)) {
      await waitForHttp(`http://127.0.0.1:${t.port}/healthz`, t.proc);
    }
    const names = Object.keys(targets) as (keyof typeof targets)[];
    for (let r = 0; r < opts.rounds; r++) {
      const round: Record<string, LoadResult> = {};
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        await ctx.redis.flushall();
        const result = await runLoad({
          url: `http://127.0.0.1:${targets[name].port}`,
          secret: ctx.secret,
          connections: opts.connections,
          warmupS: opts.warmupS,
          durationS: opts.durationS,
          rate: opts.rate,
        });
        round[name] = result;
        log(
          `  round ${r + 1} ${name} ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors + result.non2xx}`,
        );
      }
      rounds.push(round);
    }
  } finally {
    for (const t of Object.values(targets)) await t.proc.stop();
    await replica.stop();
    removeDir(replica.dir);
  }
  const fig = (name: string): ReplicaAckFigures => ({
    rps: round(median(rounds.map((r) => r[name]!.rps)), 0),
    p50Ms: median(rounds.map((r) => r[name]!.latencyMs.p50)),
    p99Ms: median(rounds.map((r) => r[name]!.latencyMs.p99)),
    maxMs: median(rounds.map((r) => r[name]!.latencyMs.max)),
    errors: rounds.reduce((n, r) => n + r[name]!.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r[name]!.non2xx, 0),
  });
  return {
    connections: opts.connections,
    ...(opts.rate ? { rate: opts.rate } : {}),
    rounds,
    median: { ack0: fig('ack0'), ack1: fig('ack1') },
    ratios: {
      rps: round(median(rounds.map((r) => r.ack1!.rps / r.ack0!.rps)), 3),
      p99: round(median(rounds.map((r) => r.ack1!.latencyMs.p99 / r.ack0!.latencyMs.p99)), 3),
    },
  };
}
