import { z } from 'zod';
import { PLAN_WARNING_CODES } from '../domain/rules';
import { CAVEAT_IDS } from '../notify/guest-message';
import { OUTBOUND_EVENT_TYPES } from '../notify/outbound-webhook';
import './guest-code-schema'; // extends zod with .openapi()

// The events this service sends to NOTIFY_WEBHOOK_URL, described for the `webhooks` section of
// /openapi.json. notify-guest.ts builds them; test/ops/api-consistency.test.ts validates the
// events a real run delivers against these schemas.

const instant = z.string().datetime({ offset: true });

const guestSchema = z
  .object({
    name: z.string(),
    email: z.string().optional(),
    phone: z.string().optional(),
    locale: z.string().optional(),
  })
  .strict();

export const guestCodeReadyDataSchema = z
  .object({
    guest_code_id: z.string(),
    reference: z.string(),
    access_code_id: z.string().openapi({ description: "Seam's access code id" }),
    device_id: z.string(),
    lock_name: z.string(),
    guest: guestSchema,
    pin: z.string().openapi({ description: 'the PIN: keep this body out of logs' }),
    starts_at: instant.openapi({ description: 'the window the code opens the door in' }),
    ends_at: instant,
    window_source: z.enum(['seam', 'plan']).openapi({
      description: "'seam': the window Seam stored; 'plan': Seam's answer carried none yet",
    }),
    timezone: z.string().openapi({ description: "the lock's IANA zone" }),
    kind: z.enum(['hourly_bound', 'daily_bound', 'one_time_use']),
    caveats: z.array(z.enum(CAVEAT_IDS)),
    warnings: z.array(
      z
        .object({
          code: z.enum(PLAN_WARNING_CODES),
          field: z.enum(['starts_at', 'ends_at']),
          minutes: z.number().int().min(0),
          message: z.string(),
        })
        .strict(),
    ),
    replaces_previous: z.boolean(),
    locale: z.string().openapi({ description: 'the locale the message is written in' }),
    message: z.object({ subject: z.string(), text: z.string() }).strict().openapi({
      description:
        "the guest's message, ready to pass on (by SMS or in an app): the same words as the email, without the email's reply hint",
    }),
  })
  .strict();

const previousCode = z
  .object({
    access_code_id: z.string(),
    valid_until: instant.openapi({
      description: 'an offline code cannot be revoked: it opens the door until then',
    }),
  })
  .strict();

/** A changed stay's new PIN: the ready payload and the codes of the stay before the change. */
export const guestCodeChangedDataSchema = guestCodeReadyDataSchema
  .extend({ previous_codes: z.array(previousCode) })
  .strict();

const stayWindow = z.object({ starts_at: instant, ends_at: instant }).strict();

export const guestCodeWindowChangedDataSchema = z
  .object({
    guest_code_id: z.string(),
    reference: z.string(),
    device_id: z.string(),
    change: z.number().int().positive().openapi({ description: "the change's number" }),
    previous_window: stayWindow.nullable(),
    window: stayWindow,
    shortened: z.boolean(),
    previous_codes: z.array(
      previousCode
        .extend({
          superseded_at: instant,
          outlasts_stay: z.boolean().openapi({
            description: "true: this previous PIN still opens the door after the stay's new end",
          }),
        })
        .strict(),
    ),
    message: z.string(),
  })
  .strict();

export const stayReadyDataSchema = z
  .object({
    stay_id: z.string(),
    reference: z.string(),
    guest: guestSchema,
    doors: z.array(
      z
        .object({
          door: z.number().int().min(1),
          guest_code_id: z.string(),
          access_code_id: z.string(),
          device_id: z.string(),
          lock_name: z.string(),
          pin: z.string().openapi({ description: 'the PIN: keep this body out of logs' }),
          starts_at: instant,
          ends_at: instant,
          timezone: z.string(),
          kind: z.enum(['hourly_bound', 'daily_bound', 'one_time_use']),
          caveats: z.array(z.enum(CAVEAT_IDS)),
          previous_codes: z.array(previousCode).openapi({
            description: "this door's codes from before the stay changed, each valid until its end",
          }),
        })
        .strict(),
    ),
    changed: z.boolean().openapi({ description: 'new codes for a changed stay (PATCH)' }),
    follow_up: z
      .boolean()
      .openapi({ description: 'a later message: doors not ready for the first one' }),
    more_to_follow: z.boolean().openapi({ description: 'some doors are not ready yet' }),
    pending_doors: z.array(z.number().int().min(1)),
    locale: z.string(),
    message: z.object({ subject: z.string(), text: z.string() }).strict(),
  })
  .strict();

