import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { GUEST_CODE_STATUSES, SEAM_STATUS_ORDER } from '../domain/guest-code';
import { GUEST_UNREACHABLE } from '../domain/notification-channel';
import { PLAN_WARNING_CODES, RULE_VIOLATION_CODES } from '../domain/rules';
import { checkLocale, TEMPLATE_LANGUAGES } from '../notify/templates';

// Adds `.openapi()` (metadata only): parsing is unchanged, and /openapi.json is generated from
// these very schemas, so the document cannot describe a body the code does not accept.
extendZodWithOpenApi(z);

/** The body of POST /v1/guest-codes. Unknown fields are refused, so typos do not pass silently. */
export const guestCodeRequestSchema = z
  .object({
    device_id: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: 'the Seam device id of the lock', example: 'f7a7fb02-…' }),
    guest: z
      .object({
        name: z.string().trim().min(1).max(200).openapi({ example: 'Ada Lovelace' }),
        email: z
          .string()
          .trim()
          .email()
          .max(320)
          .optional()
          .openapi({ example: 'ada@example.com' }),
        phone: z
          .string()
          .trim()
          .regex(/^\+?[0-9][0-9 ().-]{4,29}$/, 'must be a phone number, e.g. +44 20 7946 0958')
          .optional()
          .openapi({ example: '+44 20 7946 0958' }),
        locale: z
          .string()
          .trim()
          .min(1)
          .max(35)
          .transform((tag, ctx) => {
            const checked = checkLocale(tag);
            if ('problem' in checked) {
              ctx.addIssue({ code: 'custom', message: checked.problem });
              return z.NEVER;
            }
            return checked.locale;
          })
          .optional()
          .openapi({
            type: 'string',
            description: `the language of the guest's message, as a BCP 47 tag: its language picks the template (${TEMPLATE_LANGUAGES.join(', ')}), its region the clock (en-US: 12-hour, en-GB: 24-hour). Absent: DEFAULT_GUEST_LOCALE. Another language: 400`,
            example: 'en-US',
          }),
      })
      .strict()
      .refine((g) => g.email !== undefined || g.phone !== undefined, {
        message: 'give the guest an email or a phone (or both)',
        path: ['email'],
      })
      .openapi('Guest', { description: 'who gets the PIN; needs an email or a phone (or both)' }),
    starts_at: z
      .string()
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T15:00:00+01:00',
      })
      .openapi({ example: '2026-12-24T15:00:00+00:00' }),
    ends_at: z
      .string()
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-27T11:00:00+01:00',
      })
      .optional()
      .openapi({
        description: 'required unless is_one_time_use (a one-time-use code lasts 24 h)',
        example: '2026-12-27T11:00:00+00:00',
      }),
    is_one_time_use: z.boolean().default(false),
    max_time_rounding: z.enum(['1h', '1hour', '1d', '1day']).default('1h').openapi({
      description:
        "'1day' for daily-bound codes (igloohome 29 to 367 days). Answers spell it as Seam does, '1hour' or '1day'; '1h' and '1d' are accepted as aliases",
    }),
    reference: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:@#/-]+$/, 'letters, digits and . _ : @ # / - only')
      .openapi({
        description:
          'your booking id; the same body again answers 200 with the same guest code, another body 409',
        example: 'booking-1041',
      }),
  })
  .strict()
  .openapi('GuestCodeRequest');

export type GuestCodeRequestBody = z.infer<typeof guestCodeRequestSchema>;

/** Most doors one stay may have. */
export const MAX_STAY_DOORS = 10;

/**
 * POST /v1/guest-codes for a stay with several doors: `device_ids` instead of `device_id`,
 * everything else as for one door.
 */
export const stayRequestSchema = guestCodeRequestSchema
  .omit({ device_id: true })
  .extend({
    device_ids: z
      .array(z.string().trim().min(1).max(200))
      .min(1, 'give at least one lock')
      .max(MAX_STAY_DOORS, `at most ${MAX_STAY_DOORS} locks per stay`)
      .refine((ids) => new Set(ids).size === ids.length, {
        message: 'each lock once: the ids must be distinct',
      })
      .openapi({
        description: `the Seam device ids of the stay's doors (1 to ${MAX_STAY_DOORS}, distinct), instead of device_id: one code per door, one message to the guest with every door`,
        example: ['f7a7fb02-…', '2b1e9d40-…'],
      }),
  })
  .strict()
  .openapi('StayRequest');

