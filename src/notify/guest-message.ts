import { DateTime } from 'luxon';

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

const REPLACEMENT_SENTENCE =
  'This PIN replaces the one we sent you before. The previous PIN will no longer work: please use this one.';

const CHANGED_SENTENCE = 'Please use this PIN for your stay from now on.';

export function composeGuestMessage(input: GuestMessageInput): GuestMessage {
  const zone = input.timezone;
  const starts = toZoned(input.startsAt, zone, 'startsAt');
  const ends = toZoned(input.endsAt, zone, 'endsAt');
  const guestName = singleLine(input.guestName);
  const lockName = singleLine(input.lockName);
  const pin = input.pin;

  const from = formatInstant(starts);
  const until = formatInstant(ends);
  const notes = caveatSentences(input, starts);

  const subject = input.changedStay
    ? `Your stay has changed: your door code for ${lockName}`
    : input.replacesPrevious
      ? `Your new door code for ${lockName} (replaces the previous one)`
      : `Your door code for ${lockName}`;

  const greeting = guestName === '' ? 'Hello,' : `Hello ${guestName},`;
  const intro = input.changedStay
    ? `Your stay has changed. Here is your door code (PIN) for ${lockName} for the new dates:`
    : input.replacesPrevious
      ? `Here is your new door code (PIN) for ${lockName}:`
      : `Here is your door code (PIN) for ${lockName}:`;
  const windowLines = [`Valid from: ${from}`, `Valid until: ${until}`];
  const zoneNote = `Times are shown in the lock's local time (${zone}).`;
  const closing = 'Enter the PIN on the lock keypad. Please do not share it with anyone.';

  const textParts: string[] = [greeting, '', intro, '', `    ${pin}`, ''];
  if (input.changedStay) textParts.push(CHANGED_SENTENCE, '');
  else if (input.replacesPrevious) textParts.push(REPLACEMENT_SENTENCE, '');
  textParts.push(...windowLines, zoneNote, '');
  if (notes.length > 0) {
    textParts.push('Please note:');
    for (const note of notes) textParts.push(`- ${note}`);
    textParts.push('');
  }
  textParts.push(closing, '');
  const text = textParts.join('\n');

  const h = escapeHtml;
  const htmlParts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>' + h(subject) + '</title></head>',
    '<body>',
    `<p>${h(greeting)}</p>`,
    `<p>${h(intro)}</p>`,
    `<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:monospace">${h(pin)}</p>`,
  ];
  if (input.changedStay) htmlParts.push(`<p><strong>${h(CHANGED_SENTENCE)}</strong></p>`);
  else if (input.replacesPrevious)
    htmlParts.push(`<p><strong>${h(REPLACEMENT_SENTENCE)}</strong></p>`);
  htmlParts.push(`<p>${windowLines.map(h).join('<br>')}<br><small>${h(zoneNote)}</small></p>`);
  if (notes.length > 0) {
    htmlParts.push(
      '<p>Please note:</p>',
      '<ul>' + notes.map((note) => `<li>${h(note)}</li>`).join('') + '</ul>',
    );
  }
  htmlParts.push(`<p>${h(closing)}</p>`, '</body>', '</html>', '');
  const html = htmlParts.join('\n');

  return { subject, text, html };
}

function caveatSentences(input: GuestMessageInput, starts: DateTime): string[] {
  const known = new Set<string>(CAVEAT_IDS);
  const ids = [...new Set(input.caveats)].filter((id): id is CaveatId => known.has(id));
  const sentences: string[] = [];
  for (const id of ids) {
    switch (id) {
      case 'one_time_use_single_entry_24h':
        sentences.push(
          'This is a one-time code: it is valid for 24 hours from the start time and opens the door for one entry only. After it has been used once, it stops working.',
        );
        break;
      case 'igloohome_first_use_within_24h':
        sentences.push(
          `Use this PIN for the first time within 24 hours of the start time, that is before ${formatInstant(starts.plus({ hours: 24 }))}. If it is not used by then, it stops working.`,
        );
        break;
    }
  }
  if (input.kind === 'one_time_use' && !ids.includes('one_time_use_single_entry_24h')) {
    sentences.unshift('This is a one-time code: it opens the door for one entry only.');
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

/** e.g. "Sunday 29 March 2026, 15:00 CEST" */
function formatInstant(dt: DateTime): string {
  return `${dt.setLocale('en-GB').toFormat('cccc d LLLL yyyy, HH:mm')} ${zoneAbbreviation(dt)}`;
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
