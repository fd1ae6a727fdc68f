import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
} from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { accessCodeEventSchema, eventEnvelopeSchema } from '../domain/seam-event';
import {
  cancelAnswerSchema,
  changeAnswerSchema,
  conflictErrorSchema,
  errorBodySchema,
  noDetails,
  guestCodeAnswerSchema,
  guestCodeListQuerySchema,
  guestCodeListSchema,
  guestCodeRequestSchema,
  resendAnswerSchema,
  ruleViolationErrorSchema,
  stayAnswerSchema,
  stayNoteAnswerSchema,
  stayPatchSchema,
  stayRequestSchema,
  validationErrorSchema,
} from './guest-code-schema';
import { deviceAnswerSchema, deviceListSchema } from './device-schema';
import { OUTBOUND_EVENT_TYPES } from '../notify/outbound-webhook';
import { UNREADABLE_BODY_CODES } from './errors';
import {
  OUTBOUND_EVENT_DESCRIPTIONS,
  outboundEventSchema,
  outboundSignatureHeaders,
} from './outbound-event-schema';
import { svixHeadersSchema, webhookAnswerSchema } from './webhook-schema';

/** An error answer whose `error.code` is one of `codes` (details empty), registered under `name`. */
const errorOf = (name: string, codes: [string, ...string[]]) =>
  errorBodySchema(z.enum(codes), noDetails).openapi(name);

const unauthorizedError = errorOf('UnauthorizedError', ['unauthorized']);
const notFoundError = errorOf('NotFoundError', ['not_found']);
const deviceNotFoundError = errorOf('DeviceNotFoundError', ['device_not_found']);
const bodyTooLargeError = errorOf('BodyTooLargeError', ['body_too_large']);
const unavailableError = errorOf('UnavailableError', ['unavailable', 'seam_unavailable']);
const invalidSignatureError = errorOf('InvalidSignatureError', ['invalid_signature']);
const internalError = errorOf('InternalError', ['internal']);
/** One detail naming the guest code's status: why a resend or a change cannot be done now. */
const statusDetail = z
  .array(
    z
      .object({
        field: z.literal('status'),
        message: z.string(),
        status: z.string().openapi({ description: "the guest code's status now" }),
      })
      .strict(),
  )
  .length(1);
const resendNotPossibleError = errorBodySchema(
  z.literal('resend_not_possible'),
  statusDetail,
).openapi('ResendNotPossibleError');
const unsupportedBodyError = errorOf('UnsupportedBodyError', [...UNREADABLE_BODY_CODES[415]]);
const location = {
  Location: {
    description: 'the guest code (or, with device_ids, the stay): GET it for its progress',
    schema: { type: 'string', example: '/v1/guest-codes/gc_6f1c2e0a-…' },
  },
} as const;

const changeNotPossibleError = errorBodySchema(
  z.literal('change_not_possible'),
  statusDetail,
).openapi('ChangeNotPossibleError');

const json = (schema: z.ZodTypeAny) => ({ 'application/json': { schema } });

const retryAfter = {
  'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } },
} as const;

function answer(
  description: string,
  schema: z.ZodTypeAny,
  headers?: ResponseConfig['headers'],
): ResponseConfig {
  return { description, content: json(schema), ...(headers ? { headers } : {}) };
}

const rateLimitedError = errorOf('RateLimitedError', ['rate_limited']);

const rateLimited = answer(
  "past the caller's budget in the window (the token's, the signed deliveries', or a client's failed authentications); retry after the delay",
  rateLimitedError,
  retryAfter,
);

/** Answers every provisioning endpoint can give, besides its own. */
const apiCommon: Record<string, ResponseConfig> = {
  401: answer('no or wrong token', unauthorizedError, {
    'WWW-Authenticate': {
      description: 'Bearer and Basic challenges (a browser shows its login prompt)',
      schema: { type: 'string' },
    },
  }),
  429: rateLimited,
  500: answer('unexpected error (logged)', internalError),
};

const unreadableBody: Record<string, ResponseConfig> = {
  413: answer('body over the size limit, refused while reading', bodyTooLargeError),
  415: answer('body in a charset or content encoding the server cannot read', unsupportedBodyError),
};

/** The generated document's type (from openapi3-ts, which the generator brings along). */
type OpenAPIObject = ReturnType<OpenApiGeneratorV31['generateDocument']>;

