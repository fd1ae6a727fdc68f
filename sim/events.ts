/**
 * Seam events: built as Seam sends them (one flat JSON object, uuid event_id), stored in the
 * fake's database, and listed with the filters of `POST /events/list`. The fake's own
 * /events/list compares access_code_id with device_id, so the simulator answers it here.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '@seamapi/fake-seam-connect';
import type { SimAccessCode } from './codes';

export type SimEvent = {
  event_id: string;
  event_type: string;
  workspace_id: string;
  created_at: string;
  occurred_at: string;
  access_code_id?: string;
  device_id?: string;
  connected_account_id?: string;
} & Record<string, unknown>;

/** Seam's default page of /events/list (Seam answers at most this many unless `limit` says). */
export const EVENTS_LIST_DEFAULT_LIMIT = 500;

export class EventLog {
  constructor(
    private readonly db: Database,
    /** The order /events/list answers in: Seam does not document one, so tests try both. */
    private readonly order: 'oldest_first' | 'newest_first' = 'oldest_first',
  ) {}

  /** Records an access-code event (`extra` carries `code`, `access_code_errors`, ...). */
  record(
    eventType: string,
    code: SimAccessCode,
    connectedAccountId: string | undefined,
    extra: Record<string, unknown> = {},
  ): SimEvent {
    const now = new Date().toISOString();
    const event: SimEvent = {
      event_id: randomUUID(),
      event_type: eventType,
      workspace_id: code.workspace_id,
      created_at: now,
      occurred_at: now,
      access_code_id: code.access_code_id,
      device_id: code.device_id,
      connected_account_id: connectedAccountId,
      ...extra,
    };
    this.db.addEvent(event);
    return event;
  }

  all(): SimEvent[] {
    // The fake adds an `event_description` of its own; Seam's events carry none.
    return this.db.events.map((stored) => {
      const { event_description: _description, ...event } = stored as SimEvent;
      return structuredClone(event) as SimEvent;
    });
  }

  list(workspaceId: string, filter: EventFilter): SimEvent[] {
    const since = filter.since ? Date.parse(filter.since) : undefined;
    const [from, to] = (filter.between ?? []).map((t) => Date.parse(t));
    const oneOf = (value: unknown, single?: string, many?: string[]): boolean =>
      (single === undefined || value === single) &&
      (many === undefined || many.includes(value as string));
    const events = this.all().filter((e) => {
      const at = Date.parse(e.created_at);
      return (
        e.workspace_id === workspaceId &&
        (since === undefined || at > since) &&
        // Seam: "an exclusive interval".
        (from === undefined || at > from) &&
        (to === undefined || at < to) &&
        oneOf(e.event_type, filter.event_type, filter.event_types) &&
        oneOf(e.access_code_id, filter.access_code_id, filter.access_code_ids) &&
        oneOf(e.device_id, filter.device_id, filter.device_ids) &&
        oneOf(e.connected_account_id, filter.connected_account_id, undefined)
      );
    });
    if (this.order === 'newest_first') events.reverse();
    return events.slice(0, filter.limit ?? EVENTS_LIST_DEFAULT_LIMIT);
  }
}

export interface EventFilter {
  since?: string;
  between?: string[];
  event_type?: string;
  event_types?: string[];
  access_code_id?: string;
  access_code_ids?: string[];
  device_id?: string;
  device_ids?: string[];
  connected_account_id?: string;
  limit?: number;
}