export type StayRequestBody = z.infer<typeof stayRequestSchema>;

const requestShape = guestCodeRequestSchema.shape;

/**
 * The body of PATCH /v1/guest-codes/{id}: any of the stay's fields, validated as in POST
 * (`guest` is given whole). Unknown fields (`device_id`, `reference` among them) are refused.
 */
export const stayPatchSchema = z
  .object({
    starts_at: requestShape.starts_at.optional(),
    ends_at: requestShape.ends_at,
    is_one_time_use: z.boolean().optional().openapi({
      description:
        "true drops the stay's ends_at unless one is given (a one-time-use code lasts 24 h)",
    }),
    max_time_rounding: z.enum(['1h', '1hour', '1d', '1day']).optional(),
    guest: requestShape.guest.optional().openapi({
      description: 'the whole guest (name, and an email or a phone), as in POST',
    }),
  })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: 'give at least one of starts_at, ends_at, is_one_time_use, max_time_rounding, guest',
  })
  .openapi('StayChangeRequest');

export type StayPatchBody = z.infer<typeof stayPatchSchema>;

export type FieldProblem = z.infer<typeof fieldProblemSchema>;

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => {
    const field = i.path.join('.') || '(body)';
    if (i.code === 'unrecognized_keys') {
      return { field, message: `unknown field(s): ${i.keys.join(', ')}` };
    }
    return { field, message: i.message };
  });
}

// ---- Answers. The routes build them by hand; these schemas describe them for /openapi.json.
// guestCodeView's return type is checked against them when compiling, and
// test/ops/openapi.test.ts checks real answers against the served document.

const isoDateTime = z.string().datetime({ offset: true });

export const fieldProblemSchema = z
  .object({ field: z.string(), message: z.string() })
  .strict()
  .openapi('FieldProblem');

