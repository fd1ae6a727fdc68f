/**
 * Baseline 2, the handler most people would write: svix's own `verify`, then one BullMQ `add`
 * per request (the svix-id as job id), answered once the add resolves.
 */
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { Webhook } from 'svix';

const wh = new Webhook(process.env.SEAM_WEBHOOK_SECRET ?? '');
const queue = new Queue('seam-events', {
  connection: new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null }),
  prefix: process.env.QUEUE_PREFIX ?? 'plain',
});

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
app.post('/webhooks/seam', express.raw({ type: '*/*' }), async (req, res) => {
  let event: { event_type: string };
  try {
    wh.verify(req.body as Buffer, req.headers as Record<string, string>);
    event = JSON.parse((req.body as Buffer).toString('utf8')) as typeof event;
  } catch {
    res.status(401).end();
    return;
  }
  try {
    await queue.add(event.event_type, event, { jobId: String(req.headers['svix-id']) });
    res.status(200).json({ ok: true });
  } catch {
    res.status(503).end();
  }
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
