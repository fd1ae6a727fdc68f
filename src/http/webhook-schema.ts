import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

/**
 * Seam signs with Svix (Standard Webhooks): the `svix-*` headers, or the unbranded `webhook-*`
 * ones with the same meaning. Each pair is optional on its own; one complete set is required.
 */
export const svixHeadersSchema = z.object({
  'svix-id': z.string().optional().openapi({
    description: 'delivery id; the same on every retry (deduplicated for 28 h)',
    example: 'msg_2Lh9KRb0pzN4LePd3XiF8GqrtkK',
  }),
  'svix-timestamp': z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .openapi({ description: 'Unix seconds; refused when more than 5 minutes off' }),
  'svix-signature': z.string().optional().openapi({
    description:
      'space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}">` signatures',
  }),
  'webhook-id': z.string().optional().openapi({ description: 'alternate name of svix-id' }),
  'webhook-timestamp': z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .openapi({ description: 'alternate name of svix-timestamp' }),
  'webhook-signature': z
    .string()
    .optional()
    .openapi({ description: 'alternate name of svix-signature' }),
});

export const webhookAnswerSchema = z
  .object({
    ok: z.literal(true),
    outcome: z.enum(['accepted', 'duplicate', 'ignored', 'parked']).openapi({
      description:
        'accepted: queued; duplicate: this delivery id was queued already; ignored: not an access_code.* event; parked: authentic but unusable, kept for inspection',
    }),
  })
  .strict()
  .openapi('WebhookAnswer');

export type WebhookAnswer = z.infer<typeof webhookAnswerSchema>;
