/**
 * Runs the simulator until SIGINT/SIGTERM:  npm run sim   (tsx sim/cli.ts)
 *
 * Besides the simulated Seam API it starts the two notification channels a service needs on
 * this machine (an SMTP catcher and a receiver for the signed guest_code.* webhooks; each
 * prints what arrives), and prints the service's whole environment as `export` lines: paste
 * them into another shell and run `npm start`. Webhooks are wired: the simulator delivers
 * them to http://127.0.0.1:$SIM_SERVICE_PORT/webhooks/seam, the PORT it prints.
 *
 *   SIM_PORT (or PORT)  the simulator's port on 127.0.0.1 (default: a free port)
 *   SIM_SERVICE_PORT    the service's PORT in the printed environment (default 3000)
 *   SIM_WEBHOOK_URL     deliver webhooks there instead (`none`: deliver nothing until
 *                       PUT /_sim/webhook_url)
 *   REDIS_URL           the Redis the printed environment names (default redis://127.0.0.1:6379;
 *                       the simulator needs none)
 *   SIM_API_KEY         API key to accept (default: generated; must start with seam_)
 *   SIM_WEBHOOK_SECRET  whsec_... (default: generated)
 *   SIM_MANUAL=1        codes do not advance by themselves (drive them via /_sim/...)
 * Control API: docs/simulator.md. Never prints a PIN itself; a guest email it catches is
 * printed as the guest would read it.
 */
import { exportLines, newApiToken, startLocalChannels, tryCommand } from './local-channels';
import { startSimulator } from './simulator';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.SIM_PORT ?? env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0)
    throw new Error(`invalid port: ${env.SIM_PORT ?? env.PORT}`);
  const servicePort = Number(env.SIM_SERVICE_PORT ?? 3000);
  if (!Number.isInteger(servicePort) || servicePort <= 0 || servicePort > 65535)
    throw new Error(`invalid SIM_SERVICE_PORT: ${env.SIM_SERVICE_PORT}`);
  const webhookUrl =
    env.SIM_WEBHOOK_URL === 'none'
      ? null
      : env.SIM_WEBHOOK_URL || `http://127.0.0.1:${servicePort}/webhooks/seam`;

  const sim = await startSimulator({
    port,
    webhookUrl,
    apiKey: env.SIM_API_KEY || undefined,
    webhookSecret: env.SIM_WEBHOOK_SECRET || undefined,
    autoAdvance: env.SIM_MANUAL !== '1',
  });
  const channels = await startLocalChannels();
  const apiToken = newApiToken();

  console.log(`Seam sandbox simulator listening on ${sim.url} (127.0.0.1 only)`);
  console.log('');
  console.log("# The service's environment: paste into another shell, then `npm start`.");
  console.log('# (Redis must run at REDIS_URL, e.g. `redis-server --port 6379 --appendonly yes`.)');
  for (const line of exportLines({
    PORT: String(servicePort),
    HOST: '127.0.0.1',
    REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
    SEAM_ENDPOINT: sim.url,
    SEAM_API_KEY: sim.apiKey,
    SEAM_WEBHOOK_SECRET: sim.webhookSecret,
    API_TOKEN: apiToken,
    ...channels.env,
  })) {
    console.log(line);
  }
  console.log('');
  console.log(`webhooks -> ${sim.webhookUrl() ?? '(none: PUT /_sim/webhook_url {"url": ...})'}`);
  console.log('locks (GET /v1/devices on the service lists them with their rules):');
  for (const [group, ids] of Object.entries(sim.devices)) {
    for (const id of ids) {
      const name = sim.fake.database.devices.find((d) => d.device_id === id)?.display_name;
      console.log(`  ${group.padEnd(11)} ${id}  ${name ?? ''}`);
    }
  }
  console.log(`control: ${sim.url}/_sim/info (all routes: docs/simulator.md)`);
  console.log('then, with the service running, ask for a code:');
  console.log(
    `  ${tryCommand(`http://127.0.0.1:${servicePort}`, apiToken, sim.devices.igloohome[0])}`,
  );
  console.log('');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    Promise.all([sim.close(), channels.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
