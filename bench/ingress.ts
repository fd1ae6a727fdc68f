import { spawn } from 'node:child_process';
import { freePort } from '../scripts/private-redis';
import { startServiceProcess, type BenchContext } from './lib/context';
import { cpuMsOf, redisPid, ROOT, spawnNode, waitForHttp, type Proc } from './lib/processes';
import { median, round } from './lib/stats';
import type { LoadInput, LoadResult } from './load';

export interface IngressOptions {
  rounds: number;
  warmupS: number;
  durationS: number;
  connections: number;
  /** Writes a V8 CPU profile of the service (node --cpu-prof) into this directory. */
  profileDir?: string;
}

export type Target = 'service' | 'hello' | 'helloTuned' | 'plain';
const TARGETS: Target[] = ['service', 'hello', 'helloTuned', 'plain'];

export interface TargetFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  /** CPU per request of the server process and of Redis (ms), warm-up included. */
  cpuMsPerRequest: { server: number; redis: number };
}

type RoundResult = LoadResult & { cpuMs: { server: number; redis: number } };

export interface IngressReport {
  connections: number;
  rounds: Record<Target, RoundResult>[];
  /** Medians over rounds. */
  median: Record<Target, TargetFigures>;
  /** Medians over rounds of the ratios measured within each round. */
  ratios: {
    serviceOverHelloRps: number;
    serviceOverPlainRps: number;
    plainOverHelloRps: number;
    serviceOverHelloP99: number;
    /** Requests per CPU-second of the server process, service over hello-world: what the
     *  throughput ratio would be with each server alone on a saturated core. */
    serviceOverHelloPerCpu: number;
    serviceOverPlainPerCpu: number;
    /** The same against the hello-world given the service's server fix (hello-tuned.ts). */
    serviceOverTunedHelloRps: number;
    serviceOverTunedHelloP99: number;
    serviceOverTunedHelloPerCpu: number;
    tunedHelloOverHelloRps: number;
  };
}

export function runLoad(input: LoadInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', BENCH_LOAD: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

async function startTargets(
  ctx: BenchContext,
  opts: IngressOptions,
): Promise<Record<Target, { proc: Proc; port: number }>> {
  const profile = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const service = await startServiceProcess(ctx, 'ingress', 'ingress', {}, profile);
  const baseline = async (name: Target, file: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const proc = spawnNode(
      name,
      ['--import', 'tsx', file],
      { HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', ...env },
      ctx.logDir,
    );
    return { proc, port };
  };
  const hello = await baseline('hello', 'bench/baselines/hello.ts');
  const helloTuned = await baseline('helloTuned', 'bench/baselines/hello-tuned.ts');
  const plain = await baseline('plain', 'bench/baselines/plain.ts', {
    REDIS_URL: ctx.redisUrl,
    SEAM_WEBHOOK_SECRET: ctx.secret,
    QUEUE_PREFIX: 'plain',
  });
  const all = { service, hello, helloTuned, plain };
  for (const [name, t] of Object.entries(all)) {
    await waitForHttp(`http://127.0.0.1:${t.port}/healthz`, t.proc).catch((err: unknown) => {
      throw new Error(`${name}: ${(err as Error).message}`);
    });
  }
  return all;
}

/**
 * Ingress throughput: the service's ingress, the Express hello-world (stock, and with the
 * service's server fix) and the plain handler, each a process of its own on loopback, loaded
 * in turn by the same generator. Rounds interleave the four (rotating who goes first) so
 * drift on a shared machine hits all alike.
 */
export async function benchIngress(
  ctx: BenchContext,
  opts: IngressOptions,
  log: (line: string) => void,
): Promise<IngressReport> {
  const targets = await startTargets(ctx, opts);
  const rounds: Record<Target, RoundResult>[] = [];
  const redisProcess = redisPid(Number(new URL(ctx.redisUrl).port));
  try {
    for (let r = 0; r < opts.rounds; r++) {
      const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length] as Target);
      const round = {} as Record<Target, RoundResult>;
      for (const target of order) {
        // Each run starts from an empty Redis, so no run pays for the jobs of another.
        await ctx.redis.flushall();
        const cpu0 = {
          server: cpuMsOf(targets[target].proc.child.pid),
          redis: cpuMsOf(redisProcess),
        };
        const load = await runLoad({
          url: `http://127.0.0.1:${targets[target].port}`,
          secret: ctx.secret,
          connections: opts.connections,
          warmupS: opts.warmupS,
          durationS: opts.durationS,
        });
        const result: RoundResult = {
          ...load,
          cpuMs: {
            server: cpuMsOf(targets[target].proc.child.pid) - cpu0.server,
            redis: cpuMsOf(redisProcess) - cpu0.redis,
          },
        };
        round[target] = result;
        log(
          `  round ${r + 1} ${target.padEnd(10)} ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors + result.non2xx}`,
        );
      }
      rounds.push(round);
    }
  } finally {
    for (const t of Object.values(targets)) await t.proc.stop();
  }

  const cpuPerRequest = (r: RoundResult) => r.cpuMs.server / (r.ok + r.warmupRequests);
  const fig = (t: Target): TargetFigures => ({
    rps: round(median(rounds.map((r) => r[t].rps)), 0),
    p50Ms: median(rounds.map((r) => r[t].latencyMs.p50)),
    p99Ms: median(rounds.map((r) => r[t].latencyMs.p99)),
    maxMs: median(rounds.map((r) => r[t].latencyMs.max)),
    errors: rounds.reduce((n, r) => n + r[t].errors, 0),
    non2xx: rounds.reduce((n, r) => n + r[t].non2xx, 0),
    cpuMsPerRequest: {
      server: round(
        median(rounds.map((r) => r[t].cpuMs.server / (r[t].ok + r[t].warmupRequests))),
        3,
      ),
      redis: round(
        median(rounds.map((r) => r[t].cpuMs.redis / (r[t].ok + r[t].warmupRequests))),
        3,
      ),
    },
  });
  const ratio = (f: (r: Record<Target, RoundResult>) => number) => round(median(rounds.map(f)), 3);
  return {
    connections: opts.connections,
    rounds,
    median: {
      service: fig('service'),
      hello: fig('hello'),
      helloTuned: fig('helloTuned'),
      plain: fig('plain'),
    },
    ratios: {
      serviceOverHelloRps: ratio((r) => r.service.rps / r.hello.rps),
      serviceOverPlainRps: ratio((r) => r.service.rps / r.plain.rps),
      plainOverHelloRps: ratio((r) => r.plain.rps / r.hello.rps),
      serviceOverHelloP99: ratio((r) => r.service.latencyMs.p99 / r.hello.latencyMs.p99),
      serviceOverHelloPerCpu: ratio((r) => cpuPerRequest(r.hello) / cpuPerRequest(r.service)),
      serviceOverPlainPerCpu: ratio((r) => cpuPerRequest(r.plain) / cpuPerRequest(r.service)),
      serviceOverTunedHelloRps: ratio((r) => r.service.rps / r.helloTuned.rps),
      serviceOverTunedHelloP99: ratio((r) => r.service.latencyMs.p99 / r.helloTuned.latencyMs.p99),
      serviceOverTunedHelloPerCpu: ratio(
        (r) => cpuPerRequest(r.helloTuned) / cpuPerRequest(r.service),
      ),
      tunedHelloOverHelloRps: ratio((r) => r.helloTuned.rps / r.hello.rps),
    },
  };
}
