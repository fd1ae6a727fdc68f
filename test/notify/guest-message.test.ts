import fc from 'fast-check';
import { composeGuestMessage, escapeHtml } from '../../src/notify/guest-message';
import type { GuestMessageInput } from '../../src/notify/guest-message';

const base: GuestMessageInput = {
  guestName: 'Ada Lovelace',
  lockName: 'Apartment 4B',
  pin: '4827193',
  // Berlin: 15:00 CET on Sat 28 March, clocks go forward on Sun 29 March, 11:00 CEST on Mon 30
  startsAt: '2026-03-28T14:00:00.000Z',
  endsAt: '2026-03-30T09:00:00.000Z',
  timezone: 'Europe/Berlin',
  kind: 'hourly_bound',
  caveats: [],
  replacesPrevious: false,
};

const SINGLE_ENTRY = /valid for 24 hours from the start time and opens the door for one entry only/;
const FIRST_USE = /Use this PIN for the first time within 24 hours of the start time/;

describe('composeGuestMessage', () => {
  it('gives the PIN, the lock and the window in the lock zone across the spring DST change (Berlin)', () => {
    const msg = composeGuestMessage(base);
    expect(msg.subject).toBe('Your door code for Apartment 4B');
    expect(msg.subject).not.toContain(base.pin); // subjects show on lock screens
    for (const body of [msg.text, msg.html]) {
      expect(body).toContain('4827193');
      expect(body).toContain('Ada Lovelace');
      expect(body).toContain('Valid from: Saturday 28 March 2026, 15:00 CET');
      expect(body).toContain('Valid until: Monday 30 March 2026, 11:00 CEST');
      expect(body).toContain('Europe/Berlin');
    }
  });

  it('shows a New York window across the autumn DST change with EDT/EST', () => {
    const msg = composeGuestMessage({
      ...base,
      timezone: 'America/New_York',
      startsAt: '2026-10-31T20:00:00Z', // 16:00 EDT
      endsAt: '2026-11-02T16:00:00Z', // 11:00 EST (clocks went back on Sun 1 Nov)
    });
    expect(msg.text).toContain('Valid from: Saturday 31 October 2026, 16:00 EDT');
    expect(msg.text).toContain('Valid until: Monday 2 November 2026, 11:00 EST');
    expect(msg.text).toContain('America/New_York');
  });

  it('falls back to an explicit UTC offset where no abbreviation exists', () => {
    const msg = composeGuestMessage({
      ...base,
      timezone: 'Asia/Kolkata',
      startsAt: '2026-01-10T08:30:00Z',
      endsAt: '2026-01-11T08:30:00Z',
    });
    expect(msg.text).toContain('Valid from: Saturday 10 January 2026, 14:00 UTC+05:30');
  });

  it('states the one-time-use caveat', () => {
    const msg = composeGuestMessage({
      ...base,
      kind: 'one_time_use',
      startsAt: '2026-06-01T08:00:00Z',
      endsAt: '2026-06-02T08:00:00Z',
      caveats: ['one_time_use_single_entry_24h'],
    });
    expect(msg.text).toMatch(SINGLE_ENTRY);
    expect(msg.html).toMatch(SINGLE_ENTRY);
    expect(msg.text).not.toMatch(FIRST_USE);
    // said once, not twice (the kind alone would add a generic line)
    expect(msg.text.match(/one entry only/g)).toHaveLength(1);
  });

  it('states the igloohome first-use caveat with the deadline in local time', () => {
    const msg = composeGuestMessage({ ...base, caveats: ['igloohome_first_use_within_24h'] });
    expect(msg.text).toMatch(FIRST_USE);
    // 24 h after 15:00 CET on Saturday, across the DST change: 16:00 CEST on Sunday
    expect(msg.text).toContain('before Sunday 29 March 2026, 16:00 CEST');
    expect(msg.text).toContain('If it is not used by then, it stops working.');
    expect(msg.html).toMatch(FIRST_USE);
    expect(msg.text).not.toMatch(SINGLE_ENTRY);
  });

  it('ignores unknown caveat ids', () => {
    const plain = composeGuestMessage(base);
    const withUnknown = composeGuestMessage({ ...base, caveats: ['no_such_caveat', '<b>x</b>'] });
    expect(withUnknown).toEqual(plain);
    expect(plain.text).not.toContain('Please note');
  });

  it('says a one-time code is for one entry even without the caveat id', () => {
    const msg = composeGuestMessage({ ...base, kind: 'one_time_use' });
    expect(msg.text).toContain('one entry only');
  });

  it('says plainly that a replacement PIN replaces the previous one, which will not work', () => {
    const msg = composeGuestMessage({ ...base, replacesPrevious: true });
    expect(msg.subject).toBe('Your new door code for Apartment 4B (replaces the previous one)');
    for (const body of [msg.text, msg.html]) {
      expect(body).toContain('This PIN replaces the one we sent you before.');
      expect(body).toContain('The previous PIN will no longer work');
    }
    const original = composeGuestMessage(base);
    expect(original.text).not.toContain('replaces');
    expect(original.html).not.toContain('replaces');
  });

  it('escapes user input in the html and keeps it verbatim in the text', () => {
    const msg = composeGuestMessage({
      ...base,
      guestName: '<script>alert("pwned")</script>',
      lockName: `Tom & Jerry's <b>loft</b>`,
    });
    expect(msg.html).not.toContain('<script>');
    expect(msg.html).not.toContain('<b>');
    expect(msg.html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(msg.html).toContain('Tom &amp; Jerry&#39;s &lt;b&gt;loft&lt;/b&gt;');
    expect(msg.text).toContain('<script>alert("pwned")</script>');
  });

  it('keeps names on one line in the subject', () => {
    const msg = composeGuestMessage({ ...base, lockName: 'Loft\r\nBcc: victim@example.com' });
    expect(msg.subject).not.toMatch(/[\r\n]/);
    expect(msg.subject).toBe('Your door code for Loft Bcc: victim@example.com');
  });

  it('rejects an invalid zone or instant instead of guessing', () => {
    expect(() => composeGuestMessage({ ...base, timezone: 'Mars/Olympus' })).toThrow(RangeError);
    expect(() => composeGuestMessage({ ...base, endsAt: 'tomorrow' })).toThrow(RangeError);
  });

  it('is pure: the same input gives the same output', () => {
    expect(composeGuestMessage(base)).toEqual(composeGuestMessage({ ...base }));
  });
});

describe('composeGuestMessage properties', () => {
  const special = fc.constantFrom('<', '>', '&', '"', "'", '/', ' ', '\n', 'a', 'Z', 'é', '😀');
  const nasty = fc.oneof(
    fc.string({ unit: special, maxLength: 40 }),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const pin = fc.stringMatching(/^[0-9]{4,10}$/);
  const kind = fc.constantFrom('hourly_bound', 'daily_bound', 'one_time_use') as fc.Arbitrary<
    GuestMessageInput['kind']
  >;
  const caveats = fc.subarray([
    'one_time_use_single_entry_24h',
    'igloohome_first_use_within_24h',
    'unknown',
  ]);
  const countLt = (s: string): number => s.split('<').length - 1;

  it('never lets a "<" from the names into the html, and always puts the PIN in the text', () => {
    fc.assert(
      fc.property(
        nasty,
        nasty,
        pin,
        kind,
        caveats,
        fc.boolean(),
        (guestName, lockName, p, k, cv, replaces) => {
          const input = { ...base, guestName, lockName, pin: p, kind: k, caveats: cv };
          const msg = composeGuestMessage({ ...input, replacesPrevious: replaces });
          const reference = composeGuestMessage({
            ...input,
            guestName: 'X',
            lockName: 'Y',
            replacesPrevious: replaces,
          });
          // every "<" in the html is the template's own: the names add none
          expect(countLt(msg.html)).toBe(countLt(reference.html));
          expect(msg.text).toContain(p);
          expect(msg.html).toContain(p);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapeHtml output has no markup characters', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
        expect(
          escapeHtml(s)
            .replace(/&(amp|lt|gt|quot|#39);/g, '')
            .includes('&'),
        ).toBe(false);
      }),
    );
  });
});
