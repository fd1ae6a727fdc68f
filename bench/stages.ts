/**
 * The cost of each stage of a webhook delivery, measured in a process of its own
 * (`node --import tsx bench/stages.ts`, input in env BENCH_STAGES): the service's own code for
 * each stage, run in a loop on unique signed deliveries, with the process's CPU time
 * (`process.cpuUsage`) and the bytes it allocated on the V8 heap (V8's GC profiler: what each
 * collection found less what the previous one left) divided by the operations. Prints one
 * JSON line.
 *
 * What a stage cannot show alone (Node's HTTP parser and socket writes, Express's routing, the
 * body read) is the rest of the service's CPU and allocation per request in the ingress
 * section of the same run: bench/table.ts shows it as the remainder.
 */
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import type { Request, Response } from 'express';
import pino from 'pino';
import { acceptSeamWebhook } from '../src/flows/accept-webhook';
import { createRateLimits } from '../src/http/rate-limit';
import { SignatureVerifier } from '../src/http/webhook-signature';
import { REDACT_PATHS } from '../src/logger';
import { createMetrics } from '../src/observability/metrics';
import { EventInbox } from '../src/queues/event-inbox';
import { createRequestPathConnection, waitUntilReady } from '../src/redis/connections';
import { cpuMsOf, redisPid } from './lib/processes';
import { deliveryFactory } from '../devkit/svix';

export interface StagesInput {
  redisUrl: string;
  secret: string;
  /** Operations measured per stage (as many again run first, unmeasured, to warm up). */
  iterations: number;
}

export interface StageFigures {
  stage: string;
  cpuUsPerOp: number;
  allocatedBytesPerOp: number;
  /** Redis's CPU per operation, for the stage that talks to it. */
  redisCpuUsPerOp?: number;
}

export interface StagesReport {
  iterations: number;
  stages: StageFigures[];
}

