import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { newWebhookSecret } from '../../sim/webhooks';
import { startServiceProcess, type BenchContext } from './context';
import { ROOT, waitForHttp, type Proc } from './processes';

/** igloohome locks in the bench's simulator: the end-to-end run keeps 750 codes at once, and
 *  a lock holds at most 199 PINs (src/domain/lock-limits.ts), so the sandbox's two are few. */
export const BENCH_IGLOOHOME_LOCKS = 8;

/** The simulator's fixture with igloohome locks added up to BENCH_IGLOOHOME_LOCKS. */
function benchFixture(dir: string): string {
  const fixture = JSON.parse(
    readFileSync(path.join(ROOT, 'sim', 'fixtures', 'devices.json'), 'utf8'),
  ) as { devices: { group: string; name: string; properties: Record<string, unknown> }[] };
  const igloohome = fixture.devices.filter((d) => d.group === 'igloohome');
  const model = igloohome[0]!;
  for (let i = igloohome.length; i < BENCH_IGLOOHOME_LOCKS; i++) {
    const serial = `SP2XB${String(i).padStart(6, '0')}`;
    fixture.devices.push({
      ...model,
      name: `Bench lock ${i} (igloohome)`,
      properties: {
        ...model.properties,
        igloohome_metadata: {
          device_id: serial,
          device_name: `Bench lock ${i}`,
          keypad_id: serial,
        },
      },
    });
  }
  const file = path.join(dir, 'bench-fixture.json');
  writeFileSync(file, JSON.stringify(fixture));
  return file;
}

export const API_TOKEN = 'bench-api-token-0123456789abcdef';

/**
 * The deployed shape for the end-to-end sections: the simulator (Seam, on loopback, codes
 * moved by the bench), an ingress process, N worker processes, and a receiver for the
 * outbound guest webhook (the notification channel; no SMTP, see BENCHMARKS.md).
 */
export interface Stack {
  sim: Simulator;
  ingressUrl: string;
  ingress: Proc;
  workers: Proc[];
  /** HTTP ports (health, metrics) of the ingress and of the first worker. */
  ports(): { ingress: number; worker: number };
  /** Starts or stops worker processes until `n` run. */
  setWorkers(n: number): Promise<void>;
  close(): Promise<void>;
}

export function workerEnv(ctx: BenchContext, sim: Simulator, receiverUrl: string) {
  return {
    SEAM_API_KEY: sim.apiKey,
    SEAM_ENDPOINT: sim.url,
    NOTIFY_WEBHOOK_URL: receiverUrl,
    NOTIFY_WEBHOOK_SECRET: newWebhookSecret(),
    // Seam allows 10 creations per lock per minute; the simulator does not, and the bench
    // creates hundreds of codes on its igloohome locks before it measures anything.
    DEVICE_CREATE_LIMIT_PER_MINUTE: '1000',
    API_TOKEN,
    SEAM_WEBHOOK_SECRET: ctx.secret,
  };
}

export async function startStack(ctx: BenchContext): Promise<Stack> {
  const sim = await startSimulator({
    autoAdvance: false,
    webhookSecret: ctx.secret,
    fixturePath: benchFixture(ctx.logDir),
  });
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const env = workerEnv(ctx, sim, receiverUrl);

  const ing = await startServiceProcess(ctx, 'e2e-ingress', 'ingress', env);
  await waitForHttp(`http://127.0.0.1:${ing.port}/healthz`, ing.proc);
  const ingressUrl = `http://127.0.0.1:${ing.port}`;
  sim.setWebhookUrl(`${ingressUrl}/webhooks/seam`);

  const workers: Proc[] = [];
  const workerPorts: number[] = [];
  let started = 0;
  const setWorkers = async (n: number) => {
    while (workers.length > n) {
      workerPorts.pop();
      await workers.pop()!.stop();
    }
    while (workers.length < n) {
      started += 1;
      const w = await startServiceProcess(ctx, `e2e-worker-${started}`, 'worker', env);
      await waitForHttp(`http://127.0.0.1:${w.port}/healthz`, w.proc);
      workers.push(w.proc);
      workerPorts.push(w.port);
    }
  };
  await setWorkers(1);
  return {
    sim,
    ingressUrl,
    ingress: ing.proc,
    workers,
    ports: () => ({ ingress: ing.port, worker: workerPorts[0] ?? 0 }),
    setWorkers,
    close: async () => {
      sim.setWebhookUrl(null);
      await setWorkers(0);
      await ing.proc.stop();
      await sim.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    },
  };
}
