/**
 * `npm run bench`: builds the service once, starts a private Redis, runs each section against
 * the built service as separate processes on loopback, prints a table, writes
 * bench/results/latest.json, and stops everything it started.
 *
 *   npm run bench                      the full run (figures in BENCHMARKS.md)
 *   npm run bench -- --quick           a bounded run (CI: a few minutes at most)
 *   npm run bench -- --only ingress    one or more sections: ingress,stages,e2e,workers,memory
 *   npm run bench -- --only replica-ack
 *                                      the ingress with REDIS_MIN_REPLICAS_ACK=0 and =1 against a
 *                                      Redis with one replica (not in the default run)
 *   npm run bench -- --profile         also writes a CPU profile of the ingress (--cpu-prof)
 *   npm run bench -- --only ingress --compare before=/tmp/old-checkout
 *                                      also loads another build of the service (its dist/) in
 *                                      the same rounds: a paired measure of a change
 * Counts and times: --rounds --warmup --duration --connections --e2e-rate --e2e-seconds
 * --burst --worker-events --memory-events --stage-iterations (see BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { removeDir, startPrivateRedis } from '../devkit/redis';
import { newWebhookSecret } from '../sim/webhooks';
import { benchE2e, createCodes, type Code, type E2eReport } from './e2e';
import { benchIngress, type IngressReport } from './ingress';
import { benchMemory, type MemoryReport } from './memory';
import { benchReplicaAck, type ReplicaAckReport } from './replica-ack';
import { benchStages, type StagesReport } from './stages-section';
import { ServiceState } from './lib/service-state';
import { startStack } from './lib/stack';
import { benchWorkers, type WorkersReport } from './workers';
import type { BenchContext } from './lib/context';
import { ROOT } from './lib/processes';
import { checkTargets, printTable } from './table';

const SECTIONS = ['ingress', 'stages', 'e2e', 'workers', 'memory', 'replica-ack'] as const;
type Section = (typeof SECTIONS)[number];
/** What a run without --only measures (replica-ack starts a replica: asked for by name). */
const DEFAULT_SECTIONS: Section[] = ['ingress', 'stages', 'e2e', 'workers', 'memory'];

export interface BenchReport {
  started_at: string;
  mode: 'quick' | 'full' | 'custom';
  machine: { cpus: number; model: string; node: string; memory_gb: number; load_before: number[] };
  settings: Record<string, unknown>;
  ingress?: IngressReport;
  stages?: StagesReport;
  e2e?: E2eReport;
  workers?: WorkersReport;
  memory?: MemoryReport;
  replicaAck?: ReplicaAckReport;
  targets?: ReturnType<typeof checkTargets>;
}

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'e2e-rate': { type: 'string' },
      'e2e-seconds': { type: 'string' },
      burst: { type: 'string' },
      'worker-events': { type: 'string' },
      'memory-events': { type: 'string' },
      'stage-iterations': { type: 'string' },
      compare: { type: 'string' },
      rate: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const num = (v: string | undefined, full: number, fast: number) =>
    v === undefined ? (quick ? fast : full) : Number(v);
  const only = (values.only ?? DEFAULT_SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim()) as Section[];
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
  return {
    quick,
    only,
    profile: values.profile ?? false,
    build: !(values['no-build'] ?? false),
    out: values.out ?? path.join(ROOT, 'bench', 'results', 'latest.json'),
    ingress: {
      rounds: num(values.rounds, 3, 3),
      warmupS: num(values.warmup, 3, 1),
      durationS: num(values.duration, 10, 3),
      connections: num(values.connections, 50, 50),
      rate: values.rate === undefined ? undefined : Number(values.rate),
      compare: values.compare
        ? Object.fromEntries(
            values.compare.split(',').map((pair) => {
              const [label, dir] = pair.split('=');
              if (!label || !dir) throw new Error(`--compare wants label=dir, got ${pair}`);
              return [label, path.resolve(dir)];
            }),
          )
        : undefined,
    },
    stages: { iterations: num(values['stage-iterations'], 20_000, 3_000) },
    e2e: {
      rate: num(values['e2e-rate'], 200, 200),
      seconds: num(values['e2e-seconds'], 30, 8),
      burst: num(values.burst, 4, 4),
    },
    workers: { events: num(values['worker-events'], 20_000, 3_000) },
    memory: { events: num(values['memory-events'], 200_000, 20_000) },
  };
}

