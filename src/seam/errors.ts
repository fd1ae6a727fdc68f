import { isSeamHttpApiError } from '@seamapi/http/connect';
import { isAxiosError } from 'axios';

/**
 * How a failed Seam call should be treated. The distinction that matters most is
 * `outcome_unknown`: a create that timed out or lost its connection may have made a code, so
 * the next try must look for it before creating again.
 */
export type SeamFailureKind = 'transient' | 'outcome_unknown' | 'permanent' | 'not_found';

export interface SeamFailure {
  kind: SeamFailureKind;
  code: string;
  message: string;
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
}

/** Raised by our adapter for a 429, because the Seam client's error drops the headers. */
export class SeamRateLimitedError extends Error {
  constructor(
    readonly retryAfterMs: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super('Seam rate limit reached (429)');
    this.name = 'SeamRateLimitedError';
  }
}

export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const TRANSIENT_NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH']);

export function classifySeamError(err: unknown): SeamFailure {
  if (err instanceof SeamRateLimitedError) {
    return {
      kind: 'transient',
      code: 'rate_limited',
      message: err.message,
      status: 429,
      requestId: err.requestId,
      retryAfterMs: err.retryAfterMs,
    };
  }
  if (isSeamHttpApiError(err)) {
    const base = {
      code: err.code,
      message: err.message,
      status: err.statusCode,
      requestId: err.requestId,
    };
    if (err.statusCode === 404 || err.code.endsWith('_not_found'))
      return { kind: 'not_found', ...base };
    if (err.statusCode >= 500) return { kind: 'outcome_unknown', ...base };
    if (err.statusCode === 408) return { kind: 'outcome_unknown', ...base };
    return { kind: 'permanent', ...base };
  }
  if (isAxiosError(err)) {
    const status = err.response?.status;
    const requestId = err.response?.headers?.['seam-request-id'] as string | undefined;
    if (status === undefined) {
      // No answer at all. A refused connection never reached Seam; anything else (reset,
      // timeout, dropped socket) may have, after the request was stored.
      const cause = (err.cause as { code?: string } | undefined)?.code ?? err.code ?? '';
      const kind = TRANSIENT_NETWORK.has(cause) ? 'transient' : 'outcome_unknown';
      return {
        kind,
        code: 'network_error',
        message: `no answer from Seam (${cause || err.code || 'unknown'})`,
      };
    }
    if (status === 404)
      return { kind: 'not_found', code: 'not_found', message: 'not found', status, requestId };
    if (status >= 500 || status === 408) {
      return {
        kind: 'outcome_unknown',
        code: `http_${status}`,
        message: `Seam answered ${status}`,
        status,
        requestId,
      };
    }
    return {
      kind: 'permanent',
      code: `http_${status}`,
      message: `Seam answered ${status}`,
      status,
      requestId,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'outcome_unknown', code: 'unexpected', message };
}
