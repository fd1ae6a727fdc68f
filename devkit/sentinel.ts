import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, isAccepting, removeDir, startPrivateRedis, type PrivateRedis } from './redis';

/**
 * A Sentinel deployment on loopback (tests, demo): a primary, its replicas and sentinels, each a
 * real `redis-server` process (`--sentinel` for the sentinels, each with a generated config of
 * its own, which Sentinel rewrites as it learns). Ports are free ones; nothing is shared with
 * the machine's Redis.
 */
export interface SentinelGroup {
  /** The master group name the sentinels monitor. */
  name: string;
  /** The first primary, then the replicas, in start order (roles change with failovers). */
  servers: PrivateRedis[];
  sentinelPorts: number[];
  /** `REDIS_SENTINELS` for the service: `127.0.0.1:p1,127.0.0.1:p2,...`. */
  sentinelsEnv: string;
  /** The port of the server the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** Resolves once the sentinels name a master other than `oldPort` (a failover happened). */
  untilMasterIsNot(oldPort: number, timeoutMs: number): Promise<number>;
  /** Resolves once the sentinels know every replica and each other (failover possible). */
  untilSettled(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface SentinelGroupOptions {
  name?: string;
  replicas?: number;
  sentinels?: number;
  quorum?: number;
  /** How long a primary may not answer before a sentinel thinks it down. */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** AOF on the servers (`appendfsync always`). */
  appendonly?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSentinelGroup(opts: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = opts.name ?? 'seamcodes';
  const sentinelCount = opts.sentinels ?? 3;
  const quorum = opts.quorum ?? Math.floor(sentinelCount / 2) + 1;
  const primary = await startPrivateRedis({ appendonly: opts.appendonly });
  const servers = [primary];
  for (let i = 0; i < (opts.replicas ?? 1); i++) {
    servers.push(await startPrivateRedis({ appendonly: opts.appendonly, replicaOf: primary.port }));
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'test-sentinel-'));
  const sentinelPorts: number[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < sentinelCount; i++) {
    const port = await freePort();
    const file = path.join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${quorum}`,
        `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 10_000}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' });
    children.push(child);
    sentinelPorts.push(port);
  }
  for (const port of sentinelPorts) {
    const deadline = Date.now() + 10_000;
    while (!(await isAccepting(port))) {
      if (Date.now() > deadline) throw new Error(`sentinel did not listen on ${port}`);
      await sleep(25);
    }
  }

  const ask = async <T>(fn: (s: Redis) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (const port of sentinelPorts) {
      const s = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      s.on('error', () => undefined);
      try {
        await s.connect();
        return await fn(s);
      } catch (err) {
        last = err;
      } finally {
        s.disconnect();
      }
    }
    throw last instanceof Error ? last : new Error('no sentinel answered');
  };
  const masterPort = () =>
    ask(async (s) => {
      const addr = (await s.call('SENTINEL', 'get-master-addr-by-name', name)) as string[] | null;
      return Number(addr?.[1]);
    });

  return {
    name,
    servers,
    sentinelPorts,
    sentinelsEnv: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    masterPort,
    untilMasterIsNot: async (oldPort, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = await masterPort().catch(() => oldPort);
        if (port !== oldPort) return port;
        if (Date.now() > deadline) throw new Error(`no failover away from ${oldPort}`);
        await sleep(100);
      }
    },
    untilSettled: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      const replicas = servers.length - 1;
      for (;;) {
        const counts = await Promise.all(
          sentinelPorts.map(async (port) => {
            const s = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
            s.on('error', () => undefined);
            try {
              const known = (await s.call('SENTINEL', 'replicas', name)) as unknown[];
              const peers = (await s.call('SENTINEL', 'sentinels', name)) as unknown[];
              return known.length >= replicas && peers.length >= sentinelCount - 1;
            } catch {
              return false;
            } finally {
              s.disconnect();
            }
          }),
        );
        if (counts.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error('the sentinels did not find each other');
        await sleep(200);
      }
    },
    close: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      for (const s of servers) {
        s.signal('SIGCONT');
        await s.stop({ hard: true });
        removeDir(s.dir);
      }
      removeDir(dir);
    },
  };
}
