import { randomUUID } from 'node:crypto';
import type { BenchContext } from './lib/context';
import { sleep } from './lib/processes';
import { ServiceState } from './lib/service-state';
import { API_TOKEN, type Stack } from './lib/stack';
import { percentile, round } from './lib/stats';

export interface E2eOptions {
  /** Seam events per second, spread evenly. */
  rate: number;
  seconds: number;
  /** Events per burst: one status change and burst-1 repeats of its event. */
  burst: number;
}

export interface Code {
  id: string;
  accessCodeId: string;
}

export interface E2eReport {
  codes: number;
  events: number;
  bursts: number;
  achievedRate: number;
  deliveredWebhooks: number;
  notified: number;
  latencyMs: {
    receiptToReconciled: { p50: number; p99: number; max: number; n: number };
    seamSetToReconciled: { p50: number; p99: number; max: number; n: number };
    setToNotified: { p50: number; p99: number; max: number; n: number };
  };
  seam: {
    requests: Record<string, number>;
    /** Reads that reconcile a record, per burst: the burst's cost (the target). */
    fetchesPerBurst: number;
    /** Reads of the PIN when a notification is sent: one per notification, not per event. */
    pinReads: number;
    fetchesPerEvent: number;
    requestsPerEvent: number;
  };
}

async function api(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Asks the service for `n` guest codes and waits until each has its Seam code. */
export async function createCodes(stack: Stack, state: ServiceState, n: number): Promise<Code[]> {
  const devices = stack.sim.devices.igloohome;
  const first = new Date(Date.now() + 2 * 3600_000);
  first.setUTCMinutes(0, 0, 0);
  // Each code on a lock its own hour: igloohome takes at most 3 codes for the same window.
  const window = (i: number) => {
    const starts = first.getTime() + Math.floor(i / devices.length) * 3600_000;
    return {
      starts_at: new Date(starts).toISOString(),
      ends_at: new Date(starts + 24 * 3600_000).toISOString(),
    };
  };
  const ids: string[] = [];
  const run = randomUUID().slice(0, 8);
  let next = 0;
  const one = async () => {
    while (next < n) {
      const i = next++;
      const res = await api(stack.ingressUrl, '/v1/guest-codes', {
        device_id: devices[i % devices.length],
        reference: `bench-${run}-${i}`,
        guest: { name: `Guest ${i}`, email: `guest${i}@example.com` },
        ...window(i),
      });
      if (res.status !== 202)
        throw new Error(`create answered ${res.status}: ${JSON.stringify(res.json)}`);
      ids.push((res.json as { guest_code: { id: string } }).guest_code.id);
    }
  };
  await Promise.all(Array.from({ length: 10 }, one));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const recs = await state.records(ids);
    const ready = recs.filter((r) => typeof r?.active_access_code_id === 'string');
    if (ready.length === ids.length) {
      return ids.map((id, i) => ({ id, accessCodeId: recs[i]!.active_access_code_id as string }));
    }
    if (Date.now() > deadline) throw new Error(`only ${ready.length}/${n} codes created in time`);
    await sleep(250);
  }
}

type Step = { code: Code; status?: 'setting' | 'set'; emit?: string };

/**
 * Guest codes driven through the simulator at a steady rate: each code gets a burst of
 * `burst` events as its Seam code turns `setting`, and another as it turns `set` about a
 * second later (the status change, then repeats of its event, as Seam sends on a flaky lock).
 * Latencies come from the end state: the record's timeline (receipt time of each event, time
 * of each applied status) and its notifications (time sent).
 */
