import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `given` equals `expected`, in time that depends on neither (both are hashed first). */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

const CHALLENGES = [
  'Bearer realm="seam-offline-codes"',
  'Basic realm="seam-offline-codes", charset="UTF-8"',
];

/**
 * What happens around the check: a caller with the token spends its own budget
 * (`limitCaller`), a request without it spends the failures' budget (`limitFailures`), never
 * the other way round. `principal` names the caller for the first (e.g. `api`, `admin`).
 */
export interface TokenGuard {
  principal?: string;
  limitCaller?: RequestHandler;
  limitFailures?: RequestHandler;
  /** What the 401 says is needed, e.g. 'a valid API token'. */
  needed?: string;
}

/** Bearer token auth; browsers may send the token as the basic-auth password instead. */
export function requireToken(token: string, guard: TokenGuard = {}): RequestHandler {
  const needed = guard.needed ?? 'a valid API token';
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    let given: string | undefined;
    if (scheme?.toLowerCase() === 'bearer') given = value.trim();
    else if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      // RFC 7617: "user:password"; without the colon there is no password to compare.
      const colon = decoded.indexOf(':');
      if (colon >= 0) given = decoded.slice(colon + 1);
    }
    if (given && tokensMatch(given, token)) {
      res.locals.principal = guard.principal ?? 'api';
      if (guard.limitCaller) return guard.limitCaller(req, res, next);
      return next();
    }
    const refuse = () => {
      // Two challenges: API clients read Bearer; a browser only prompts for Basic.
      res.setHeader('WWW-Authenticate', CHALLENGES);
      sendError(res, 401, 'unauthorized', `${needed} is required (Authorization: Bearer <token>)`);
    };
    if (guard.limitFailures) return guard.limitFailures(req, res, refuse);
    refuse();
  };
}