export const ruleViolationSchema = z
  .object({
    code: z.string().openapi({ description: 'one of the 422 codes' }),
    message: z.string(),
    field: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi('RuleViolation');

export const planWarningSchema = z
  .object({
    code: z.enum(PLAN_WARNING_CODES).openapi({
      description:
        'starts_later / ends_earlier take time from the guest; starts_earlier / ends_later open the door outside the stay',
    }),
    field: z.enum(['starts_at', 'ends_at']),
    minutes: z.number().int().min(0).openapi({ description: 'by how much, rounded up' }),
    requested: isoDateTime,
    planned: isoDateTime,
    message: z.string(),
  })
  .strict()
  .openapi('PlanWarning', {
    description: 'one end of the planned window that differs from the stay',
  });

const accessCodeSchema = z
  .object({
    access_code_id: z.string(),
    generation: z.number().int().min(0),
    status: z.enum([...SEAM_STATUS_ORDER, 'unknown']).openapi({
      description:
        "Seam's status, forward-only; 'unknown' as Seam reports it (account disconnected)",
    }),
    last_known_status: z.enum([...SEAM_STATUS_ORDER, 'unknown']).optional(),
    errors: z.array(z.string()).openapi({ description: "Seam's error codes on the code now" }),
    warnings: z.array(z.string()).openapi({
      description: "Seam's warning codes on the code now, e.g. delay_in_setting_on_device",
    }),
    starts_at: isoDateTime.nullable().optional().openapi({
      description:
        'the window Seam stored for this code (read after the create and on every reconcile)',
    }),
    ends_at: isoDateTime.nullable().optional(),
    window_alerted: z.boolean().optional().openapi({
      description:
        'an alert went out: the stored window is further from the plan than the rounding asked for',
    }),
    failing_since: isoDateTime.optional(),
    pending_since: isoDateTime.optional(),
    superseded: z.boolean(),
    created_at: isoDateTime,
  })
  .strict()
  .openapi('TrackedAccessCode', { description: 'one Seam access code made for this guest code' });

const windowSchema = z.object({ starts_at: isoDateTime, ends_at: isoDateTime }).strict();

const timelineEntrySchema = z
  .object({
    at: isoDateTime,
    type: z.string(),
    message: z.string(),
    access_code_id: z.string().optional(),
  })
  .strict()
  .openapi('TimelineEntry');

export const guestCodeSchema = z
  .object({
    id: z.string(),
    reference: z.string(),
    status: z.enum(GUEST_CODE_STATUSES).openapi({
      description:
        'requested → waiting → set → notified, or failed / cancelled; undelivered when telling the guest gave up (resend brings it back to set)',
    }),
    device: z
      .object({
        device_id: z.string(),
        name: z.string(),
        manufacturer: z.string(),
        timezone: z.string(),
      })
      .strict(),
    guest: z
      .object({
        name: z.string(),
        email: z.string().optional(),
        phone: z.string().optional(),
        locale: z.string().optional(),
      })
      .strict(),
    requested: z
      .object({
        starts_at: isoDateTime,
        ends_at: isoDateTime.nullable(),
        is_one_time_use: z.boolean(),
        max_time_rounding: z.enum(['1hour', '1day']).openapi({
          description: "as asked, in Seam's spelling ('1h' and '1d' are accepted aliases)",
        }),
      })
      .strict(),
    planned: z
      .object({
        kind: z.enum(['hourly_bound', 'daily_bound', 'one_time_use']),
        starts_at: isoDateTime.openapi({
          description: 'the window we expect Seam to store, after any rounding (UTC)',
        }),
        ends_at: isoDateTime,
        max_time_rounding: z.enum(['1hour', '1day']).openapi({
          description: "what is sent to Seam: '1day' for daily-bound codes, else '1hour'",
        }),
        timezone: z.string(),
        time_slot: z
          .object({
            name: z.string().nullable(),
            prefix: z.number().nullable(),
            user_level_id: z.string().nullable(),
          })
          .strict()
          .optional()
          .openapi({ description: "dormakaba Oracode only: the lock's time slot (user level)" }),
        caveats: z.array(z.string()),
        warnings: z.array(planWarningSchema).openapi({
          description:
            'every way the planned window differs from the stay (empty: sent exactly as asked)',
        }),
        seam_request: z
          .object({
            starts_at: isoDateTime,
            ends_at: isoDateTime.optional(),
            max_time_rounding: z.enum(['1hour', '1day']),
          })
          .strict()
          .openapi({
            description:
              "exactly what goes to Seam's /access_codes/create: the request's own strings when no rounding is needed",
          }),
      })
      .strict()
      .openapi({ description: 'the window after rounding, and what is sent to Seam' }),
    window: z
      .object({
        starts_at: isoDateTime,
        ends_at: isoDateTime,
        source: z.enum(['seam', 'plan']),
      })
      .strict()
      .openapi({
        description:
          "the window the guest is told: what Seam stored for the active code ('seam'), else the plan ('plan')",
      }),
    access_code_ids: z.array(z.string()),
    active_access_code_id: z.string().nullable(),
    access_codes: z.array(accessCodeSchema),
    create_attempts: z.number().int().min(0),
    replacements: z.number().int().min(0),
    resends: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'resends asked for after the notification gave up' }),
    notifications: z.array(
      z
        .object({
          access_code_id: z.string(),
          channel: z.string(),
          at: isoDateTime,
          contact: z.number().int().min(1).optional().openapi({
            description: "sent after a change of the guest's email or phone (its number)",
          }),
        })
        .strict(),
    ),
    previous_codes: z
      .array(
        z
          .object({
            access_code_id: z.string(),
            valid_until: isoDateTime.openapi({
              description:
                'the code still opens the door until then: offline codes cannot be revoked',
            }),
            superseded_at: isoDateTime,
          })
          .strict(),
      )
      .openapi({
        description: 'codes superseded by a change of the stay, still valid on the lock',
      }),
    pending_change: z
      .object({
        n: z.number().int().min(1),
        at: isoDateTime,
        window: z.boolean(),
        contact: z.boolean(),
        to: windowSchema.optional(),
      })
      .strict()
      .nullable()
      .openapi({
        description: 'a change waiting for the creation in flight to finish (then it applies)',
      }),
    changes: z
      .array(
        z
          .object({
            n: z.number().int().min(1),
            at: isoDateTime,
            window: z.boolean().openapi({ description: 'a new window: a new code' }),
            contact: z.boolean(),
            generation: z.number().int().min(1).optional(),
            from: windowSchema.optional(),
            to: windowSchema.optional(),
          })
          .strict(),
      )
      .openapi({ description: 'the changes applied (PATCH), newest last' }),
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        seam_request_id: z.string().optional(),
        at: isoDateTime,
      })
      .strict()
      .nullable(),
    stay: z
      .object({
        id: z.string(),
        door: z.number().int().min(1),
        doors: z.number().int().min(1),
      })
      .strict()
      .nullable()
      .openapi({
        description:
          "a door of a stay with several doors (GET /v1/stays/{id}); its guest is told in the stay's one message",
      }),
    cancelled_at: isoDateTime.nullable(),
    status_since: isoDateTime.openapi({
      description: 'when the code entered its current status (what `stuck` measures from)',
    }),
    created_at: isoDateTime,
    updated_at: isoDateTime,
    timeline: z
      .array(timelineEntrySchema)
      .optional()
      .openapi({ description: 'what happened when (GET answers only)' }),
  })
  .strict()
  .openapi('GuestCode', { description: 'a guest code; never the PIN (the guest gets that)' });

