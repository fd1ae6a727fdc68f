/** Every Redis key the service writes outside BullMQ, under the same prefix as its queues. */
export function storeKeys(prefix: string) {
  return {
    parkedEvents: `${prefix}:parked-events`,
    guestCode: (id: string) => `${prefix}:gc:${id}`,
    timeline: (id: string) => `${prefix}:gc:${id}:timeline`,
    byReference: (reference: string) => `${prefix}:gc-ref:${reference}`,
    byAccessCode: (accessCodeId: string) => `${prefix}:gc-ac:${accessCodeId}`,
    openCodes: `${prefix}:gc-open`,
    statusCounts: `${prefix}:gc-status-counts`,
    // Listing indexes: sorted sets whose members are `<start ms, padded>:<id>` (all scores 0,
    // so ZRANGE BYLEX pages them by stay start with ties broken by id).
    byStart: `${prefix}:gc-idx:start`,
    byStatus: (status: string) => `${prefix}:gc-idx:status:${status}`,
    byDevice: (deviceId: string) => `${prefix}:gc-idx:device:${deviceId}`,
    /** Open codes by the time they entered their status: `<since ms, padded>:<id>`. */
    statusSince: (status: string) => `${prefix}:gc-idx:since:${status}`,
    /** When each finished record expires (score), so its index entries can be purged. */
    indexExpiry: `${prefix}:gc-idx:expiry`,
    /** Per record, where it is indexed (for the purge once the record itself is gone). */
    indexInfo: `${prefix}:gc-idx:info`,
    /** A stay with several doors (POST with device_ids) and its reference. */
    stay: (id: string) => `${prefix}:stay:${id}`,
    stayByReference: (reference: string) => `${prefix}:stay-ref:${reference}`,
    accessCodeFreshness: (accessCodeId: string) => `${prefix}:ac-fresh:${accessCodeId}`,
    ignoredEvents: `${prefix}:ignored-events`,
    notifyClaim: (guestCodeId: string, accessCodeId: string, channel: string) =>
      `${prefix}:notify:${guestCodeId}:${accessCodeId}:${channel}`,
    deviceRate: (deviceId: string) => `${prefix}:rate:create:${deviceId}`,
    lockCodes: (deviceId: string) => `${prefix}:lock-codes:${deviceId}`,
    deviceCache: (deviceId: string) => `${prefix}:device:${deviceId}`,
    sweepCursor: `${prefix}:sweep:events-since`,
    /** The notification channels the workers have: a hash channel -> announcement expiry (ms). */
    notifyChannels: `${prefix}:notify-channels`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;
