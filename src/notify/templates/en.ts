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
  stay: {
    subject: ({ doors, followUp, changed, brand }) =>
      (brand ? `${brand}: ` : '') +
      (changed
        ? `Your stay has changed: your door codes (${doors} ${doors === 1 ? 'door' : 'doors'})`
        : followUp
          ? `More door codes for your stay (${doors} ${doors === 1 ? 'door' : 'doors'})`
          : `Your door codes for your stay (${doors} ${doors === 1 ? 'door' : 'doors'})`),
    intro: ({ doors, followUp, changed }) =>
      changed
        ? `Your stay has changed. Here ${doors === 1 ? 'is your door code (PIN)' : 'are your door codes (PINs)'} for the new dates; please use ${doors === 1 ? 'it' : 'them'} from now on:`
        : followUp
          ? `Here ${doors === 1 ? 'is the door code (PIN)' : 'are the door codes (PINs)'} we could not send you before:`
          : `Here ${doors === 1 ? 'is your door code (PIN)' : 'are your door codes (PINs)'} for your stay, one per door:`,
    door: (n, lockName) => `Door ${n}: ${lockName}`,
    moreToFollow: (pending) =>
      `More to follow: the code for ${pending} more ${pending === 1 ? 'door is' : 'doors are'} not ready yet. We will send ${pending === 1 ? 'it' : 'them'} as soon as ${pending === 1 ? 'it is' : 'they are'} ready.`,
  },
  caveats: {
    oneTimeUse24h:
      'This is a one-time code: it is valid for 24 hours from the start time and opens the door for one entry only. After it has been used once, it stops working.',
    oneTimeUseShort: 'This is a one-time code: it opens the door for one entry only.',
    firstUseWithin24h: (deadline) =>
      `Use this PIN for the first time within 24 hours of the start time, that is before ${deadline}. If it is not used by then, it stops working.`,
  },
};
