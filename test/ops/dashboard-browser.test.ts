/**
 * The queue dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core)
 * logs in with basic auth (the dashboard's own token as the password; the booking system's API
 * token does not open it), sees the five queues and a failed job, cannot be framed by another
 * site, and leaves screenshots in test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { QUEUES } from '../../src/queues/catalog';
import { ADMIN_TOKEN, API_TOKEN, startStack, type Stack } from '../helpers/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', '..', 'test-output');

describe('queue dashboard in a browser', () => {
  let s: Stack;
  let browser: Browser;

  beforeAll(async () => {
    // CI installs Chromium; a missing browser is a broken environment, not a reason to skip.
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(OUTPUT, { recursive: true });
    s = await startStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('asks a browser for credentials and refuses a wrong password', async () => {
    // Headless Chromium cannot show the login prompt the Basic challenge asks for: with no
    // credentials to give, the navigation ends with an auth error instead of a page.
    const anonymous = await browser.newContext();
    try {
      await expect((await anonymous.newPage()).goto(`${s.url}/admin/queues`)).rejects.toThrow(
        /ERR_INVALID_AUTH_CREDENTIALS/,
      );
    } finally {
      await anonymous.close();
    }
    // A wrong password, and the booking system's API token: neither opens the dashboard.
    for (const password of ['wrong-token-0123456789', API_TOKEN]) {
      const wrong = await browser.newContext({ httpCredentials: { username: 'ops', password } });
      try {
        const page = await wrong.newPage();
        const res = await page.goto(`${s.url}/admin/queues`);
        expect(res?.status()).toBe(401);
        expect(await page.textContent('body')).toContain('unauthorized');
      } finally {
        await wrong.close();
      }
    }
  }, 30_000);

  it('refuses to be shown in a frame of another site, even to a logged-in operator', async () => {
    // Another origin (another port) that frames the dashboard, as a clickjacking page would.
    const board = `${s.url}/admin/queues`;
    const framing: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>evil</title><iframe id="f" src="${board}"></iframe>`);
    });
    await new Promise<void>((resolve) => framing.listen(0, '127.0.0.1', resolve));
    const port = (framing.address() as { port: number }).port;
    const context = await browser.newContext({
      httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
    });
    try {
      const page = await context.newPage();
      // The operator is logged in (the browser keeps the credentials for the dashboard's origin).
      expect((await page.goto(board))?.status()).toBe(200);
      const answered = page.waitForResponse((r) => r.url() === board);
      await page.goto(`http://127.0.0.1:${port}/`);
      // The dashboard did answer (the login worked)...
      expect((await answered).status()).toBe(200);
      await page.waitForTimeout(500);
      // ...but the browser did not render it inside the other site's page.
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const rendered = frame ? await frame.content().catch(() => '') : '';
      expect(rendered).not.toContain('seam-offline-codes');
    } finally {
      await context.close();
      await new Promise((resolve) => framing.close(resolve));
    }
  }, 30_000);

  it('logs in with the token as the basic-auth password and shows the five queues', async () => {
    // One failed job, so the board has something to show besides empty queues.
    const conn = new Redis(s.config.REDIS_URL, { maxRetriesPerRequest: null });
    const notify = new Queue(QUEUES.notify, { connection: conn, prefix: s.config.QUEUE_PREFIX });
    const failed = await notify.add('alert', { kind: 'not-a-notify-job' }, { attempts: 1 });
    await notify.close();
    conn.disconnect();

    const context = await browser.newContext({
      httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      viewport: { width: 1400, height: 900 },
    });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${s.url}/admin/queues`);
      expect(res?.status()).toBe(200);
      for (const name of Object.values(QUEUES)) {
        await page.getByText(name, { exact: true }).first().waitFor({ state: 'visible' });
      }
      expect(await page.title()).toContain('seam-offline-codes');
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });

      // The failed job, where ops would inspect and retry it.
      await page.goto(`${s.url}/admin/queues/queue/${QUEUES.notify}?status=failed`);
      await page.getByText(`#${failed.id}`).first().waitFor({ state: 'visible' });
      await page.getByRole('button', { name: /retry/i }).first().waitFor({ state: 'visible' });
      await page.screenshot({ path: join(OUTPUT, 'dashboard-failed.png'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(existsSync(join(OUTPUT, 'dashboard.png'))).toBe(true);
  }, 60_000);
});
