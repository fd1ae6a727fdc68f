/**
 * The HTTP server hands Express requests and responses that already carry the app's
 * prototypes (src/http/server.ts), so Express's per-request `Object.setPrototypeOf` changes
 * nothing. These tests hold that premise and everything the service relies on from Express
 * on top of it, over real HTTP: if an Express upgrade changed how it builds requests, they fail.
 */
import type http from 'node:http';
import net from 'node:net';
import express, { Router } from 'express';
import { createHttpApp } from '../../src/http/app';
import { rawBody } from '../../src/http/raw-body';
import { listen, type HttpServer } from '../../src/http/server';
import { LogSink } from '../helpers/service';

interface Started {
  server: HttpServer;
  url: string;
  logs: LogSink;
  /** Prototypes of the objects as the HTTP server made them, before Express saw them. */
  born: { req: boolean; res: boolean }[];
  app: express.Express;
}

async function start(router: Router, trustProxy: unknown = false): Promise<Started> {
  const logs = new LogSink();
  const app = createHttpApp(logs.logger, [router]);
  app.set('trust proxy', trustProxy);
  const server = await listen(app, { port: 0, host: '127.0.0.1', keepAliveTimeoutMs: 5000 });
  const born: Started['born'] = [];
  server.server.prependListener(
    'request',
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      born.push({
        req: Object.getPrototypeOf(req) === app.request,
        res: Object.getPrototypeOf(res) === app.response,
      });
    },
  );
  return { server, url: `http://127.0.0.1:${server.port}`, logs, born, app };
}

