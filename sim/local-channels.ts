/**
 * The two notification channels a service run by hand needs, on this machine: an SMTP catcher
 * (guest emails) and a receiver for the signed `guest_code.*` webhooks. Each prints what
 * arrives. A guest email is printed whole, PIN included: that is what the guest would read, on
 * a simulated lock, in the developer's own terminal (the service never logs a PIN).
 */
import { randomBytes } from 'node:crypto';
import { startSmtpServer, type TestSmtpServer } from '../devkit/smtp';
import { newWebhookSecret } from '../devkit/svix';
import { startReceiver, type Receiver } from '../devkit/webhook-receiver';

export interface LocalChannels {
  smtp: TestSmtpServer;
  receiver: Receiver;
  /** The service's variables for them: SMTP_URL, MAIL_FROM, NOTIFY_WEBHOOK_URL and its secret. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalChannels(
  print: (line: string) => void = (line) => console.log(line),
): Promise<LocalChannels> {
  const smtp = await startSmtpServer({
    onMessage: (mail) => {
      print(`[email] to ${mail.rcptTo.join(', ')}: ${mail.subject}`);
      for (const line of (mail.text ?? '').trimEnd().split('\n')) print(`[email]   ${line}`);
    },
  });
  const secret = newWebhookSecret();
  const receiver = await startReceiver(secret, {
    path: '/hooks/door-codes',
    onReceive: (entry) => {
      const data = (entry.event?.data ?? {}) as Record<string, unknown>;
      const id = data.guest_code_id ?? data.id ?? '';
      const ref = typeof data.reference === 'string' ? ` (${data.reference})` : '';
      print(
        entry.verified
          ? `[webhook] ${String(entry.event?.type)} ${String(id)}${ref}`
          : '[webhook] a request whose signature did not verify',
      );
    },
  });
  return {
    smtp,
    receiver,
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'door-codes@example.com',
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: secret,
    },
    close: async () => {
      await smtp.close();
      await receiver.close();
    },
  };
}

/** A bearer token the service accepts (32+ random characters). */
export function newApiToken(): string {
  return randomBytes(24).toString('hex');
}

/** `export NAME=value` lines, for a shell (values here never need quoting). */
export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `export ${k}=${v}`);
}

/** A curl that asks for a 44-hour igloohome code from tomorrow 15:00 UTC: ready to paste. */
export function tryCommand(serviceUrl: string, apiToken: string, deviceId = 'device1'): string {
  const start = new Date();
  start.setUTCDate(start.getUTCDate() + 1);
  start.setUTCHours(15, 0, 0, 0);
  const end = new Date(start.getTime() + 44 * 3600_000);
  const body = {
    device_id: deviceId,
    reference: `try-${randomBytes(3).toString('hex')}`,
    guest: { name: 'Ada', email: 'ada@example.com' },
    starts_at: start.toISOString().replace('.000Z', 'Z'),
    ends_at: end.toISOString().replace('.000Z', 'Z'),
  };
  return (
    `curl -s -H "Authorization: Bearer ${apiToken}" -H 'content-type: application/json' ` +
    `${serviceUrl}/v1/guest-codes -d '${JSON.stringify(body)}'`
  );
}
