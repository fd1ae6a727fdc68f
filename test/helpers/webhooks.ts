import { randomUUID } from 'node:crypto';
import { Webhook } from 'svix';

/** A fresh Svix secret, as Seam gives one: whsec_ + base64 of random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`;
}

export function accessCodeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event_type: 'access_code.set_on_device',
    workspace_id: 'ws_1',
    created_at: new Date().toISOString(),
    occurred_at: new Date().toISOString(),
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
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': signature,
    },
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
