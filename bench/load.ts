/**
 * The load generator, run as its own process (`node --import tsx bench/load.ts`) so its CPU is
 * not the orchestrator's: unique, freshly signed access_code deliveries at a fixed concurrency,
 * a warm-up that is not recorded, then the measured run. Prints one JSON line.
 *
 * Input (env BENCH_LOAD, JSON): LoadInput below.
 */
import autocannon from 'autocannon';
import { checkAgainstSvix, deliveryFactory } from '../devkit/svix';

export interface LoadInput {
  url: string;
  secret: string;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Requests per second in all (open loop at this rate) instead of as fast as answered. */
  rate?: number;
  /** Send exactly this many deliveries instead (no warm-up, no duration). */
  amount?: number;
  /** Access codes the deliveries are about (default: made-up ids). */
  accessCodeIds?: string[];
}

export interface LoadResult {
  rps: number;
  ok: number;
  /** Requests answered during the warm-up (not in the figures). */
  warmupRequests: number;
  errors: number;
  non2xx: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  durationS: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadInput;
  checkAgainstSvix(input.secret);
  const next = deliveryFactory(input.secret, input.accessCodeIds);
  const run = (durationS: number) =>
    autocannon({
      url: input.url,
      connections: input.connections,
      pipelining: 1,
      ...(input.rate ? { overallRate: input.rate } : {}),
      ...(input.amount ? { amount: input.amount } : { duration: durationS }),
      requests: [
        {
          method: 'POST',
          path: '/webhooks/seam',
          setupRequest: (req) => {
            const d = next();
            return { ...req, headers: d.headers, body: d.body };
          },
        },
      ],
    });
  const warm = input.warmupS > 0 && !input.amount ? await run(input.warmupS) : undefined;
  const r = await run(input.durationS);
  const ok = r['2xx'];
  const result: LoadResult = {
    rps: ok / (r.duration || input.durationS),
    ok,
    warmupRequests: warm ? warm.requests.total : 0,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    durationS: r.duration,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
