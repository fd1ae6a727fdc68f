/**
 * A worker PROCESS dies (SIGKILL) after it claimed a guest notification and while the email
 * is on the wire: after recovery the guest gets exactly one email.
 *
 * The simulator, an SMTP server and the ingress run in this process; each worker is a child
 * process (`node --import tsx app/main.ts worker`) on the test Redis. The SMTP server holds the
 * first message's DATA without answering, so the worker is between claim and sent when it is
 * killed; that message is then refused, so it never counts as delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { startService, type RunningService } from '../../app/service';
import { GuestCodeStore } from '../../src/store/guest-codes';
import { storeKeys } from '../../src/store/keys';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { eventually } from '../../devkit/eventually';
import { API_TOKEN, hourlyWindow } from '../helpers/stack';
import { LogSink, testConfig, testRedisUrl } from '../helpers/service';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
// Longer than all of a notification's retries together (8 attempts, at most 500 ms apart): the
// second worker finds the dead worker's claim busy for several seconds, and must wait it out
// rather than spend its attempts and fail with nobody left to send.
const LEASE_MS = 8000;
const STALLED_MS = 500;

interface HoldingSmtp {
  port: number;
  /** DATA commands fully received (held or accepted). */
  received: number;
  /** Messages answered 250: the ones the guest really got. */
  delivered: string[];
  /** The first message's answer, withheld; call it to refuse the message. */
  held?: (err?: Error | null) => void;
  close(): Promise<void>;
}

/** An SMTP server that withholds its answer to the first message and accepts the rest. */
async function startHoldingSmtp(): Promise<HoldingSmtp> {
  const state = { received: 0, delivered: [] as string[] } as HoldingSmtp;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.received += 1;
        if (state.received === 1) {
          state.held = callback;
          return;
        }
        state.delivered.push(Buffer.concat(chunks).toString('utf8'));
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  state.port = address.port;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts', 'worker'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

async function started(w: WorkerProcess): Promise<void> {
  await eventually(() => {
    if (w.child.exitCode !== null) throw new Error(`worker exited:\n${w.output.join('\n')}`);
    return w.output.some((l) => l.includes('workers started')) ? true : undefined;
  }, 20_000);
}

describe('a worker killed between claiming and sending a notification', () => {
  let sim: Simulator;
  let smtp: HoldingSmtp;
  let ingress: RunningService;
  let redis: Redis;
  let store: GuestCodeStore;
  const workers: WorkerProcess[] = [];
  const prefix = `crash${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    sim = await startSimulator({ settingAfterMs: 100, setAfterMs: 300 });
    smtp = await startHoldingSmtp();
    const config = testConfig({
      QUEUE_PREFIX: prefix,
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN,
      DEVICE_CACHE_TTL_MS: '0',
    });
    ingress = await startService(['ingress'], config, new LogSink('info').logger);
    sim.setWebhookUrl(`http://127.0.0.1:${ingress.port}/webhooks/seam`);
    redis = new Redis(testRedisUrl());
    store = new GuestCodeStore(redis, prefix);
  });

  afterAll(async () => {
    sim.setWebhookUrl(null);
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }
    for (const step of ingress.shutdownSteps()) await step.run();
    await sim.close();
    await smtp.close();
    redis.disconnect();
  });

  const workerEnv = () => ({
    NODE_ENV: 'test',
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    SEAM_API_KEY: sim.apiKey,
    SEAM_ENDPOINT: sim.url,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Door codes <codes@example.com>',
    NOTIFY_CLAIM_LEASE_MS: String(LEASE_MS),
    WORKER_STALLED_INTERVAL_MS: String(STALLED_MS),
    SEAM_RETRY_BASE_MS: '50',
    SEAM_RETRY_MAX_MS: '500',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });

  it('sends exactly one email after recovery, and the record ends notified', async () => {
    const first = spawnWorker(workerEnv());
    workers.push(first);
    await started(first);

    const res = await fetch(`http://127.0.0.1:${ingress.port}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: sim.devices.igloohome[0],
        guest: { name: 'Crash Guest', email: 'crash@example.com' },
        ...hourlyWindow(2, 24),
        reference: 'crash-1',
      }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { guest_code: { id: string } }).guest_code.id;

    // The first worker has the email on the wire: claimed, not yet sent.
    await eventually(() => (smtp.held ? true : undefined), 15_000);
    const gc = (await store.get(id))!;
    expect(gc.status).toBe('set');
    expect(gc.notifications).toHaveLength(0);
    const claimKey = storeKeys(prefix).notifyClaim(id, gc.active_access_code_id!, 'email');
    expect(await redis.get(claimKey)).toMatch(/^sending:/);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The message the dead worker was sending is refused: the guest never got it.
    smtp.held!(Object.assign(new Error('refused'), { responseCode: 554 }));
    expect(smtp.delivered).toHaveLength(0);

    const second = spawnWorker(workerEnv());
    workers.push(second);
    await started(second);
    const done = await eventually(async () => {
      const cur = await store.get(id);
      return cur?.status === 'notified' ? cur : undefined;
    }, 30_000);
    // Long enough for any second lease or stalled check to have passed.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 4 * STALLED_MS));

    const pin = sim.accessCodes().find((c) => c.access_code_id === done.active_access_code_id)!
      .code as string;
    expect(smtp.received).toBe(2);
    expect(smtp.delivered).toHaveLength(1);
    expect(smtp.delivered[0]).toContain('crash@example.com');
    expect(smtp.delivered[0]).toContain(pin);
    const final = (await store.get(id))!;
    expect(final.status).toBe('notified');
    expect(final.notifications).toEqual([
      expect.objectContaining({ access_code_id: done.active_access_code_id, channel: 'email' }),
    ]);
    expect(await redis.get(claimKey)).toBe('sent');
    const notified = (await store.timeline(id)).filter((t) => t.type === 'notified');
    expect(notified).toHaveLength(1);
  });
});
