/**
 * PINs and guest contacts never travel in cleartext to another machine: an http://
 * NOTIFY_WEBHOOK_URL is refused at start-up unless its host is a loopback address (a sidecar,
 * the demo, the tests) or NOTIFY_ALLOW_CLEARTEXT=true says so; the webhook sender refuses the
 * same; smtp:// requires STARTTLS on any host that is not loopback (the sender's default; the
 * enforcement itself is in test/notify/email.test.ts against a real SMTP server).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config';
import { createWebhookSender } from '../../src/notify/outbound-webhook';
import { isLoopbackHost } from '../../src/util/loopback';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;

describe('loopback hosts', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'localhost.',
    '127.0.0.1',
    '127.255.3.9',
    '[::1]',
    '::1',
    '0:0:0:0:0:0:0:1',
    '[::ffff:127.0.0.1]',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    'mail.example.com',
    'localhost.example.com',
    'mylocalhost',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '10.0.0.1',
    '192.0.2.2',
    '0.0.0.0',
    '[::]',
    '[::2]',
    '[fd00::2]',
    '[::ffff:10.0.0.1]',
    '',
  ])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('every 127.x.y.z is loopback, every other IPv4 address is not', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isLoopbackHost(ip)).toBe(ip.startsWith('127.'));
      }),
    );
  });
});

describe('NOTIFY_WEBHOOK_URL', () => {
  const load = (url: string, extra: Record<string, string> = {}) =>
    loadConfig(
      {
        SEAM_API_KEY: 'seam_k_0123',
        NOTIFY_WEBHOOK_URL: url,
        NOTIFY_WEBHOOK_SECRET: secret(),
        ...extra,
      },
      ['worker'],
    );

  it.each(['http://bookings.example.com/hooks', 'http://192.0.2.10:8080/x', 'http://[fd00::2]/x'])(
    'http:// to another machine (%s) is refused, naming the variable',
    (url) => {
      expect(() => load(url)).toThrow(ConfigError);
      expect(() => load(url)).toThrow(
        /^invalid configuration: NOTIFY_WEBHOOK_URL: must be https:\/\//,
      );
    },
  );

  it.each([
    'https://bookings.example.com/hooks',
    'http://127.0.0.1:8080/hooks',
    'http://localhost:8080/hooks',
    'http://[::1]:8080/hooks',
  ])('%s is accepted', (url) => {
    expect(load(url).NOTIFY_WEBHOOK_URL).toBe(url);
  });

  it('NOTIFY_ALLOW_CLEARTEXT=true lets an http:// URL through, deliberately', () => {
    const c = load('http://bookings.internal/hooks', { NOTIFY_ALLOW_CLEARTEXT: 'true' });
    expect(c.NOTIFY_ALLOW_CLEARTEXT).toBe(true);
    expect(loadConfig({}, []).NOTIFY_ALLOW_CLEARTEXT).toBe(false);
    expect(() => load('https://x.example', { NOTIFY_ALLOW_CLEARTEXT: 'yes' })).toThrow(
      /NOTIFY_ALLOW_CLEARTEXT/,
    );
  });

  it('a URL that is not http(s) is refused', () => {
    expect(() => load('ftp://bookings.example.com/x')).toThrow(/NOTIFY_WEBHOOK_URL/);
  });
});

describe('the webhook sender itself', () => {
  it('refuses http:// to another machine unless told to allow cleartext', () => {
    expect(() =>
      createWebhookSender({ url: 'http://bookings.example.com/hooks', secret: secret() }),
    ).toThrow(/https:\/\//);
    expect(() =>
      createWebhookSender({
        url: 'http://bookings.example.com/hooks',
        secret: secret(),
        allowCleartext: true,
      }),
    ).not.toThrow();
    expect(() =>
      createWebhookSender({ url: 'http://127.0.0.1:9/hooks', secret: secret() }),
    ).not.toThrow();
  });
});