export async function benchE2e(
  ctx: BenchContext,
  stack: Stack,
  opts: E2eOptions,
  log: (line: string) => void,
): Promise<{ report: E2eReport; codes: Code[] }> {
  const state = new ServiceState(ctx.redis);
  try {
    const events = Math.round(opts.rate * opts.seconds);
    const nCodes = Math.max(1, Math.ceil(events / (2 * opts.burst)));
    log(`  creating ${nCodes} guest codes through the API and the simulator...`);
    const codes = await createCodes(stack, state, nCodes);
    await stack.sim.webhooksIdle(30_000);
    await state.waitForDrain(60_000);
    stack.sim.resetCounts();
    const deliveriesBefore = stack.sim.deliveries().length;

    const burst = (code: Code, status: 'setting' | 'set'): Step[] => [
      { code, status },
      ...Array.from({ length: opts.burst - 1 }, () => ({
        code,
        emit: status === 'set' ? 'access_code.set_on_device' : 'access_code.scheduled_on_device',
      })),
    ];
    // Groups of one second's bursts: a code's `set` burst follows its `setting` one a second later.
    const perGroup = Math.max(1, Math.floor(opts.rate / opts.burst / 2));
    const groups: Code[][] = [];
    for (let i = 0; i < codes.length; i += perGroup) groups.push(codes.slice(i, i + perGroup));
    const steps: Step[] = [];
    groups.forEach((g, i) => {
      for (const c of g) steps.push(...burst(c, 'setting'));
      if (i > 0) for (const c of groups[i - 1]!) steps.push(...burst(c, 'set'));
    });
    for (const c of groups[groups.length - 1] ?? []) steps.push(...burst(c, 'set'));

    log(`  driving ${steps.length} events at ${opts.rate}/s (bursts of ${opts.burst})...`);
    const setAt = new Map<string, number>();
    const t0 = performance.now();
    let done = 0;
    while (done < steps.length) {
      const due = Math.min(
        steps.length,
        Math.floor(((performance.now() - t0) * opts.rate) / 1000) + 1,
      );
      for (; done < due; done++) {
        const s = steps[done]!;
        if (s.status) {
          if (s.status === 'set') setAt.set(s.code.id, Date.now());
          stack.sim.setStatus(s.code.accessCodeId, s.status);
        } else if (s.emit) stack.sim.emit(s.emit, s.code.accessCodeId);
      }
      await sleep(2);
    }
    const driveS = (performance.now() - t0) / 1000;
    await stack.sim.webhooksIdle(60_000);
    const deadline = Date.now() + 60_000;
    let recs = await state.records(codes.map((c) => c.id));
    while (recs.some((r) => r?.status !== 'notified') && Date.now() < deadline) {
      await sleep(250);
      recs = await state.records(codes.map((c) => c.id));
    }
    await state.waitForDrain(30_000);
    const counts = stack.sim.requestCounts();
    const timelines = await state.timelines(codes.map((c) => c.id));

    const receipt: number[] = [];
    const fromSet: number[] = [];
    const notified: number[] = [];
    codes.forEach((c, i) => {
      const tl = timelines[i] ?? [];
      const eventAt = tl
        .filter((t) => t.type === 'event' && t.message.includes('access_code.set_on_device'))
        .map((t) => Date.parse(t.at));
      const reconciled = tl.find(
        (t) => t.type === 'access_code_status' && / now set /.test(t.message),
      );
      const set = setAt.get(c.id);
      if (reconciled && eventAt.length > 0) {
        receipt.push(Math.max(0, Date.parse(reconciled.at) - Math.min(...eventAt)));
      }
      if (reconciled && set) fromSet.push(Date.parse(reconciled.at) - set);
      const sent = ((recs[i]?.notifications ?? []) as { at: string }[]).map((n) =>
        Date.parse(n.at),
      );
      if (set && sent.length > 0) notified.push(Math.max(...sent) - set);
    });
    const dist = (v: number[]) => ({
      p50: percentile(v, 50),
      p99: percentile(v, 99),
      max: v.length ? Math.max(...v) : NaN,
      n: v.length,
    });
    const gets = counts['/access_codes/get'] ?? 0;
    // A sender reads the PIN from Seam when it sends (it is never stored): one read per
    // notification sent, whatever the events were. The rest reconciled records.
    const pinReads = recs.reduce((n, r) => n + ((r?.notifications as unknown[]) ?? []).length, 0);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const report: E2eReport = {
      codes: codes.length,
      events: steps.length,
      bursts: codes.length * 2,
      achievedRate: round(steps.length / driveS, 1),
      deliveredWebhooks: stack.sim.deliveries().length - deliveriesBefore,
      notified: recs.filter((r) => r?.status === 'notified').length,
      latencyMs: {
        receiptToReconciled: dist(receipt),
        seamSetToReconciled: dist(fromSet),
        setToNotified: dist(notified),
      },
      seam: {
        requests: counts,
        fetchesPerBurst: round((gets - pinReads) / (codes.length * 2), 3),
        pinReads,
        fetchesPerEvent: round(gets / steps.length, 3),
        requestsPerEvent: round(total / steps.length, 3),
      },
    };
    return { report, codes };
  } finally {
    await state.close();
  }
}
