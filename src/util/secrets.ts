/**
 * Rules for the secrets the service is configured with. A secret that anyone could guess, or
 * the placeholder from `.env.example`, must stop the process at start-up rather than guard a
 * port that compose publishes.
 */

/** Svix signing secrets are `whsec_` + base64 of 24 random bytes; fewer is refused. */
export const MIN_WEBHOOK_SECRET_BYTES = 24;
/** Bearer tokens: at least this many characters. */
export const MIN_TOKEN_LENGTH = 32;
/** A secret drawn at random uses many symbols; one that repeats a few is typed by hand. */
const MIN_DISTINCT_SYMBOLS = 8;

/** Words that mark a value as a placeholder someone forgot to replace. */
const PLACEHOLDER = /replace|change[-_ ]?me|placeholder|your[-_ ]?(secret|token|key)/i;

/**
 * Canonical standard base64 (RFC 4648 §4): whole quanta, padding only at the end. svix decodes
 * with @stablelib/base64, which refuses `=` in the middle, a string shorter than 4 characters and
 * any character outside the alphabet; this is that rule, made strict about the length as well,
 * so a secret that svix would read differently from node:crypto never gets in.
 */
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type SecretCheck = { ok: true; key: Buffer } | { ok: false; problem: string };

/** Decodes a `whsec_<base64>` secret strictly, as svix does, and refuses weak or placeholder ones. */
export function checkWebhookSecret(secret: string): SecretCheck {
  if (!secret.startsWith('whsec_')) {
    return { ok: false, problem: 'must be a Svix secret: whsec_ followed by base64' };
  }
  const encoded = secret.slice('whsec_'.length);
  if (!CANONICAL_BASE64.test(encoded)) {
    return {
      ok: false,
      problem: 'must be whsec_ followed by valid base64 (A-Z a-z 0-9 + /, = only at the end)',
    };
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_WEBHOOK_SECRET_BYTES) {
    return {
      ok: false,
      problem: `decodes to ${key.length} bytes; a Svix secret has at least ${MIN_WEBHOOK_SECRET_BYTES}`,
    };
  }
  if (PLACEHOLDER.test(key.toString('latin1')) || PLACEHOLDER.test(encoded)) {
    return { ok: false, problem: 'is the placeholder from .env.example; use the real secret' };
  }
  if (new Set(key).size < MIN_DISTINCT_SYMBOLS) {
    return { ok: false, problem: 'is too regular to be a random secret' };
  }
  return { ok: true, key };
}

/** The problem with a bearer token, or undefined when it is long and random enough. */
export function tokenProblem(token: string): string | undefined {
  if (PLACEHOLDER.test(token)) return 'is a placeholder; generate one (openssl rand -hex 32)';
  if (token.length < MIN_TOKEN_LENGTH) {
    return `must be at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 32)`;
  }
  if (new Set(token).size < MIN_DISTINCT_SYMBOLS) {
    return 'is too regular to be a random token (openssl rand -hex 32)';
  }
  return undefined;
}

/** The problem with a Seam API key, or undefined (only the placeholder is refused). */
export function apiKeyProblem(key: string): string | undefined {
  return PLACEHOLDER.test(key) ? 'is the placeholder from .env.example' : undefined;
}
