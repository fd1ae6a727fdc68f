/**
 * The words of a guest's message in one language. Dates and times are formatted by the caller
 * with Intl (through luxon) in the guest's full locale, so the clock (12 or 24 hours) is the
 * locale's own; a template only says in which order a date reads and what the sentences are.
 */
export interface MessageTemplate {
  /** The language this template is written in (BCP 47 primary subtag). */
  language: string;
  /** A luxon format for the date part (localized names), for this locale of the language. */
  datePattern(locale: string): string;
  /** `changed`: a code for a changed stay (new dates); `replaces`: a code that replaced a failed one. */
  subject(p: { lockName: string; replaces: boolean; changed?: boolean; brand?: string }): string;
  greeting(guestName: string): string;
  intro(p: { lockName: string; replaces: boolean; changed?: boolean }): string;
  replacement: string;
  /** For a changed stay. It never says the previous PIN stopped working: an offline code
   *  cannot be revoked, it stays valid until its own end. */
  changedStay: string;
  validFrom(when: string): string;
  validUntil(when: string): string;
  zoneNote(zone: string): string;
  pleaseNote: string;
  closing: string;
  /** The last line when the operator named a brand (BRAND_NAME). */
  signOff(brand: string): string;
  /** When the operator gave a reply-to address (MAIL_REPLY_TO). */
  replyHint: string;
  /** A stay with several doors: one message lists every door told in it. */
  stay: {
    /** `followUp`: a later message with doors that were not ready for the first one. */
    /** `changed`: the stay changed (PATCH): new codes for the new dates; the previous PINs
     *  are never said to stop working (offline codes cannot be revoked). */
    subject(p: { doors: number; followUp: boolean; changed?: boolean; brand?: string }): string;
    intro(p: { doors: number; followUp: boolean; changed?: boolean }): string;
    /** The heading of one door: its number and the lock's name. */
    door(n: number, lockName: string): string;
    /** Some doors are not ready yet: their codes come in a further message. */
    moreToFollow(pending: number): string;
  };
  caveats: {
    oneTimeUse24h: string;
    oneTimeUseShort: string;
    firstUseWithin24h(deadline: string): string;
  };
}
