/**
 * The whole flow on one machine, no Seam account, no internet:  npm run demo
 *
 * Starts a private Redis (redis-server on the PATH, its own port and temp dir; or, when
 * REDIS_URL is set, that Redis under a unique key prefix, never flushed), the Seam simulator
 * (codes advance on an accelerated clock; every webhook is delivered twice to show dedupe),
 * an SMTP catcher, an HTTP receiver for the service's outbound webhook, and the service itself
 * (ingress + workers, in this process, logging to a file). Then it asks for guest codes through
 * the real HTTP API, shows their statuses live, prints each guest's email as it arrives, and
 * ends with a summary. Exit 0 only when every expected outcome happened.
 *
 * The PINs printed here are the demo's output (what the guests received), not log lines: the
 * service's own log (path printed at the end) never contains them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'svix';
import { startService, type RunningService } from '../src/app';
import { loadConfig } from '../src/config';
import { REDACT_PATHS } from '../src/logger';
import { startSimulator, type Simulator } from '../sim/simulator';
import { newWebhookSecret } from '../sim/webhooks';
import { NoRedisError, removeDir, startPrivateRedis } from './private-redis';

const HARD_TIMEOUT_MS = 55_000;
/** How long the codes get to reach a final status once requested. */
const SETTLE_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
const API_TOKEN = `demo-${randomBytes(16).toString('hex')}`;

// ---- terminal ------------------------------------------------------------------------------

const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
const c = {
  bold: paint('1'),
  dim: paint('2'),
  red: paint('31'),
  green: paint('32'),
  yellow: paint('33'),
  blue: paint('34'),
  magenta: paint('35'),
  cyan: paint('36'),
};
const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(2).padStart(6);
const say = (line: string) => console.log(`${c.dim(`[${elapsed()}s]`)} ${line}`);
const section = (title: string) => console.log(`\n${c.bold(c.cyan(`== ${title} ==`))}`);

const statusColor: Record<string, (s: string) => string> = {
  requested: c.blue,
  waiting: c.yellow,
  set: c.magenta,
  notified: c.green,
  failed: c.red,
  cancelled: c.red,
};
const colorStatus = (s: string) => (statusColor[s] ?? ((x: string) => x))(s);

// ---- cleanup -------------------------------------------------------------------------------

/** Undo steps, run last-registered first, on success, failure, timeout and Ctrl-C. */
const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
let cleaningUp: Promise<void> | undefined;

function onCleanup(name: string, run: () => Promise<void> | void): void {
  cleanups.push({ name, run });
}

function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup: ${step.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cleanups.length = 0;
  })();
  return cleaningUp;
}

async function finish(code: number): Promise<never> {
  // A cleanup that hangs must not keep the demo alive.
  const guard = setTimeout(() => {
    console.error('cleanup took too long; exiting anyway');
    process.exit(code === 0 ? 1 : code);
  }, 15_000);
  guard.unref();
  await cleanup();
  process.exit(code);
}

// ---- private redis-server -------------------------------------------------------------------

async function startRedisForDemo(): Promise<string> {
  const redis = await startPrivateRedis();
  onCleanup('redis temp dir', () => removeDir(redis.dir));
  onCleanup('redis-server', () => redis.stop());
  return redis.url;
}

// ---- SMTP catcher ---------------------------------------------------------------------------

interface CaughtMail {
  to: string[];
  subject: string;
  text: string;
  at: number;
}

function splitHeaderBody(raw: string): { headers: Record<string, string>; body: string } {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep === -1 ? raw : raw.slice(0, sep);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: sep === -1 ? '' : raw.slice(sep + 4) };
}

function decodeQuotedPrintable(input: string): string {
  const bytes: number[] = [];
  const text = input.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, s: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(s, 'base64').toString('utf8')
        : decodeQuotedPrintable(s.replace(/_/g, ' ')),
    );
}

