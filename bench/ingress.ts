import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../devkit/redis';
import { serviceEnv, startServiceProcess, type BenchContext } from './lib/context';
import { cpuMsOf, redisPid, ROOT, spawnNode, waitForHttp, type Proc } from './lib/processes';
import { median, round } from './lib/stats';
import type { LoadInput, LoadResult } from './load';

export interface IngressOptions {
  rounds: number;
  warmupS: number;
  durationS: number;
  connections: number;
  /** Load at this many requests per second in all instead of as fast as answered: every
   *  target then does the same work per second, so CPU per request compares at equal load. */
  rate?: number;
  /** Writes a V8 CPU profile of the service (node --cpu-prof) into this directory. */
  profileDir?: string;
  /** Other builds of the service (label -> a directory holding its dist/), loaded in the
   *  same rounds as `service@<label>`: a paired measure of a change on a noisy machine. */
  compare?: Record<string, string>;
}

export type Target = 'service' | 'hello' | 'helloTuned' | 'plain';

export interface TargetFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  /** CPU per request of the server process and of Redis (ms), warm-up included. */
  cpuMsPerRequest: { server: number; redis: number };
  /** Bytes the server process allocated on its V8 heap per request, warm-up included. */
  allocatedBytesPerRequest: number;
}

type RoundResult = LoadResult & {
  cpuMs: { server: number; redis: number };
  allocatedBytes: number;
};

const ALLOC_PROBE = path.join(ROOT, 'bench', 'lib', 'alloc-probe.mjs');

/** The bytes a process started with the allocation probe has allocated so far (NaN if it
 *  does not answer within a few seconds). */
async function allocatedBytesOf(t: { proc: Proc; allocFile: string }): Promise<number> {
  const read = () => {
    try {
      return JSON.parse(readFileSync(t.allocFile, 'utf8')) as {
        seq: number;
        allocatedBytes: number;
      };
    } catch {
      return { seq: 0, allocatedBytes: NaN };
    }
  };
  const before = read().seq;
  t.proc.child.kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const now = read();
    if (now.seq > before) return now.allocatedBytes;
  }
  return NaN;
}

