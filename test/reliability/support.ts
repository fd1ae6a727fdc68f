/**
 * Shared parts of the reliability suite: a Svix-like sender (a non-2xx or a broken connection is
 * re-sent, same svix-id, until a 2xx or a deadline), a readiness-polling load balancer, service
 * processes with their log lines kept, a search of every log line for secrets and PINs, a view
 * of the events queue by delivery id, and the figures file docs/reliability.md quotes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queues/catalog';
import { spawnService, type ServiceProcess } from '../helpers/processes';
import { accessCodeEvent, signDelivery } from '../../devkit/svix';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- figures --------------------------------------------------------------------------------

const OUTPUT = path.resolve(__dirname, '../../test-output/reliability');

/** Writes one case's figures to test-output/reliability/<case>.json (cases run in parallel,
 *  so each has its own file). */
export function recordFigures(caseName: string, figures: Record<string, unknown>): void {
  mkdirSync(OUTPUT, { recursive: true });
  const body = { case: caseName, ...figures, recorded_at: new Date().toISOString() };
  writeFileSync(path.join(OUTPUT, `${caseName}.json`), `${JSON.stringify(body, null, 2)}\n`);
}

// ---- log search -----------------------------------------------------------------------------

/**
 * Every log line a case produced, searched for every secret it handed out and every PIN the
 * simulator assigned. A PIN is short, so it only counts standing alone (not inside a longer
 * number, id, port or timestamp); secrets count anywhere, whole or by their distinctive part.
 */
export class LogWatch {
  private readonly sources: (() => string[])[] = [];
  private readonly secrets = new Map<string, string>();

  addSource(lines: () => string[]): void {
    this.sources.push(lines);
  }

  addSecret(name: string, value: string | undefined): void {
    if (!value) return;
    this.secrets.set(name, value);
    // The distinctive part of a whsec_ secret or seam_ key, in case a prefix was cut off.
    const body = value.replace(/^(whsec_|seam_)/, '');
    if (body !== value && body.length >= 12) this.secrets.set(`${name} (body)`, body);
  }

  lines(): string[] {
    return this.sources.flatMap((s) => s());
  }

  /** Log lines that carry a secret or one of `pins`, with what they carry. */
  leaks(pins: string[]): { what: string; line: string }[] {
    const found: { what: string; line: string }[] = [];
    const lines = this.lines();
    for (const line of lines) {
      for (const [name, value] of this.secrets) {
        if (line.includes(value)) found.push({ what: name, line });
      }
    }
    const alone = pins.map(
      (pin) => [pin, new RegExp(`(?<![A-Za-z0-9_:.-])${pin}(?![A-Za-z0-9_.-])`)] as const,
    );
    for (const line of lines) {
      const text = line.replace(/"time":"[^"]*"/, '');
      for (const [pin, re] of alone) if (re.test(text)) found.push({ what: `PIN ${pin}`, line });
    }
    return found;
  }
}

// ---- processes ------------------------------------------------------------------------------

export interface ManagedProcess {
  name: string;
  proc: ServiceProcess;
  port: number;
}

/** Starts a service process and waits until it says it started. */
export async function startProcess(
  name: string,
  role: 'ingress' | 'worker' | 'all',
  env: Record<string, string>,
  port: number,
  watch?: LogWatch,
): Promise<ManagedProcess> {
  const proc = spawnService(role, { ...env, PORT: String(port), HOST: '127.0.0.1' });
  if (watch) watch.addSource(() => proc.output);
  await Promise.race([
    proc.waitForLog(/"msg":"started"/, 30_000),
    proc.exited.then((code) => {
      throw new Error(`${name} exited ${code} at start:\n${proc.output.join('\n')}`);
    }),
  ]);
  return { name, proc, port };
}