/** The text/plain part of what nodemailer sends (multipart/alternative, QP or base64). */
function plainText(headers: Record<string, string>, body: string): string | undefined {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const piece of body.split(`--${boundary}`).slice(1)) {
      if (piece.startsWith('--')) break;
      const part = splitHeaderBody(piece.replace(/^\r\n/, ''));
      const text = plainText(part.headers, part.body.replace(/\r\n$/, ''));
      if (text !== undefined) return text;
    }
    return undefined;
  }
  if (!/^text\/plain/i.test(type)) return undefined;
  const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const decoded =
    enc === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : enc === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return decoded.replace(/\r\n/g, '\n');
}

async function startSmtpCatcher(
  onMail: (mail: CaughtMail) => void,
): Promise<{ port: number; mails: CaughtMail[] }> {
  const mails: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { headers, body } = splitHeaderBody(Buffer.concat(chunks).toString('utf8'));
        const mail: CaughtMail = {
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: decodeHeader(headers['subject'] ?? ''),
          text: plainText(headers, body) ?? '',
          at: Date.now(),
        };
        mails.push(mail);
        onMail(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  onCleanup('smtp catcher', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.server.address() as AddressInfo;
  return { port: address.port, mails };
}

// ---- outbound webhook receiver --------------------------------------------------------------

interface ReceivedEvent {
  verified: boolean;
  type?: string;
  data?: Record<string, unknown>;
  at: number;
}

async function startReceiver(secret: string): Promise<{ url: string; events: ReceivedEvent[] }> {
  const verifier = new Webhook(secret);
  const events: ReceivedEvent[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        headers[k] = Array.isArray(v) ? v.join(',') : (v ?? '');
      }
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        verifier.verify(body, headers); // throws unless signed with the secret
        const event = JSON.parse(body) as { type?: string; data?: Record<string, unknown> };
        events.push({ verified: true, type: event.type, data: event.data, at: Date.now() });
        res.statusCode = 204;
      } catch {
        events.push({ verified: false, at: Date.now() });
        res.statusCode = 401;
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  onCleanup(
    'webhook receiver',
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/door-codes`, events };
}

// ---- the guests -----------------------------------------------------------------------------

interface Scenario {
  reference: string;
  kind: string;
  deviceId: string;
  lock: string;
  guest: { name: string; email: string };
  window: { starts_at: string; ends_at?: string };
  extra?: Record<string, unknown>;
  /** A rule violation the API must answer with 422 and this code. */
  rejectWith?: string;
}

function scenarios(sim: Simulator, lockName: (id: string) => string): Scenario[] {
  const [iglooA, iglooB] = sim.devices.igloohome;
  const [kaba] = sim.devices.dormakaba;
  if (!iglooA || !iglooB || !kaba) throw new Error('the simulator fixture lacks the demo locks');
  const london = DateTime.now().setZone('Europe/London');
  const berlin = DateTime.now().setZone('Europe/Berlin');
  const at = (d: DateTime, days: number, hour: number) =>
    d.plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  const iso = (d: DateTime) => d.toISO({ suppressMilliseconds: true }) as string;
  const checkIn = at(london, 1, 15);
  const gapStart = at(london, 2, 15);
  return [
    {
      reference: 'BK-1001',
      kind: 'igloohome hourly',
      deviceId: iglooA,
      lock: lockName(iglooA),
      guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
      // 3 nights, 15:00 -> 11:00: 68 hours, well inside the 1..672 h hourly range
      window: { starts_at: iso(checkIn), ends_at: iso(at(london, 4, 11)) },
    },
    {
      reference: 'BK-1002',
      kind: 'igloohome daily',
      deviceId: iglooB,
      lock: lockName(iglooB),
      guest: { name: 'Grace Hopper', email: 'grace@example.com' },
      // 30 days, same local time at both ends: daily-bound
      window: { starts_at: iso(checkIn), ends_at: iso(checkIn.plus({ days: 30 })) },
      extra: { max_time_rounding: '1d' },
    },
    {
      reference: 'BK-1003',
      kind: 'igloohome one-time',
      deviceId: iglooA,
      lock: lockName(iglooA),
      guest: { name: 'Alan Turing', email: 'alan@example.com' },
      // only starts_at: valid 24 h, one entry
      window: { starts_at: iso(at(london, 0, london.hour).plus({ hours: 1 })) },
      extra: { is_one_time_use: true },
    },
    {
      reference: 'BK-1004',
      kind: 'dormakaba slot',
      deviceId: kaba,
      lock: lockName(kaba),
      guest: { name: 'Katherine Johnson', email: 'katherine@example.com' },
      // 16:00 -> 12:00 in the lock's zone (Europe/Berlin): Seam rounds it (within 1 h) to the
      // lock's "User 124 D 3pm-11am" slot, and the 202 answer's warnings say so
      window: { starts_at: iso(at(berlin, 1, 16)), ends_at: iso(at(berlin, 3, 12)) },
    },
    {
      reference: 'BK-1005',
      kind: 'igloohome (bad)',
      deviceId: iglooB,
      lock: lockName(iglooB),
      guest: { name: 'Charles Babbage', email: 'charles@example.com' },
      // 680 h: longer than hourly (672 h), shorter than daily (29 days = 696 h)
      window: { starts_at: iso(gapStart), ends_at: iso(gapStart.plus({ hours: 680 })) },
      rejectWith: 'igloohome_duration_gap',
    },
  ];
}

interface Tracked {
  scenario: Scenario;
  id?: string;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  status: string;
  seamStatus?: string;
  accessCodeId?: string;
  startedAt: number;
  finishedAt?: number;
}

/** The parts of the API's answers the demo reads. */
interface GuestCodeView {
  id: string;
  status: string;
  planned: {
    kind: string;
    starts_at: string;
    ends_at: string;
    time_slot?: { name: string | null };
    warnings?: { code: string; message: string }[];
  };
  access_codes: { access_code_id: string; status: string }[];
  active_access_code_id: string | null;
}
interface ApiBody {
  guest_code?: GuestCodeView;
  note?: string;
  error?: { code?: string; message?: string };
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<number> {
  console.log(c.bold('Seam offline door codes: demo (simulated Seam, local Redis, local mail)'));

  section('Starting');
  let redisUrl = process.env.REDIS_URL?.trim() || undefined;
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  if (redisUrl) {
    say(`Redis: REDIS_URL=${redisUrl.replace(/\/\/[^@/]*@/, '//***@')} (key prefix ${prefix})`);
    const url = redisUrl;
    onCleanup('demo keys', async () => {
      // Only this run's keys (its unique prefix); the rest of that Redis is never touched.
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await r.connect();
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await r.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    });
  } else {
    try {
      redisUrl = await startRedisForDemo();
    } catch (err) {
      if (err instanceof NoRedisError) {
        console.error(
          c.red('The demo needs Redis: no redis-server on the PATH and REDIS_URL is not set.\n') +
            '  Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
            '  or point the demo at a Redis you have: REDIS_URL=redis://127.0.0.1:6379 npm run demo\n' +
            '  (it then uses a unique key prefix there and never flushes anything).',
        );
        return 1;
      }
      throw err;
    }
    say(`Redis: private redis-server at ${redisUrl} (temp dir, removed at the end)`);
  }

  const sim = await startSimulator({
    autoAdvance: true,
    settingAfterMs: 400,
    setAfterMs: 1200,
    faults: { duplicateDeliveries: 2 },
  });
  onCleanup('simulator', () => sim.close());
  onCleanup('simulator webhooks off', () => sim.setWebhookUrl(null));
  say(`Seam simulator at ${sim.url} (fault on: every webhook delivered twice)`);

  const byEmail = new Map<string, Tracked>();
  const smtp = await startSmtpCatcher((mail) => {
    const who = mail.to.join(', ');
    const ref = mail.to.map((to) => byEmail.get(to)?.scenario.reference).find(Boolean);
    say(`${c.bold('Email received')} for ${who}${ref ? ` (${ref})` : ''}`);
    console.log(c.dim('    ┌────────────────────────────────────────────────────────────'));
    console.log(`    │ ${c.bold('Subject:')} ${mail.subject}`);
    for (const line of mail.text.trimEnd().split('\n')) console.log(`    │ ${line}`);
    console.log(c.dim('    └────────────────────────────────────────────────────────────'));
  });
  say(`SMTP catcher on 127.0.0.1:${smtp.port}`);

  const notifySecret = newWebhookSecret();
  const receiver = await startReceiver(notifySecret);
  say(`Outbound webhook receiver at ${receiver.url}`);

  const logFile = path.join(os.tmpdir(), `seam-demo-${process.pid}-${Date.now()}.log`);
  const logger = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: logFile, sync: true }),
  );
  const config = loadConfig(
    {
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Door codes <codes@example.com>',
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: notifySecret,
      SEAM_RETRY_BASE_MS: '100',
      SEAM_RETRY_MAX_MS: '1000',
      SHUTDOWN_DRAIN_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    ['ingress', 'worker'],
  );
  const running: { service?: RunningService } = {};
  onCleanup('service', async () => {
    const service = running.service;
    if (!service) return;
    service.lifecycle.shuttingDown = true;
    for (const step of service.shutdownSteps()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`shutdown step ${step.name}: ${String(err)}`);
      }
    }
  });
  const service = await startService(['ingress', 'worker'], config, logger);
  running.service = service;
  const base = `http://127.0.0.1:${service.port}`;
  sim.setWebhookUrl(`${base}/webhooks/seam`);
  say(`Service (ingress + workers) at ${base}; its log: ${logFile}`);

  const api = async (
    p: string,
    body?: unknown,
    method?: string,
  ): Promise<{ status: number; body: ApiBody }> => {
    const res = await fetch(`${base}${p}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiBody };
  };

  // -- requests
  const lockNames = new Map<string, string>();
  for (const d of sim.fake.database.devices) {
    lockNames.set(
      d.device_id,
      String((d as { display_name?: string }).display_name ?? d.device_id),
    );
  }
  const list = scenarios(sim, (id) => lockNames.get(id) ?? id);
  section('Requesting guest codes (POST /v1/guest-codes)');
  const tracked: Tracked[] = [];
  for (const s of list) {
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
    const window = `${s.window.starts_at} → ${s.window.ends_at ?? '(one-time, 24 h)'}`;
    if (res.status === 202 || res.status === 200) {
      const gc = res.body.guest_code;
      if (!gc) throw new Error(`POST /v1/guest-codes answered ${res.status} without a guest code`);
      t.id = gc.id;
      t.status = gc.status;
      say(
        `${c.bold(s.reference)} ${s.kind} on ${s.lock}: ${c.green(String(res.status))} ` +
          `${gc.id} planned ${gc.planned.kind} ${gc.planned.starts_at} → ${gc.planned.ends_at}` +
          (gc.planned.time_slot ? ` (slot "${gc.planned.time_slot.name}")` : ''),
      );
      say(c.dim(`           requested ${window}`));
      for (const w of gc.planned.warnings ?? [])
        say(c.yellow(`           ${w.code}: ${w.message}`));
    } else {
      t.errorCode = res.body?.error?.code;
      t.errorMessage = res.body?.error?.message;
      t.status = 'rejected';
      t.finishedAt = Date.now();
      say(
        `${c.bold(s.reference)} ${s.kind} on ${s.lock}: ${c.yellow(String(res.status))} ` +
          `${t.errorCode ?? '(no code)'}`,
      );
      say(c.dim(`           requested ${window}`));
      if (t.errorMessage) say(c.dim(`           ${t.errorMessage}`));
    }
  }

  // -- live progress
  section('Following the codes (GET /v1/guest-codes/:id every 200 ms)');
  const final = new Set(['notified', 'failed', 'cancelled']);
  const open = () => tracked.filter((t) => t.id && !final.has(t.status));
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (open().length > 0 && Date.now() < deadline) {
    await Promise.all(
      open().map(async (t) => {
        const res = await api(`/v1/guest-codes/${t.id}`).catch(() => undefined);
        const gc = res?.status === 200 ? res.body.guest_code : undefined;
        if (!gc) return;
        const active = gc.access_codes.find((a) => a.access_code_id === gc.active_access_code_id);
        const seamStatus: string | undefined = active?.status;
        if (gc.status !== t.status || seamStatus !== t.seamStatus) {
          const secs = ((Date.now() - t.startedAt) / 1000).toFixed(2);
          const seam = seamStatus ? c.dim(` (Seam code ${seamStatus})`) : '';
          say(
            `${c.bold(t.scenario.reference)} ${colorStatus(t.status)} → ${colorStatus(gc.status)}` +
              `${seam}  ${c.dim(`+${secs}s`)}`,
          );
          t.status = gc.status;
          t.seamStatus = seamStatus;
          t.accessCodeId = gc.active_access_code_id ?? undefined;
          if (final.has(gc.status)) t.finishedAt = Date.now();
        }
      }),
    );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }

  // Let late or duplicate sends surface before counting them.
  await sim.webhooksIdle(3000);
  await new Promise((r) => setTimeout(r, 500));

  // -- checks
  const failures: string[] = [];
  const pinOf = new Map(sim.accessCodes().map((a) => [a.access_code_id, a.code]));
  interface Row {
    t: Tracked;
    pin: boolean;
  }
  const rows: Row[] = [];
  for (const t of tracked) {
    const s = t.scenario;
    if (s.rejectWith) {
      const ok = t.httpStatus === 422 && t.errorCode === s.rejectWith;
      if (!ok) {
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
    const mails = smtp.mails.filter((m) => m.to.includes(s.guest.email));
    if (mails.length !== 1) problems.push(`${mails.length} emails, expected 1`);
    else if (!pin || !mails[0]?.text.includes(pin)) problems.push("the email lacks the code's PIN");
    const ready = receiver.events.filter(
      (e) => e.verified && e.type === 'guest_code.ready' && e.data?.reference === s.reference,
    );
    if (ready.length !== 1) problems.push(`${ready.length} guest_code.ready webhooks, expected 1`);
    else if (!pin || ready[0]?.data?.pin !== pin) problems.push("the webhook's PIN differs");
    for (const p of problems) failures.push(`${s.reference}: ${p}`);
    rows.push({ t, pin: problems.length === 0 });
  }
  // -- a changed stay: BK-1001 stays a night longer
  section('Changing a stay (PATCH /v1/guest-codes/:id)');
  const extended = tracked.find((t) => t.scenario.reference === 'BK-1001');
  if (extended?.id && extended.scenario.window.ends_at && extended.status === 'notified') {
    const oldCode = extended.accessCodeId;
    const newEnd = DateTime.fromISO(extended.scenario.window.ends_at)
      .plus({ days: 1 })
      .toISO({ suppressMilliseconds: true }) as string;
    const res = await api(`/v1/guest-codes/${extended.id}`, { ends_at: newEnd }, 'PATCH');
    say(`${c.bold('BK-1001')} ends_at → ${newEnd}: ${c.green(String(res.status))}`);
    if (res.body.note) say(c.dim(`           ${res.body.note}`));
    const until = Date.now() + SETTLE_TIMEOUT_MS;
    let done: GuestCodeView | undefined;
    while (!done && Date.now() < until) {
      const r = await api(`/v1/guest-codes/${extended.id}`).catch(() => undefined);
      const gc = r?.body.guest_code;
      if (gc?.status === 'notified' && gc.active_access_code_id !== oldCode) done = gc;
      else await new Promise((r2) => setTimeout(r2, POLL_MS));
    }
    await sim.webhooksIdle(3000);
    await new Promise((r) => setTimeout(r, 300));
    const newPin = done?.active_access_code_id
      ? sim.accessCodes().find((a) => a.access_code_id === done.active_access_code_id)?.code
      : undefined;
    const mails = smtp.mails.filter((m) => m.to.includes(extended.scenario.guest.email));
    const changed = receiver.events.filter(
      (e) =>
        e.verified && e.type === 'guest_code.window_changed' && e.data?.reference === 'BK-1001',
    );
    if (res.status !== 202)
      failures.push(`BK-1001: the change answered ${res.status}, expected 202`);
    else if (!done || !newPin) failures.push('BK-1001: the changed stay was not notified');
    else if (mails.length !== 2 || !mails[1]?.text.includes(newPin))
      failures.push(
        `BK-1001: ${mails.length} emails after the change, expected 2 (the new PIN last)`,
      );
    else if (changed.length !== 1)
      failures.push(`BK-1001: ${changed.length} guest_code.window_changed events, expected 1`);
    else {
      say(
        `${c.bold('BK-1001')} ${colorStatus('notified')} again with a new code; the guest got one more email, ` +
          `the booking system guest_code.window_changed: ${String(changed[0]?.data?.message ?? '')}`,
      );
    }
  } else {
    failures.push('BK-1001: not notified, so its stay could not be changed');
  }

  const unverified = receiver.events.filter((e) => !e.verified).length;
  // The service must never log a PIN (it would appear as a JSON string value).
  const log = readFileSync(logFile, 'utf8');
  const leaked = [...pinOf.values()].filter((pin) => pin && log.includes(`"${pin}"`)).length;
  if (leaked > 0) failures.push(`${leaked} PIN(s) appear in the service log`);
  if (unverified > 0) failures.push(`${unverified} outbound webhook(s) failed signature checks`);

  // -- summary
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

  const deliveries = sim.deliveries();
  const messages = sim.messages();
  const metrics = await fetch(`${base}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const count = (outcome: string) =>
    Number(
      new RegExp(`seam_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
        metrics,
      )?.[1] ?? 0,
    );
  console.log(
    `\nSeam webhooks: ${messages.length} events, ${deliveries.length} deliveries ` +
      `(each sent twice); the service accepted ${count('accepted')} and recognised ` +
      `${count('duplicate')} as duplicates.`,
  );
  console.log(
    `Guest notifications: ${smtp.mails.length} emails, ` +
      `${receiver.events.filter((e) => e.type === 'guest_code.ready').length} guest_code.ready webhooks.`,
  );
  const sum = (name: string, label: string) => {
    const totals = new Map<string, number>();
    const line = new RegExp(`^${name}\\{[^}]*${label}="([^"]+)"[^}]*\\} (\\d+)`, 'gm');
    for (const m of metrics.matchAll(line)) {
      totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
    }
    return [...totals]
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  };
  console.log(
    `Seam API calls: ${sum('seam_api_requests_total', 'endpoint')}; ` +
      `guest codes: ${sum('guest_codes', 'status')}.`,
  );
  const metricsFile = logFile.replace(/\.log$/, '.metrics.txt');
  writeFileSync(metricsFile, metrics);
  console.log(c.dim(`Service log (checked: no PIN in it): ${logFile}`));
  console.log(c.dim(`Its last Prometheus scrape (GET /metrics): ${metricsFile}`));

  if (failures.length > 0) {
    console.log(`\n${c.red(c.bold('DEMO FAILED'))}`);
    for (const f of failures) console.log(c.red(`  - ${f}`));
    return 1;
  }
  console.log(
    `\n${c.green(c.bold('DEMO OK'))}: 4 guests notified (one email and one signed webhook each, ` +
      `PINs matching Seam's), 1 stay extended (a new code, one more email), ` +
      `1 request rejected by the igloohome rules.`,
  );
  return 0;
}

// ---- entry ----------------------------------------------------------------------------------

const hardTimeout = setTimeout(() => {
  console.error(c.red(`\nDEMO FAILED: not done within ${HARD_TIMEOUT_MS / 1000} s`));
  void finish(1);
}, HARD_TIMEOUT_MS);
hardTimeout.unref();

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping and cleaning up`);
    void finish(signal === 'SIGINT' ? 130 : 143);
  });
}

main().then(
  (code) => finish(code),
  (err: unknown) => {
    // After Ctrl-C, requests fail because everything is being stopped: not worth a report.
    if (interrupted) return finish(130);
    console.error(
      c.red(`\nDEMO FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
    return finish(1);
  },
);
