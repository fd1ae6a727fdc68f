import { isIP } from 'node:net';
import { z } from 'zod';
import { checkLocale, FALLBACK_LOCALE } from './notify/templates';
import type { HostPort, RedisTarget } from './redis/connections';
import { isLoopbackHost } from './util/loopback';
import { apiKeyProblem, checkWebhookSecret, tokenProblem } from './util/secrets';

/**
 * The whole environment contract, validated once at start-up. Every process reads the same
 * schema; what a role needs (ingress, worker) is checked by `requireFor`, so a worker does not
 * need the webhook secret and an ingress does not need the SMTP server.
 */
const duration = (def: number) => z.coerce.number().int().nonnegative().default(def);
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** A `whsec_` secret, decoded strictly as svix does; weak and placeholder ones refused. */
const webhookSecret = optionalString.pipe(
  z
    .string()
    .superRefine((v, ctx) => {
      const check = checkWebhookSecret(v);
      if (!check.ok) ctx.addIssue({ code: 'custom', message: check.problem });
    })
    .optional(),
);
/** A bearer token: long, random-looking, not a placeholder. */
const bearerToken = optionalString.pipe(
  z
    .string()
    .superRefine((v, ctx) => {
      const problem = tokenProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
);

/** `host:port,host:port`: the sentinels (or cluster nodes) to start from. */
const hostPortList = optionalString.pipe(
  z
    .string()
    .superRefine((v, ctx) => {
      for (const item of v.split(',').map((t) => t.trim())) {
        if (!parseHostPort(item)) {
          ctx.addIssue({
            code: 'custom',
            message: `'${item}' is not host:port (comma-separated list, e.g. 10.0.0.5:26379,10.0.0.6:26379)`,
          });
        }
      }
    })
    .transform((v) => v.split(',').map((t) => parseHostPort(t.trim()) as HostPort))
    .optional(),
);

function parseHostPort(item: string): HostPort | undefined {
  // host:port, or [v6]:port
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(item);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

const isTrustedPeer = (t: string): boolean => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(t)) return true;
  const [ip = '', bits, ...rest] = t.split('/');
  if (rest.length > 0 || isIP(ip) === 0) return false;
  return (
    bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(ip) === 4 ? 32 : 128))
  );
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** When set, /metrics is served on this port only (same HOST), not on PORT, so a load
   *  balancer in front of PORT does not expose it. */
  METRICS_PORT: optionalString.pipe(
    z.coerce.number<string | undefined>().int().min(0).max(65535).optional(),
  ),
  HOST: z.string().default('0.0.0.0'),
  /** One Redis server; not used when REDIS_SENTINELS or REDIS_CLUSTER_NODES is set. */
  REDIS_URL: z
    .string()
    .url()
    .refine((v) => /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  /** Sentinel mode: the sentinels (comma-separated host:port); REDIS_URL is then not used. */
  REDIS_SENTINELS: hostPortList,
  /** The master group the sentinels monitor (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and -, at most 64')
      .optional(),
  ),
  /** Cluster mode: some of the cluster's nodes (comma-separated host:port); REDIS_URL is then
   *  not used, and every key takes the hash tag `{QUEUE_PREFIX}`. */
  REDIS_CLUSTER_NODES: hostPortList,
  /** The sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
  REDIS_SENTINEL_PASSWORD: optionalString,
  /** The Redis servers' password in Sentinel or cluster mode (a single server: in REDIS_URL). */
  REDIS_PASSWORD: optionalString,
  /** Replicas that must confirm (`WAIT`) a delivery's or a provisioning request's write before
   *  the 2xx/202; 0 = answer once the primary has it (replication is asynchronous). */
  REDIS_MIN_REPLICAS_ACK: z.coerce.number().int().min(0).max(16).default(0),
  /** How long the answer waits for those replicas before it is a 503 (Svix retries). */
  REDIS_REPLICA_ACK_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -, at most 32')
    .default('seamcodes'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  SEAM_WEBHOOK_SECRET: webhookSecret,
  /** 256 KiB: Seam events are a few KiB; anything larger is not one of them. */
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(262_144),
  /** How long a delivery id is remembered; Svix retries for about 27.5 h. */
  WEBHOOK_DEDUPE_TTL_MS: duration(28 * 3600_000),
  /** Bound on one Redis round trip on the request path, so a hung Redis yields 503, not a hang. */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).default(1500),

  /** Correctly signed deliveries per window on POST /webhooks/seam, per process (0 = off).
   *  High: it is a flood guard, and a 429 only makes Svix retry later. */
  WEBHOOK_RATE_LIMIT: z.coerce.number().int().nonnegative().default(60_000),
  /** Authenticated requests per API token per window on /v1/*, per process (0 = off). */
  API_RATE_LIMIT: z.coerce.number().int().nonnegative().default(1200),
  /** Requests that fail authentication (no or wrong token, bad signature) per client IP per
   *  window, per process (0 = off): a budget of their own, so they never spend a caller's. */
  AUTH_FAILURE_RATE_LIMIT: z.coerce.number().int().nonnegative().default(300),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Which peers may name the client in X-Forwarded-For (express `trust proxy`): `false`
   *  (nobody: the socket address is the client), a hop count, or addresses/CIDRs/`loopback`,
   *  `uniquelocal`... `true` is refused: anyone could then pick their own rate-limit key. */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .refine((v) => v !== 'true', 'true trusts any client; give a hop count or addresses')
    .refine(
      (v) => v === 'false' || /^\d+$/.test(v) || v.split(',').every((t) => isTrustedPeer(t.trim())),
      'false, a hop count, or a comma list of IPs, CIDRs, loopback, linklocal, uniquelocal',
    )
    .transform((v): string | number | boolean =>
      v === 'false' || v === '' ? false : /^\d+$/.test(v) ? Number(v) : v,
    ),

  API_TOKEN: bearerToken,
  /** The queue dashboard's own credential; unset = no dashboard. */
  ADMIN_TOKEN: bearerToken,
  SEAM_API_KEY: optionalString.pipe(
    z
      .string()
      .superRefine((v, ctx) => {
        const problem = apiKeyProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  SEAM_ENDPOINT: optionalString.pipe(z.string().url().optional()),

  /** Seam access code creations allowed per device per minute (Seam's limit is 10). */
  DEVICE_CREATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
  CREATE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  SEAM_RETRY_BASE_MS: z.coerce.number().int().min(1).default(2000),
  SEAM_RETRY_MAX_MS: z.coerce.number().int().min(1).default(300_000),
  SEAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  DEVICE_CACHE_TTL_MS: duration(60_000),

  /** A failed_to_set_on_device / provider_issue lasting this long gets the code replaced. */
  REPLACE_AFTER_MS: duration(15 * 60_000),
  /** A code still not set this long after its start gets replaced. */
  NOT_SET_GRACE_MS: duration(60 * 60_000),
  MAX_REPLACEMENTS: z.coerce.number().int().min(0).max(10).default(2),
  /** How long a reconcile waits for the rest of a burst of events about one code: a burst
   *  within this window costs one Seam fetch; it adds this much to webhook→record latency. */
  RECONCILE_COALESCE_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  /** How long a code may sit in an open status before `GET /v1/guest-codes?stuck=true` lists it
   *  and the oldest-open alert fires: creation is seconds to minutes (retries included), Seam
   *  takes minutes to hours to set an offline code, telling the guest takes seconds. */
  STUCK_REQUESTED_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  STUCK_WAITING_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(2 * 3600_000),
  STUCK_SET_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  /** A finished guest code (notified, failed, cancelled) is kept this long after its stay ends. */
  RECORD_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(30 * 24 * 3600_000),
  RECONCILE_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),

  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  MAIL_FROM: optionalString,
  /** Reply-To of guest emails (where a guest's answer goes); unset: none. */
  MAIL_REPLY_TO: optionalString.pipe(z.string().email('must be an email address').optional()),
  /** The operator's name in the guest's message (subject and last line); unset: none. */
  BRAND_NAME: optionalString.pipe(z.string().max(100).optional()),
  /** The locale of a guest given none: its language picks the template, its region the clock. */
  DEFAULT_GUEST_LOCALE: z
    .string()
    .trim()
    .default(FALLBACK_LOCALE)
    .superRefine((tag, ctx) => {
      const checked = checkLocale(tag);
      if ('problem' in checked) ctx.addIssue({ code: 'custom', message: checked.problem });
    }),
  NOTIFY_WEBHOOK_URL: optionalString.pipe(
    z
      .string()
      .url()
      .refine((v) => /^https?:\/\//i.test(v), 'must be an https:// URL')
      .optional(),
  ),
  NOTIFY_WEBHOOK_SECRET: webhookSecret,
  /** PINs and guest contacts may travel in cleartext (smtp:// without STARTTLS, an http://
   *  NOTIFY_WEBHOOK_URL) to a host that is not this machine. Off: TLS is required. */
  NOTIFY_ALLOW_CLEARTEXT: z
    .enum(['true', 'false'], { message: "'true' or 'false'" })
    .default('false')
    .transform((v) => v === 'true'),
  /** How long a sender holds a notification before another worker may take it over. */
  NOTIFY_CLAIM_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  /** BullMQ stalled-job check interval and job lock duration: how soon a job held by a dead
   *  worker goes back to the queue (BullMQ's default is 30 s for both). */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),

  SHUTDOWN_TIMEOUT_MS: duration(25_000),
  /** Time for the load balancer to see /readyz go 503 before the listener closes. */
  SHUTDOWN_DRAIN_MS: duration(0),
  /** Above common load balancer idle timeouts (AWS ALB: 60 s) to avoid sporadic 502s. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: duration(65_000),
});

export type Config = z.infer<typeof envSchema>;
/** Every variable the service reads (the README's Configuration table lists each). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as (keyof Config)[];
export type Role = 'ingress' | 'worker';

const INGRESS_REQUIRES = ['SEAM_WEBHOOK_SECRET', 'API_TOKEN', 'SEAM_API_KEY'] as const;
const WORKER_REQUIRES = ['SEAM_API_KEY'] as const;
const requiredByRole: Record<Role, readonly (keyof Config)[]> = {
  ingress: INGRESS_REQUIRES,
  worker: WORKER_REQUIRES,
};

/** The configuration with what a role requires known to be there (no `?? ''` downstream). */
type Requiring<K extends keyof Config> = Config & { [P in K]-?: NonNullable<Config[P]> };
export type IngressConfig = Requiring<(typeof INGRESS_REQUIRES)[number]>;
export type WorkerConfig = Requiring<(typeof WORKER_REQUIRES)[number]>;

export class ConfigError extends Error {}

function requireFor<K extends keyof Config>(
  config: Config,
  role: Role,
  keys: readonly K[],
): Requiring<K> {
  const missing = keys.filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `invalid configuration: ${missing.map((k) => `${k}: required for the ${role}`).join('; ')}`,
    );
  }
  return config as Requiring<K>;
}

/** The ingress's view of a configuration loaded for it (loadConfig already checked it). */
export const ingressConfig = (config: Config): IngressConfig =>
  requireFor(config, 'ingress', INGRESS_REQUIRES);
export const workerConfig = (config: Config): WorkerConfig =>
  requireFor(config, 'worker', WORKER_REQUIRES);

/** The key prefix as a hash tag: `{seamcodes}`. */
export const clusterPrefix = (prefix: string): string => `{${prefix}}`;

/** What is wrong with the Redis topology settings taken together (one line each). */
function redisTopologyProblems(d: Config): string[] {
  const problems: string[] = [];
  if (d.REDIS_CLUSTER_NODES) {
    if (d.REDIS_SENTINELS) {
      problems.push('REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES or REDIS_SENTINELS');
    }
  }
  if (d.REDIS_SENTINELS) {
    if (!d.REDIS_SENTINEL_NAME) {
      problems.push('REDIS_SENTINEL_NAME: required when REDIS_SENTINELS is set (the master group)');
    }
  } else {
    if (d.REDIS_SENTINEL_NAME) {
      problems.push('REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS, which is not set');
    }
    if (d.REDIS_SENTINEL_PASSWORD) {
      problems.push('REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS, which is not set');
    }
    if (d.REDIS_PASSWORD && !d.REDIS_CLUSTER_NODES) {
      problems.push(
        'REDIS_PASSWORD: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES; a single server takes it in REDIS_URL',
      );
    }
  }
  return problems;
}

/** Where this deployment's Redis is: the sentinels' master group, or the one REDIS_URL. */
export function redisTarget(
  config: Pick<
    Config,
    | 'REDIS_URL'
    | 'REDIS_SENTINELS'
    | 'REDIS_CLUSTER_NODES'
    | 'REDIS_SENTINEL_NAME'
    | 'REDIS_SENTINEL_PASSWORD'
    | 'REDIS_PASSWORD'
  >,
): RedisTarget {
  if (config.REDIS_CLUSTER_NODES) {
    return {
      kind: 'cluster',
      nodes: config.REDIS_CLUSTER_NODES,
      ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
    };
  }
  if (config.REDIS_SENTINELS && config.REDIS_SENTINEL_NAME) {
    return {
      kind: 'sentinel',
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME,
      ...(config.REDIS_SENTINEL_PASSWORD
        ? { sentinelPassword: config.REDIS_SENTINEL_PASSWORD }
        : {}),
      ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
    };
  }
  return { kind: 'single', url: config.REDIS_URL };
}

/** Parses the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, roles: Role[]): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
    }
  } else {
    const d = parsed.data;
    if (d.SMTP_URL && !d.MAIL_FROM) problems.push('MAIL_FROM: required when SMTP_URL is set');
    if (d.METRICS_PORT && d.METRICS_PORT === d.PORT) {
      problems.push('METRICS_PORT: must differ from PORT');
    }
    if (d.ADMIN_TOKEN && d.ADMIN_TOKEN === d.API_TOKEN) {
      problems.push(
        'ADMIN_TOKEN: must differ from API_TOKEN (the dashboard has its own credential)',
      );
    }
    if (d.NOTIFY_WEBHOOK_URL && !d.NOTIFY_ALLOW_CLEARTEXT) {
      const target = new URL(d.NOTIFY_WEBHOOK_URL);
      if (target.protocol !== 'https:' && !isLoopbackHost(target.hostname)) {
        problems.push(
          'NOTIFY_WEBHOOK_URL: must be https:// (it carries PINs); http:// only to a loopback host, or with NOTIFY_ALLOW_CLEARTEXT=true',
        );
      }
    }
    if (d.NOTIFY_WEBHOOK_URL && !d.NOTIFY_WEBHOOK_SECRET) {
      problems.push('NOTIFY_WEBHOOK_SECRET: required when NOTIFY_WEBHOOK_URL is set');
    }
    problems.push(...redisTopologyProblems(d));
    // A worker with no way to tell a guest would leave every code `set` and the guest silent.
    if (roles.includes('worker') && !d.SMTP_URL && !d.NOTIFY_WEBHOOK_URL) {
      problems.push(
        'SMTP_URL or NOTIFY_WEBHOOK_URL: a worker needs at least one notification channel (set SMTP_URL for guest emails, NOTIFY_WEBHOOK_URL for the booking system, or both)',
      );
    }
    for (const role of roles) {
      for (const key of requiredByRole[role]) {
        if (parsed.data[key] === undefined) problems.push(`${key}: required for the ${role}`);
      }
    }
  }
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (parsed.data.REDIS_CLUSTER_NODES) {
    // One hash tag for every key (BullMQ's and ours): they all live in one slot, so every
    // multi-key script and MULTI works on a cluster (see docs/deployment.md).
    return { ...parsed.data, QUEUE_PREFIX: clusterPrefix(parsed.data.QUEUE_PREFIX) };
  }
  return parsed.data;
}
