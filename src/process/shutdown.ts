import { errorFields, type Logger } from '../logger';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/**
 * Graceful shutdown, wired the same way in every entry point: on SIGTERM or SIGINT the
 * caller's `begin` runs at once (readiness turns 503), then after `drainMs` (time for a load
 * balancer to notice) the steps run in order: HTTP listener, workers, queues, Redis.
 * Everything must finish within `timeoutMs`, else the process exits 1.
 */
export function installShutdown(opts: {
  logger: Logger;
  timeoutMs: number;
  drainMs: number;
  begin: () => void;
  steps: () => ShutdownStep[];
  exit?: (code: number) => void;
}): { shutdown: (signal: string) => Promise<void> } {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let started: Promise<void> | undefined;

  const shutdown = (signal: string): Promise<void> => {
    if (started) return started;
    started = (async () => {
      opts.logger.info({ signal }, 'shutting down');
      opts.begin();
      const guard = setTimeout(() => {
        opts.logger.error({ timeoutMs: opts.timeoutMs }, 'shutdown took too long; exiting');
        exit(1);
      }, opts.timeoutMs);
      guard.unref();
      if (opts.drainMs > 0) await new Promise((r) => setTimeout(r, opts.drainMs));
      let code = 0;
      for (const step of opts.steps()) {
        try {
          await step.run();
        } catch (err) {
          code = 1;
          opts.logger.error({ step: step.name, err: errorFields(err) }, 'shutdown step failed');
        }
      }
      clearTimeout(guard);
      opts.logger.info({ exitCode: code }, 'shutdown complete');
      exit(code);
    })();
    return started;
  };

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return { shutdown };
}
