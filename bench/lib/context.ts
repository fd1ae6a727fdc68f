import { Redis } from 'ioredis';
import { freePort } from '../../devkit/redis';
import { spawnNode, type Proc } from './processes';

/** What every bench section shares: one private Redis, a log directory, the webhook secret. */
export interface BenchContext {
  redisUrl: string;
  logDir: string;
  secret: string;
  /** The bench's own connection (flushes between runs, reads end state). */
  redis: Redis;
}

/** The service's environment: its defaults, except what a bench must set (listed and why). */
export function serviceEnv(
  ctx: BenchContext,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: 'bench',
    LOG_LEVEL: 'info',
    SEAM_WEBHOOK_SECRET: ctx.secret,
    API_TOKEN: 'bench-api-token-0123456789abcdef',
    SEAM_API_KEY: 'seam_bench_unused',
    // The default (3,000 a minute per client IP) would throttle a load generator on loopback:
    // set high, not off, so its cost stays in the measurement.
    WEBHOOK_RATE_LIMIT: '100000000',
    API_RATE_LIMIT: '100000000',
    // For experiments (what does a setting cost?): BENCH_SERVICE_ENV='{"WEBHOOK_RATE_LIMIT":"0"}'.
    ...(JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}') as Record<string, string>),
    ...extra,
  };
}

/** Starts `node dist/app/main.js <role>` (the built service, as `npm run start:<role>`). */
export async function startServiceProcess(
  ctx: BenchContext,
  name: string,
  role: 'ingress' | 'worker' | 'all',
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc = spawnNode(
    name,
    [...nodeFlags, 'dist/app/main.js', role],
    { ...serviceEnv(ctx, env), PORT: String(port) },
    ctx.logDir,
  );
  return { proc, port };
}
