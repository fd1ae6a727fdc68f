/**
 * Runs the simulator until SIGINT/SIGTERM:  tsx sim/cli.ts
 *   PORT or SIM_PORT   port on 127.0.0.1 (default: a free port)
 *   SIM_WEBHOOK_URL    where to deliver webhooks (default: none, set later via /_sim/webhook_url)
 *   SIM_API_KEY        API key to accept (default: generated; must start with seam_)
 *   SIM_WEBHOOK_SECRET whsec_... (default: generated)
 *   SIM_MANUAL=1       codes do not advance by themselves (drive them via /_sim/...)
 * Prints the URL, API key and webhook secret (never PINs).
 */
import { startSimulator } from './simulator';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.SIM_PORT ?? env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0)
    throw new Error(`invalid port: ${env.SIM_PORT ?? env.PORT}`);
  const sim = await startSimulator({
    port,
    webhookUrl: env.SIM_WEBHOOK_URL || null,
    apiKey: env.SIM_API_KEY || undefined,
    webhookSecret: env.SIM_WEBHOOK_SECRET || undefined,
    autoAdvance: env.SIM_MANUAL !== '1',
  });
  console.log(`Seam sandbox simulator listening on ${sim.url}`);
  console.log(`SEAM_ENDPOINT=${sim.url}`);
  console.log(`SEAM_API_KEY=${sim.apiKey}`);
  console.log(`SEAM_WEBHOOK_SECRET=${sim.webhookSecret}`);
  console.log(`webhooks -> ${sim.webhookUrl() ?? '(none: PUT /_sim/webhook_url {"url": ...})'}`);
  console.log(`devices: ${JSON.stringify(sim.devices)}`);
  console.log(`control: ${sim.url}/_sim/info, /_sim/faults, /_sim/counts, /_sim/deliveries`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    sim.close().then(
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
