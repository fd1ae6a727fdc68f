import { ConfigError, loadConfig, type Role } from '../src/config';
import { createLogger } from '../src/logger';
import { startService } from './service';
import { installShutdown } from '../src/process/shutdown';

const ROLES: Record<string, Role[]> = {
  all: ['ingress', 'worker'],
  ingress: ['ingress'],
  worker: ['worker'],
};

/** Process entry point: `node dist/app/main.js [all|ingress|worker]`. */
async function main(): Promise<void> {
  // The runtime we test is the runtime we ship (package.json engines): refuse an older one with
  // one line rather than fail later in a dependency that needs it (@seamapi/http needs 22.12+).
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    console.error(`Node.js ${process.versions.node} is too old: this service runs on Node 24 LTS`);
    process.exit(1);
  }
  const roleName = process.argv[2] ?? 'all';
  const roles = ROLES[roleName];
  if (!roles) {
    console.error(`unknown role "${roleName}": use all, ingress or worker`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig(process.env, roles);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, name: roleName });
  const service = await startService(roles, config, logger);
  installShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    begin: () => {
      service.lifecycle.shuttingDown = true;
    },
    steps: () => service.shutdownSteps(),
  });
  logger.info({ role: roleName, port: service.port }, 'started');
}

main().catch((err) => {
  console.error(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
