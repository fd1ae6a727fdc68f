import {
  accessCodeEventSchema,
  eventEnvelopeSchema,
  isAccessCodeEventType,
  redactPins,
} from '../domain/seam-event';
import type { SeamEventJob } from '../queues/jobs';
import type { EnqueueOutcome } from '../queues/event-inbox';
import type { ParkedEvent } from '../store/parked-events';

export interface AcceptWebhookDeps {
  inbox: { add(job: SeamEventJob): Promise<EnqueueOutcome> };
  parked: { park(event: ParkedEvent): Promise<void> };
}

export interface VerifiedDelivery {
  deliveryId: string;
  body: Buffer;
  receivedAt: Date;
}

export type Acceptance =
  | { outcome: 'accepted' | 'duplicate'; eventType: string }
  | { outcome: 'ignored'; eventType: string }
  | { outcome: 'parked'; reason: string };

/** `event_type` when `json` is an object whose event_type is a string of 1 to 200 characters
 *  (what eventEnvelopeSchema accepts), else undefined. */
function envelopeType(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const t = (json as { event_type?: unknown }).event_type;
  return typeof t === 'string' && t.length >= 1 && t.length <= 200 ? t : undefined;
}

/**
 * Decides what happens to an authentic Seam delivery. Nothing authentic is ever refused:
 * a 4xx would make Svix retry it for 27 hours. Events we cannot use are parked (kept, with
 * PINs removed) and events of other types are only counted.
 */
export async function acceptSeamWebhook(
  deps: AcceptWebhookDeps,
  delivery: VerifiedDelivery,
): Promise<Acceptance> {
  const park = async (reason: string, problems: string[], payload: unknown) => {
    await deps.parked.park({
      delivery_id: delivery.deliveryId,
      received_at: delivery.receivedAt.toISOString(),
      reason,
      problems,
      payload,
    });
    return { outcome: 'parked', reason } as const;
  };

  let json: unknown;
  try {
    json = JSON.parse(delivery.body.toString('utf8'));
  } catch {
    return park('invalid_json', ['body is not JSON'], { bytes: delivery.body.length });
  }

  // The envelope check is the hot path's first schema: done by hand when the type is plainly
  // there (every real delivery), by the schema otherwise; both accept the same inputs.
  const fastType = envelopeType(json);
  const envelope = fastType === undefined ? eventEnvelopeSchema.safeParse(json) : undefined;
  if (envelope && !envelope.success) {
    return park('schema', ['event_type: missing or not a string'], redactPins(json));
  }
  const eventType = fastType ?? (envelope?.success ? envelope.data.event_type : '');
  if (!isAccessCodeEventType(eventType)) return { outcome: 'ignored', eventType };

  const event = accessCodeEventSchema.safeParse(json);
  if (!event.success) {
    const problems = event.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return park('schema', problems, redactPins(json));
  }

  const e = event.data;
  const job: SeamEventJob = {
    delivery_id: delivery.deliveryId,
    event_id: e.event_id,
    event_type: e.event_type,
    access_code_id: e.access_code_id,
    device_id: e.device_id,
    connected_account_id: e.connected_account_id,
    occurred_at: e.occurred_at,
    errors: e.access_code_errors,
    warnings: e.access_code_warnings,
    received_at: delivery.receivedAt.toISOString(),
  };
  const outcome = await deps.inbox.add(job);
  return { outcome, eventType };
}
