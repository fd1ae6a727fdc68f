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

/** Bearer token auth; browsers may send the token as the basic-auth password instead. */
export function requireToken(token: string): RequestHandler {
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
    if (given && tokensMatch(given, token)) return next();
    // Two challenges: API clients read Bearer; a browser only prompts for Basic.
    res.setHeader('WWW-Authenticate', CHALLENGES);
    sendError(
      res,
      401,
      'unauthorized',
      'a valid API token is required (Authorization: Bearer <token>)',
    );
  };
}
