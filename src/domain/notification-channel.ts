/**
 * The channels a guest is told through. One definition for the job payloads, the guest code's
 * record of what was sent, the senders' errors and the metrics.
 */
export const NOTIFY_CHANNELS = ['email', 'webhook'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/** Every channel a send can go through: the guest's, and the operators' alert webhook. */
export const DELIVERY_CHANNELS = [...NOTIFY_CHANNELS, 'alert_webhook'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];
