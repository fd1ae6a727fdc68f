import { readFileSync, writeFileSync } from 'node:fs';
import type { ReceivedMail } from '../../devkit/smtp';
import type { Received } from '../../devkit/webhook-receiver';
import type { Simulator } from '../../sim/simulator';
import type { Tracked } from './scenarios';
import { c, section } from './terminal';

export interface Observed {
  tracked: Tracked[];
  sim: Simulator;
  mails: ReceivedMail[];
  webhooks: Received[];
  logFile: string;
  /** The service's last Prometheus scrape. */
  metrics: string;
}

interface Row {
  t: Tracked;
  pin: boolean;
}

const readyFor = (webhooks: Received[], reference: string) =>
  webhooks.filter(
    (e) =>
      e.verified &&
      e.event?.type === 'guest_code.ready' &&
      (e.event.data as { reference?: string } | undefined)?.reference === reference,
  );

/**
 * What the demo promises, checked on the end state: every booking notified once by email and
 * once by signed webhook with the PIN Seam holds, the bad one refused with its rule, no PIN in
 * the service's log, every outbound webhook signed.
 */
export function checkOutcomes(o: Observed): { failures: string[]; rows: Row[] } {
  const failures: string[] = [];
  const rows: Row[] = [];
  const pinOf = new Map(o.sim.accessCodes().map((a) => [a.access_code_id, a.code]));
  for (const t of o.tracked) {
    const s = t.scenario;
    if (s.rejectWith) {
      if (t.httpStatus !== 422 || t.errorCode !== s.rejectWith) {
        failures.push(
          `${s.reference}: expected 422 ${s.rejectWith}, got ${t.httpStatus} ${t.errorCode ?? ''}`,
        );
      }
      rows.push({ t, pin: false });
      continue;
    }
    const problems: string[] = [];
    if (t.status !== 'notified') problems.push(`status ${t.status}, expected notified`);
    const pin = t.accessCodeId ? pinOf.get(t.accessCodeId) : undefined;
    if (!pin) problems.push('the simulator has no PIN for its code');
    const mails = o.mails.filter((m) => m.rcptTo.includes(s.guest.email));
    if (mails.length !== 1) problems.push(`${mails.length} emails, expected 1`);
    else if (!pin || !mails[0]?.text?.includes(pin))
      problems.push("the email lacks the code's PIN");
    const ready = readyFor(o.webhooks, s.reference);
    if (ready.length !== 1) problems.push(`${ready.length} guest_code.ready webhooks, expected 1`);
    else if (!pin || (ready[0]?.event?.data as { pin?: string }).pin !== pin)
      problems.push("the webhook's PIN differs");
    for (const p of problems) failures.push(`${s.reference}: ${p}`);
    rows.push({ t, pin: problems.length === 0 });
  }
  const unverified = o.webhooks.filter((e) => !e.verified).length;
  // The service must never log a PIN (it would appear as a JSON string value).
  const log = readFileSync(o.logFile, 'utf8');
  const leaked = [...pinOf.values()].filter((pin) => pin && log.includes(`"${pin}"`)).length;
  if (leaked > 0) failures.push(`${leaked} PIN(s) appear in the service log`);
  if (unverified > 0) failures.push(`${unverified} outbound webhook(s) failed signature checks`);
  return { failures, rows };
}

/** Sums a Prometheus counter or gauge by one label, from the scrape's text. */
function sumBy(metrics: string, name: string, label: string): string {
  const totals = new Map<string, number>();
  const line = new RegExp(`^${name}\\{[^}]*${label}="([^"]+)"[^}]*\\} (\\d+)`, 'gm');
  for (const m of metrics.matchAll(line)) {
    totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return [...totals]
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function printSummary(o: Observed, rows: Row[]): void {
  section('Summary');
  const header = ['reference', 'lock', 'kind', 'final status', 'PIN delivered', 'seconds'];
  const table = rows.map(({ t, pin }) => [
    t.scenario.reference,
    t.scenario.lock,
    t.scenario.kind,
    t.status === 'rejected' ? `rejected ${t.httpStatus} ${t.errorCode ?? ''}`.trim() : t.status,
    t.scenario.rejectWith ? 'no (as expected)' : pin ? 'yes' : 'no',
    t.finishedAt ? ((t.finishedAt - t.startedAt) / 1000).toFixed(2) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  console.log(c.bold(fmt(header)));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(fmt(r));

  const deliveries = (outcome: string) =>
    Number(
      new RegExp(`seam_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
        o.metrics,
      )?.[1] ?? 0,
    );
  console.log(
    `\nSeam webhooks: ${o.sim.messages().length} events, ${o.sim.deliveries().length} deliveries ` +
      `(each sent twice); the service accepted ${deliveries('accepted')} and recognised ` +
      `${deliveries('duplicate')} as duplicates.`,
  );
  const ready = o.webhooks.filter((e) => e.event?.type === 'guest_code.ready').length;
  console.log(`Guest notifications: ${o.mails.length} emails, ${ready} guest_code.ready webhooks.`);
  console.log(
    `Seam API calls: ${sumBy(o.metrics, 'seam_api_requests_total', 'endpoint')}; ` +
      `guest codes: ${sumBy(o.metrics, 'guest_codes', 'status')}.`,
  );
  const metricsFile = o.logFile.replace(/\.log$/, '.metrics.txt');
  writeFileSync(metricsFile, o.metrics);
  console.log(c.dim(`Service log (checked: no PIN in it): ${o.logFile}`));
  console.log(c.dim(`Its last Prometheus scrape (GET /metrics): ${metricsFile}`));
}
