/**
 * Baseline 3, the true ceiling for an Express ingress: the hello-world of hello.ts served
 * with the service's own server fix (requests and responses born with Express's prototypes,
 * src/http/server.ts), so the only difference from the service is the work it does.
 */
import http from 'node:http';
import express from 'express';
import { expressServerClasses } from '../../src/http/server';

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
app.post('/webhooks/seam', (_req, res) => {
  res.status(204).end();
});
http
  .createServer(expressServerClasses(app), app)
  .listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
