import type { MessageTemplate } from './types';

/** German. */
export const de: MessageTemplate = {
  language: 'de',
  datePattern: () => 'cccc, d. LLLL yyyy',
  subject: ({ lockName, replaces, changed, brand }) =>
    (brand ? `${brand}: ` : '') +
    (changed
      ? `Ihr Aufenthalt hat sich geändert: Ihr Türcode für ${lockName}`
      : replaces
        ? `Ihr neuer Türcode für ${lockName} (ersetzt den bisherigen)`
        : `Ihr Türcode für ${lockName}`),
  greeting: (name) => (name === '' ? 'Guten Tag,' : `Guten Tag ${name},`),
  intro: ({ lockName, replaces, changed }) =>
    changed
      ? `Ihr Aufenthalt hat sich geändert. Hier ist Ihr Türcode (PIN) für ${lockName} für die neuen Daten:`
      : replaces
        ? `hier ist Ihr neuer Türcode (PIN) für ${lockName}:`
        : `hier ist Ihr Türcode (PIN) für ${lockName}:`,
  replacement:
    'Diese PIN ersetzt die PIN, die wir Ihnen zuvor geschickt haben. Die bisherige PIN funktioniert nicht mehr: Bitte verwenden Sie diese.',
  changedStay: 'Bitte verwenden Sie ab jetzt diese PIN für Ihren Aufenthalt.',
  validFrom: (when) => `Gültig ab: ${when}`,
  validUntil: (when) => `Gültig bis: ${when}`,
  zoneNote: (zone) => `Die Zeiten sind in der Ortszeit des Schlosses angegeben (${zone}).`,
  pleaseNote: 'Bitte beachten Sie:',
  closing: 'Geben Sie die PIN am Tastenfeld des Schlosses ein. Bitte geben Sie sie nicht weiter.',
  signOff: (brand) => `${brand}`,
  replyHint: 'Fragen? Antworten Sie einfach auf diese E-Mail.',
  stay: {
    subject: ({ doors, followUp, changed, brand }) =>
      (brand ? `${brand}: ` : '') +
      (changed
        ? `Ihr Aufenthalt hat sich geändert: Ihre Türcodes (${doors} ${doors === 1 ? 'Tür' : 'Türen'})`
        : followUp
          ? `Weitere Türcodes für Ihren Aufenthalt (${doors} ${doors === 1 ? 'Tür' : 'Türen'})`
          : `Ihre Türcodes für Ihren Aufenthalt (${doors} ${doors === 1 ? 'Tür' : 'Türen'})`),
    intro: ({ doors, followUp, changed }) =>
      changed
        ? `Ihr Aufenthalt hat sich geändert. Hier ${doors === 1 ? 'ist Ihr Türcode (PIN)' : 'sind Ihre Türcodes (PINs)'} für die neuen Daten; bitte verwenden Sie ab jetzt ${doors === 1 ? 'diesen' : 'diese'}:`
        : followUp
          ? `hier ${doors === 1 ? 'ist der Türcode (PIN)' : 'sind die Türcodes (PINs)'}, die wir Ihnen bisher nicht schicken konnten:`
          : `hier ${doors === 1 ? 'ist Ihr Türcode (PIN)' : 'sind Ihre Türcodes (PINs)'} für Ihren Aufenthalt, einer pro Tür:`,
    door: (n, lockName) => `Tür ${n}: ${lockName}`,
    moreToFollow: (pending) =>
      `Weitere folgen: Der Code für ${pending === 1 ? 'eine weitere Tür ist' : `${pending} weitere Türen ist`} noch nicht bereit. Wir schicken ihn, sobald er bereit ist.`,
  },
  caveats: {
    oneTimeUse24h:
      'Dies ist ein Einmalcode: Er gilt 24 Stunden ab der Startzeit und öffnet die Tür ein einziges Mal. Nach der ersten Verwendung funktioniert er nicht mehr.',
    oneTimeUseShort: 'Dies ist ein Einmalcode: Er öffnet die Tür ein einziges Mal.',
    firstUseWithin24h: (deadline) =>
      `Verwenden Sie diese PIN zum ersten Mal innerhalb von 24 Stunden nach der Startzeit, also vor ${deadline}. Wird sie bis dahin nicht verwendet, funktioniert sie nicht mehr.`,
  },
};
