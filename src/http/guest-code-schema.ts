import { z } from 'zod';

/** The body of POST /v1/guest-codes. Unknown fields are refused, so typos do not pass silently. */
export const guestCodeRequestSchema = z
  .object({
    device_id: z.string().trim().min(1).max(200),
    guest: z
      .object({
        name: z.string().trim().min(1).max(200),
        email: z.string().trim().email().max(320).optional(),
        phone: z
          .string()
          .trim()
          .regex(/^\+?[0-9][0-9 ().-]{4,29}$/, 'must be a phone number, e.g. +44 20 7946 0958')
          .optional(),
      })
      .strict()
      .refine((g) => g.email !== undefined || g.phone !== undefined, {
        message: 'give the guest an email or a phone (or both)',
        path: ['email'],
      }),
    starts_at: z.string().datetime({
      offset: true,
      message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T15:00:00+01:00',
    }),
    ends_at: z
      .string()
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-27T11:00:00+01:00',
      })
      .optional(),
    is_one_time_use: z.boolean().default(false),
    max_time_rounding: z.enum(['1h', '1hour', '1d', '1day']).default('1h'),
    reference: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:@#/-]+$/, 'letters, digits and . _ : @ # / - only'),
  })
  .strict();

export type GuestCodeRequestBody = z.infer<typeof guestCodeRequestSchema>;

export interface FieldProblem {
  field: string;
  message: string;
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => {
    const field = i.path.join('.') || '(body)';
    if (i.code === 'unrecognized_keys') {
      return { field, message: `unknown field(s): ${i.keys.join(', ')}` };
    }
    return { field, message: i.message };
  });
}
