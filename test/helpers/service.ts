import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { REDACT_PATHS, type Logger } from '../../src/logger';

/** Every log line the code under test writes, kept so tests can search them for secrets. */
export class LogSink {
  readonly lines: string[] = [];
  readonly logger: Logger;

  constructor(level = 'debug') {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    this.logger = pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the jest global setup did not run');
  return url;
}

/** A configuration for one test: its own key prefix, so tests never see each other's data. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
      LOG_LEVEL: 'debug',
      SHUTDOWN_DRAIN_MS: '0',
      ...overrides,
    },
    [],
  );
}
