/**
 * Running the service against the simulator by hand (issue 16, item 2), as a reader of the
 * README would: `npm run sim` prints a complete environment with webhooks wired, and the
 * service started with exactly that environment tells a guest; `npm run dev` does it all in
 * one command. And the simulator listens on loopback only. Processes, real Redis, real ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { loadConfig } from '../../src/config';
import { startSimulator } from '../../sim/simulator';
import { spawnService, type ServiceProcess } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '..', '..');

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** `node --import tsx <script>` with its output kept line by line. */
function run(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const onData = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    lines,
    exited,
    waitFor: async (pattern, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => pattern.test(l));
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`no line matching ${pattern}:\n${lines.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** A 44-hour igloohome stay from tomorrow 15:00 UTC. */
function stay(reference: string) {
  const start = new Date();
  start.setUTCDate(start.getUTCDate() + 1);
  start.setUTCHours(15, 0, 0, 0);
  return {
    device_id: 'device1',
    reference,
    guest: { name: 'Ada', email: 'ada@example.com' },
    starts_at: start.toISOString(),
    ends_at: new Date(start.getTime() + 44 * 3600_000).toISOString(),
  };
}

async function api(base: string, token: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  return { status: res.status, body: (await res.json()) as any };
}

describe('the service against the simulator, by hand', () => {
  let redis: PrivateRedis;
  const procs: (Proc | ServiceProcess)[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    await redis.stop();
    removeDir(redis.dir);
  });

  it('npm run sim prints a complete environment; the service started with it tells the guest', async () => {
    const servicePort = await freePort();
    const sim = run('sim/cli.ts', {
      SIM_SERVICE_PORT: String(servicePort),
      REDIS_URL: redis.url,
    });
    procs.push(sim);
    await sim.waitFor(/then, with the service running/);
    const env: Record<string, string> = {};
    for (const line of sim.lines) {
      const m = /^export ([A-Z_]+)=(\S+)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    // Complete: the configuration of both roles loads from it and nothing else.
    expect(() => loadConfig(env, ['ingress', 'worker'])).not.toThrow();
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'API_TOKEN',
        'SEAM_WEBHOOK_SECRET',
        'SMTP_URL',
        'NOTIFY_WEBHOOK_URL',
      ]),
    );
    expect(env.PORT).toBe(String(servicePort));
    expect(sim.lines).toContain(`webhooks -> http://127.0.0.1:${servicePort}/webhooks/seam`);

    const service = spawnService('all', env);
    procs.push(service);
    await service.waitForLog(/"msg":"started"/);
    const base = `http://127.0.0.1:${servicePort}`;
    const created = await api(base, env.API_TOKEN!, '/v1/guest-codes', stay('by-hand-sim'));
    expect(created.status).toBe(202);
    // Wired webhooks move the code on; the guest's email and the booking system's event arrive.
    await sim.waitFor(/^\[email\] to ada@example\.com: /);
    await sim.waitFor(/^\[webhook\] guest_code\.ready /);
    const id = created.body.guest_code.id as string;
    for (const deadline = Date.now() + 10_000; ;) {
      const got = await api(base, env.API_TOKEN!, `/v1/guest-codes/${id}`);
      if (got.body.guest_code.status === 'notified') break;
      if (Date.now() > deadline) throw new Error(`still ${got.body.guest_code.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
  }, 90_000);

  it('npm run dev starts Redis, simulator and service with webhooks wired; a guest is told', async () => {
    const dev = run('scripts/dev.ts', { PORT: '0' });
    procs.push(dev);
    const base = /service ready at (\S+)/.exec(await dev.waitFor(/service ready at /))![1]!;
    const token = /^API_TOKEN=(\S+)$/.exec(await dev.waitFor(/^API_TOKEN=/))![1]!;
    const devices = await api(base, token, '/v1/devices');
    expect(devices.status).toBe(200);
    expect(devices.body.devices).toHaveLength(4);
    const created = await api(base, token, '/v1/guest-codes', stay('by-hand-dev'));
    expect(created.status).toBe(202);
    await dev.waitFor(/^\[email\] to ada@example\.com: /);
    await dev.waitFor(/^\[webhook\] guest_code\.ready /);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
  }, 90_000);
});

describe('the simulator listens on loopback only', () => {
  it("both its front and Seam's fake behind it are bound to 127.0.0.1", async () => {
    const sim = await startSimulator();
    try {
      const fake = sim.fake.server!.server.address() as net.AddressInfo;
      const front = new URL(sim.url);
      expect(fake.address).toBe('127.0.0.1');
      expect(front.hostname).toBe('127.0.0.1');
      // From another address of this machine, nothing answers on either port.
      const other = Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      for (const port of [fake.port, Number(front.port)]) {
        if (other) await expect(connects(other, port)).resolves.toBe(false);
        await expect(connects('127.0.0.1', port)).resolves.toBe(true);
      }
    } finally {
      await sim.close();
    }
  });
});

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