export type GuestCodeView = z.input<typeof guestCodeSchema>;

export const guestCodeAnswerSchema = z
  .object({ guest_code: guestCodeSchema })
  .strict()
  .openapi('GuestCodeAnswer');

export const resendAnswerSchema = z
  .object({
    guest_code: guestCodeSchema,
    note: z.string().openapi({
      description: 'what the resend does: which channels are tried again, or that it already runs',
    }),
  })
  .strict()
  .openapi('ResendAnswer');

export const changeAnswerSchema = z
  .object({
    guest_code: guestCodeSchema,
    note: z.string().openapi({
      description:
        'what the change does: the new window, what every previous code still opens (offline codes cannot be revoked), a resend to offer',
    }),
  })
  .strict()
  .openapi('ChangeAnswer');

export const cancelAnswerSchema = z
  .object({
    guest_code: guestCodeSchema,
    note: z.string().openapi({
      description: 'what cancelling did (a code on the lock stays valid until its end)',
    }),
  })
  .strict()
  .openapi('CancelAnswer');

/** The one error shape, `{ "error": { "code", "message", "details" } }`, narrowed per answer. */
export function errorBodySchema<C extends z.ZodTypeAny, D extends z.ZodTypeAny>(
  code: C,
  details: D,
) {
  return z.object({ error: z.object({ code, message: z.string(), details }).strict() }).strict();
}

/** What every item of `error.details` has; answers narrow it (field problems, violations). */
export const errorDetailSchema = z
  .object({
    message: z.string(),
    field: z.string().optional().openapi({ description: 'the request field or parameter' }),
    code: z.string().optional().openapi({ description: 'the rule, for 422 violations' }),
  })
  .passthrough()
  .openapi('ErrorDetail', {
    description: 'one thing wrong; `details` is always a list of these (empty: nothing more)',
  });

/** An error whose `details` is always empty. */
export const noDetails = z.array(errorDetailSchema).max(0);

export const errorSchema = errorBodySchema(z.string(), z.array(errorDetailSchema)).openapi('Error');

export const validationErrorSchema = errorBodySchema(
  z
    .enum([
      'invalid_request',
      'entity_parse_failed',
      'request_aborted',
      'request_size_invalid',
      'bad_request',
    ])
    .openapi({
      description:
        '`invalid_request`: `details` lists every problem by field; the others: a body that could not be read (not JSON: `entity_parse_failed`), `details` empty',
    }),
  z.array(fieldProblemSchema),
).openapi('ValidationError');

export const ruleViolationErrorSchema = errorBodySchema(
  z.enum([GUEST_UNREACHABLE, ...RULE_VIOLATION_CODES] as [string, ...string[]]),
  z.array(ruleViolationSchema).min(1),
).openapi('RuleViolationError', { description: '`error.code` is the first violation' });

export const conflictErrorSchema = errorBodySchema(
  z.literal('reference_conflict'),
  z
    .array(
      z
        .object({
          field: z.literal('reference'),
          message: z.string(),
          guest_code_id: z.string().optional().openapi({ description: 'for one door' }),
          stay_id: z.string().optional().openapi({ description: 'for several doors' }),
        })
        .strict(),
    )
    .length(1),
).openapi('ReferenceConflictError');

