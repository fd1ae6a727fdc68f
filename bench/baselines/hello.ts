/**
 * Baseline 1, the ceiling for an Express ingress: express 5 answering 204 to every delivery,
 * without reading, verifying or storing it.
 */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
app.post('/webhooks/seam', (_req, res) => {
  res.status(204).end();
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
