import { z } from 'zod';

/**
 * What we read from a Seam webhook event. Seam sends one flat JSON object per delivery.
 * Only the fields the workers need are kept; anything that may carry a PIN (`code`,
 * `changed_properties`, `from`/`to`) is dropped here, so it never reaches a queue or a log.
 */
const issueSchema = z
  .object({
    error_code: z.string().optional(),
    warning_code: z.string().optional(),
    message: z.string().optional(),
    created_at: z.string().optional(),
  })
  .transform((i) => ({
    code: i.error_code ?? i.warning_code ?? 'unknown',
    message: i.message ?? '',
    created_at: i.created_at,
  }));

export type CodeIssue = z.output<typeof issueSchema>;

const nonEmpty = z.string().min(1).max(200);

export const accessCodeEventSchema = z.object({
  event_id: nonEmpty,
  event_type: z.string().startsWith('access_code.').max(200),
  access_code_id: nonEmpty,
  device_id: nonEmpty,
  connected_account_id: nonEmpty.optional(),
  occurred_at: z.string().datetime({ offset: true }),
  created_at: z.string().datetime({ offset: true }).optional(),
  access_code_errors: z.array(issueSchema).max(100).default([]),
  access_code_warnings: z.array(issueSchema).max(100).default([]),
});

export type AccessCodeEvent = z.output<typeof accessCodeEventSchema>;

/** An event we route on type alone, before deciding whether its full schema matters. */
export const eventEnvelopeSchema = z.object({ event_type: z.string().min(1).max(200) });

/**
 * The event types the sweeper's catch-up asks `/events/list` for: every access_code.* type of
 * Seam's documented list that concerns a managed code (the unmanaged.* ones never concern a
 * code we created). A filter, so the other events of the workspace do not fill the pages.
 */
export const CATCH_UP_EVENT_TYPES = [
  'access_code.created',
  'access_code.changed',
  'access_code.name_changed',
  'access_code.code_changed',
  'access_code.time_frame_changed',
  'access_code.mutations_requested',
  'access_code.scheduled_on_device',
  'access_code.set_on_device',
  'access_code.removed_from_device',
  'access_code.delay_in_setting_on_device',
  'access_code.failed_to_set_on_device',
  'access_code.issued',
  'access_code.delay_in_issuing',
  'access_code.failed_to_issue',
  'access_code.failed_to_update',
  'access_code.failed_to_remove',
  'access_code.deleted',
  'access_code.delay_in_removing_from_device',
  'access_code.failed_to_remove_from_device',
  'access_code.modified_external_to_seam',
  'access_code.deleted_external_to_seam',
  'access_code.backup_access_code_pulled',
] as const;

export function isAccessCodeEventType(type: string): boolean {
  return type.startsWith('access_code.');
}

/**
 * Removes every PIN-bearing part of an arbitrary event before it is stored for inspection:
 * fields named `code` or `pin` at any depth, and `changed_properties` entries about `code`.
 */
export function redactPins(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactPins(v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  const aboutCode = record.property === 'code';
  for (const [key, v] of Object.entries(record)) {
    if (key === 'code' || key === 'pin' || (aboutCode && (key === 'from' || key === 'to'))) {
      out[key] = v === null ? null : '[redacted]';
    } else {
      out[key] = redactPins(v, depth + 1);
    }
  }
  return out;
}
