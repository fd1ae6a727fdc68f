import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { removeDir, startPrivateRedis, type PrivateRedis } from './redis';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Redis Cluster on loopback (tests, demo): `masters` real `redis-server --cluster-enabled
 * yes` processes, joined with `redis-cli --cluster create ... --cluster-yes` (with
 * `--cluster-replicas` when replicas are asked for), on
 * free ports of their own.
 */
export interface PrivateCluster {
  nodes: PrivateRedis[];
  /** `REDIS_CLUSTER_NODES` for the service. */
  nodesEnv: string;
  close(): Promise<void>;
}

export async function startPrivateCluster(
  masters = 3,
  /** Replicas per master (`--cluster-replicas`). */
  replicas = 0,
): Promise<PrivateCluster> {
  const nodes: PrivateRedis[] = [];
  for (let i = 0; i < masters * (1 + replicas); i++) {
    nodes.push(
      await startPrivateRedis({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      }),
    );
  }
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  const withReplicas = replicas > 0 ? ['--cluster-replicas', String(replicas)] : [];
  await run('redis-cli', ['--cluster', 'create', ...addresses, ...withReplicas, '--cluster-yes'], {
    timeout: 30_000,
  });
  // Every node must agree the cluster is up (all slots covered) before clients use it.
  const deadline = Date.now() + 30_000;
  for (const n of nodes) {
    const r = new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      while (!/cluster_state:ok/.test((await r.call('CLUSTER', 'INFO')) as string)) {
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} never reported ok`);
        await sleep(100);
      }
    } finally {
      r.disconnect();
    }
  }
  // Replicas: each shard lists its replicas, and every replica has caught up with its master.
  if (replicas > 0) {
    const r = new Redis(nodes[0]!.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      for (;;) {
        const ranges = (await r.call('CLUSTER', 'SLOTS')) as unknown[][];
        if (ranges.every((range) => range.length >= 3 + replicas)) break;
        if (Date.now() > deadline) throw new Error('cluster replicas never joined');
        await sleep(100);
      }
    } finally {
      r.disconnect();
    }
    for (const n of nodes) {
      const c = new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      try {
        for (;;) {
          const info = await c.info('replication');
          if (/role:master/.test(info) || /master_link_status:up/.test(info)) break;
          if (Date.now() > deadline) throw new Error(`cluster replica ${n.port} never synced`);
          await sleep(100);
        }
      } finally {
        c.disconnect();
      }
    }
  }
  return {
    nodes,
    nodesEnv: addresses.join(','),
    close: async () => {
      for (const n of nodes) {
        await n.stop({ hard: true });
        removeDir(n.dir);
      }
    },
  };
}