/** Bytes allocated on the V8 heap while `run` ran. */
async function allocationsOf(run: () => Promise<void>): Promise<number> {
  const profiler = new v8.GCProfiler();
  const start = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  await run();
  const end = v8.getHeapStatistics().used_heap_size;
  const data = profiler.stop();
  let total = 0;
  let lastAfter = start;
  for (const s of data?.statistics ?? []) {
    total += s.beforeGC.heapStatistics.usedHeapSize - lastAfter;
    lastAfter = s.afterGC.heapStatistics.usedHeapSize;
  }
  return total + (end - lastAfter);
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_STAGES ?? '{}') as StagesInput;
  const n = input.iterations;
  const next = deliveryFactory(input.secret);
  const deliveries = Array.from({ length: 2 * n }, () => {
    const d = next();
    return { headers: d.headers, body: Buffer.from(d.body) };
  });
  const redisProcess = redisPid(Number(new URL(input.redisUrl).port));
  const stages: StageFigures[] = [];

  /** Runs `op` on the second half of the deliveries after warming up on the first half,
   *  `concurrency` operations in flight at a time. */
  const measure = async (
    stage: string,
    op: (d: (typeof deliveries)[number], i: number) => unknown,
    concurrency = 1,
  ) => {
    const pass = async (from: number) => {
      for (let i = from; i < from + n; i += concurrency) {
        const batch: unknown[] = [];
        for (let j = i; j < Math.min(i + concurrency, from + n); j++) {
          batch.push(op(deliveries[j]!, j));
        }
        if (concurrency > 1) await Promise.all(batch);
        else await batch[0];
      }
    };
    await pass(0);
    const cpu0 = process.cpuUsage();
    const redis0 = cpuMsOf(redisProcess);
    const allocated = await allocationsOf(() => pass(n));
    const cpu = process.cpuUsage(cpu0);
    const figures: StageFigures = {
      stage,
      cpuUsPerOp: Math.round(((cpu.user + cpu.system) / n) * 100) / 100,
      allocatedBytesPerOp: Math.round(allocated / n),
    };
    if (stage.startsWith('enqueue')) {
      figures.redisCpuUsPerOp = Math.round(((cpuMsOf(redisProcess) - redis0) * 1000) / n);
    }
    stages.push(figures);
  };

  // Verify: the header checks, then the HMAC over the body.
  const verifier = new SignatureVerifier(input.secret);
  const checked = deliveries.map((d) => {
    const c = verifier.checkHeaders(d.headers);
    if (!c.ok) throw new Error(`bench delivery refused: ${c.reason}`);
    return c;
  });
  await measure('verify signature (headers, HMAC)', (d) => {
    const c = verifier.checkHeaders(d.headers);
    if (!c.ok || !verifier.verifyBody(d.body, c).ok) throw new Error('not verified');
  });

  // Parse and validate: JSON, the envelope, the event schema, the job (the inbox answers at
  // once, so only acceptance's own work is counted).
  const noInbox = {
    inbox: { add: () => Promise.resolve('accepted' as const) },
    parked: { park: () => Promise.resolve() },
  };
  await measure('parse and validate (JSON, schema, job)', (d, i) =>
    acceptSeamWebhook(noInbox, {
      deliveryId: checked[i]!.ok ? checked[i]!.deliveryId : '',
      body: d.body,
      receivedAt: new Date(),
    }),
  );

  // Enqueue: the service's inbox on the request-path connection, 50 deliveries in flight as
  // under the ingress bench's load (they share batches as they do there).
  const redis = createRequestPathConnection(
    { url: input.redisUrl, commandTimeoutMs: 1500 },
    'bench-stages',
  );
  await waitUntilReady(redis, 5000);
  const inbox = new EventInbox(redis, `stages${randomUUID().slice(0, 6)}`, 28 * 3600_000, 1500);
  const jobs = deliveries.map((d, i) => {
    const e = JSON.parse(d.body.toString('utf8')) as Record<string, string>;
    return {
      delivery_id: checked[i]!.ok ? checked[i]!.deliveryId : '',
      event_id: e.event_id!,
      event_type: e.event_type!,
      access_code_id: e.access_code_id!,
      device_id: e.device_id!,
      connected_account_id: e.connected_account_id!,
      occurred_at: e.occurred_at!,
      errors: [],
      warnings: [],
      received_at: new Date().toISOString(),
    };
  });
  await measure('enqueue (dedupe + job, client side)', (_d, i) => inbox.add(jobs[i]!), 50);
  await inbox.close();
  redis.disconnect();

  // Log and metrics: what the request log and the route do per delivery, through a logger set
  // up as the service's (same redaction, asynchronous writes), writing to /dev/null.
  const logger = pino(
    {
      level: 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: '/dev/null', sync: false }),
  );
  const metrics = createMetrics();
  await measure('log line and metrics', () => {
    const startedAt = process.hrtime.bigint();
    const id = randomUUID();
    logger.info(
      {
        req: { id, method: 'POST', path: '/webhooks/seam' },
        res: { statusCode: 200 },
        responseTime: 3,
      },
      'request completed',
    );
    metrics.webhookDeliveries.inc({ outcome: 'accepted' });
    metrics.webhookDuration.observe(
      { outcome: 'accepted' },
      Number(process.hrtime.bigint() - startedAt) / 1e9,
    );
  });

  // The signed deliveries' budget (express-rate-limit, in memory), as the route calls it.
  const limits = createRateLimits({
    config: {
      WEBHOOK_RATE_LIMIT: 100_000_000,
      API_RATE_LIMIT: 0,
      AUTH_FAILURE_RATE_LIMIT: 0,
      RATE_LIMIT_WINDOW_MS: 60_000,
    },
    metrics,
    logger,
  });
  const app = { get: () => false };
  await measure('rate limit (signed deliveries)', async () => {
    const req = {
      ip: '127.0.0.1',
      app,
      headers: {},
      method: 'POST',
      originalUrl: '/webhooks/seam',
    } as unknown as Request;
    const res = {
      headersSent: false,
      setHeader: () => undefined,
      on: () => undefined,
    } as unknown as Response;
    let passed = false;
    await limits.signedDelivery(req, res, () => {
      passed = true;
    });
    if (!passed) throw new Error('rate limited');
  });
  logger.flush();

  const report: StagesReport = { iterations: n, stages };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
