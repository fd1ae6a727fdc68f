import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { RULE_VIOLATION_CODES } from '../domain/rules';

extendZodWithOpenApi(z);

/** The answers of GET /v1/devices and GET /v1/devices/{id} (src/domain/lock-summary.ts). */
const codeKindSchema = z
  .object({
    kind: z.enum(['hourly_bound', 'daily_bound', 'one_time_use']),
    duration: z.string(),
    min_hours: z.number(),
    max_hours: z.number(),
    request: z.string().openapi({ description: 'what POST /v1/guest-codes needs for this kind' }),
  })
  .strict()
  .openapi('CodeKind');

const timeSlotSchema = z
  .object({
    name: z.string().nullable(),
    prefix: z.number().int().nullable(),
    check_in: z
      .string()
      .nullable()
      .openapi({ description: "local wall-clock time 'HH:mm' in time_zone", example: '15:00' }),
    check_out: z.string().nullable().openapi({ example: '11:00' }),
    time_zone: z.string().nullable(),
    check_in_time: z.string().openapi({
      description: 'as Seam gives it (Seam TOD)',
      example: '15:00:00[Europe/Berlin]',
    }),
    check_out_time: z.string(),
    is_24_hour: z.boolean(),
    is_biweekly_mode: z.boolean(),
    usable: z.boolean().openapi({ description: 'whether a code can follow this slot' }),
    not_usable_because: z.enum(['master', 'one_shot', 'unreadable_times']).nullable(),
    dormakaba_oracode_user_level_id: z.string().nullable(),
  })
  .strict()
  .openapi('TimeSlot', { description: 'a dormakaba Oracode time slot (user level)' });

export const lockSummarySchema = z
  .object({
    device_id: z.string(),
    name: z.string(),
    device_type: z.string(),
    manufacturer: z.enum(['igloohome', 'dormakaba_oracode']).nullable(),
    can_take_offline_codes: z.boolean(),
    problem: z
      .object({ code: z.enum(RULE_VIOLATION_CODES as [string, ...string[]]), message: z.string() })
      .strict()
      .nullable()
      .openapi({ description: 'why it cannot: the 422 POST /v1/guest-codes would answer' }),
    time_zone: z.string().nullable().openapi({ example: 'Europe/Berlin' }),
    time_zone_source: z.string().nullable().openapi({ example: 'location.time_zone' }),
    code_kinds: z.array(codeKindSchema),
    time_slots: z.array(timeSlotSchema).openapi({ description: 'dormakaba Oracode only' }),
  })
  .strict()
  .openapi('Lock');

export const deviceListSchema = z
  .object({
    devices: z.array(lockSummarySchema).openapi({
      description: 'igloohome and dormakaba Oracode locks that can take offline codes',
    }),
    not_capable: z.array(lockSummarySchema).openapi({
      description: 'locks of those makes that cannot (yet), each with its problem',
    }),
  })
  .strict()
  .openapi('DeviceList');

export const deviceAnswerSchema = z.object({ device: lockSummarySchema }).strict();
