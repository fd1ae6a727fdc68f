import { DateTime } from 'luxon';
import { FALLBACK_LOCALE, templateFor, type MessageTemplate } from './templates';

/**
 * The message that gives a guest their door PIN. Pure: no I/O and no clock; every time it shows
 * comes from the input.
 */
export interface GuestMessageInput {
  guestName: string;
  lockName: string;
  pin: string;
  /** ISO 8601 instants (UTC). */
  startsAt: string;
  endsAt: string;
  /** IANA zone of the lock: the window is shown in it. */
  timezone: string;
  kind: 'hourly_bound' | 'daily_bound' | 'one_time_use';
  /** Caveat ids (see CAVEAT_IDS); unknown ids are ignored. */
  caveats: string[];
  /** A replacement code: the message says this PIN replaces the one sent before. */
  replacesPrevious: boolean;
  /** A code for a changed stay (new dates): the message says so, and to use this PIN. It does
   *  not say the previous PIN stopped working: an offline code cannot be revoked. */
  changedStay?: boolean;
  /** The guest's locale (BCP 47, checked with checkLocale); default FALLBACK_LOCALE. */
  locale?: string;
  /** The operator's name, shown in the subject and as the last line (BRAND_NAME). */
  brand?: string;
  /** Whether replies reach someone (MAIL_REPLY_TO): the message says the guest may reply. */
  replyTo?: boolean;
}

export interface GuestMessage {
  subject: string;
  text: string;
  html: string;
}

export const CAVEAT_IDS = [
  'one_time_use_single_entry_24h',
  'igloohome_first_use_within_24h',
] as const;
export type CaveatId = (typeof CAVEAT_IDS)[number];

export function composeGuestMessage(input: GuestMessageInput): GuestMessage {
  const zone = input.timezone;
  const locale = input.locale ?? FALLBACK_LOCALE;
  const t = templateFor(locale);
  const starts = toZoned(input.startsAt, zone, 'startsAt');
  const ends = toZoned(input.endsAt, zone, 'endsAt');
  const guestName = singleLine(input.guestName);
  const lockName = singleLine(input.lockName);
  const brand = input.brand === undefined ? undefined : singleLine(input.brand) || undefined;
  const pin = input.pin;
  const when = (dt: DateTime) => formatInstant(dt, locale, t);

  const notes = caveatSentences(input, starts, t, when);
  const replaces = input.replacesPrevious;

  const changed = input.changedStay === true;
  const subject = t.subject({ lockName, replaces, changed, brand });
  const greeting = t.greeting(guestName);
  const intro = t.intro({ lockName, replaces, changed });
  const windowLines = [t.validFrom(when(starts)), t.validUntil(when(ends))];
  const zoneNote = t.zoneNote(zone);
  const closing = t.closing;
  const footer = [...(input.replyTo ? [t.replyHint] : []), ...(brand ? [t.signOff(brand)] : [])];

  const textParts: string[] = [greeting, '', intro, '', `    ${pin}`, ''];
  if (changed) textParts.push(t.changedStay, '');
  else if (replaces) textParts.push(t.replacement, '');
  textParts.push(...windowLines, zoneNote, '');
  if (notes.length > 0) {
    textParts.push(t.pleaseNote);
    for (const note of notes) textParts.push(`- ${note}`);
    textParts.push('');
  }
  textParts.push(closing, '');
  if (footer.length > 0) textParts.push(...footer, '');
  const text = textParts.join('\n');

  const h = escapeHtml;
  const htmlParts: string[] = [...htmlOpening(locale, subject, greeting, intro), pinHtml(pin)];
  if (changed) htmlParts.push(`<p><strong>${h(t.changedStay)}</strong></p>`);
  else if (replaces) htmlParts.push(`<p><strong>${h(t.replacement)}</strong></p>`);
  htmlParts.push(`<p>${windowLines.map(h).join('<br>')}<br><small>${h(zoneNote)}</small></p>`);
  if (notes.length > 0) {
    htmlParts.push(
      `<p>${h(t.pleaseNote)}</p>`,
      '<ul>' + notes.map((note) => `<li>${h(note)}</li>`).join('') + '</ul>',
    );
  }
  htmlParts.push(`<p>${h(closing)}</p>`);
  if (footer.length > 0) htmlParts.push(`<p>${footer.map(h).join('<br>')}</p>`);
  htmlParts.push('</body>', '</html>', '');
  const html = htmlParts.join('\n');

  return { subject, text, html };
}

