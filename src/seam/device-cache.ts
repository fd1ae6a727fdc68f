import type { Redis } from 'ioredis';
import type { DeviceFacts } from '../domain/device-profile';
import type { SeamGateway } from './client';

/**
 * Devices change rarely and every request checks one: cache them briefly in Redis (shared by
 * every process), so a burst of bookings for one lock costs one Seam call. A device carries
 * no secret or PIN.
 */
export class DeviceCache {
  constructor(
    private readonly seam: Pick<SeamGateway, 'getDevice'>,
    private readonly redis: Redis,
    private readonly keyFor: (deviceId: string) => string,
    private readonly ttlMs: number,
  ) {}

  async get(deviceId: string): Promise<DeviceFacts> {
    if (this.ttlMs > 0) {
      const cached = await this.redis.get(this.keyFor(deviceId)).catch(() => null);
      if (cached) return JSON.parse(cached) as DeviceFacts;
    }
    const device = await this.seam.getDevice(deviceId);
    if (this.ttlMs > 0) {
      await this.redis
        .set(this.keyFor(deviceId), JSON.stringify(device), 'PX', this.ttlMs)
        .catch(() => undefined);
    }
    return device;
  }
}
