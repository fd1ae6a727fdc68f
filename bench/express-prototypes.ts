/**
 * `npx tsx bench/express-prototypes.ts`: the server fix (src/http/server.ts) alone, without
 * sockets or a load generator: an Express app with the service's middleware shape (a request
 * log, the webhook router, a 404) handles N fabricated POST /webhooks/seam requests, made
 * once by Node's own classes (Express then changes their prototypes) and once by the classes
 * the service's server uses. Prints CPU microseconds and bytes allocated per request, for
 * alternating runs of each.
 */
import http from 'node:http';
import { Socket } from 'node:net';
import v8 from 'node:v8';
import express from 'express';
import { expressServerClasses } from '../src/http/server';

const N = Number(process.env.N ?? 100_000);
const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  res.setHeader('x-request-id', String(req.headers['x-request-id'] ?? 'id'));
  next();
});
const router = express.Router();
router.post('/webhooks/seam', (req, res) => {
  res.statusCode = req.get('content-type') ? 200 : 400;
  (res as unknown as { finished: boolean }).finished = true;
});
app.use(router);
app.use((_req, res) => {
  res.statusCode = 404;
});

const tuned = expressServerClasses(app);
// Express's own entry point for a request (what the server's 'request' listener calls).
const handle = (
  app as unknown as { handle(req: unknown, res: unknown, next: () => void): void }
).handle.bind(app);
const socket = new Socket();

function run(Req: typeof http.IncomingMessage, Res: typeof http.ServerResponse): [number, number] {
  const profiler = new v8.GCProfiler();
  const start = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const req = new Req(socket);
    req.method = 'POST';
    req.url = '/webhooks/seam';
    req.headers = { 'content-type': 'application/json', 'x-request-id': `r${i}` };
    const res = new Res(req);
    handle(req, res, () => undefined);
  }
  const cpu = process.cpuUsage(cpu0);
  const end = v8.getHeapStatistics().used_heap_size;
  let total = 0;
  let lastAfter = start;
  for (const s of profiler.stop()?.statistics ?? []) {
    total += s.beforeGC.heapStatistics.usedHeapSize - lastAfter;
    lastAfter = s.afterGC.heapStatistics.usedHeapSize;
  }
  return [(cpu.user + cpu.system) / N, (total + end - lastAfter) / N];
}

for (let round = 0; round < 6; round++) {
  for (const [name, Req, Res] of [
    ['stock', http.IncomingMessage, http.ServerResponse],
    ['fixed', tuned.IncomingMessage, tuned.ServerResponse],
  ] as const) {
    const [us, bytes] = run(Req, Res);
    console.log(`${round} ${name}: ${us.toFixed(2)} us CPU, ${Math.round(bytes)} B per request`);
  }
}
