/**
 * Seam's webhooks as Svix signs them, for the tests, the bench and the demo: a fresh secret,
 * an access_code event, a signed delivery (svix's own `Webhook.sign`), a POST of it, and a fast
 * signer for the load generator.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'svix';

/** A fresh Svix secret, as Seam gives one: whsec_ + base64 of random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`;
}

/** A Seam access_code event as Seam sends it (about 450 bytes, PIN included). */
export function accessCodeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    event_id: randomUUID(),
    event_type: 'access_code.set_on_device',
    workspace_id: 'ws_1',
    created_at: now,
    occurred_at: now,
    access_code_id: `ac_${randomUUID()}`,
    device_id: 'device_1',
    connected_account_id: 'ca_1',
    code: '482913',
    ...overrides,
  };
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  id: string;
}

/** Signs a body exactly as Seam's Svix does, with svix's own `Webhook.sign`. */
export function signDelivery(
  secret: string,
  payload: unknown,
  opts: { id?: string; at?: Date; body?: string } = {},
): SignedDelivery {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const at = opts.at ?? new Date();
  const body = opts.body ?? JSON.stringify(payload);
  return { id, body, headers: svixHeaders(id, at, new Webhook(secret).sign(id, at, body)) };
}

function svixHeaders(id: string, at: Date, signature: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': signature,
  };
}

export async function postDelivery(
  baseUrl: string,
  d: SignedDelivery,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/webhooks/seam`, {
    method: 'POST',
    headers: { ...d.headers, ...extraHeaders },
    body: d.body,
  });
}

// ---- the load generator's signer ------------------------------------------------------------
// Each delivery has its own svix-id and event id and is signed when it is sent (so its
// timestamp is always fresh), with node:crypto's HMAC: the same bytes svix's `Webhook.sign`
// produces (checked at start by `checkAgainstSvix`), at a fraction of the load generator's CPU,
// which it shares with the servers under test.

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function hmacSignature(key: Buffer, id: string, at: Date, body: string): string {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Throws unless our signature of a sample equals svix's own. */
export function checkAgainstSvix(secret: string): void {
  const at = new Date();
  const body = '{"event_type":"access_code.set_on_device"}';
  const ours = hmacSignature(keyOf(secret), 'msg_check', at, body);
  if (ours !== new Webhook(secret).sign('msg_check', at, body)) {
    throw new Error('bench signer disagrees with svix');
  }
}

/** Returns a function making one unique, freshly signed delivery per call, about the given
 *  access codes in turn (or made-up ones). */
export function deliveryFactory(
  secret: string,
  accessCodeIds: string[] = [],
): () => SignedDelivery {
  const key = keyOf(secret);
  const run = randomUUID().slice(0, 8);
  let n = 0;
  return () => {
    n += 1;
    const id = `msg_bench_${run}_${n}`;
    const at = new Date();
    const body = JSON.stringify(
      accessCodeEvent({
        workspace_id: 'ws_bench_0000000000000000',
        device_id: 'device_bench_00000000000000',
        connected_account_id: 'ca_bench_000000000000000000',
        access_code_id:
          accessCodeIds.length > 0
            ? (accessCodeIds[n % accessCodeIds.length] as string)
            : `ac_bench_${run}_${n % 1000}`,
      }),
    );
    return { id, body, headers: svixHeaders(id, at, hmacSignature(key, id, at, body)) };
  };
}
