import type { BenchReport } from './run';

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The targets, checked against a report (a section not run is not checked). */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const out: TargetCheck[] = [];
  const i = report.ingress;
  if (i && !i.rate) {
    out.push({
      target: 'ingress req/s >= 1.5 x plain handler',
      measured: `${i.ratios.serviceOverPlainRps}`,
      met: i.ratios.serviceOverPlainRps >= 1.5,
    });
    out.push({
      target: 'ingress req/s >= 0.75 x stock hello-world (goal 0.8)',
      measured: `${i.ratios.serviceOverHelloRps} (plain handler: ${i.ratios.plainOverHelloRps}; against the tuned hello-world: ${i.ratios.serviceOverTunedHelloRps})`,
      met: i.ratios.serviceOverHelloRps >= 0.75,
    });
    out.push({
      target: 'ingress p99 <= 1.2 x hello-world',
      measured: `${i.ratios.serviceOverHelloP99}`,
      met: i.ratios.serviceOverHelloP99 <= 1.2,
    });
    const errors = i.median.service.errors + i.median.service.non2xx;
    out.push({ target: 'ingress: zero errors', measured: `${errors}`, met: errors === 0 });
  }
  const e = report.e2e;
  if (e) {
    out.push({
      target: 'webhook receipt -> reconciled p99 < 50 ms at 200 events/s',
      measured: `${e.latencyMs.receiptToReconciled.p99} ms`,
      met: e.latencyMs.receiptToReconciled.p99 < 50,
    });
    out.push({
      target: 'Seam fetches per access code per burst <= 1.05',
      measured: `${e.seam.fetchesPerBurst}`,
      met: e.seam.fetchesPerBurst <= 1.05,
    });
  }
  const m = report.memory;
  if (m) {
    const g = m.growth;
    const flat = (pct: number) => pct <= 5;
    out.push({
      target: 'process memory flat from half to all events (RSS, <= 5%)',
      measured: `ingress ${g.ingressRssPct}%, worker ${g.workerRssPct}%`,
      met: flat(g.ingressRssPct) && flat(g.workerRssPct),
    });
    out.push({
      target: 'Redis memory flat from half to all events (<= 5%)',
      measured: `${g.redisUsedPct}%; keys other than the 28 h delivery dedupe keys ${g.redisWithoutDedupePct}%; ${g.dedupeBytesPerDelivery} B per delivery until it expires`,
      met: flat(g.redisUsedPct),
    });
  }
  return out;
}