function caveatSentences(
  input: GuestMessageInput,
  starts: DateTime,
  t: MessageTemplate,
  when: (dt: DateTime) => string,
): string[] {
  const known = new Set<string>(CAVEAT_IDS);
  const ids = [...new Set(input.caveats)].filter((id): id is CaveatId => known.has(id));
  const sentences: string[] = [];
  for (const id of ids) {
    switch (id) {
      case 'one_time_use_single_entry_24h':
        sentences.push(t.caveats.oneTimeUse24h);
        break;
      case 'igloohome_first_use_within_24h':
        sentences.push(t.caveats.firstUseWithin24h(when(starts.plus({ hours: 24 }))));
        break;
    }
  }
  if (input.kind === 'one_time_use' && !ids.includes('one_time_use_single_entry_24h')) {
    sentences.unshift(t.caveats.oneTimeUseShort);
  }
  return sentences;
}

function toZoned(iso: string, zone: string, field: string): DateTime {
  const utc = DateTime.fromISO(iso, { zone: 'utc' });
  if (!utc.isValid)
    throw new RangeError(`composeGuestMessage: ${field} is not an ISO 8601 instant`);
  const local = utc.setZone(zone);
  if (!local.isValid)
    throw new RangeError('composeGuestMessage: timezone is not a valid IANA zone');
  return local;
}

/**
 * e.g. "Sunday 29 March 2026, 15:00 CEST" (en-GB), "Sunday, March 29, 2026, 3:00 PM CEST"
 * (en-US): the date in the template's order with the locale's names, the time as Intl writes
 * it for the locale, so the 12- or 24-hour clock is the locale's own.
 */
function formatInstant(dt: DateTime, locale: string, t: MessageTemplate): string {
  const local = dt.setLocale(locale);
  const date = local.toFormat(t.datePattern(locale));
  const time = local.toLocaleString(DateTime.TIME_SIMPLE);
  return `${date}, ${time} ${zoneAbbreviation(dt)}`;
}

/**
 * A short zone name that a guest recognises. ICU knows the abbreviations per locale (en-US has
 * EST/EDT but only GMT+1 for Berlin; en-GB has CET/CEST but GMT-5 for New York), so take the
 * first locale that has a real abbreviation, else an explicit UTC offset.
 */
function zoneAbbreviation(dt: DateTime): string {
  for (const locale of ['en-US', 'en-GB']) {
    const name = dt.setLocale(locale).offsetNameShort;
    if (name && !/^(GMT|UTC)[+-]/.test(name)) return name;
  }
  return `UTC${dt.toFormat('ZZ')}`;
}

/** Names come from user input: keep them on one line (subject header, greeting). */
function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** One door of a stay's message. */
export interface StayDoorInput {
  door: number;
  lockName: string;
  pin: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
  kind: GuestMessageInput['kind'];
  caveats: string[];
}

export interface StayMessageInput {
  guestName: string;
  /** The doors this message tells (at least one), in door order. */
  doors: StayDoorInput[];
  /** Doors not ready yet: the message says more will follow. */
  pending: number;
  /** A later message: doors that were not ready for the first one. */
  followUp: boolean;
  /** New codes for a changed stay (PATCH): the message says so. */
  changed?: boolean;
  locale?: string;
  brand?: string;
  replyTo?: boolean;
}

