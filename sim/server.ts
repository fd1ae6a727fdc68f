/**
 * The simulator's HTTP front on 127.0.0.1: counts requests per endpoint, adds latency, injects
 * the create faults (429 / 5xx / dropped connection after storing), answers the overridden
 * Seam routes and the /_sim control routes, and proxies everything else to the fake's server.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Database } from '@seamapi/fake-seam-connect';
import { authenticate, errorResponse, type ApiResponse, type RouteHandler } from './api';
import type { CreateError, FaultState } from './faults';

export type ControlHandler = (method: string, path: string, body: unknown) => ApiResponse;

export interface FrontServerOptions {
  host: string;
  port: number;
  /** Where the fake listens, e.g. http://127.0.0.1:41234 */
  fakeUrl: string;
  db: Database;
  routes: Record<string, RouteHandler>;
  faults: FaultState;
  control: ControlHandler;
}

export interface FrontServer {
  url: string;
  requestCounts(): Record<string, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

const CREATE = '/access_codes/create';

export async function startFrontServer(opts: FrontServerOptions): Promise<FrontServer> {
  const counts = new Map<string, number>();
  const fake = new URL(opts.fakeUrl);

  const send = (res: http.ServerResponse, response: ApiResponse): void => {
    const body = JSON.stringify(response.body);
    res.writeHead(response.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'seam-request-id': `request_${randomUUID()}`,
      ...response.headers,
    });
    res.end(body);
  };

  const proxy = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void => {
    const upstream = http.request(
      {
        host: fake.hostname,
        port: fake.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: fake.host, 'content-length': body.length },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) =>
      send(res, errorResponse(502, 'simulator_proxy_error', `fake unreachable: ${err.message}`)),
    );
    upstream.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let params: unknown;
    try {
      params = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : queryParams(url.searchParams);
    } catch {
      send(res, errorResponse(400, 'invalid_input', 'Request body is not valid JSON'));
      return;
    }

    if (url.pathname.startsWith('/_sim/')) {
      send(res, opts.control(method, url.pathname, params));
      return;
    }

    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    const deviceId = (params as { device_id?: unknown } | null)?.device_id;
    const latency = opts.faults.latencyMs(typeof deviceId === 'string' ? deviceId : undefined);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));

    const route = opts.routes[url.pathname];
    if (!route) {
      // Request faults apply to the fake's own routes too (e.g. /devices/list).
      const fault = opts.faults.takeRequestError(url.pathname);
      if (fault) send(res, createErrorResponse(fault));
      else proxy(req, raw, res);
      return;
    }
    const workspaceId = authenticate(opts.db, req.headers.authorization);
    if (typeof workspaceId !== 'string') {
      send(res, workspaceId);
      return;
    }
    if (url.pathname !== CREATE) {
      const fault = opts.faults.takeRequestError(url.pathname);
      send(res, fault ? createErrorResponse(fault) : route(params, workspaceId));
      return;
    }

    const before = opts.faults.takeCreateError('before');
    if (before) {
      send(res, createErrorResponse(before));
      return;
    }
    const result = route(params, workspaceId);
    if (result.status === 200) {
      const after = opts.faults.takeCreateError('after');
      if (after) {
        send(res, createErrorResponse(after));
        return;
      }
      // The code is stored and the answer never comes: the caller's timeout fires.
      if (opts.faults.takeHangCreate()) return;
      if (opts.faults.takeDropCreate()) {
        // The code is stored; the caller gets a connection error and must look for it.
        req.socket.destroy();
        return;
      }
    }
    send(res, result);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) send(res, errorResponse(500, 'internal_server_error', message));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host}:${port}`,
    requestCounts: () => Object.fromEntries(counts),
    resetCounts: () => counts.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function createErrorResponse(fault: CreateError): ApiResponse {
  if (fault.status === 429) {
    return {
      ...errorResponse(429, 'rate_limit_exceeded', 'Too many requests, retry later'),
      headers: { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
    };
  }
  const response = errorResponse(
    fault.status,
    'internal_server_error',
    `Simulated HTTP ${fault.status}`,
  );
  return fault.retryAfterSeconds === undefined
    ? response
    : { ...response, headers: { 'retry-after': String(fault.retryAfterSeconds) } };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads a GET's parameters as @seamapi/http 2.x sends them (its url-search-params-serializer):
 *  an array is the same key repeated, so a key seen twice becomes an array. */
function queryParams(search: URLSearchParams): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    params[key] = values.length > 1 ? values : (values[0] ?? '');
  }
  return params;
}
