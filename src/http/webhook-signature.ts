import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkWebhookSecret } from '../util/secrets';

/**
 * Verifies a Svix (Standard Webhooks) signature over the raw body bytes.
 *
 * Same rules as svix's `Webhook.verify`: `svix-*` headers (or the unbranded `webhook-*`),
 * a space-separated list of `v1,<base64>` signatures of `${id}.${timestamp}.${body}`, and a
 * timestamp within 5 minutes either way. It uses node:crypto's HMAC (native) instead of svix's
 * JavaScript SHA-256, which is about four times cheaper on the ingress hot path; the tests
 * check it against deliveries signed by svix itself.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck =
  | { ok: true; deliveryId: string; timestamp: number }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'future' | 'mismatch' };

/** What the headers alone say, before any byte of the body is read. */
export type HeaderCheck =
  | { ok: true; deliveryId: string; timestamp: number; rawTimestamp: string; signatures: string[] }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'future' };

type HeaderValue = string | string[] | undefined;

function header(headers: Record<string, HeaderValue>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(' ') : v;
}

export class SignatureVerifier {
  private readonly key: Buffer;

  constructor(secret: string) {
    // The same strict decoding as the configuration check (and as svix).
    const check = checkWebhookSecret(secret);
    if (!check.ok) throw new Error(`webhook secret ${check.problem}`);
    this.key = check.key;
  }

  /**
   * The cheap part of the check: the three headers are there, the timestamp is a number
   * within the tolerance, and at least one `v1,` signature is offered. A request that fails
   * here is refused before its body is read or hashed.
   */
  checkHeaders(
    headers: Record<string, HeaderValue>,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): HeaderCheck {
    const id = header(headers, 'svix-id') ?? header(headers, 'webhook-id');
    const ts = header(headers, 'svix-timestamp') ?? header(headers, 'webhook-timestamp');
    const sigs = header(headers, 'svix-signature') ?? header(headers, 'webhook-signature');
    if (!id || !ts || !sigs) return { ok: false, reason: 'missing_headers' };
    if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
    const timestamp = Number(ts);
    if (nowSeconds - timestamp > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
    if (timestamp > nowSeconds + SIGNATURE_TOLERANCE_SECONDS)
      return { ok: false, reason: 'future' };
    const signatures = sigs
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3));
    if (signatures.length === 0) return { ok: false, reason: 'missing_headers' };
    return { ok: true, deliveryId: id, timestamp, rawTimestamp: ts, signatures };
  }

  /** The HMAC over the body, for headers that passed `checkHeaders`. */
  verifyBody(rawBody: Buffer, checked: HeaderCheck & { ok: true }): SignatureCheck {
    const expected = createHmac('sha256', this.key)
      .update(`${checked.deliveryId}.${checked.rawTimestamp}.`)
      .update(rawBody)
      .digest('base64');
    const expectedBytes = Buffer.from(expected);
    for (const signature of checked.signatures) {
      // Compared as base64 text, exactly as svix does: no lenient decoding of odd input.
      const given = Buffer.from(signature);
      if (given.length === expectedBytes.length && timingSafeEqual(given, expectedBytes)) {
        return { ok: true, deliveryId: checked.deliveryId, timestamp: checked.timestamp };
      }
    }
    return { ok: false, reason: 'mismatch' };
  }

  verify(
    rawBody: Buffer,
    headers: Record<string, HeaderValue>,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): SignatureCheck {
    const checked = this.checkHeaders(headers, nowSeconds);
    return checked.ok ? this.verifyBody(rawBody, checked) : checked;
  }
}