/**
 * The one message of a stay with several doors: every door told in it with its lock, PIN and
 * window (in the lock's zone), and a "more to follow" line while some door is not ready. Pure.
 */
export function composeStayMessage(input: StayMessageInput): GuestMessage {
  if (input.doors.length === 0) throw new RangeError('composeStayMessage: no door to tell');
  const locale = input.locale ?? FALLBACK_LOCALE;
  const t = templateFor(locale);
  const when = (dt: DateTime) => formatInstant(dt, locale, t);
  const brand = input.brand === undefined ? undefined : singleLine(input.brand) || undefined;
  const guestName = singleLine(input.guestName);
  const count = input.doors.length;
  const changed = input.changed === true;
  const subject = t.stay.subject({ doors: count, followUp: input.followUp, changed, brand });
  const greeting = t.greeting(guestName);
  const intro = t.stay.intro({ doors: count, followUp: input.followUp, changed });
  const more = input.pending > 0 ? t.stay.moreToFollow(input.pending) : undefined;
  const footer = [...(input.replyTo ? [t.replyHint] : []), ...(brand ? [t.signOff(brand)] : [])];

  const blocks = input.doors.map((d) => {
    const starts = toZoned(d.startsAt, d.timezone, 'startsAt');
    const ends = toZoned(d.endsAt, d.timezone, 'endsAt');
    const notes = caveatSentences(
      {
        guestName: input.guestName,
        lockName: d.lockName,
        pin: d.pin,
        startsAt: d.startsAt,
        endsAt: d.endsAt,
        timezone: d.timezone,
        kind: d.kind,
        caveats: d.caveats,
        replacesPrevious: false,
      },
      starts,
      t,
      when,
    );
    return {
      heading: t.stay.door(d.door, singleLine(d.lockName)),
      pin: d.pin,
      lines: [t.validFrom(when(starts)), t.validUntil(when(ends)), t.zoneNote(d.timezone)],
      notes,
    };
  });

  const textParts: string[] = [greeting, '', intro, ''];
  for (const b of blocks) {
    textParts.push(b.heading, `    ${b.pin}`, ...b.lines);
    for (const note of b.notes) textParts.push(`- ${note}`);
    textParts.push('');
  }
  if (more) textParts.push(more, '');
  textParts.push(t.closing, '');
  if (footer.length > 0) textParts.push(...footer, '');
  const text = textParts.join('\n');

  const h = escapeHtml;
  const htmlParts: string[] = htmlOpening(locale, subject, greeting, intro);
  for (const b of blocks) {
    htmlParts.push(
      `<h3>${h(b.heading)}</h3>`,
      pinHtml(b.pin),
      `<p>${b.lines.map(h).join('<br>')}</p>`,
    );
    if (b.notes.length > 0) {
      htmlParts.push('<ul>' + b.notes.map((n) => `<li>${h(n)}</li>`).join('') + '</ul>');
    }
  }
  if (more) htmlParts.push(`<p><strong>${h(more)}</strong></p>`);
  htmlParts.push(`<p>${h(t.closing)}</p>`);
  if (footer.length > 0) htmlParts.push(`<p>${footer.map(h).join('<br>')}</p>`);
  htmlParts.push('</body>', '</html>', '');
  return { subject, text, html: htmlParts.join('\n') };
}

/** An HTML message's head, greeting and first paragraph (every value escaped). */
function htmlOpening(locale: string, subject: string, greeting: string, intro: string): string[] {
  const h = escapeHtml;
  return [
    '<!DOCTYPE html>',
    `<html lang="${h(locale)}">`,
    '<head><meta charset="utf-8"><title>' + h(subject) + '</title></head>',
    '<body>',
    `<p>${h(greeting)}</p>`,
    `<p>${h(intro)}</p>`,
  ];
}

/** The PIN, large and in a fixed-width font, so a guest reads it off a phone at the door. */
function pinHtml(pin: string): string {
  return `<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:monospace">${escapeHtml(pin)}</p>`;
}
