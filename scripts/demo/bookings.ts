import type { Simulator } from '../../sim/simulator';
import { scenarios, type ApiBody, type Tracked } from './scenarios';
import { c, colorStatus, say, section } from './terminal';

export type Api = (
  path: string,
  body?: unknown,
  method?: string,
) => Promise<{ status: number; body: ApiBody }>;

const FINAL = new Set(['notified', 'failed', 'cancelled']);
const POLL_MS = 200;

/** Asks for every scenario's guest code through the API and prints each answer. */
export async function requestCodes(
  api: Api,
  sim: Simulator,
  byEmail: Map<string, Tracked>,
): Promise<Tracked[]> {
  section('Requesting guest codes (POST /v1/guest-codes)');
  const lockNames = new Map(
    sim.fake.database.devices.map((d) => [
      d.device_id,
      String((d as { display_name?: string }).display_name ?? d.device_id),
    ]),
  );
  const tracked: Tracked[] = [];
  for (const s of scenarios(sim, (id) => lockNames.get(id) ?? id)) {
    const t: Tracked = { scenario: s, status: 'requested', startedAt: Date.now() };
    tracked.push(t);
    byEmail.set(s.guest.email, t);
    const res = await api('/v1/guest-codes', {
      device_id: s.deviceId,
      guest: s.guest,
      ...s.window,
      ...s.extra,
      reference: s.reference,
    });
    t.httpStatus = res.status;
    const asked = c.dim(
      `           requested ${s.window.starts_at} → ${s.window.ends_at ?? '(one-time, 24 h)'}`,
    );
    const gc = res.body.guest_code;
    if ((res.status === 202 || res.status === 200) && gc) {
      t.id = gc.id;
      t.status = gc.status;
      say(
        `${c.bold(s.reference)} ${s.kind} on ${s.lock}: ${c.green(String(res.status))} ` +
          `${gc.id} planned ${gc.planned.kind} ${gc.planned.starts_at} → ${gc.planned.ends_at}` +
          (gc.planned.time_slot ? ` (slot "${gc.planned.time_slot.name}")` : ''),
      );
      say(asked);
      for (const w of gc.planned.warnings ?? [])
        say(c.yellow(`           ${w.code}: ${w.message}`));
    } else {
      t.errorCode = res.body.error?.code;
      t.errorMessage = res.body.error?.message;
      t.status = 'rejected';
      t.finishedAt = Date.now();
      say(
        `${c.bold(s.reference)} ${s.kind} on ${s.lock}: ${c.yellow(String(res.status))} ` +
          `${t.errorCode ?? '(no code)'}`,
      );
      say(asked);
      if (t.errorMessage) say(c.dim(`           ${t.errorMessage}`));
    }
  }

  return tracked;
}

/** Polls every accepted guest code until it ends (or `timeoutMs`), printing each change. */
export async function followCodes(api: Api, tracked: Tracked[], timeoutMs: number): Promise<void> {
  section('Following the codes (GET /v1/guest-codes/:id every 200 ms)');
  const open = () => tracked.filter((t) => t.id && !FINAL.has(t.status));
  const deadline = Date.now() + timeoutMs;
  while (open().length > 0 && Date.now() < deadline) {
    await Promise.all(
      open().map(async (t) => {
        const res = await api(`/v1/guest-codes/${t.id}`).catch(() => undefined);
        const gc = res?.status === 200 ? res.body.guest_code : undefined;
        if (!gc) return;
        const active = gc.access_codes.find((a) => a.access_code_id === gc.active_access_code_id);
        if (gc.status === t.status && active?.status === t.seamStatus) return;
        const secs = ((Date.now() - t.startedAt) / 1000).toFixed(2);
        const seam = active?.status ? c.dim(` (Seam code ${active.status})`) : '';
        say(
          `${c.bold(t.scenario.reference)} ${colorStatus(t.status)} → ${colorStatus(gc.status)}` +
            `${seam}  ${c.dim(`+${secs}s`)}`,
        );
        t.status = gc.status;
        t.seamStatus = active?.status;
        t.accessCodeId = gc.active_access_code_id ?? undefined;
        if (FINAL.has(gc.status)) t.finishedAt = Date.now();
      }),
    );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
