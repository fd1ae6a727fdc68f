import http from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface HttpServer {
  server: http.Server;
  port: number;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

type RequestClass = typeof http.IncomingMessage;
type ResponseClass = typeof http.ServerResponse;

/**
 * Request and response classes for `http.createServer` whose instances are born with the
 * app's own prototypes (`app.request`, `app.response`: Express's helpers, then Node's).
 *
 * Why: Express 5 runs `Object.setPrototypeOf(req, app.request)` and the same for `res` on
 * every request (`app.handle` in express/lib/application.js). Changing an object's prototype
 * throws away V8's inline caches for it and everything that touches it afterwards, the
 * largest single cost of an Express request (expressjs/express#5998). When the prototype is
 * already the one Express sets, V8 returns early and nothing changes, so Express behaves
 * exactly as before: its helpers (`res.json`, `res.status`, `req.get`, `req.ip` with `trust
 * proxy`) come from the same objects, they are simply there from the start. A sub-app mounted
 * with `app.use` still swaps and restores prototypes on its own paths, as Express does.
 *
 * `Reflect.construct` with the subclass as new.target makes Node's constructors build an
 * object whose prototype is `app.request` itself (not a class in between that Express would
 * then replace). test/integration/express-server.test.ts checks the premise: if Express ever
 * stops giving these prototypes, or calls something else per request, it fails.
 */
export function expressServerClasses(app: Express): {
  IncomingMessage: RequestClass;
  ServerResponse: ResponseClass;
} {
  function Request(socket: Socket) {
    return Reflect.construct(http.IncomingMessage, [socket], Request) as http.IncomingMessage;
  }
  Request.prototype = app.request;
  function Response(req: http.IncomingMessage, options?: object) {
    return Reflect.construct(http.ServerResponse, [req, options], Response) as http.ServerResponse;
  }
  Response.prototype = app.response;
  return {
    IncomingMessage: Request as unknown as RequestClass,
    ServerResponse: Response as unknown as ResponseClass,
  };
}

export async function listen(
  app: Express,
  opts: { port: number; host: string; keepAliveTimeoutMs: number },
): Promise<HttpServer> {
  const server = http.createServer(expressServerClasses(app), app);
  // Above the balancer's idle timeout, so it never reuses a socket we are closing.
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  server.headersTimeout = opts.keepAliveTimeoutMs + 1000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets that finish their request later go idle after this call, and
        // would hold close() open for keepAliveTimeout: sweep them until the server is closed.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
