import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface HttpServer {
  server: http.Server;
  port: number;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

export async function listen(
  app: Express,
  opts: { port: number; host: string; keepAliveTimeoutMs: number },
): Promise<HttpServer> {
  const server = http.createServer(app);
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
