/** Every queue the service uses, and what travels on it. */
export const QUEUES = {
  /** Authentic access_code.* webhook deliveries, one job per Svix message. */
  events: 'seam-events',
  /** Creation of a guest's offline code on Seam. */
  create: 'code-create',
  /** Fetch one access code from Seam and apply it to its guest code. */
  reconcile: 'code-reconcile',
  /** Tell a guest (one job per guest code, PIN and channel). */
  notify: 'guest-notify',
  /** The periodic safety net that polls Seam for what webhooks missed. */
  sweep: 'code-sweep',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