function machine() {
  return {
    cpus: os.availableParallelism(),
    model: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_before: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => console.log(line);
  if (opts.build) {
    log('building the service (npm run build)...');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'bench-logs-'));
  const redisServer = await startPrivateRedis();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const ctx: BenchContext = {
    redisUrl: redisServer.url,
    logDir,
    secret: newWebhookSecret(),
    redis,
  };
  const report: BenchReport = {
    started_at: new Date().toISOString(),
    mode: opts.quick ? 'quick' : process.argv.length > 2 ? 'custom' : 'full',
    machine: machine(),
    settings: {
      ingress: opts.ingress,
      stages: opts.stages,
      e2e: opts.e2e,
      workers: opts.workers,
      memory: opts.memory,
    },
  };
  log(`logs of the processes under test: ${logDir}`);
  try {
    if (opts.only.includes('ingress')) {
      log(
        `ingress: ${opts.ingress.rounds} rounds of ${opts.ingress.durationS} s after ${opts.ingress.warmupS} s warm-up, ${opts.ingress.connections} connections`,
      );
      const profileDir = opts.profile ? path.join(ROOT, 'bench', 'results', 'profiles') : undefined;
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      report.ingress = await benchIngress(ctx, { ...opts.ingress, profileDir }, log);
    }
    if (opts.only.includes('stages')) {
      await redis.flushall();
      log(`stages: ${opts.stages.iterations} deliveries through each stage, in-process`);
      report.stages = await benchStages(ctx, opts.stages.iterations);
    }
    if (opts.only.includes('replica-ack')) {
      log(
        `replica-ack: the ingress with REDIS_MIN_REPLICAS_ACK=0 and =1, ${opts.ingress.rounds} rounds of ${opts.ingress.durationS} s, ${opts.ingress.connections} connections`,
      );
      report.replicaAck = await benchReplicaAck(ctx, { ...opts.ingress, ackTimeoutMs: 1000 }, log);
      await redis.flushall();
    }
    if (opts.only.some((s) => !['ingress', 'stages', 'replica-ack'].includes(s))) {
      await redis.flushall();
      log('end to end: simulator, ingress and worker processes');
      const stack = await startStack(ctx);
      try {
        let codes: Code[];
        if (opts.only.includes('e2e')) {
          const e2e = await benchE2e(ctx, stack, opts.e2e, log);
          report.e2e = e2e.report;
          codes = e2e.codes;
        } else {
          const state = new ServiceState(redis);
          codes = await createCodes(stack, state, 200);
          await state.close();
        }
        if (opts.only.includes('workers')) {
          log(`workers: ${opts.workers.events} events with 1, 2 and 4 worker processes`);
          report.workers = await benchWorkers(ctx, stack, codes, opts.workers.events, log);
        }
        if (opts.only.includes('memory')) {
          log(`memory: ${opts.memory.events} events through ingress and worker`);
          report.memory = await benchMemory(
            ctx,
            stack,
            codes,
            opts.memory.events,
            stack.ports(),
            log,
          );
        }
      } finally {
        await stack.close();
      }
    }
  } finally {
    redis.disconnect();
    await redisServer.stop();
    removeDir(redisServer.dir);
  }
  report.targets = checkTargets(report);
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  printTable(report, log);
  log(`written: ${path.relative(ROOT, opts.out)} (process logs kept in ${logDir})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
