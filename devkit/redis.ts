import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A private redis-server (tests, demo, benchmarks): its own port and directory, never the
 *  machine's Redis. */
export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM, or SIGKILL when `hard`). */
  stop(opts?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory (AOF, when enabled, is replayed). */
  start(): Promise<void>;
  /** stop() then start(): with `hard`, a crash (SIGKILL) and a recovery from the AOF. */
  restart(opts?: { hard?: boolean }): Promise<void>;
  /** Sends a signal to the running server (SIGSTOP / SIGCONT: a stall, as under load). */
  signal(sig: NodeJS.Signals): void;
}

export interface PrivateRedisOptions {
  /** AOF with `appendfsync always`: every acknowledged write survives a crash of Redis. */
  appendonly?: boolean;
  /** Where Redis keeps its files (default: a new temporary directory). */
  dir?: string;
  /** `maxmemory`, e.g. '256mb' (with noeviction: past it, writes fail instead of evicting). */
  maxmemory?: string;
  /** A replica of the server on this loopback port (`--replicaof 127.0.0.1 <port>`). */
  replicaOf?: number;
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

/** No redis-server on the PATH. */
export class NoRedisError extends Error {}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on this loopback port now. */
export function isAccepting(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isAccepting(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'test-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      opts.appendonly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      ...(opts.maxmemory ? ['--maxmemory', opts.maxmemory] : []),
      ...(opts.replicaOf ? ['--replicaof', '127.0.0.1', String(opts.replicaOf)] : []),
      ...(opts.args ?? []),
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      proc.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new NoRedisError('redis-server is not on the PATH')
            : new Error(`cannot start redis-server: ${err.message}`),
        ),
      );
      waitForPort(port, 10_000).then(resolve, reject);
    });
  };

  const stop = async ({ hard = false } = {}): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
    child = undefined;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    start,
    stop: async (o) => {
      await stop(o);
    },
    restart: async (o) => {
      await stop(o);
      await start();
    },
    signal: (sig) => {
      if (child && child.exitCode === null) child.kill(sig);
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