describe('the HTTP server gives Express its own request and response prototypes', () => {
  let s: Started;
  const seen: { reqProto: boolean; resProto: boolean; app: boolean }[] = [];

  beforeAll(async () => {
    const router = Router();
    router.get('/helpers', (req, res) => {
      seen.push({
        reqProto: Object.getPrototypeOf(req) === s.app.request,
        resProto: Object.getPrototypeOf(res) === s.app.response,
        app: req.app === s.app && res.app === s.app,
      });
      res
        .status(201)
        .set('x-echo', req.get('x-hello') ?? 'none')
        .json({ ip: req.ip, path: req.path, query: req.query, host: req.hostname });
    });
    router.post('/json', express.json({ limit: 100 }), (req, res) => {
      res.status(200).json({ got: req.body as unknown });
    });
    router.get('/throws', () => {
      throw new Error('sync failure');
    });
    router.get('/rejects', async () => {
      await Promise.resolve();
      throw new Error('async failure');
    });
    router.get('/log', (req, res) => {
      req.log.info({ marker: 'handler line' }, 'from the handler');
      res.sendStatus(204);
    });
    s = await start(router);
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('requests and responses are born with the prototypes Express sets, so it changes nothing', async () => {
    const res = await fetch(`${s.url}/helpers`);
    expect(res.status).toBe(201);
    expect(s.born.at(-1)).toEqual({ req: true, res: true });
    expect(seen.at(-1)).toEqual({ reqProto: true, resProto: true, app: true });
  });

  it('request and response helpers work: status, set, json, get, path, query, hostname, ip', async () => {
    const res = await fetch(`${s.url}/helpers?a=1&b=two`, {
      headers: { 'x-hello': 'world', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('world');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // No trusted proxy: X-Forwarded-For is ignored, the client is the socket's peer.
    expect(await res.json()).toEqual({
      ip: '127.0.0.1',
      path: '/helpers',
      query: { a: '1', b: 'two' },
      host: '127.0.0.1',
    });
  });

  it('body parsers work on these requests, and their errors keep their 4xx', async () => {
    const ok = await fetch(`${s.url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await ok.json()).toEqual({ got: { a: 1 } });
    const broken = await fetch(`${s.url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      error: { code: 'entity_parse_failed', message: 'request could not be read', details: [] },
    });
    const big = await fetch(`${s.url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(200) }),
    });
    expect(big.status).toBe(413);
  });

  it('errors thrown or rejected in a handler reach the error handler: 500, logged as type and message', async () => {
    for (const path of ['/throws', '/rejects']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: { code: 'internal', message: 'internal error', details: [] },
      });
    }
    expect(s.logs.text()).toContain('sync failure');
    expect(s.logs.text()).toContain('async failure');
    const missing = await fetch(`${s.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'no such endpoint', details: [] },
    });
  });

  it('req.log is bound to the request id, and each request logs one line when it ends', async () => {
    const res = await fetch(`${s.url}/log`, { headers: { 'x-request-id': 'given-id-1' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-request-id')).toBe('given-id-1');
    await new Promise((r) => setTimeout(r, 20));
    const lines = s.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const handler = lines.filter((l) => l.marker === 'handler line');
    expect(handler).toHaveLength(1);
    expect(handler[0]!.reqId).toBe('given-id-1');
    const completed = lines.filter(
      (l) => (l.req as { id?: string } | undefined)?.id === 'given-id-1',
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]!.msg).toBe('request completed');
  });
});

describe('req.ip under trust proxy (TRUST_PROXY)', () => {
  it('names the forwarded client only when the proxy is trusted', async () => {
    const router = Router();
    router.get('/ip', (req, res) => {
      res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol });
    });
    const trusted = await start(router, 'loopback');
    try {
      const res = await fetch(`${trusted.url}/ip`, {
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
      expect(await res.json()).toEqual({
        ip: '203.0.113.9',
        ips: ['203.0.113.9'],
        protocol: 'https',
      });
      expect(trusted.born.at(-1)).toEqual({ req: true, res: true });
    } finally {
      await trusted.server.close();
    }
    const untrusted = await start(router, false);
    try {
      const res = await fetch(`${untrusted.url}/ip`, {
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
      expect(await res.json()).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http' });
    } finally {
      await untrusted.server.close();
    }
  });
});

describe('the webhook body reader (rawBody)', () => {
  let s: Started;
  beforeAll(async () => {
    const router = Router();
    router.post('/raw', rawBody(100), (req, res) => {
      const body = req.body as Buffer;
      res.json({ bytes: body.length, text: body.toString('utf8') });
    });
    s = await start(router);
  });
  afterAll(async () => {
    await s.server.close();
  });

  const raw = (request: string, thenClose = false) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(s.server.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
      socket.write(request, () => {
        if (thenClose) socket.destroy();
      });
    });

  it('reads a body up to the limit, sized or chunked, and an empty one', async () => {
    const sized = await fetch(`${s.url}/raw`, { method: 'POST', body: 'x'.repeat(100) });
    expect(await sized.json()).toEqual({ bytes: 100, text: 'x'.repeat(100) });
    const chunked = await raw(
      'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
    );
    expect(chunked).toMatch(/^HTTP\/1.1 200/);
    expect(chunked).toContain('{"bytes":7,"text":"abcdefg"}');
    const empty = await fetch(`${s.url}/raw`, { method: 'POST' });
    expect(await empty.json()).toEqual({ bytes: 0, text: '' });
  });

  it('413 for a body declared or streamed past the limit', async () => {
    const declared = await fetch(`${s.url}/raw`, { method: 'POST', body: 'x'.repeat(101) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      error: {
        code: 'body_too_large',
        message: 'request body exceeds the size limit',
        details: [],
      },
    });
    const streamed = await raw(
      'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        `64\r\n${'a'.repeat(100)}\r\n1\r\nb\r\n0\r\n\r\n`,
    );
    expect(streamed).toMatch(/^HTTP\/1.1 413/);
  });

  it('a request cut short mid-body: logged as aborted, and the server answers the next one', async () => {
    await raw('POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 90\r\n\r\nonly ten b', true);
    const next = await fetch(`${s.url}/raw`, { method: 'POST', body: 'fine' });
    expect(await next.json()).toEqual({ bytes: 4, text: 'fine' });
    await new Promise((r) => setTimeout(r, 50));
    const lines = s.logs.lines.map((l) => JSON.parse(l) as { msg?: string; level?: number });
    expect(lines.filter((l) => l.msg === 'request aborted')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'unhandled error')).toHaveLength(0);
  });
});
