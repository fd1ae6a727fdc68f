/**
 * The service against the simulator, by hand, in one command:  npm run dev
 *
 * Starts a private Redis (redis-server on the PATH, its own port and temp dir; or REDIS_URL
 * when set), the Seam simulator (codes advance by themselves), an SMTP catcher and a receiver
 * for the signed guest_code.* webhooks (both print what arrives), and the service (ingress and
 * workers, in this process) on PORT (default 3000), with the simulator's webhooks wired to it.
 * Prints the API token and a request to try; runs until Ctrl-C.
 *
 *   PORT       the service's port on 127.0.0.1 (default 3000; 0 for a free one)
 *   REDIS_URL  use this Redis instead of a private one
 *   LOG_LEVEL  the service's log level on stderr (default warn)
 * Any other variable of the service's configuration is passed on (e.g. STUCK_WAITING_MS=60000);
 * the Seam, token, channel and Redis settings are the ones made here.
 */
import pino from 'pino';
import { startService } from '../app/service';
import { removeDir, startPrivateRedis } from '../devkit/redis';
import { CONFIG_VARIABLES, loadConfig } from '../src/config';
import { REDACT_PATHS } from '../src/logger';
import { ResourceStack } from '../src/process/resource-stack';
import { newApiToken, startLocalChannels, tryCommand } from '../sim/local-channels';
import { startSimulator } from '../sim/simulator';

const resources = new ResourceStack();

async function main(): Promise<void> {
  const env = process.env;
  let redisUrl = env.REDIS_URL?.trim();
  if (!redisUrl) {
    const redis = await startPrivateRedis();
    resources.defer('redis temp dir', () => removeDir(redis.dir));
    resources.defer('redis-server', () => redis.stop());
    redisUrl = redis.url;
  }
  const sim = await startSimulator();
  resources.defer('simulator', () => sim.close());
  const channels = await startLocalChannels();
  resources.defer('notification channels', () => channels.close());

  const apiToken = newApiToken();
  // Any other setting of the service may be given in the environment (e.g. STUCK_WAITING_MS).
  const passed = Object.fromEntries(
    CONFIG_VARIABLES.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]),
  );
  const config = loadConfig(
    {
      ...passed,
      NODE_ENV: 'development',
      PORT: env.PORT ?? '3000',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      SEAM_ENDPOINT: sim.url,
      SEAM_API_KEY: sim.apiKey,
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      API_TOKEN: apiToken,
      ...channels.env,
      SHUTDOWN_DRAIN_MS: '0',
    },
    ['ingress', 'worker'],
  );
  const logger = pino(
    { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
  const service = await startService(['ingress', 'worker'], config, logger);
  resources.defer('service', async () => {
    service.lifecycle.shuttingDown = true;
    for (const step of service.shutdownSteps()) await step.run().catch(() => undefined);
  });
  const base = `http://127.0.0.1:${service.port}`;
  sim.setWebhookUrl(`${base}/webhooks/seam`);

  console.log(`Redis:      ${redisUrl}`);
  console.log(`simulator:  ${sim.url} (control: ${sim.url}/_sim/info; docs/simulator.md)`);
  console.log(`webhooks:   simulator -> ${base}/webhooks/seam`);
  console.log(
    `guests:     emails to ${channels.env.SMTP_URL}, webhooks to ${channels.receiver.url}`,
  );
  console.log(`service ready at ${base}`);
  console.log(`API_TOKEN=${apiToken}`);
  console.log(
    `locks:      GET /v1/devices (igloohome: ${sim.devices.igloohome.join(', ')}; dormakaba: ${sim.devices.dormakaba.join(', ')})`,
  );
  console.log('try:');
  console.log(`  ${tryCommand(base, apiToken, sim.devices.igloohome[0])}`);
  console.log(
    `  curl -s -H "Authorization: Bearer ${apiToken}" '${base}/v1/guest-codes?stuck=true'`,
  );
  console.log('Ctrl-C to stop.');
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await resources.close((name, err) => console.error(`stopping ${name}: ${String(err)}`));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

main().catch(async (err: unknown) => {
  console.error(`npm run dev: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
});