function buildDocument(): OpenAPIObject {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Authorization: Bearer <API_TOKEN> (compared in constant time)',
  });
  const basic = registry.registerComponent('securitySchemes', 'basicAuth', {
    type: 'http',
    scheme: 'basic',
    description: 'for browsers: any user name, the API token as the password',
  });
  const security = [{ [bearer.name]: [] }, { [basic.name]: [] }];
  const provisioning = { tags: ['provisioning'], security };
  const idParam = z.object({
    id: z.string().openapi({ description: 'the guest code id from the 202 answer' }),
  });

  registry.registerPath({
    ...provisioning,
    method: 'post',
    path: '/v1/guest-codes',
    operationId: 'requestGuestCode',
    summary: "Ask for a guest's offline code",
    description:
      'Checks the lock and the stay against the manufacturer rules, then creates the offline code through Seam in a worker, never twice. `reference` makes it idempotent. With `device_ids` (1 to 10 locks) instead of `device_id`: a stay with several doors. Every lock is checked first (a refusal of one is a 422 naming `device_ids[i]` and the lock, and nothing is created); each door is an ordinary guest code (reference `<reference>#<door>`), and the guest gets one message with every door once all are `set` (at the stay start, what is ready with "more to follow"). The answer is then `{ stay }`, Location `/v1/stays/{id}`.',
    request: {
      body: {
        required: true,
        content: json(z.union([guestCodeRequestSchema, stayRequestSchema])),
      },
    },
    responses: {
      200: answer(
        'a repeat of an earlier request (same reference, same body): the guest code, or the stay (device_ids)',
        z.union([guestCodeAnswerSchema, stayAnswerSchema]),
      ),
      202: answer(
        'a new request; creation runs in a worker. `planned` is the window we expect Seam to store, `planned.warnings` every way it differs from the stay, `planned.seam_request` exactly what is sent. With device_ids: the stay and its doors',
        z.union([guestCodeAnswerSchema, stayAnswerSchema]),
        location,
      ),
      400: answer('malformed body: `details` lists every problem by field', validationErrorSchema),
      ...apiCommon,
      404: answer('Seam knows no such device', deviceNotFoundError),
      409: answer('the reference names another request', conflictErrorSchema),
      ...unreadableBody,
      422: answer(
        "the lock or the window cannot work (manufacturer rules, or a per-lock limit waiting cannot lift): `details` lists every violation with the fix; dormakaba's `no_matching_time_slot` names the lock's slots and the nearest one",
        ruleViolationErrorSchema,
      ),
      503: answer('Seam or Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'get',
    path: '/v1/guest-codes',
    operationId: 'listGuestCodes',
    summary: 'Find guest codes: a list with filters and a cursor, or one by booking reference',
    description:
      'Without `reference`: guest codes by stay start (then id), filtered by `status`, `device_id`, `starts_after` / `starts_before` and `stuck`, `limit` per page; follow `next_cursor` until it is null. With `reference`: that one guest code with its timeline.',
    request: { query: guestCodeListQuerySchema },
    responses: {
      200: answer(
        'the list (`guest_codes`, `next_cursor`), or with `reference` the one guest code (`guest_code`)',
        z.union([guestCodeListSchema, guestCodeAnswerSchema]),
      ),
      400: answer(
        'a parameter that is unknown, repeated or out of range, or a cursor from other filters: `details` names each',
        validationErrorSchema,
      ),
      ...apiCommon,
      404: answer('no guest code has this reference', notFoundError),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'get',
    path: '/v1/guest-codes/{id}',
    operationId: 'getGuestCode',
    summary: 'A guest code, with its timeline',
    request: { params: idParam },
    responses: {
      200: answer('the guest code', guestCodeAnswerSchema),
      ...apiCommon,
      404: answer('no such guest code', notFoundError),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'patch',
    path: '/v1/guest-codes/{id}',
    operationId: 'changeGuestCode',
    summary: 'Change a stay: its window, its kind, or the guest',
    description:
      "Any of `starts_at`, `ends_at`, `is_one_time_use`, `max_time_rounding`, `guest`, validated as in POST. A new window is checked against the lock's rules and limits first (422: nothing changes); then a new code is created for it with the same safety as the first, and the guest is told its PIN once it is `set`. An offline code cannot be edited or revoked: the previous code stays valid on the lock until its own end, listed in `previous_codes` and said in `note`; the booking system gets `guest_code.window_changed`. A change while the first code is being created waits for that creation (`pending_change`). A contact change alone makes no code; if the guest was told already, `POST /v1/guest-codes/{id}/resend` sends the same PIN to the new contact. The same change again answers 200 with the same note.",
    request: { params: idParam, body: { required: true, content: json(stayPatchSchema) } },
    responses: {
      200: answer(
        'a contact change (done), or nothing differs: the same change again (its note) or values the code already has',
        changeAnswerSchema,
      ),
      202: answer(
        'a new window: a new code is on its way (or waits for the creation in flight)',
        changeAnswerSchema,
      ),
      400: answer('malformed body: `details` lists every problem by field', validationErrorSchema),
      ...apiCommon,
      404: answer('no such guest code', notFoundError),
      409: answer('the guest code is cancelled or failed', changeNotPossibleError),
      ...unreadableBody,
      422: answer(
        'the new window cannot work on the lock (the rules and per-lock limits of POST): nothing changed',
        ruleViolationErrorSchema,
      ),
      503: answer('Seam or Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'delete',
    path: '/v1/guest-codes/{id}',
    operationId: 'cancelGuestCode',
    summary: 'Cancel a guest code (a cancelled booking)',
    description:
      'A code not yet created is never created, a guest not yet told is never told. A code that exists stays valid on the lock until its end: offline codes cannot be revoked through Seam; `note` says so.',
    request: { params: idParam },
    responses: {
      200: answer('cancelled now, or already', cancelAnswerSchema),
      ...apiCommon,
      404: answer('no such guest code', notFoundError),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  const stayIdParam = z.object({
    id: z.string().openapi({ description: 'the stay id (`st_…`) from the 202 answer' }),
  });

  registry.registerPath({
    ...provisioning,
    method: 'get',
    path: '/v1/stays/{id}',
    operationId: 'getStay',
    summary: 'A stay with several doors: each door, its lock and its status now',
    request: { params: stayIdParam },
    responses: {
      200: answer('the stay', stayAnswerSchema),
      ...apiCommon,
      404: answer('no such stay', notFoundError),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'patch',
    path: '/v1/stays/{id}',
    operationId: 'changeStay',
    summary: 'Change a stay with several doors: every door',
    description:
      "The body of PATCH /v1/guest-codes/{id}. The change is checked against every door's lock first (422 naming `device_ids[i]` and the lock: nothing changes anywhere); then every door changes as one guest code does (`notes`, door by door). The guest gets one message with every door's new PIN.",
    request: { params: stayIdParam, body: { required: true, content: json(stayPatchSchema) } },
    responses: {
      200: answer('a contact change, or nothing differs', stayNoteAnswerSchema),
      202: answer('a new window: new codes are on their way', stayNoteAnswerSchema),
      400: answer('malformed body: `details` lists every problem by field', validationErrorSchema),
      ...apiCommon,
      404: answer('no such stay', notFoundError),
      409: answer('a door is cancelled or failed', changeNotPossibleError),
      ...unreadableBody,
      422: answer(
        "a door's lock refuses the new window: nothing changed",
        ruleViolationErrorSchema,
      ),
      503: answer('Seam or Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'delete',
    path: '/v1/stays/{id}',
    operationId: 'cancelStay',
    summary: 'Cancel a stay with several doors: every door',
    description:
      'Every door is cancelled as DELETE /v1/guest-codes/{id} does; `notes` says, door by door, what a code on the lock still opens (offline codes cannot be revoked).',
    request: { params: stayIdParam },
    responses: {
      200: answer('cancelled now, or already', stayNoteAnswerSchema),
      ...apiCommon,
      404: answer('no such stay', notFoundError),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'post',
    path: '/v1/guest-codes/{id}/resend',
    operationId: 'resendGuestCode',
    summary: "Send a guest code's PIN again (undelivered, or to a changed contact)",
    description:
      'For a guest code whose notification gave up (`undelivered`: a refused address, a receiver that was down), once the cause is fixed: the same PIN goes out again through what did not get through; a channel that did get through is never sent twice. For a `notified` guest code whose email or phone was changed since (PATCH): the same PIN goes to the new contact, once. Asking again while the resend runs queues nothing new.',
    request: { params: idParam },
    responses: {
      202: answer('the resend is queued, or already under way', resendAnswerSchema, location),
      ...apiCommon,
      404: answer('no such guest code', notFoundError),
      409: answer(
        'nothing to resend: the guest code is not undelivered, nor notified before a change of contact (e.g. still being sent, failed, cancelled)',
        resendNotPossibleError,
      ),
      503: answer('Redis cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'get',
    path: '/v1/devices',
    operationId: 'listDevices',
    summary: "The workspace's igloohome and dormakaba Oracode locks, and what codes each can take",
    description:
      "Read from Seam on every call (all of Seam's pages of `/devices/list`, keeping `igloohome_lock` and `dormakaba_oracode_door`). `devices`: the locks that can take offline codes, with manufacturer, time zone, the kinds of codes they support and, for dormakaba Oracode, their time slots (names, local check-in and check-out). `not_capable`: locks of those makes that cannot, each with the `problem` POST /v1/guest-codes would answer. Use a lock's `device_id` in POST /v1/guest-codes.",
    responses: {
      200: answer('the locks', deviceListSchema),
      ...apiCommon,
      503: answer('Seam cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    ...provisioning,
    method: 'get',
    path: '/v1/devices/{id}',
    operationId: 'getDevice',
    summary: 'One lock: can it take offline codes, its zone, code kinds and time slots',
    description:
      'Any Seam device id of the workspace; a device that cannot take offline codes is answered 200 with `can_take_offline_codes: false` and the `problem`.',
    request: {
      params: z.object({ id: z.string().openapi({ description: 'the Seam device id' }) }),
    },
    responses: {
      200: answer('the lock', deviceAnswerSchema),
      ...apiCommon,
      404: answer('Seam knows no such device', deviceNotFoundError),
      503: answer('Seam cannot be reached now; retry', unavailableError, retryAfter),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/webhooks/seam',
    operationId: 'receiveSeamWebhook',
    tags: ['webhooks'],
    summary: 'Seam events (Svix-signed)',
    description:
      'Verified over the raw bytes with the endpoint secret. 2xx only once the event is durably queued or deliberately set aside: an authentic delivery is never refused with a 4xx (Svix would retry it for 27 h). Only `access_code.*` events are queued; the body shows the fields read from them.',
    security: [],
    request: {
      headers: svixHeadersSchema,
      body: {
        required: true,
        content: json(
          z.union([
            accessCodeEventSchema.openapi('SeamAccessCodeEvent', {
              description: 'an access_code.* event: queued; other fields are ignored',
            }),
            eventEnvelopeSchema.openapi('SeamEvent', {
              description: 'an event of another type: counted and ignored',
            }),
          ]),
        ),
      },
    },
    responses: {
      200: answer('accepted, duplicate, ignored or parked', webhookAnswerSchema),
      401: answer(
        'forged, tampered, unsigned, or timestamp more than 5 min off',
        invalidSignatureError,
      ),
      ...unreadableBody,
      429: rateLimited,
      500: apiCommon[500]!,
      503: answer(
        'Redis could not take it in time: Svix retries, nothing is lost',
        unavailableError,
        retryAfter,
      ),
    },
  });

  for (const type of OUTBOUND_EVENT_TYPES) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `${type.replace('.', '_')}_event`,
      tags: ['outbound'],
      summary: `${type} (us → NOTIFY_WEBHOOK_URL)`,
      description: `${OUTBOUND_EVENT_DESCRIPTIONS[type]}. Signed like Seam's own webhooks (Svix); retried with backoff until a 2xx, with the same \`webhook-id\`. A 3xx is not a delivery; a 4xx other than 408 and 429 is not retried.`,
      security: [],
      request: {
        headers: outboundSignatureHeaders,
        body: {
          required: true,
          content: json(outboundEventSchema(type).openapi(`Event_${type.replace('.', '_')}`)),
        },
      },
      responses: {
        200: { description: 'any 2xx: delivered' },
        500: { description: 'any 5xx, 408, 429 or no answer in time: retried later' },
      },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'seam-offline-codes',
      version: '1.0.0',
      description:
        'Offline door PINs through Seam: the provisioning API for a booking system (when `API_TOKEN` is set) and the webhook endpoint Seam calls. Every error is `{"error": {"code", "message", "details"}}`, `details` always a list (empty when there is nothing more). `webhooks` describes the events sent to the booking system (NOTIFY_WEBHOOK_URL).',
    },
    tags: [
      { name: 'provisioning', description: 'booking system → us' },
      { name: 'webhooks', description: 'Seam → us' },
      { name: 'outbound', description: 'us → the booking system (NOTIFY_WEBHOOK_URL)' },
    ],
  });
}

let cached: OpenAPIObject | undefined;

/** The OpenAPI 3.1 document of the public API, generated from the schemas the routes use. */
export function openApiDocument(): OpenAPIObject {
  cached ??= buildDocument();
  return cached;
}

/** `GET /openapi.json`, without auth: the document holds no secrets. */
export function openApiRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  return router;
}
