import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CONFIG_VARIABLES,
  ConfigError,
  ingressConfig,
  loadConfig,
  redisTarget,
  workerConfig,
} from '../../src/config';
import { spawnService } from '../helpers/processes';

const good = {
  SEAM_WEBHOOK_SECRET: 'whsec_bW9yZS10aGFuLXR3ZW50eS1mb3VyLWJ5dGVzLW9mLWtleQ==',
  API_TOKEN: 'token-0123456789abcdef-0123456789abcdef',
  SEAM_API_KEY: 'seam_test_key',
};

/** A worker needs a notification channel: SMTP here. */
const mail = { SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'codes@example.com' };

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(good, ['ingress']);
    expect(c).toMatchObject({
      PORT: 3000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'seamcodes',
      LOG_LEVEL: 'info',
      WEBHOOK_BODY_LIMIT_BYTES: 262_144,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL'],
    [{ SEAM_WEBHOOK_SECRET: 'not-a-secret' }, 'SEAM_WEBHOOK_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ QUEUE_PREFIX: 'a b' }, 'QUEUE_PREFIX'],
    [{ SMTP_URL: 'smtp://mail:25' }, 'MAIL_FROM'],
  ])('names the variable when %o is wrong', (env, name) => {
    expect(() => loadConfig({ ...good, ...env }, ['ingress', 'worker'])).toThrow(ConfigError);
    expect(() => loadConfig({ ...good, ...env }, ['ingress', 'worker'])).toThrow(name);
  });

  it('requires the webhook secret, API token and Seam key for the ingress, only the key for workers', () => {
    expect(() => loadConfig({}, ['ingress'])).toThrow(
      /SEAM_WEBHOOK_SECRET.*API_TOKEN.*SEAM_API_KEY/,
    );
    expect(() => loadConfig({ SEAM_API_KEY: 'seam_k', ...mail }, ['worker'])).not.toThrow();
  });

  it('refuses a worker with no notification channel, naming both variables', () => {
    expect(() => loadConfig({ SEAM_API_KEY: 'seam_k' }, ['worker'])).toThrow(
      /SMTP_URL or NOTIFY_WEBHOOK_URL: a worker needs at least one notification channel/,
    );
    expect(() => loadConfig({ SEAM_API_KEY: 'seam_k' }, ['ingress', 'worker'])).toThrow(
      /SMTP_URL or NOTIFY_WEBHOOK_URL/,
    );
    // The ingress alone tells nobody: it needs neither.
    expect(() => loadConfig(good, ['ingress'])).not.toThrow();
    expect(() =>
      loadConfig(
        {
          SEAM_API_KEY: 'seam_k',
          NOTIFY_WEBHOOK_URL: 'https://booking.example.com/hooks/codes',
          NOTIFY_WEBHOOK_SECRET: good.SEAM_WEBHOOK_SECRET,
        },
        ['worker'],
      ),
    ).not.toThrow();
  });

  it('stops a worker with no notification channel: one line naming both variables, exit 1', async () => {
    const proc = spawnService('worker', {
      SEAM_API_KEY: 'seam_k',
      REDIS_URL: 'redis://127.0.0.1:9',
    });
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output).toEqual([
      expect.stringMatching(
        /^invalid configuration: SMTP_URL or NOTIFY_WEBHOOK_URL: a worker needs at least one notification channel/,
      ),
    ]);
  }, 20_000);

  it('gives each role its configuration only when what the role requires is there', () => {
    const workerOnly = loadConfig({ SEAM_API_KEY: 'seam_k', ...mail }, ['worker']);
    expect(workerConfig(workerOnly).SEAM_API_KEY).toBe('seam_k');
    expect(() => ingressConfig(workerOnly)).toThrow(ConfigError);
    expect(() => ingressConfig(workerOnly)).toThrow(/SEAM_WEBHOOK_SECRET.*API_TOKEN/);
    const both = loadConfig({ ...good, ...mail }, ['ingress', 'worker']);
    expect(ingressConfig(both).API_TOKEN).toBe(good.API_TOKEN);
  });

  it('keeps the single server of REDIS_URL when no sentinels are given', () => {
    const c = loadConfig(good, ['ingress']);
    expect(redisTarget(c)).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(c.REDIS_MIN_REPLICAS_ACK).toBe(0);
  });

  it('reads Sentinel mode: sentinels, master group, passwords', () => {
    const c = loadConfig(
      {
        ...good,
        REDIS_SENTINELS: '10.0.0.5:26379, sentinel-2:26380,[::1]:26381',
        REDIS_SENTINEL_NAME: 'seamcodes',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
        REDIS_PASSWORD: 'redis-pass',
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '250',
      },
      ['ingress'],
    );
    expect(redisTarget(c)).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: 'sentinel-2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'seamcodes',
      sentinelPassword: 'sentinel-pass',
      password: 'redis-pass',
    });
    expect(c).toMatchObject({ REDIS_MIN_REPLICAS_ACK: 1, REDIS_REPLICA_ACK_TIMEOUT_MS: 250 });
  });

  it('reads cluster mode: nodes, password, and a hash-tagged prefix', () => {
    const c = loadConfig(
      {
        ...good,
        REDIS_CLUSTER_NODES: '10.0.0.5:7000,10.0.0.6:7001',
        REDIS_PASSWORD: 'pw',
        QUEUE_PREFIX: 'codes',
      },
      ['ingress'],
    );
    expect(redisTarget(c)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: '10.0.0.6', port: 7001 },
      ],
      password: 'pw',
    });
    expect(c.QUEUE_PREFIX).toBe('{codes}');
  });

  it.each([
    [{ REDIS_SENTINELS: '10.0.0.5' }, /REDIS_SENTINELS: '10.0.0.5' is not host:port/],
    [{ REDIS_SENTINELS: 'a:1,b:99999', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS: 'b:99999'/],
    [{ REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_NAME: required when REDIS_SENTINELS/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS/],
    [{ REDIS_PASSWORD: 'p' }, /REDIS_PASSWORD: only used with REDIS_SENTINELS/],
    [{ REDIS_MIN_REPLICAS_ACK: '-1' }, /REDIS_MIN_REPLICAS_ACK: /],
    [
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' },
      /REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES or REDIS_SENTINELS/,
    ],
    [{ REDIS_CLUSTER_NODES: 'a' }, /REDIS_CLUSTER_NODES: 'a' is not host:port/],
    [{ REDIS_REPLICA_ACK_TIMEOUT_MS: 'soon' }, /REDIS_REPLICA_ACK_TIMEOUT_MS: /],
  ])('names the Redis variable at fault in %o', (env, message) => {
    expect(() => loadConfig({ ...good, ...env }, ['ingress'])).toThrow(message);
  });

  it('stops the process with one clear line and exit code 1', async () => {
    const proc = spawnService('ingress', { ...good, REDIS_URL: 'ftp://nowhere' });
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output).toEqual([expect.stringMatching(/^invalid configuration: REDIS_URL: /)]);
  }, 20_000);

  it('every variable it reads is documented in the README and .env.example', () => {
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    // A row of the Configuration table: the name in its first cell.
    const documented = (name: string) =>
      new RegExp(`^\\|[^|]*\`${name}\`[^|]*\\|`, 'm').test(readme);
    const listed = (name: string) => new RegExp(`^#? ?${name}=`, 'm').test(example);
    // NODE_ENV is Node's own convention, not a setting of this service.
    const ours = CONFIG_VARIABLES.filter((name) => name !== 'NODE_ENV');
    expect(ours.filter((name) => !documented(name))).toEqual([]);
    expect(ours.filter((name) => !listed(name))).toEqual([]);
  });
});