export interface IngressReport {
  connections: number;
  /** Set when the load was open-loop at this rate (--rate): req/s ratios then mean nothing. */
  rate?: number;
  rounds: Record<string, RoundResult>[];
  /** Medians over rounds. */
  median: Record<Target, TargetFigures>;
  /** Each compared build (`--compare`): the service's figures over its, medians over rounds. */
  compared?: Record<
    string,
    TargetFigures & { serviceOverItRps: number; serviceOverItPerCpu: number }
  >;
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
): Promise<Record<string, { proc: Proc; port: number; allocFile: string }>> {
  const profile = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const allocFile = (name: string) => path.join(ctx.logDir, `${name}.alloc.json`);
  const service = {
    ...(await startServiceProcess(
      ctx,
      'ingress',
      'ingress',
      { BENCH_ALLOC_FILE: allocFile('service') },
      [...profile, '--import', ALLOC_PROBE],
    )),
    allocFile: allocFile('service'),
  };
  const baseline = async (name: Target, file: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const proc = spawnNode(
      name,
      ['--import', ALLOC_PROBE, '--import', 'tsx', file],
      {
        HOST: '127.0.0.1',
        PORT: String(port),
        NODE_ENV: 'production',
        BENCH_ALLOC_FILE: allocFile(name),
        ...env,
      },
      ctx.logDir,
    );
    return { proc, port, allocFile: allocFile(name) };
  };
  const hello = await baseline('hello', 'bench/baselines/hello.ts');
  const helloTuned = await baseline('helloTuned', 'bench/baselines/hello-tuned.ts');
  const plain = await baseline('plain', 'bench/baselines/plain.ts', {
    REDIS_URL: ctx.redisUrl,
    SEAM_WEBHOOK_SECRET: ctx.secret,
    QUEUE_PREFIX: 'plain',
  });
  const all: Record<string, { proc: Proc; port: number; allocFile: string }> = {
    service,
    hello,
    helloTuned,
    plain,
  };
  for (const [label, dir] of Object.entries(opts.compare ?? {})) {
    const name = `service@${label}`;
    const port = await freePort();
    const proc = spawnNode(
      name,
      ['--import', ALLOC_PROBE, path.resolve(dir, 'dist', 'src', 'main.js'), 'ingress'],
      { ...serviceEnv(ctx), PORT: String(port), BENCH_ALLOC_FILE: allocFile(name) },
      ctx.logDir,
    );
    all[name] = { proc, port, allocFile: allocFile(name) };
  }
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
  const rounds: Record<string, RoundResult>[] = [];
  const names = Object.keys(targets);
  const redisProcess = redisPid(Number(new URL(ctx.redisUrl).port));
  try {
    for (let r = 0; r < opts.rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length] as string);
      const round = {} as Record<string, RoundResult>;
      for (const target of order) {
        // Each run starts from an empty Redis, so no run pays for the jobs of another.
        await ctx.redis.flushall();
        const alloc0 = await allocatedBytesOf(targets[target]!);
        const cpu0 = {
          server: cpuMsOf(targets[target]!.proc.child.pid),
          redis: cpuMsOf(redisProcess),
        };
        const load = await runLoad({
          url: `http://127.0.0.1:${targets[target]!.port}`,
          secret: ctx.secret,
          connections: opts.connections,
          warmupS: opts.warmupS,
          durationS: opts.durationS,
          rate: opts.rate,
        });
        const result: RoundResult = {
          ...load,
          cpuMs: {
            server: cpuMsOf(targets[target]!.proc.child.pid) - cpu0.server,
            redis: cpuMsOf(redisProcess) - cpu0.redis,
          },
          allocatedBytes: (await allocatedBytesOf(targets[target]!)) - alloc0,
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
  const fig = (t: string): TargetFigures => ({
    rps: round(median(rounds.map((r) => r[t]!.rps)), 0),
    p50Ms: median(rounds.map((r) => r[t]!.latencyMs.p50)),
    p99Ms: median(rounds.map((r) => r[t]!.latencyMs.p99)),
    maxMs: median(rounds.map((r) => r[t]!.latencyMs.max)),
    errors: rounds.reduce((n, r) => n + r[t]!.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r[t]!.non2xx, 0),
    cpuMsPerRequest: {
      server: round(
        median(rounds.map((r) => r[t]!.cpuMs.server / (r[t]!.ok + r[t]!.warmupRequests))),
        3,
      ),
      redis: round(
        median(rounds.map((r) => r[t]!.cpuMs.redis / (r[t]!.ok + r[t]!.warmupRequests))),
        3,
      ),
    },
    allocatedBytesPerRequest: round(
      median(rounds.map((r) => r[t]!.allocatedBytes / (r[t]!.ok + r[t]!.warmupRequests))),
      0,
    ),
  });
  const ratio = (f: (r: Record<string, RoundResult>) => number) => round(median(rounds.map(f)), 3);
  const compared = Object.fromEntries(
    Object.keys(opts.compare ?? {}).map((label) => {
      const t = `service@${label}`;
      return [
        label,
        {
          ...fig(t),
          serviceOverItRps: ratio((r) => r.service!.rps / r[t]!.rps),
          serviceOverItPerCpu: ratio((r) => cpuPerRequest(r[t]!) / cpuPerRequest(r.service!)),
        },
      ];
    }),
  );
  return {
    connections: opts.connections,
    ...(opts.rate ? { rate: opts.rate } : {}),
    rounds,
    median: {
      service: fig('service'),
      hello: fig('hello'),
      helloTuned: fig('helloTuned'),
      plain: fig('plain'),
    },
    ...(opts.compare ? { compared } : {}),
    ratios: {
      serviceOverHelloRps: ratio((r) => r.service!.rps / r.hello!.rps),
      serviceOverPlainRps: ratio((r) => r.service!.rps / r.plain!.rps),
      plainOverHelloRps: ratio((r) => r.plain!.rps / r.hello!.rps),
      serviceOverHelloP99: ratio((r) => r.service!.latencyMs.p99 / r.hello!.latencyMs.p99),
      serviceOverHelloPerCpu: ratio((r) => cpuPerRequest(r.hello!) / cpuPerRequest(r.service!)),
      serviceOverPlainPerCpu: ratio((r) => cpuPerRequest(r.plain!) / cpuPerRequest(r.service!)),
      serviceOverTunedHelloRps: ratio((r) => r.service!.rps / r.helloTuned!.rps),
      serviceOverTunedHelloP99: ratio(
        (r) => r.service!.latencyMs.p99 / r.helloTuned!.latencyMs.p99,
      ),
      serviceOverTunedHelloPerCpu: ratio(
        (r) => cpuPerRequest(r.helloTuned!) / cpuPerRequest(r.service!),
      ),
      tunedHelloOverHelloRps: ratio((r) => r.helloTuned!.rps / r.hello!.rps),
    },
  };
}
