import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { SeamEventJob } from '../src/queues/jobs';
import { QUEUES } from '../src/queues/catalog';
import { eventJobOptions } from '../src/queues/options';
import type { Code } from './e2e';
import type { BenchContext } from './lib/context';
import { PREFIX, ServiceState } from './lib/service-state';
import type { Stack } from './lib/stack';
import { round } from './lib/stats';

export interface WorkersReport {
  events: number;
  byProcesses: {
    processes: number;
    seconds: number;
    eventsPerSecond: number;
    seamFetches: number;
  }[];
}

/**
 * Worker throughput: with 1, 2 and 4 worker processes running, `events` Seam events about
 * known codes are put on the (paused) events queue at once, the queue is resumed, and the
 * clock runs until every queue is empty again (each event noted on its guest code, the
 * reconciles it asked for fetched from the simulator and applied).
 */
export async function benchWorkers(
  ctx: BenchContext,
  stack: Stack,
  codes: Code[],
  events: number,
  log: (line: string) => void,
): Promise<WorkersReport> {
  const state = new ServiceState(ctx.redis);
  const queue = new Queue<SeamEventJob>(QUEUES.events, {
    connection: ctx.redis,
    prefix: PREFIX,
    defaultJobOptions: eventJobOptions,
  });
  const byProcesses: WorkersReport['byProcesses'] = [];
  try {
    for (const processes of [1, 2, 4]) {
      await stack.setWorkers(processes);
      await state.waitForDrain(30_000);
      await queue.pause();
      const now = new Date().toISOString();
      for (let i = 0; i < events; i += 1000) {
        await queue.addBulk(
          Array.from({ length: Math.min(1000, events - i) }, (_, j) => {
            const code = codes[(i + j) % codes.length]!;
            const job: SeamEventJob = {
              delivery_id: `msg_bench_${randomUUID()}`,
              event_id: randomUUID(),
              event_type: 'access_code.set_on_device',
              access_code_id: code.accessCodeId,
              device_id: 'device_bench',
              occurred_at: now,
              errors: [],
              warnings: [],
              received_at: now,
            };
            return { name: job.event_type, data: job };
          }),
        );
      }
      stack.sim.resetCounts();
      const t0 = performance.now();
      await queue.resume();
      if (!(await state.waitForDrain(300_000))) throw new Error('workers did not drain the queues');
      const seconds = (performance.now() - t0) / 1000;
      const seamFetches = stack.sim.requestCounts()['/access_codes/get'] ?? 0;
      byProcesses.push({
        processes,
        seconds: round(seconds, 2),
        eventsPerSecond: round(events / seconds, 0),
        seamFetches,
      });
      log(`  ${processes} worker process(es): ${round(events / seconds, 0)} events/s`);
    }
  } finally {
    await stack.setWorkers(1);
    await queue.close();
    await state.close();
  }
  return { events, byProcesses };
}
