import { de } from './de';
import { en } from './en';
import { fr } from './fr';
import type { MessageTemplate } from './types';

export type { MessageTemplate } from './types';

/** One template per language; a guest's locale picks one by its language. */
export const TEMPLATES: Record<string, MessageTemplate> = { en, de, fr };
export const TEMPLATE_LANGUAGES = Object.keys(TEMPLATES);
/** The locale of a guest who was given none (DEFAULT_GUEST_LOCALE's default): the original
 *  English wording with the 24-hour clock. */
export const FALLBACK_LOCALE = 'en-GB';

/**
 * The canonical form of a BCP 47 tag whose language has a template, or a reason it is refused.
 * Refused rather than defaulted: a guest who asked for Spanish and got English would not know
 * why; the booking system does, and can send a supported locale or none.
 */
export function checkLocale(tag: string): { locale: string } | { problem: string } {
  let canonical: string;
  try {
    [canonical = ''] = Intl.getCanonicalLocales(tag);
  } catch {
    canonical = '';
  }
  if (canonical === '') {
    return { problem: `must be a BCP 47 language tag, e.g. en-US, de-DE, fr-FR` };
  }
  const language = new Intl.Locale(canonical).language;
  if (!TEMPLATES[language]) {
    return {
      problem: `no message template for language '${language}'; languages: ${TEMPLATE_LANGUAGES.join(', ')} (any region, e.g. en-US, de-CH, fr-CA), or leave locale out for the default`,
    };
  }
  return { locale: canonical };
}

export function templateFor(locale: string): MessageTemplate {
  const language = new Intl.Locale(locale).language;
  return TEMPLATES[language] ?? en;
}
