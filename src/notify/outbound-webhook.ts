import { Webhook } from 'svix';
import { isLoopbackHost } from '../util/loopback';
import { NotificationError } from './errors';

/** Event types the service sends. */
export const OUTBOUND_EVENT_TYPES = [
  'guest_code.ready',
  'guest_code.replaced',
  'guest_code.failed',
  /** An ops alert about a guest code that goes on (no PIN): e.g. Seam stored another window. */
  'guest_code.alert',
  /** A changed stay's new PIN (PATCH with a new window). */
  'guest_code.changed',
  /** The PINs of a stay with several doors, in one message (`more_to_follow` when some are late). */
  'stay.ready',
  /** A stay's window changed (no PIN): the new window and what each previous code still opens. */
  'guest_code.window_changed',
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

export interface WebhookSenderOptions {
  url: string;
  /** The receiver's signing secret, `whsec_<base64>` (as Svix and Seam issue them). */
  secret: string;
  /** Bound, in ms, on one delivery attempt (until the response headers). Default 10000. */
  timeoutMs?: number;
  /** Allow http:// to a host that is not a loopback address (the body holds a PIN). */
  allowCleartext?: boolean;
}

export interface WebhookSender {
  /**
   * POSTs `{ type, timestamp, data }` signed the Svix way. `messageId` must be the same on every
   * retry of one event: it is the receiver's dedupe key. Resolves on 2xx; otherwise throws a
   * NotificationError (channel 'webhook').
   */
  send(eventType: string, payload: object, messageId: string): Promise<{ status: number }>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError('createWebhookSender: timeoutMs must be a positive number');
  }
  let target: URL;
  try {
    target = new URL(options.url);
  } catch {
    throw new RangeError('createWebhookSender: url is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new RangeError('createWebhookSender: url must be http(s)');
  }
  if (target.protocol === 'http:' && !options.allowCleartext && !isLoopbackHost(target.hostname)) {
    throw new RangeError(
      'createWebhookSender: url must be https:// (the body holds a PIN); http:// only to a loopback host',
    );
  }
  // throws on a malformed secret, at start-up rather than on the first send
  const signer = new Webhook(options.secret);
  // for error messages: never the path or query, which may hold a token
  const where = target.origin;
  const url = target.toString();

  return {
    async send(eventType, payload, messageId) {
      if (messageId === '' || /[\s,]/.test(messageId)) {
        throw new NotificationError(
          'webhook: messageId must be non-empty, without spaces or commas',
          {
            channel: 'webhook',
            retryable: false,
            code: 'webhook_invalid',
          },
        );
      }
      const now = new Date();
      const body = JSON.stringify({ type: eventType, timestamp: now.toISOString(), data: payload });
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const signature = signer.sign(messageId, now, body);

      const signal = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': messageId,
            'webhook-timestamp': timestamp,
            'webhook-signature': signature,
            'svix-id': messageId,
            'svix-timestamp': timestamp,
            'svix-signature': signature,
          },
          body,
          // a redirect is not a delivery (Svix treats it as a failure too)
          redirect: 'manual',
          signal,
        });
      } catch (err) {
        // the abort reason is a DOMException, which may come from another realm: ask the signal
        const timedOut = signal.aborted;
        throw new NotificationError(
          timedOut
            ? `webhook ${eventType} to ${where}: no response within ${timeoutMs} ms`
            : `webhook ${eventType} to ${where}: network error (${networkCode(err)})`,
          {
            channel: 'webhook',
            retryable: true,
            code: timedOut ? 'webhook_timeout' : 'webhook_network',
          },
        );
      }
      // the response body is not needed: free the connection
      await response.body?.cancel().catch(() => undefined);

      const status = response.status;
      if (status >= 200 && status < 300) return { status };
      const retryable = status >= 500 || status === 429 || status === 408;
      throw new NotificationError(
        `webhook ${eventType} to ${where}: HTTP ${status} (${retryable ? 'retryable' : 'permanent'})`,
        { channel: 'webhook', retryable, code: 'webhook_http_status', status },
      );
    },
  };
}

function networkCode(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    cause?: { code?: unknown } | null;
  };
  const code = e.cause?.code;
  if (typeof code === 'string') return code.replace(/[^A-Z0-9_]/gi, '');
  return typeof e.name === 'string' ? e.name.replace(/[^A-Z0-9_]/gi, '') : 'unknown';
}
