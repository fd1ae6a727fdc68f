import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import { sleep } from './processes';

export const PREFIX = 'bench';
const keys = storeKeys(PREFIX);

export interface TimelineRow {
  at: string;
  type: string;
  message: string;
}

/** Reads the service's end state the way an operator would: straight from Redis. */
export class ServiceState {
  readonly queues: Queue[];

  constructor(private readonly redis: Redis) {
    this.queues = [QUEUES.events, QUEUES.reconcile, QUEUES.notify, QUEUES.create].map(
      (name) => new Queue(name, { connection: redis, prefix: PREFIX }),
    );
  }

  async records(ids: string[]): Promise<(Record<string, unknown> | undefined)[]> {
    const out: (Record<string, unknown> | undefined)[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const p = this.redis.pipeline();
      for (const id of ids.slice(i, i + 500)) p.hget(keys.guestCode(id), 'doc');
      for (const [, doc] of (await p.exec()) ?? []) {
        out.push(
          typeof doc === 'string' ? (JSON.parse(doc) as Record<string, unknown>) : undefined,
        );
      }
    }
    return out;
  }

  async timelines(ids: string[]): Promise<TimelineRow[][]> {
    const out: TimelineRow[][] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const p = this.redis.pipeline();
      for (const id of ids.slice(i, i + 500)) p.lrange(keys.timeline(id), 0, -1);
      for (const [, rows] of (await p.exec()) ?? []) {
        out.push(((rows as string[]) ?? []).map((r) => JSON.parse(r) as TimelineRow));
      }
    }
    return out;
  }

  /** Jobs not finished yet over every work queue; delayed ones only when due within 2 s
   *  (a re-check planned hours ahead is not a backlog). */
  async backlog(): Promise<number> {
    let n = 0;
    for (const q of this.queues) {
      const c = await q.getJobCounts('wait', 'active', 'prioritized', 'waiting-children');
      n += Object.values(c).reduce((a, b) => a + b, 0);
      // BullMQ scores delayed jobs by due time (ms) times 0x1000.
      n += await this.redis.zcount(q.toKey('delayed'), '-inf', (Date.now() + 2000) * 0x1000);
    }
    return n;
  }

  async waitForDrain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.backlog()) === 0) return true;
      await sleep(100);
    }
    return false;
  }

  close(): Promise<void[]> {
    return Promise.all(this.queues.map((q) => q.close()));
  }
}
