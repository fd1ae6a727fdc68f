/**
 * The guest's message in the guest's language: a template per language, the locale's own
 * clock (Intl decides 12 or 24 hours, not the template), the operator's brand and reply-to,
 * and the original English wording when nothing is asked for. Pure checks first, then the
 * whole way through the service to a real SMTP server and the outbound webhook.
 */
import fc from 'fast-check';
import { composeGuestMessage, type GuestMessageInput } from '../../src/notify/guest-message';
import { checkLocale, TEMPLATE_LANGUAGES, TEMPLATES } from '../../src/notify/templates';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const base: GuestMessageInput = {
  guestName: 'Ada Lovelace',
  lockName: 'Apartment 4B',
  pin: '4827193',
  startsAt: '2026-03-28T14:00:00Z',
  endsAt: '2026-03-30T09:00:00Z',
  timezone: 'Europe/Berlin',
  kind: 'hourly_bound',
  caveats: ['igloohome_first_use_within_24h'],
  replacesPrevious: false,
};

describe('message templates', () => {
  it('keeps the original English wording and 24-hour clock when no locale is given', () => {
    const msg = composeGuestMessage(base);
    expect(msg.subject).toBe('Your door code for Apartment 4B');
    expect(msg.text).toContain('Valid from: Saturday 28 March 2026, 15:00 CET');
    expect(msg.text).toContain('Valid until: Monday 30 March 2026, 11:00 CEST');
    expect(msg.html).toContain('<html lang="en-GB">');
    expect(msg).toEqual(composeGuestMessage({ ...base, locale: 'en-GB' }));
  });

  it("uses the locale's clock: 12 hours in en-US, 24 in en-GB, de and fr", () => {
    const us = composeGuestMessage({ ...base, locale: 'en-US' });
    expect(us.text).toContain('Valid from: Saturday, March 28, 2026, 3:00 PM CET');
    expect(us.text).toContain('before Sunday, March 29, 2026, 4:00 PM CEST');
    const de = composeGuestMessage({ ...base, locale: 'de-DE' });
    expect(de.subject).toBe('Ihr Türcode für Apartment 4B');
    expect(de.text).toContain('Gültig ab: Samstag, 28. März 2026, 15:00 CET');
    expect(de.text).toContain('Gültig bis: Montag, 30. März 2026, 11:00 CEST');
    const fr = composeGuestMessage({ ...base, locale: 'fr-FR' });
    expect(fr.subject).toBe('Votre code de porte pour Apartment 4B');
    expect(fr.text).toContain('Valable à partir du : samedi 28 mars 2026, 15:00 CET');
    for (const msg of [de, fr]) expect(msg.text).not.toMatch(/\b(AM|PM)\b/);
  });

  it('every template says everything the English one says, PIN and times included', () => {
    const variants = fc.record({
      replacesPrevious: fc.boolean(),
      kind: fc.constantFrom('hourly_bound', 'daily_bound', 'one_time_use') as fc.Arbitrary<
        GuestMessageInput['kind']
      >,
      caveats: fc.subarray(['one_time_use_single_entry_24h', 'igloohome_first_use_within_24h']),
      brand: fc.option(fc.constantFrom('Seaside Rentals', 'Hôtel du Lac'), { nil: undefined }),
      replyTo: fc.boolean(),
    });
    fc.assert(
      fc.property(variants, fc.constantFrom(...TEMPLATE_LANGUAGES), (v, language) => {
        const english = composeGuestMessage({ ...base, ...v });
        const other = composeGuestMessage({ ...base, ...v, locale: language });
        expect(other.text).toContain(base.pin);
        expect(other.html).toContain(base.pin);
        expect(other.text).toContain('Europe/Berlin');
        // As many lines and notes as the English message: nothing left out in translation.
        expect(other.text.split('\n')).toHaveLength(english.text.split('\n').length);
        expect((other.html.match(/<li>/g) ?? []).length).toBe(
          (english.html.match(/<li>/g) ?? []).length,
        );
        if (v.brand) {
          expect(other.subject.startsWith(v.brand)).toBe(true);
          expect(other.text.trimEnd().endsWith(v.brand)).toBe(true);
        } else {
          expect(other.subject).toBe(
            TEMPLATES[language]!.subject({
              lockName: base.lockName,
              replaces: v.replacesPrevious,
            }),
          );
        }
        expect(other.text.includes(TEMPLATES[language]!.replyHint)).toBe(v.replyTo);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts a locale whose language has a template, refuses any other naming the languages', () => {
    expect(checkLocale('en-us')).toEqual({ locale: 'en-US' });
    expect(checkLocale('de-CH')).toEqual({ locale: 'de-CH' });
    expect(checkLocale('fr')).toEqual({ locale: 'fr' });
    const spanish = checkLocale('es-ES');
    expect('problem' in spanish && spanish.problem).toMatch(/'es'.*en, de, fr/);
    const junk = checkLocale('not a locale!');
    expect('problem' in junk && junk.problem).toMatch(/BCP 47/);
  });
});

describe('the message, through the service', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 50, setAfterMs: 150 },
      env: {
        BRAND_NAME: 'Seaside Rentals',
        MAIL_REPLY_TO: 'frontdesk@seaside.example',
        DEFAULT_GUEST_LOCALE: 'en-US',
      },
    });
  });
  afterAll(() => s.close());

  async function deliver(reference: string, locale?: string) {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Grete', email: `${reference}@example.com`, ...(locale ? { locale } : {}) },
        reference,
        ...hourlyWindow(3 + s.smtp.messages.length, 24),
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    await eventually(
      async () => ((await s.store.get(id))?.status === 'notified' ? true : undefined),
      10_000,
    );
    const mail = s.smtp.messages.find((m) => m.rcptTo.includes(`${reference}@example.com`))!;
    const hook = s.notifyReceiver.received.find(
      (r) => (r.event as { data?: { guest_code_id?: string } })?.data?.guest_code_id === id,
    )!;
    return { mail, hook: hook.event as { data: Record<string, unknown> } };
  }

  it("sends the guest's language with the brand and reply-to, and the same text on the webhook", async () => {
    const { mail, hook } = await deliver('tpl-de', 'de-DE');
    expect(mail.subject).toBe('Seaside Rentals: Ihr Türcode für ' + String(hook.data.lock_name));
    expect(mail.text).toMatch(/Gültig ab: [^,]+, \d{1,2}\. \S+ \d{4}, \d{2}:00 /);
    expect(mail.text).toContain('Fragen? Antworten Sie einfach auf diese E-Mail.');
    expect(mail.text?.trimEnd().endsWith('Seaside Rentals')).toBe(true);
    expect(mail.headers['reply-to']).toBe('frontdesk@seaside.example');
    expect(hook.data.locale).toBe('de-DE');
    const message = hook.data.message as { subject: string; text: string };
    expect(message.subject).toBe(mail.subject);
    // The webhook's receiver passes it on by SMS: no "reply to this email" there.
    expect(message.text).not.toContain('Antworten Sie');
    expect(message.text).toContain(String(hook.data.pin));
  });

  it('uses DEFAULT_GUEST_LOCALE for a guest given none (here en-US: 12-hour clock)', async () => {
    const { mail, hook } = await deliver('tpl-default');
    expect(mail.text).toMatch(/Valid from: \w+, \w+ \d{1,2}, \d{4}, \d{1,2}:00 (AM|PM) /);
    expect(hook.data.locale).toBe('en-US');
    const stored = await s.api('/v1/guest-codes?reference=tpl-default');
    expect(stored.body.guest_code.guest.locale).toBeUndefined();
  });

  it('refuses a locale without a template with a 400 naming guest.locale and the languages', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Juan', email: 'juan@example.com', locale: 'es-ES' },
        reference: 'tpl-es',
        ...hourlyWindow(30, 24),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { field: 'guest.locale', message: expect.stringMatching(/en, de, fr/) },
    ]);
    expect(await s.store.getByReference('tpl-es')).toBeUndefined();
  });
});
