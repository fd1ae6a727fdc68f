import { finished } from 'node:stream';
import express, { type RequestHandler } from 'express';

interface BodyError extends Error {
  status: number;
  type: string;
  expose: boolean;
}

function bodyError(status: number, type: string, message: string): BodyError {
  return Object.assign(new Error(message), { status, type, expose: true });
}

/**
 * Reads the request body into `req.body` as one Buffer, refusing more than `limitBytes`:
 * what `express.raw({ type: () => true, limit })` does for a body sent as is, without its
 * content-type and charset parsing and its stream plumbing on every request.
 *
 * Same answers as express.raw: a body declared or found larger than the limit is a 413
 * (`entity.too.large`) raised before anything else looks at it, and nothing past the limit is
 * buffered; a request cut short is a 400 (`request.aborted`). As body-parser does, the rest of
 * a refused body is read off and dropped before the error goes on, so the answer reaches a
 * client that is still sending. A body with a Content-Encoding (gzip, deflate, br: inflated,
 * with the limit on the inflated size; anything else: 415) goes to express.raw itself: Seam
 * never compresses, so that path only has to be right, not fast.
 */
export function rawBody(limitBytes: number): RequestHandler {
  const encoded = express.raw({ type: () => true, limit: limitBytes });
  return (req, res, next) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      encoded(req, res, next);
      return;
    }
    const refuse = (err: BodyError) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('aborted', onAborted);
      req.removeListener('error', onError);
      if (req.readableEnded || req.destroyed) next(err);
      else {
        finished(req, () => next(err));
        req.resume();
      }
    };
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limitBytes) {
      refuse(bodyError(413, 'entity.too.large', 'request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        refuse(bodyError(413, 'entity.too.large', 'request entity too large'));
      } else chunks.push(chunk);
    }
    function onEnd() {
      req.removeListener('aborted', onAborted);
      req.removeListener('error', onError);
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      next();
    }
    function onAborted() {
      refuse(bodyError(400, 'request.aborted', 'request aborted'));
    }
    function onError(err: Error) {
      refuse(bodyError(400, 'request.error', err.message));
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    req.once('error', onError);
  };
}
