import { z } from 'zod';
import { NOTIFY_CHANNELS } from '../domain/notification-channel';

/** Job payloads, validated by the worker that takes them. No payload ever holds a PIN. */

const codeIssue = z.object({
  code: z.string(),
  message: z.string(),
  created_at: z.string().optional(),
});

export const seamEventJobSchema = z.object({
  delivery_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  access_code_id: z.string(),
  device_id: z.string(),
  connected_account_id: z.string().optional(),
  occurred_at: z.string(),
  errors: z.array(codeIssue),
  warnings: z.array(codeIssue),
  received_at: z.string(),
});
export type SeamEventJob = z.infer<typeof seamEventJobSchema>;

export const createJobSchema = z.object({
  guest_code_id: z.string(),
  generation: z.number().int().nonnegative(),
  /** The booking reference, for whoever reads the job on the dashboard. */
  reference: z.string().optional(),
});
export type CreateJob = z.infer<typeof createJobSchema>;

export const reconcileJobSchema = z.object({
  access_code_id: z.string(),
  reason: z.string(),
  /** The event that asked for this read (see AccessCodeFreshness); absent for sweeps and rechecks. */
  event_seq: z.number().int().positive().optional(),
});
export type ReconcileJob = z.infer<typeof reconcileJobSchema>;

export const notifyJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('guest'),
    guest_code_id: z.string(),
    access_code_id: z.string(),
    channel: z.enum(NOTIFY_CHANNELS),
    /** Set on the jobs of an operator's resend (its number): a job of its own, same claim. */
    resend: z.number().int().positive().optional(),
    /** The booking reference, for whoever reads the job on the dashboard. */
    reference: z.string().optional(),
  }),
  z.object({
    kind: z.literal('alert'),
    guest_code_id: z.string(),
    code: z.string(),
    message: z.string(),
    /** Tells one alert of a guest code from another (the receiver's dedupe key); default: code. */
    alert_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/)
      .optional(),
  }),
  /** The booking system is told a stay's window changed (`guest_code.window_changed`): no PIN. */
  z.object({
    kind: z.literal('window_changed'),
    guest_code_id: z.string(),
    change: z.number().int().positive(),
  }),
  /** A stay with several doors starts: doors not told yet are told what is ready, ops alerted. */
  z.object({
    kind: z.literal('stay_start'),
    stay_id: z.string(),
  }),
]);
export type NotifyJob = z.infer<typeof notifyJobSchema>;
