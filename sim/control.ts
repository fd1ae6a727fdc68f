/**
 * HTTP control of a running simulator under /_sim/ (for the CLI and for tests in another
 * process). Unauthenticated: the simulator listens on 127.0.0.1 only.
 *
 *   GET    /_sim/info                              url, devices, webhook URL
 *   GET    /_sim/faults | POST (merge patch) | DELETE (clear)
 *   GET    /_sim/counts | DELETE (reset)
 *   GET    /_sim/access_codes | /_sim/deliveries | /_sim/messages | /_sim/events
 *   GET    /_sim/create_requests                   every create body received
 *   POST   /_sim/access_codes/:id/status           {status, code?, errors?, warnings?}
 *   POST   /_sim/access_codes/:id/fail             {error_code?, message?}
 *   POST   /_sim/access_codes/:id/events           {event_type}
 *   PUT    /_sim/webhook_url                       {url}  (null to stop delivering)
 */
import { z, ZodError } from 'zod';
import { errorResponse, type ApiResponse } from './api';
import type { AccessCodeStatus } from './codes';
import type { FaultsPatch } from './faults';
import type { Simulator } from './simulator';

const statusBody = z.object({
  status: z.enum(['unset', 'setting', 'set', 'removing', 'unknown']),
  code: z.string().optional(),
  errors: z
    .array(z.object({ error_code: z.string(), message: z.string(), created_at: z.string() }))
    .optional(),
  warnings: z
    .array(z.object({ warning_code: z.string(), message: z.string(), created_at: z.string() }))
    .optional(),
});
const failBody = z.object({ error_code: z.string().optional(), message: z.string().optional() });
const emitBody = z.object({ event_type: z.string() });
const urlBody = z.object({ url: z.string().url().nullable() });

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

export function createControl(sim: () => Simulator) {
  return (method: string, path: string, body: unknown): ApiResponse => {
    try {
      return route(sim(), method, path, body);
    } catch (err) {
      if (err instanceof ZodError) return errorResponse(400, 'invalid_input', err.message);
      const message = err instanceof Error ? err.message : String(err);
      return errorResponse(
        message.startsWith('no access code') ? 404 : 400,
        'invalid_input',
        message,
      );
    }
  };
}

function route(sim: Simulator, method: string, path: string, body: unknown): ApiResponse {
  const codeRoute = /^\/_sim\/access_codes\/([^/]+)\/(status|fail|events)$/.exec(path);
  if (codeRoute && method === 'POST') {
    const id = decodeURIComponent(codeRoute[1] ?? '');
    if (codeRoute[2] === 'status') {
      const { status, ...rest } = statusBody.parse(body);
      return ok({ access_code: sim.setStatus(id, status as AccessCodeStatus, rest) });
    }
    if (codeRoute[2] === 'fail') {
      const { error_code, message } = failBody.parse(body);
      return ok({ access_code: sim.fail(id, error_code, message) });
    }
    sim.emit(emitBody.parse(body).event_type, id);
    return ok({ ok: true });
  }

  switch (`${method} ${path}`) {
    case 'GET /_sim/info':
      return ok({ url: sim.url, devices: sim.devices, webhook_url: sim.webhookUrl() });
    case 'GET /_sim/faults':
      return ok({ faults: sim.getFaults() });
    case 'POST /_sim/faults':
    case 'PUT /_sim/faults':
      return ok({ faults: sim.setFaults((body ?? {}) as FaultsPatch) });
    case 'DELETE /_sim/faults':
      sim.clearFaults();
      return ok({ faults: sim.getFaults() });
    case 'GET /_sim/counts':
      return ok({ counts: sim.requestCounts() });
    case 'DELETE /_sim/counts':
      sim.resetCounts();
      return ok({ counts: sim.requestCounts() });
    case 'GET /_sim/access_codes':
      return ok({ access_codes: sim.accessCodes() });
    case 'GET /_sim/create_requests':
      return ok({ create_requests: sim.createRequests() });
    case 'GET /_sim/deliveries':
      return ok({ deliveries: sim.deliveries() });
    case 'GET /_sim/messages':
      return ok({ messages: sim.messages() });
    case 'GET /_sim/events':
      return ok({ events: sim.events() });
    case 'PUT /_sim/webhook_url':
    case 'POST /_sim/webhook_url':
      sim.setWebhookUrl(urlBody.parse(body).url);
      return ok({ webhook_url: sim.webhookUrl() });
    default:
      return errorResponse(404, 'not_found', `No simulator control route ${method} ${path}`);
  }
}
