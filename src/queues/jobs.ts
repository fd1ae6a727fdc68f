import { z } from 'zod';

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
