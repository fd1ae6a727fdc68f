/**
 * Webhook delivery the way Svix does it for Seam: each event is one message with a `msg_` id
 * that stays the same on every retry, signed per attempt with `svix` itself (so the signature
 * is exactly what a real Svix endpoint receives), retried on anything but a 2xx or on a
 * connection error, on a compressed schedule. Faults (lose, duplicate, reorder) apply here.
 * Nothing here logs a payload: payloads may hold PINs.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Webhook } from 'svix';
import type { FaultState } from './faults';
import type { SimEvent } from './events';

export interface WebhookOptions {
  secret: string;
  url: string | null;
  /** Delay before each attempt; its length bounds the attempts. Svix: 0, 5 s, 5 min, 30 min,
   *  2 h, 5 h, 10 h, 10 h. */
  retryScheduleMs: number[];
  /** An attempt not answered in this time counts as failed (Svix: about 15 s). */
  timeoutMs: number;
}

export interface DeliveryAttempt {
  msgId: string;
  eventId: string;
  eventType: string;
  accessCodeId?: string;
  /** 1 for the first copy; duplicates (fault) are 2, 3, ... with the same msgId. */
  copy: number;
  /** 1-based attempt number within that copy. */
  attempt: number;
  url: string;
  /** HTTP status, or null when the connection failed / timed out. */
  status: number | null;
  error?: string;
  at: string;
  durationMs: number;
}

export type MessageState = 'pending' | 'delivered' | 'failed' | 'lost' | 'no_endpoint';

export interface WebhookMessage {
  msgId: string;
  eventId: string;
  eventType: string;
  accessCodeId?: string;
  state: MessageState;
  copies: number;
}

interface Copy {
  message: WebhookMessage;
  payload: string;
  copy: number;
  done: boolean;
  delivered: boolean;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Svix-looking message id: `msg_` and 27 base62 characters. */
export function newMsgId(): string {
  let id = 'msg_';
  for (let i = 0; i < 27; i++) id += BASE62[randomInt(0, 62)];
  return id;
}

/** A Svix-style endpoint secret: `whsec_` and base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export class WebhookDispatcher {
  readonly #signer: Webhook;
  readonly #attempts: DeliveryAttempt[] = [];
  readonly #messages: WebhookMessage[] = [];
  readonly #copies = new Set<Copy>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<AbortController>();
  #held: Copy[] = [];
  #holdTimer: NodeJS.Timeout | null = null;
  #url: string | null;
  #closed = false;

  constructor(
    private readonly options: WebhookOptions,
    private readonly faults: FaultState,
  ) {
    if (options.retryScheduleMs.length === 0) throw new Error('retryScheduleMs must not be empty');
    this.#signer = new Webhook(options.secret);
    this.#url = options.url;
  }

  setUrl(url: string | null): void {
    this.#url = url;
  }

  get url(): string | null {
    return this.#url;
  }

  /** Queues one event for delivery (returns at once). */
  dispatch(event: SimEvent): WebhookMessage {
    const message: WebhookMessage = {
      msgId: newMsgId(),
      eventId: event.event_id,
      eventType: event.event_type,
      accessCodeId: event.access_code_id,
      state: 'pending',
      copies: 0,
    };
    this.#messages.push(message);
    if (this.#closed) return message;
    // Like Svix, an event that happens while no endpoint exists is never delivered later.
    if (this.#url === null) {
      message.state = 'no_endpoint';
      return message;
    }
    if (this.faults.takeLoss()) {
      message.state = 'lost';
      return message;
    }
    const payload = JSON.stringify(event);
    const copies = this.faults.copiesPerMessage();
    message.copies = copies;
    const reorder = this.faults.reorder();
    for (let copy = 1; copy <= copies; copy++) {
      const entry: Copy = { message, payload, copy, done: false, delivered: false };
      this.#copies.add(entry);
      if (reorder) this.#hold(entry, reorder);
      else this.#schedule(entry, 0);
    }
    return message;
  }

  deliveries(): DeliveryAttempt[] {
    return this.#attempts.map((a) => ({ ...a }));
  }

  messages(): WebhookMessage[] {
    return this.#messages.map((m) => ({ ...m }));
  }

  /** Resolves once no copy is waiting, held or in flight (or after `timeoutMs`). */
  async idle(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ([...this.#copies].every((c) => c.done)) return true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    for (const controller of this.#inFlight) controller.abort();
  }

  #hold(entry: Copy, reorder: { windowMs: number; order: 'shuffle' | 'reverse' }): void {
    this.#held.push(entry);
    if (this.#holdTimer) return;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = null;
      const batch = this.#held;
      this.#held = [];
      if (reorder.order === 'reverse') batch.reverse();
      else shuffle(batch);
      // Sequential starts keep the new order at the receiver for the first attempts.
      void (async () => {
        for (const held of batch) await this.#attempt(held, 0);
      })();
    }, reorder.windowMs);
    this.#holdTimer.unref();
  }

  #schedule(entry: Copy, attemptIndex: number): void {
    const delay = this.options.retryScheduleMs[attemptIndex] ?? 0;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#attempt(entry, attemptIndex);
    }, delay);
    timer.unref(); // pending retries must not keep a test process alive
    this.#timers.add(timer);
  }

  async #attempt(entry: Copy, attemptIndex: number): Promise<void> {
    const url = this.#url;
    if (this.#closed || url === null) {
      this.#settle(entry, false);
      return;
    }
    const started = Date.now();
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Svix-Webhooks/1.0 (seam-sandbox-simulator)',
      'svix-id': entry.message.msgId,
      'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'svix-signature': this.#signer.sign(entry.message.msgId, timestamp, entry.payload),
    };
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs);
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: entry.payload,
        signal: controller.signal,
        redirect: 'manual', // Svix does not follow redirects: a 3xx is a failure.
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = controller.signal.aborted ? 'timeout or aborted' : describe(err);
    } finally {
      clearTimeout(timeout);
      this.#inFlight.delete(controller);
    }
    this.#attempts.push({
      msgId: entry.message.msgId,
      eventId: entry.message.eventId,
      eventType: entry.message.eventType,
      accessCodeId: entry.message.accessCodeId,
      copy: entry.copy,
      attempt: attemptIndex + 1,
      url,
      status,
      ...(error === undefined ? {} : { error }),
      at: timestamp.toISOString(),
      durationMs: Date.now() - started,
    });
    if (status !== null && status >= 200 && status < 300) this.#settle(entry, true);
    else if (attemptIndex + 1 < this.options.retryScheduleMs.length && !this.#closed) {
      this.#schedule(entry, attemptIndex + 1);
    } else this.#settle(entry, false);
  }

  #settle(entry: Copy, delivered: boolean): void {
    entry.done = true;
    entry.delivered = delivered;
    const copies = [...this.#copies].filter((c) => c.message === entry.message);
    if (delivered) entry.message.state = 'delivered';
    else if (copies.every((c) => c.done) && !copies.some((c) => c.delivered)) {
      entry.message.state = 'failed';
    }
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}
