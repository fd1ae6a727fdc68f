import { removeDir } from '../../devkit/redis';

export default async function globalTeardown(): Promise<void> {
  const redis = globalThis.__PRIVATE_REDIS__;
  if (redis) {
    await redis.stop();
    removeDir(redis.dir);
  }
}
