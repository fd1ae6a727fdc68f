import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'svix';

/**
 * Signed Seam deliveries for the load generator. Each one has its own svix-id and event id and
 * is signed when it is sent (so its timestamp is always fresh), with node:crypto's HMAC: the
 * same bytes svix's `Webhook.sign` produces (checked at start by `checkAgainstSvix`), at a
 * fraction of the load generator's CPU, which it shares with the servers under test.
 */
export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function sign(key: Buffer, id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Throws unless our signature of a sample equals svix's own. */
export function checkAgainstSvix(secret: string): void {
  const at = new Date();
  const body = '{"event_type":"access_code.set_on_device"}';
  const ours = sign(keyOf(secret), 'msg_check', String(Math.floor(at.getTime() / 1000)), body);
  const theirs = new Webhook(secret).sign('msg_check', at, body);
  if (ours !== theirs) throw new Error('bench signer disagrees with svix');
}

/** A Seam access_code event as Seam sends it (about 450 bytes, PIN included). */
export function accessCodeEventBody(
  accessCodeId: string,
  eventType = 'access_code.set_on_device',
): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    event_id: randomUUID(),
    event_type: eventType,
    workspace_id: 'ws_bench_0000000000000000',
    created_at: now,
    occurred_at: now,
    access_code_id: accessCodeId,
    device_id: 'device_bench_00000000000000',
    connected_account_id: 'ca_bench_000000000000000000',
    code: '482913',
  });
}

/** Returns a function making one unique, freshly signed delivery per call, about the given
 *  access codes in turn (or made-up ones). */
export function deliveryFactory(secret: string, accessCodeIds: string[] = []): () => Delivery {
  const key = keyOf(secret);
  const run = randomUUID().slice(0, 8);
  let n = 0;
  return () => {
    n += 1;
    const id = `msg_bench_${run}_${n}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = accessCodeEventBody(
      accessCodeIds.length > 0
        ? (accessCodeIds[n % accessCodeIds.length] as string)
        : `ac_bench_${run}_${n % 1000}`,
    );
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': timestamp,
        'svix-signature': sign(key, id, timestamp, body),
      },
    };
  };
}
