import type { MessageTemplate } from './types';

/** English: the service's original wording, the default. */
export const en: MessageTemplate = {
  language: 'en',
  // Month before day where the region writes it so (US, Canada, the Philippines).
  datePattern: (locale) =>
    /-(US|CA|PH)\b/i.test(locale) ? 'cccc, LLLL d, yyyy' : 'cccc d LLLL yyyy',
  subject: ({ lockName, replaces, changed, brand }) =>
    (brand ? `${brand}: ` : '') +
    (changed
      ? `Your stay has changed: your door code for ${lockName}`
      : replaces
        ? `Your new door code for ${lockName} (replaces the previous one)`
        : `Your door code for ${lockName}`),
  greeting: (name) => (name === '' ? 'Hello,' : `Hello ${name},`),
  intro: ({ lockName, replaces, changed }) =>
    changed
      ? `Your stay has changed. Here is your door code (PIN) for ${lockName} for the new dates:`
      : replaces
        ? `Here is your new door code (PIN) for ${lockName}:`
        : `Here is your door code (PIN) for ${lockName}:`,
  replacement:
    'This PIN replaces the one we sent you before. The previous PIN will no longer work: please use this one.',
  changedStay: 'Please use this PIN for your stay from now on.',
  validFrom: (when) => `Valid from: ${when}`,
  validUntil: (when) => `Valid until: ${when}`,
  zoneNote: (zone) => `Times are shown in the lock's local time (${zone}).`,
  pleaseNote: 'Please note:',
  closing: 'Enter the PIN on the lock keypad. Please do not share it with anyone.',
  signOff: (brand) => `${brand}`,
  replyHint: 'Questions? Reply to this email.',
  caveats: {
    oneTimeUse24h:
      'This is a one-time code: it is valid for 24 hours from the start time and opens the door for one entry only. After it has been used once, it stops working.',
    oneTimeUseShort: 'This is a one-time code: it opens the door for one entry only.',
    firstUseWithin24h: (deadline) =>
      `Use this PIN for the first time within 24 hours of the start time, that is before ${deadline}. If it is not used by then, it stops working.`,
  },
};
