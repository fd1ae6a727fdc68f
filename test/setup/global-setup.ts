import { startPrivateRedis, type PrivateRedis } from '../../devkit/redis';

declare global {
  var __PRIVATE_REDIS__: PrivateRedis | undefined;
}

/** Starts one private redis-server for the whole run unless REDIS_URL is given; tests isolate
 *  themselves by key prefix, so nothing is ever flushed. */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
    return;
  }
  const redis = await startPrivateRedis();
  globalThis.__PRIVATE_REDIS__ = redis;
  process.env.TEST_REDIS_URL = redis.url;
}
