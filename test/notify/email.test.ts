import { createEmailSender } from '../../src/notify/email';
import type { EmailSender } from '../../src/notify/email';
import { NotificationError } from '../../src/notify/errors';
import { composeGuestMessage } from '../../src/notify/guest-message';
import type { GuestMessageInput } from '../../src/notify/guest-message';
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  type TestSmtpServer,
} from '../../devkit/smtp';

const FROM = 'Front desk <desk@hotel.example>';
const GUEST = 'ada@guest.example';
const PIN = '9305716';

const berlin: GuestMessageInput = {
  guestName: 'Ada Lovelace',
  lockName: 'Apartment 4B',
  pin: PIN,
  startsAt: '2026-03-28T14:00:00Z', // 15:00 CET
  endsAt: '2026-03-30T09:00:00Z', // 11:00 CEST, after the DST change
  timezone: 'Europe/Berlin',
  kind: 'hourly_bound',
  caveats: ['igloohome_first_use_within_24h'],
  replacesPrevious: false,
};

async function rejectionOf(p: Promise<unknown>): Promise<NotificationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationError);
    return err as NotificationError;
  }
  throw new Error('expected the send to fail');
}

describe('email sender against a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let sender: EmailSender;

  beforeEach(async () => {
    smtp = await startSmtpServer();
    sender = createEmailSender({ smtpUrl: smtp.url, from: FROM, timeoutMs: 2000 });
  });
  afterEach(async () => {
    sender.close();
    await smtp.close();
  });

  it('delivers one email with the PIN and the Berlin window (across DST) in text and html', async () => {
    const result = await sender.send(GUEST, composeGuestMessage(berlin));

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    expect(mail.headers['message-id']).toBe(result.messageId);
    expect(mail.rcptTo).toEqual([GUEST]);
    expect(mail.from).toBe('desk@hotel.example');
    expect(mail.subject).toBe('Your door code for Apartment 4B');
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain(PIN);
      expect(body).toContain('Saturday 28 March 2026, 15:00 CET');
      expect(body).toContain('Monday 30 March 2026, 11:00 CEST');
      expect(body).toContain('Use this PIN for the first time within 24 hours');
      expect(body).toContain('before Sunday 29 March 2026, 16:00 CEST');
    }
  });

  it('delivers a New York window across the autumn DST change, with the one-time caveat', async () => {
    await sender.send(
      GUEST,
      composeGuestMessage({
        ...berlin,
        timezone: 'America/New_York',
        kind: 'one_time_use',
        startsAt: '2026-10-31T20:00:00Z', // 16:00 EDT
        endsAt: '2026-11-01T21:00:00Z', // 16:00 EST, clocks went back at 02:00 that day
        caveats: ['one_time_use_single_entry_24h'],
      }),
    );
    expect(smtp.messages).toHaveLength(1);
    const text = smtp.messages[0]!.text;
    expect(text).toContain('Saturday 31 October 2026, 16:00 EDT');
    expect(text).toContain('Sunday 1 November 2026, 16:00 EST');
    expect(text).toContain(
      'valid for 24 hours from the start time and opens the door for one entry only',
    );
    expect(text).toContain(PIN);
  });

  it('escapes a hostile guest name in the delivered html', async () => {
    await sender.send(
      GUEST,
      composeGuestMessage({ ...berlin, guestName: '<script>alert(1)</script> Mallory' }),
    );
    const mail = smtp.messages[0]!;
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Mallory');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('<script>alert(1)</script> Mallory');
  });

  it('delivers the replacement wording', async () => {
    await sender.send(GUEST, composeGuestMessage({ ...berlin, replacesPrevious: true }));
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('Your new door code for Apartment 4B (replaces the previous one)');
    expect(mail.text).toContain('This PIN replaces the one we sent you before.');
    expect(mail.text).toContain('The previous PIN will no longer work');
    expect(mail.html).toContain('This PIN replaces the one we sent you before.');
  });

  it('decodes a non-ASCII name end to end', async () => {
    await sender.send(GUEST, composeGuestMessage({ ...berlin, lockName: 'Chalet Zürich 🏔' }));
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('Your door code for Chalet Zürich 🏔');
    expect(mail.text).toContain('Chalet Zürich 🏔');
  });
});