/** SIGTERM, then the exit code; SIGKILL past `timeoutMs` (answers 'killed'). */
export async function stopProcess(
  p: ManagedProcess | undefined,
  timeoutMs = 15_000,
): Promise<number | null | 'killed'> {
  if (!p) return null;
  const child = p.proc.child;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  const result = await Promise.race([p.proc.exited, late]);
  clearTimeout(timer);
  if (result !== 'late') return result;
  child.kill('SIGKILL');
  await p.proc.exited;
  return 'killed';
}

export async function killProcess(p: ManagedProcess): Promise<void> {
  const child = p.proc.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await p.proc.exited;
}

// ---- a load balancer's view -----------------------------------------------------------------

/**
 * What a load balancer does with health checks: polls each backend's /readyz and routes only to
 * those that answered 200 last time, round robin.
 */
export class ReadinessBalancer {
  private readonly ready = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private next = 0;

  constructor(
    private readonly backends: string[],
    private readonly intervalMs = 100,
  ) {
    for (const b of backends) this.ready.set(b, true);
  }

  start(): void {
    const poll = async () => {
      await Promise.all(
        this.backends.map(async (b) => {
          try {
            const res = await fetch(`${b}/readyz`, { signal: AbortSignal.timeout(1000) });
            await res.arrayBuffer();
            this.ready.set(b, res.status === 200);
          } catch {
            this.ready.set(b, false);
          }
        }),
      );
      // stop() may have come while the checks were in flight: clearing the timer alone left
      // this loop polling for ever, and Jest had to kill the worker ("failed to exit").
      if (!this.stopped) this.timer = setTimeout(() => void poll(), this.intervalMs);
    };
    void poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A ready backend, or undefined when none is. */
  pick(): string | undefined {
    const up = this.backends.filter((b) => this.ready.get(b));
    if (up.length === 0) return undefined;
    this.next = (this.next + 1) % up.length;
    return up[this.next];
  }
}

// ---- Svix-like delivery ---------------------------------------------------------------------

export interface DeliveryRecord {
  id: string;
  /** Every answer in order: an HTTP status, or 0 for a connection error. */
  answers: number[];
  acknowledged: boolean;
}

export interface SendStats {
  deliveries: number;
  acknowledged: number;
  attempts: number;
  retries: number;
  byStatus: Record<string, number>;
  connectionErrors: number;
}

/**
 * Sends `count` authentic access_code deliveries with `concurrency` in flight, each re-sent
 * with Svix's rule (any non-2xx, or no answer, is retried later with the same svix-id and a
 * fresh signature) until it is acknowledged or `deadlineMs` passes. `target` names the base
 * URL for each attempt (undefined: nobody is ready, wait). `onAck` sees each acknowledgement.
 */
export async function sendWithSvixRetries(opts: {
  secret: string;
  count: number;
  concurrency: number;
  target: () => string | undefined;
  deadlineMs: number;
  onAck?: (acknowledged: number) => void | Promise<void>;
  /** Stops starting new deliveries once true (already started ones still finish). */
  stopWhen?: () => boolean;
  idPrefix?: string;
  /** Each lane waits this long before starting its next delivery (spreads a burst in time). */
  intervalMs?: number;
}): Promise<{ records: DeliveryRecord[]; stats: SendStats }> {
  const records: DeliveryRecord[] = [];
  const deadline = Date.now() + opts.deadlineMs;
  let started = 0;
  let acknowledged = 0;
  const lane = async () => {
    while (started < opts.count && !opts.stopWhen?.()) {
      if (opts.intervalMs) await sleep(opts.intervalMs);
      if (started >= opts.count) break;
      const n = started++;
      const payload = accessCodeEvent({
        // Unknown to the service: the worker records it as ignored, no Seam call.
        access_code_id: `ac_rel_${opts.idPrefix ?? ''}${n}`,
      });
      const rec: DeliveryRecord = {
        id: `msg_${opts.idPrefix ?? ''}${n}_${Math.random().toString(36).slice(2, 10)}`,
        answers: [],
        acknowledged: false,
      };
      records.push(rec);
      let backoff = 50;
      while (!rec.acknowledged && Date.now() < deadline) {
        const base = opts.target();
        if (!base) {
          await sleep(50);
          continue;
        }
        const d = signDelivery(opts.secret, payload, { id: rec.id });
        try {
          const res = await fetch(`${base}/webhooks/seam`, {
            method: 'POST',
            headers: d.headers,
            body: d.body,
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          rec.answers.push(res.status);
          if (res.status >= 200 && res.status < 300) {
            rec.acknowledged = true;
            acknowledged += 1;
            await opts.onAck?.(acknowledged);
            break;
          }
        } catch {
          rec.answers.push(0);
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  const answers = records.flatMap((r) => r.answers);
  const byStatus: Record<string, number> = {};
  for (const a of answers) byStatus[String(a)] = (byStatus[String(a)] ?? 0) + 1;
  return {
    records,
    stats: {
      deliveries: records.length,
      acknowledged,
      attempts: answers.length,
      retries: answers.length - records.length,
      byStatus,
      connectionErrors: byStatus['0'] ?? 0,
    },
  };
}

// ---- the events queue -----------------------------------------------------------------------

export interface InboxView {
  /** delivery id -> the states of the jobs carrying it (one entry per job). */
  byDelivery: Map<string, string[]>;
  counts: Record<string, number>;
  /** Jobs that ran more than once (stalled and taken over, or retried). */
  reruns: number;
  /** Why failed jobs failed (a few), for the assertion message. */
  failedReasons: string[];
  /**
   * Of the `expected` delivery ids with no job left, those whose dedupe key is still in Redis:
   * completed jobs trimmed by retention (removeOnComplete keeps the newest 5,000). The key is
   * written in the same script as the job, so a delivery lost with its job has no key either.
   */
  trimmed: Set<string>;
}

/** Every job in the events queue of `prefix`, by delivery id. */
export async function inboxView(
  redisUrl: string,
  prefix: string,
  expected: string[] = [],
): Promise<InboxView> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.events, { connection, prefix });
  try {
    const byDelivery = new Map<string, string[]>();
    let reruns = 0;
    const failedReasons: string[] = [];
    const states = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;
    for (const state of states) {
      const jobs = await queue.getJobs([state], 0, -1);
      for (const job of jobs) {
        const id = (job.data as { delivery_id: string }).delivery_id;
        byDelivery.set(id, [...(byDelivery.get(id) ?? []), state]);
        if (job.attemptsMade > 1 || (job.stalledCounter ?? 0) > 0) reruns += 1;
        if (state === 'failed' && failedReasons.length < 5) {
          failedReasons.push(
            `${job.failedReason} (stalled ${job.stalledCounter}, attempts ${job.attemptsMade})`,
          );
        }
      }
    }
    const counts = (await queue.getJobCounts(...states)) as Record<string, number>;
    const trimmed = new Set<string>();
    for (const id of expected.filter((e) => !byDelivery.has(e))) {
      if (await connection.exists(`${prefix}:${QUEUES.events}:de:${id}`)) trimmed.add(id);
    }
    return { byDelivery, counts, reruns, failedReasons, trimmed };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Waits until the events queue has nothing waiting, active or delayed. */
export async function untilInboxDrained(
  redisUrl: string,
  prefix: string,
  timeoutMs: number,
): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.events, { connection, prefix });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).every((n) => n === 0)) return;
      if (Date.now() > deadline) throw new Error(`events queue not drained: ${JSON.stringify(c)}`);
      await sleep(200);
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Redis INFO memory figures, in bytes. */
export async function redisMemory(redisUrl: string): Promise<{ used: number; peak: number }> {
  const r = new Redis(redisUrl);
  try {
    const info = await r.info('memory');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
    return { used: field('used_memory'), peak: field('used_memory_peak') };
  } finally {
    r.disconnect();
  }
}
