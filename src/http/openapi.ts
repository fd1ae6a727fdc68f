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
  errorSchema,
  guestCodeAnswerSchema,
  guestCodeRequestSchema,
  resendAnswerSchema,
  ruleViolationErrorSchema,
  stayPatchSchema,
  validationErrorSchema,
} from './guest-code-schema';
import { svixHeadersSchema, webhookAnswerSchema } from './webhook-schema';

/** An error answer whose `error.code` is one of `codes`, registered under `name`. */
const errorOf = (name: string, codes: [string, ...string[]]) =>
  errorBodySchema(z.enum(codes), z.unknown().optional()).openapi(name);

const unauthorizedError = errorOf('UnauthorizedError', ['unauthorized']);
const notFoundError = errorOf('NotFoundError', ['not_found']);
const deviceNotFoundError = errorOf('DeviceNotFoundError', ['device_not_found']);
const bodyTooLargeError = errorOf('BodyTooLargeError', ['body_too_large']);
const unavailableError = errorOf('UnavailableError', ['unavailable', 'seam_unavailable']);
const invalidSignatureError = errorOf('InvalidSignatureError', ['invalid_signature']);
const internalError = errorOf('InternalError', ['internal']);
const resendNotPossibleError = errorBodySchema(
  z.literal('resend_not_possible'),
  z.object({ status: z.string().openapi({ description: "the guest code's status now" }) }).strict(),
).openapi('ResendNotPossibleError');

const changeNotPossibleError = errorBodySchema(
  z.literal('change_not_possible'),
  z.object({ status: z.string().openapi({ description: "the guest code's status now" }) }).strict(),
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
  415: answer('body in a charset or content encoding the server cannot read', errorSchema),
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
      'Checks the lock and the stay against the manufacturer rules, then creates the offline code through Seam in a worker, never twice. `reference` makes it idempotent.',
    request: { body: { required: true, content: json(guestCodeRequestSchema) } },
    responses: {
      200: answer(
        'a repeat of an earlier request (same reference, same body)',
        guestCodeAnswerSchema,
      ),
      202: answer(
        'a new request; creation runs in a worker. `planned` is the window we expect Seam to store, `planned.warnings` every way it differs from the stay, `planned.seam_request` exactly what is sent',
        guestCodeAnswerSchema,
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
    operationId: 'findGuestCodeByReference',
    summary: 'A guest code by booking reference, with its timeline',
    request: {
      query: z.object({
        reference: z.string().min(1).openapi({ description: 'the booking reference' }),
      }),
    },
    responses: {
      200: answer('the guest code', guestCodeAnswerSchema),
      400: answer('no reference given', validationErrorSchema),
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
      202: answer('the resend is queued, or already under way', resendAnswerSchema),
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

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'seam-offline-codes',
      version: '1.0.0',
      description:
        'Offline door PINs through Seam: the provisioning API for a booking system (when `API_TOKEN` is set) and the webhook endpoint Seam calls. Every error is `{"error": {"code", "message", "details"?}}`.',
    },
    tags: [
      { name: 'provisioning', description: 'booking system → us' },
      { name: 'webhooks', description: 'Seam → us' },
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
