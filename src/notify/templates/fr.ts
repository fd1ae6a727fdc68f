import type { MessageTemplate } from './types';

/** French. */
export const fr: MessageTemplate = {
  language: 'fr',
  datePattern: () => 'cccc d LLLL yyyy',
  subject: ({ lockName, replaces, changed, brand }) =>
    (brand ? `${brand} : ` : '') +
    (changed
      ? `Votre séjour a changé : votre code de porte pour ${lockName}`
      : replaces
        ? `Votre nouveau code de porte pour ${lockName} (remplace le précédent)`
        : `Votre code de porte pour ${lockName}`),
  greeting: (name) => (name === '' ? 'Bonjour,' : `Bonjour ${name},`),
  intro: ({ lockName, replaces, changed }) =>
    changed
      ? `Votre séjour a changé. Voici votre code de porte (PIN) pour ${lockName} pour les nouvelles dates :`
      : replaces
        ? `Voici votre nouveau code de porte (PIN) pour ${lockName} :`
        : `Voici votre code de porte (PIN) pour ${lockName} :`,
  replacement:
    'Ce code remplace celui que nous vous avons envoyé auparavant. L’ancien code ne fonctionnera plus : veuillez utiliser celui-ci.',
  changedStay: 'Veuillez désormais utiliser ce code pour votre séjour.',
  validFrom: (when) => `Valable à partir du : ${when}`,
  validUntil: (when) => `Valable jusqu’au : ${when}`,
  zoneNote: (zone) => `Les heures sont indiquées à l’heure locale de la serrure (${zone}).`,
  pleaseNote: 'À noter :',
  closing: 'Saisissez le code sur le clavier de la serrure. Ne le communiquez à personne.',
  signOff: (brand) => `${brand}`,
  replyHint: 'Des questions ? Répondez simplement à cet e-mail.',
  stay: {
    subject: ({ doors, followUp, changed, brand }) =>
      (brand ? `${brand} : ` : '') +
      (changed
        ? `Votre séjour a changé : vos codes d’accès (${doors} ${doors === 1 ? 'porte' : 'portes'})`
        : followUp
          ? `D’autres codes d’accès pour votre séjour (${doors} ${doors === 1 ? 'porte' : 'portes'})`
          : `Vos codes d’accès pour votre séjour (${doors} ${doors === 1 ? 'porte' : 'portes'})`),
    intro: ({ doors, followUp, changed }) =>
      changed
        ? `votre séjour a changé. Voici ${doors === 1 ? 'votre code d’accès (PIN)' : 'vos codes d’accès (PIN)'} pour les nouvelles dates ; merci de ${doors === 1 ? 'l’utiliser' : 'les utiliser'} désormais :`
        : followUp
          ? `voici ${doors === 1 ? 'le code d’accès (PIN)' : 'les codes d’accès (PIN)'} que nous n’avions pas encore pu vous envoyer :`
          : `voici ${doors === 1 ? 'votre code d’accès (PIN)' : 'vos codes d’accès (PIN)'} pour votre séjour, un par porte :`,
    door: (n, lockName) => `Porte ${n} : ${lockName}`,
    moreToFollow: (pending) =>
      `D’autres codes suivront : le code ${pending === 1 ? 'd’une autre porte n’est' : `de ${pending} autres portes n’est`} pas encore prêt. Nous vous l’enverrons dès qu’il sera prêt.`,
  },
  caveats: {
    oneTimeUse24h:
      'Ce code est à usage unique : il est valable 24 heures à partir de l’heure de début et n’ouvre la porte qu’une seule fois. Après une utilisation, il ne fonctionne plus.',
    oneTimeUseShort: 'Ce code est à usage unique : il n’ouvre la porte qu’une seule fois.',
    firstUseWithin24h: (deadline) =>
      `Utilisez ce code pour la première fois dans les 24 heures suivant l’heure de début, c’est-à-dire avant le ${deadline}. S’il n’est pas utilisé d’ici là, il ne fonctionnera plus.`,
  },
};
