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
    accessCodeFreshness: (accessCodeId: string) => `${prefix}:ac-fresh:${accessCodeId}`,
    ignoredEvents: `${prefix}:ignored-events`,
    notifyClaim: (guestCodeId: string, accessCodeId: string, channel: string) =>
      `${prefix}:notify:${guestCodeId}:${accessCodeId}:${channel}`,
    deviceRate: (deviceId: string) => `${prefix}:rate:create:${deviceId}`,
    lockCodes: (deviceId: string) => `${prefix}:lock-codes:${deviceId}`,
    deviceCache: (deviceId: string) => `${prefix}:device:${deviceId}`,
    sweepCursor: `${prefix}:sweep:events-since`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;