describe('email sender failures', () => {
  const msg = composeGuestMessage(berlin);

  function expectNoSecrets(err: NotificationError): void {
    expect(err.message).not.toContain(PIN);
    expect(err.message).not.toContain(msg.text.slice(0, 20));
    expect(err.message).not.toContain('Ada');
    expect(err.message).not.toContain(GUEST);
    expect(err.channel).toBe('email');
  }

  it('fails fast and retryably when nothing listens on the port', async () => {
    const port = await closedPort();
    const sender = createEmailSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM });
    const started = Date.now();
    const err = await rejectionOf(sender.send(GUEST, msg));
    sender.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('smtp_connection');
    expectNoSecrets(err);
  });

  it('times out within the bound when the server never greets', async () => {
    const silent = await startSilentServer();
    const sender = createEmailSender({
      smtpUrl: `smtp://127.0.0.1:${silent.port}`,
      from: FROM,
      timeoutMs: 500,
    });
    try {
      const started = Date.now();
      const err = await rejectionOf(sender.send(GUEST, msg));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(elapsed).toBeLessThan(2000);
      expect(err.retryable).toBe(true);
      expect(err.code).toBe('smtp_timeout');
      expectNoSecrets(err);
    } finally {
      sender.close();
      await silent.close();
    }
  });

  it('treats a 550 rejection as permanent, without retrying on its own', async () => {
    const smtp = await startSmtpServer({
      rejectRcptWith: { code: 550, message: '5.1.1 mailbox unavailable' },
    });
    const sender = createEmailSender({ smtpUrl: smtp.url, from: FROM, timeoutMs: 2000 });
    try {
      const err = await rejectionOf(sender.send(GUEST, msg));
      expect(err.retryable).toBe(false);
      expect(err.status).toBe(550);
      expect(err.code).toBe('smtp_rejected');
      expect(err.message).toContain('550');
      expectNoSecrets(err);
      expect(smtp.messages).toHaveLength(0);
      expect(smtp.connections()).toBe(1);
    } finally {
      sender.close();
      await smtp.close();
    }
  });

  it.each([451, 452])('treats a %i reply as transient', async (code) => {
    const smtp = await startSmtpServer({ rejectRcptWith: { code, message: 'try again later' } });
    const sender = createEmailSender({ smtpUrl: smtp.url, from: FROM, timeoutMs: 2000 });
    try {
      const err = await rejectionOf(sender.send(GUEST, msg));
      expect(err.retryable).toBe(true);
      expect(err.status).toBe(code);
      expectNoSecrets(err);
    } finally {
      sender.close();
      await smtp.close();
    }
  });

  it('treats a 421 at the greeting as transient and makes a single connection (no own retries)', async () => {
    const smtp = await startSmtpServer({
      refuseConnectionWith: { code: 421, message: 'too busy' },
    });
    const sender = createEmailSender({ smtpUrl: smtp.url, from: FROM, timeoutMs: 2000 });
    try {
      const err = await rejectionOf(sender.send(GUEST, msg));
      expect(err.retryable).toBe(true);
      expect(err.status).toBe(421);
      expectNoSecrets(err);
      await new Promise((r) => setTimeout(r, 200));
      expect(smtp.connections()).toBe(1);
    } finally {
      sender.close();
      await smtp.close();
    }
  });

  it('rejects a non-SMTP url without echoing it', () => {
    expect(() =>
      createEmailSender({ smtpUrl: 'http://user:hunter2@mail.example', from: FROM }),
    ).toThrow(/smtp:\/\//);
    expect(() => createEmailSender({ smtpUrl: 'not a url hunter2', from: FROM })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('email sender: the PIN never travels in cleartext to another machine', () => {
  const msg = composeGuestMessage(berlin);

  it('with TLS required, a server that offers no STARTTLS gets nothing, and the refusal is permanent', async () => {
    const smtp = await startSmtpServer();
    const sender = createEmailSender({
      smtpUrl: smtp.url,
      from: FROM,
      timeoutMs: 2000,
      requireTls: true,
    });
    try {
      const err = await rejectionOf(sender.send(GUEST, msg));
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('STARTTLS');
      expect(err.message).not.toContain(PIN);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      sender.close();
      await smtp.close();
    }
  });

  it('with TLS required, a server that offers STARTTLS gets the message over TLS', async () => {
    const smtp = await startSmtpServer({ starttls: true });
    const sender = createEmailSender({
      smtpUrl: `smtp://localhost:${smtp.port}`,
      from: FROM,
      timeoutMs: 5000,
      requireTls: true,
      ca: smtp.ca,
    });
    try {
      await sender.send(GUEST, msg);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]!.secure).toBe(true);
      expect(smtp.messages[0]!.text).toContain(PIN);
    } finally {
      sender.close();
      await smtp.close();
    }
  });

  it('a relay on this machine (loopback) may be cleartext by default; any other host needs TLS', async () => {
    // The default, on a loopback relay (a sidecar, the demo): delivered without STARTTLS.
    const smtp = await startSmtpServer();
    const sender = createEmailSender({ smtpUrl: smtp.url, from: FROM, timeoutMs: 2000 });
    try {
      await sender.send(GUEST, msg);
      expect(smtp.messages.map((m) => m.secure)).toEqual([false]);
    } finally {
      sender.close();
      await smtp.close();
    }
  });
});