export const guestCodeAlertDataSchema = z
  .object({
    guest_code_id: z.string(),
    reference: z.string().optional(),
    device_id: z.string().optional(),
    error: z
      .object({
        code: z.string().openapi({
          description:
            'why, e.g. replacements_exhausted, notification_undelivered, stay_ended, stored_window_differs, stay_incomplete (a stay with several doors started with some not set)',
        }),
        message: z.string(),
      })
      .strict(),
  })
  .strict();

/** The body of one event: `{ type, timestamp, data }`. */
export function outboundEventSchema(type: (typeof OUTBOUND_EVENT_TYPES)[number]) {
  const data =
    type === 'guest_code.ready' || type === 'guest_code.replaced'
      ? guestCodeReadyDataSchema
      : type === 'guest_code.changed'
        ? guestCodeChangedDataSchema
        : type === 'guest_code.window_changed'
          ? guestCodeWindowChangedDataSchema
          : type === 'stay.ready'
            ? stayReadyDataSchema
            : guestCodeAlertDataSchema;
  return z
    .object({
      type: z.literal(type),
      timestamp: instant.openapi({ description: 'when this delivery was signed' }),
      data,
    })
    .strict();
}

export const OUTBOUND_EVENT_DESCRIPTIONS: Record<(typeof OUTBOUND_EVENT_TYPES)[number], string> = {
  'guest_code.ready': "the guest's PIN is set on the lock: pass `data.message` on to the guest",
  'guest_code.replaced':
    'a replacement PIN (the previous code failed): pass it on; the previous PIN no longer works',
  'guest_code.failed':
    'an ops alert, no PIN: the guest code ended without the guest told (failed or undelivered)',
  'guest_code.alert':
    'an ops alert, no PIN, about a guest code that goes on (e.g. Seam stored another window)',
  'guest_code.changed':
    "a changed stay's new PIN: pass it on; the previous PIN still opens the door until its own end (`previous_codes`)",
  'stay.ready':
    'the PINs of a stay with several doors (POST with `device_ids`), every door told in one message: pass `data.message` on; `more_to_follow` when some doors come in a later `stay.ready`',
  'guest_code.window_changed':
    "no PIN: a stay's window changed (PATCH); says which previous codes outlast the new stay",
};

const signatureHeaders = z.object({
  'webhook-id': z.string().openapi({
    description:
      'the delivery id, the same on every retry of one event: dedupe on it. Guest messages: `<guest code id>_<access code id>`; alerts: `alert_<guest code id>_<key>`',
    example: 'gc_6f1c2e0a-1b2c-4d5e-8f90-1234567890ab_8a0c7e6e-…',
  }),
  'webhook-timestamp': z.string().openapi({
    description: 'Unix seconds when signed; refuse one more than 5 minutes off',
  }),
  'webhook-signature': z.string().openapi({
    description:
      'Standard Webhooks / Svix: `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the base64-decoded part of NOTIFY_WEBHOOK_SECRET after `whsec_`. Verify with any Svix or Standard Webhooks library, over the raw bytes',
  }),
  'svix-id': z.string().openapi({ description: 'the same as webhook-id' }),
  'svix-timestamp': z.string().openapi({ description: 'the same as webhook-timestamp' }),
  'svix-signature': z.string().openapi({ description: 'the same as webhook-signature' }),
});

export { signatureHeaders as outboundSignatureHeaders };