/** The report as a table for the terminal. */
export function printTable(report: BenchReport, log: (line: string) => void): void {
  const rows: string[][] = [['measure', 'value', 'notes']];
  const i = report.ingress;
  if (i) {
    for (const t of ['service', 'hello', 'helloTuned', 'plain'] as const) {
      const f = i.median[t];
      rows.push([
        `ingress ${t} (c=${i.connections})`,
        `${f.rps} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms`,
        `CPU/req: server ${f.cpuMsPerRequest.server} ms, Redis ${f.cpuMsPerRequest.redis} ms; ${Math.round(f.allocatedBytesPerRequest / 100) / 10} KB allocated/req; errors ${f.errors + f.non2xx}`,
      ]);
    }
    rows.push([
      'ingress ratios',
      `service/hello ${i.ratios.serviceOverHelloRps}, service/plain ${i.ratios.serviceOverPlainRps}`,
      `plain/hello ${i.ratios.plainOverHelloRps}; p99 service/hello ${i.ratios.serviceOverHelloP99}`,
    ]);
    rows.push([
      'ingress ratios per CPU-second',
      `service/hello ${i.ratios.serviceOverHelloPerCpu}, service/plain ${i.ratios.serviceOverPlainPerCpu}`,
      'requests per CPU-second of the server process',
    ]);
    rows.push([
      'against the tuned hello-world',
      `service/helloTuned ${i.ratios.serviceOverTunedHelloRps} (per CPU-second ${i.ratios.serviceOverTunedHelloPerCpu})`,
      `helloTuned/hello ${i.ratios.tunedHelloOverHelloRps}; p99 service/helloTuned ${i.ratios.serviceOverTunedHelloP99}`,
    ]);
  }
  if (i?.compared) {
    for (const [label, c] of Object.entries(i.compared)) {
      rows.push([
        `ingress service@${label}`,
        `${c.rps} req/s, p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms; CPU/req ${c.cpuMsPerRequest.server} ms, ${Math.round(c.allocatedBytesPerRequest / 100) / 10} KB/req`,
        `service/it: req/s ${c.serviceOverItRps}, per CPU-second ${c.serviceOverItPerCpu}`,
      ]);
    }
  }
  const st = report.stages;
  if (st) {
    let cpu = 0;
    let bytes = 0;
    for (const s of st.stages) {
      cpu += s.cpuUsPerOp;
      bytes += s.allocatedBytesPerOp;
      rows.push([
        `stage: ${s.stage}`,
        `${s.cpuUsPerOp} us CPU, ${Math.round(s.allocatedBytesPerOp / 100) / 10} KB allocated`,
        s.redisCpuUsPerOp === undefined ? '' : `+ Redis ${s.redisCpuUsPerOp} us`,
      ]);
    }
    const service = i?.median.service;
    if (service) {
      rows.push([
        'stage: the rest (Node HTTP, Express, body read)',
        `${Math.round(service.cpuMsPerRequest.server * 1000 - cpu)} us CPU, ${Math.round((service.allocatedBytesPerRequest - bytes) / 100) / 10} KB allocated`,
        `the service's per-request figures in this run less the stages`,
      ]);
    }
  }
  const e = report.e2e;
  if (e) {
    const d = (x: { p50: number; p99: number; max: number }) =>
      `p50 ${x.p50} ms, p99 ${x.p99} ms, max ${x.max} ms`;
    rows.push([
      'e2e receipt -> reconciled',
      d(e.latencyMs.receiptToReconciled),
      `${e.events} events at ${e.achievedRate}/s, ${e.codes} codes`,
    ]);
    rows.push(['e2e Seam set -> reconciled', d(e.latencyMs.seamSetToReconciled), '']);
    rows.push([
      'e2e set -> guest notified',
      d(e.latencyMs.setToNotified),
      `${e.notified}/${e.codes} notified`,
    ]);
    rows.push([
      'e2e Seam API',
      `${e.seam.fetchesPerBurst} reconcile fetches per burst (+${e.seam.pinReads} PIN reads to notify), ${e.seam.requestsPerEvent} requests per event`,
      `bursts of ${e.events / e.bursts} events per code`,
    ]);
  }
  const w = report.workers;
  if (w) {
    rows.push([
      'worker throughput',
      w.byProcesses.map((b) => `${b.processes} proc: ${b.eventsPerSecond} ev/s`).join(', '),
      `${w.events} events each`,
    ]);
  }
  const m = report.memory;
  if (m) {
    for (const s of m.samples) {
      rows.push([
        `memory after ${s.events} events`,
        `ingress RSS ${s.ingressRssMb} MB, worker RSS ${s.workerRssMb} MB, Redis ${s.redisUsedMb} MB`,
        `heap ${s.ingressHeapMb}/${s.workerHeapMb} MB, ${s.redisKeys} keys`,
      ]);
    }
    rows.push([
      'memory growth (2nd half)',
      `ingress ${m.growth.ingressRssPct}%, worker ${m.growth.workerRssPct}%, Redis ${m.growth.redisUsedPct}% (${m.growth.redisWithoutDedupePct}% without dedupe keys)`,
      m.growth.growingKinds.join('; ') || 'no kind of key grew by more than 0.5 MB',
    ]);
  }
  const width = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  log('');
  for (const r of rows)
    log(
      r
        .map((cell, c) => cell.padEnd(width[c]!))
        .join('  ')
        .trimEnd(),
    );
  const checks = checkTargets(report);
  if (checks.length > 0) {
    log('');
    log('targets:');
    for (const c of checks) log(`  ${c.met ? 'met   ' : 'MISSED'} ${c.target}: ${c.measured}`);
  }
}
