import { QUEUES } from '../src/queues/catalog';
import type { Code } from './e2e';
import { runLoad } from './ingress';
import type { BenchContext } from './lib/context';
import { ServiceState, PREFIX } from './lib/service-state';
import type { Stack } from './lib/stack';
import { round } from './lib/stats';

export interface MemorySample {
  events: number;
  ingressRssMb: number;
  workerRssMb: number;
  ingressHeapMb: number;
  workerHeapMb: number;
  redisUsedMb: number;
  redisKeys: number;
  /** Redis memory by kind of key (MB), to name what grows. */
  redisByKind: Record<string, number>;
}

export interface MemoryReport {
  events: number;
  samples: MemorySample[];
  /** From the sample at half the events to the last one. */
  growth: {
    ingressRssPct: number;
    workerRssPct: number;
    redisUsedPct: number;
    /** Redis keys other than the delivery-id dedupe keys (which live WEBHOOK_DEDUPE_TTL_MS by
     *  design), by MEMORY USAGE. */
    redisWithoutDedupePct: number;
    /** What one delivery's dedupe key costs in Redis until it expires (bytes). */
    dedupeBytesPerDelivery: number;
    growingKinds: string[];
  };
}

const MB = 1024 * 1024;

const QUEUE_NAMES = new Set<string>(Object.values(QUEUES));

/** Names a key by what it is, so growth can be pinned to a kind of key. */
export function kindOf(key: string): string {
  const rest = key.slice(PREFIX.length + 1);
  if (/^gc:[^:]+:timeline$/.test(rest)) return 'guest code timelines';
  if (/^gc:[^:]+$/.test(rest)) return 'guest code records';
  const [head = '', sub = ''] = rest.split(/:(.*)/s);
  if (!QUEUE_NAMES.has(head)) return `store: ${head}`;
  if (sub.startsWith('de:')) return `${head}: delivery dedupe keys`;
  if (/^[a-z-]+$/.test(sub)) return `${head}: ${sub}`;
  if (!sub.includes(':')) return `${head}: job hashes`;
  return `${head}: job logs and locks`;
}

async function heapMb(port: number | undefined): Promise<number> {
  if (!port) return NaN;
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const m = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text);
  return m ? round(Number(m[1]) / MB, 1) : NaN;
}

async function redisByKind(
  ctx: BenchContext,
): Promise<{ total: number; byKind: Record<string, number> }> {
  const byKind: Record<string, number> = {};
  let cursor = '0';
  let total = 0;
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'COUNT', 2000);
    cursor = next;
    total += keys.length;
    const p = ctx.redis.pipeline();
    for (const k of keys) p.memory('USAGE', k, 'SAMPLES', '0');
    const sizes = (await p.exec()) ?? [];
    keys.forEach((k, i) => {
      const kind = kindOf(k);
      byKind[kind] = (byKind[kind] ?? 0) + Number(sizes[i]?.[1] ?? 0);
    });
  } while (cursor !== '0');
  for (const k of Object.keys(byKind)) byKind[k] = round(byKind[k]! / MB, 2);
  return { total, byKind };
}

/**
 * Memory under sustained traffic: signed deliveries about the bench's guest codes go to the
 * ingress in chunks (the load generator, at full speed), the workers process them, and after
 * each chunk has drained the bench samples the processes' RSS and heap and Redis's memory.
 */
export async function benchMemory(
  ctx: BenchContext,
  stack: Stack,
  codes: Code[],
  events: number,
  ports: { ingress: number; worker: number },
  log: (line: string) => void,
): Promise<MemoryReport> {
  const state = new ServiceState(ctx.redis);
  const chunks = 4;
  const samples: MemorySample[] = [];
  try {
    let sent = 0;
    for (let c = 1; c <= chunks; c++) {
      const amount = Math.round((events * c) / chunks) - sent;
      await runLoad({
        url: stack.ingressUrl,
        secret: ctx.secret,
        connections: 50,
        warmupS: 0,
        durationS: 0,
        amount,
        accessCodeIds: codes.map((x) => x.accessCodeId),
      });
      sent += amount;
      if (!(await state.waitForDrain(600_000))) throw new Error('memory run: queues did not drain');
      const info = await ctx.redis.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
      const kinds = await redisByKind(ctx);
      const sample: MemorySample = {
        events: sent,
        ingressRssMb: round(stack.ingress.rss() / MB, 1),
        workerRssMb: round((stack.workers[0]?.rss() ?? NaN) / MB, 1),
        ingressHeapMb: await heapMb(ports.ingress),
        workerHeapMb: await heapMb(ports.worker),
        redisUsedMb: round(used / MB, 1),
        redisKeys: kinds.total,
        redisByKind: kinds.byKind,
      };
      samples.push(sample);
      log(
        `  after ${sent} events: ingress RSS ${sample.ingressRssMb} MB, worker RSS ${sample.workerRssMb} MB, Redis ${sample.redisUsedMb} MB (${sample.redisKeys} keys)`,
      );
    }
  } finally {
    await state.close();
  }
  return { events, samples, growth: memoryGrowth(samples) };
}

/** Growth from the sample at half the events to the last one. */
export function memoryGrowth(samples: MemorySample[]): MemoryReport['growth'] {
  const mid = samples[Math.floor(samples.length / 2) - 1]!;
  const last = samples[samples.length - 1]!;
  const pct = (a: number, b: number) => round((100 * (b - a)) / a, 1);
  const growingKinds = Object.entries(last.redisByKind)
    .filter(([k, mb]) => mb - (mid.redisByKind[k] ?? 0) > 0.5)
    .map(([k, mb]) => `${k} (+${round(mb - (mid.redisByKind[k] ?? 0), 1)} MB)`);
  // Everything but the dedupe keys, by MEMORY USAGE; the dedupe keys' share of used_memory is
  // the rest (their own bytes plus the key space's tables and expiry entries they grow).
  const others = (x: MemorySample) =>
    Object.entries(x.redisByKind)
      .filter(([k]) => !k.endsWith('delivery dedupe keys'))
      .reduce((a, [, mb]) => a + mb, 0);
  const dedupe = (x: MemorySample) => x.redisUsedMb - others(x);
  return {
    ingressRssPct: pct(mid.ingressRssMb, last.ingressRssMb),
    workerRssPct: pct(mid.workerRssMb, last.workerRssMb),
    redisUsedPct: pct(mid.redisUsedMb, last.redisUsedMb),
    redisWithoutDedupePct: pct(others(mid), others(last)),
    dedupeBytesPerDelivery: round(
      ((dedupe(last) - dedupe(mid)) * MB) / (last.events - mid.events),
      0,
    ),
    growingKinds,
  };
}