// ---- Listing: GET /v1/guest-codes without `reference`.

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 200;

const instantParam = (name: string) =>
  z
    .string()
    .datetime({
      offset: true,
      message: `${name} must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T00:00:00+01:00`,
    })
    .openapi({ example: '2026-12-24T00:00:00+00:00' });

/** The listing's query. Unknown parameters are refused by name, like unknown body fields. */
export const guestCodeListQuerySchema = z
  .object({
    status: z
      .enum(GUEST_CODE_STATUSES, { error: `must be one of ${GUEST_CODE_STATUSES.join(', ')}` })
      .optional()
      .openapi({ description: 'only guest codes in this status' }),
    device_id: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'only guest codes on this lock (Seam device id)' }),
    starts_after: instantParam('starts_after')
      .optional()
      .openapi({ description: 'only stays (the requested starts_at) starting at or after this' }),
    starts_before: instantParam('starts_before')
      .optional()
      .openapi({ description: 'only stays starting before this' }),
    stuck: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().openapi({
      description:
        'true: only open codes (requested, waiting, set) in their status for longer than its threshold (`stuck_after_ms` in the answer; STUCK_*_MS), oldest first per status',
    }),
    limit: z.coerce
      .number({ error: `must be an integer from 1 to ${LIST_LIMIT_MAX}` })
      .int(`must be an integer from 1 to ${LIST_LIMIT_MAX}`)
      .min(1, `must be an integer from 1 to ${LIST_LIMIT_MAX}`)
      .max(LIST_LIMIT_MAX, `must be an integer from 1 to ${LIST_LIMIT_MAX}`)
      .default(LIST_LIMIT_DEFAULT)
      .openapi({
        description: `page size (default ${LIST_LIMIT_DEFAULT}, at most ${LIST_LIMIT_MAX})`,
      }),
    cursor: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: '`next_cursor` of the previous page, with the same filters' }),
    reference: z.string().min(1).optional().openapi({
      description:
        'the booking reference: answers that one guest code (`{"guest_code"}`, with its timeline) instead of a list; no other parameter with it',
    }),
  })
  .strict()
  .openapi('GuestCodeListQuery');

export type GuestCodeListQuery = z.infer<typeof guestCodeListQuerySchema>;

export const guestCodeListSchema = z
  .object({
    guest_codes: z.array(guestCodeSchema).openapi({
      description:
        'by stay start (the requested starts_at), then id; with stuck=true by status (requested, waiting, set), longest in it first. No timelines: GET /v1/guest-codes/{id} has it',
    }),
    next_cursor: z.string().nullable().openapi({
      description:
        'pass as `cursor` (same filters) for the next page; null: nothing more. A page may hold fewer than `limit` codes while more follow (a bounded read per page)',
    }),
    stuck_after_ms: z
      .object({ requested: z.number().int(), waiting: z.number().int(), set: z.number().int() })
      .strict()
      .openapi({ description: 'how long each open status may last before a code counts as stuck' }),
  })
  .strict()
  .openapi('GuestCodeList');

// ---- Stays with several doors (POST /v1/guest-codes with device_ids, /v1/stays/{id}).

export const stayDoorSchema = z
  .object({
    door: z.number().int().min(1),
    device_id: z.string(),
    lock_name: z.string(),
    guest_code_id: z.string(),
    status: z.enum(GUEST_CODE_STATUSES),
  })
  .strict()
  .openapi('StayDoor');

export const staySchema = z
  .object({
    id: z.string().openapi({ example: 'st_6f1c2e0a-…' }),
    reference: z.string(),
    doors: z.array(stayDoorSchema),
  })
  .strict()
  .openapi('Stay', {
    description:
      'a stay with several doors: each door is an ordinary guest code (reference `<reference>#<door>`)',
  });

export type StayView = z.input<typeof staySchema>;

export const stayAnswerSchema = z.object({ stay: staySchema }).strict().openapi('StayAnswer');

export const stayNoteAnswerSchema = z
  .object({
    stay: staySchema,
    notes: z.array(z.object({ door: z.number().int().min(1), note: z.string() }).strict()),
  })
  .strict()
  .openapi('StayNoteAnswer', { description: 'what the change or cancellation did, door by door' });
