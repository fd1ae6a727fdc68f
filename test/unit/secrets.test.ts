/**
 * Weak and placeholder secrets stop the service at start-up, with one line naming the variable:
 * the `.env.example` values, bearer tokens shorter than 32 characters or too regular to be
 * random, and webhook secrets that svix would not decode (or would decode to fewer than 24
 * bytes). Whatever the configuration accepts as a webhook secret, svix reads as the same key.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Webhook } from 'svix';
import { ConfigError, loadConfig } from '../../src/config';
import { SignatureVerifier } from '../../src/http/webhook-signature';
import { spawnService } from '../helpers/processes';

const strongSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const strongToken = () => randomBytes(32).toString('hex');
const good = () => ({
  SEAM_WEBHOOK_SECRET: strongSecret(),
  API_TOKEN: strongToken(),
  SEAM_API_KEY: 'seam_live_key_0123',
});

/** The `KEY=value` lines of .env.example that are not commented out. */
function exampleEnv(): Record<string, string> {
  const text = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env, ['ingress', 'worker']);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return '';
};

describe('secrets at start-up', () => {
  it('refuses every placeholder secret of .env.example, naming each variable on one line', () => {
    const env = exampleEnv();
    // The placeholders are there (this is what a hurried `cp .env.example .env` starts with).
    expect(env.API_TOKEN).toBeTruthy();
    expect(env.SEAM_WEBHOOK_SECRET).toMatch(/^whsec_/);
    const message = problemsOf(env);
    expect(message).not.toContain('\n');
    for (const name of [
      'API_TOKEN',
      'SEAM_WEBHOOK_SECRET',
      'NOTIFY_WEBHOOK_SECRET',
      'SEAM_API_KEY',
    ]) {
      expect(message).toMatch(new RegExp(`(^|; |: )${name}: `));
    }
  });

  it('a process started with the .env.example secrets exits 1 with one line naming them', async () => {
    const env = exampleEnv();
    const proc = spawnService('ingress', {
      API_TOKEN: env.API_TOKEN!,
      SEAM_WEBHOOK_SECRET: env.SEAM_WEBHOOK_SECRET!,
      SEAM_API_KEY: 'seam_live_key_0123',
    });
    // One that starts (as it did before these rules) is stopped, not left running.
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
    const code = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(proc.output).toEqual([
      expect.stringMatching(/^invalid configuration: .*SEAM_WEBHOOK_SECRET: .*API_TOKEN: /),
    ]);
  }, 20_000);

  it.each([
    ['31 characters', randomBytes(16).toString('hex').slice(0, 31)],
    ['one repeated character', 'a'.repeat(64)],
    ['a short repeated pattern', 'abc123'.repeat(8)],
    ['the .env.example placeholder', 'replace-with-a-long-random-token'],
    ['another placeholder', 'changeme-0123456789abcdefghijklmnopqrstuvwxyz'],
  ])('API_TOKEN: %s is refused', (_what, token) => {
    const message = problemsOf({ ...good(), API_TOKEN: token });
    expect(message).toMatch(/^invalid configuration: API_TOKEN: /);
    expect(message).not.toContain(token);
  });

  it('ADMIN_TOKEN: the same rules, and never the API token itself', () => {
    const env = good();
    expect(problemsOf({ ...env, ADMIN_TOKEN: 'admin' })).toMatch(
      /^invalid configuration: ADMIN_TOKEN: /,
    );
    expect(problemsOf({ ...env, ADMIN_TOKEN: env.API_TOKEN })).toMatch(
      /^invalid configuration: ADMIN_TOKEN: must differ from API_TOKEN/,
    );
    expect(
      loadConfig({ ...env, ADMIN_TOKEN: strongToken() }, ['ingress']).ADMIN_TOKEN,
    ).toHaveLength(64);
    // Unset: no dashboard, not an error.
    expect(loadConfig({ ...env, ADMIN_TOKEN: '' }, ['ingress']).ADMIN_TOKEN).toBeUndefined();
  });

  it('API_TOKEN: 32 or more random characters are accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), (bytes) => {
        const token = Buffer.from(bytes).toString('base64url');
        fc.pre(new Set(token).size >= 8 && token.length >= 32);
        expect(loadConfig({ ...good(), API_TOKEN: token }, ['ingress']).API_TOKEN).toBe(token);
      }),
    );
  });

  const badSecrets: [string, string][] = [
    ['whsec_AA (too short to be base64 for svix)', 'whsec_AA'],
    ['nothing after whsec_', 'whsec_'],
    [
      'an = in the middle',
      `whsec_${randomBytes(13).toString('base64')}${randomBytes(13).toString('base64')}`,
    ],
    ['characters outside base64', `whsec_${randomBytes(24).toString('base64').slice(0, -2)}!!`],
    ['URL-safe base64', `whsec_${'-_'.repeat(2)}${randomBytes(24).toString('base64').slice(4)}`],
    ['no whsec_ prefix', randomBytes(24).toString('base64')],
    ['20 bytes', `whsec_${randomBytes(20).toString('base64')}`],
    ['23 bytes', `whsec_${randomBytes(23).toString('base64')}`],
    ['32 zero bytes', `whsec_${Buffer.alloc(32).toString('base64')}`],
    ['the .env.example placeholder', 'whsec_cmVwbGFjZS13aXRoLXlvdXItc2VjcmV0'],
  ];
  for (const name of ['SEAM_WEBHOOK_SECRET', 'NOTIFY_WEBHOOK_SECRET']) {
    it.each(badSecrets)(`${name}: %s is refused`, (_what, secret) => {
      const message = problemsOf({ ...good(), [name]: secret });
      expect(message).toMatch(new RegExp(`^invalid configuration: ${name}: `));
      if (secret.length > 12) expect(message).not.toContain(secret.slice(6));
    });
  }

  it('a webhook secret the configuration accepts is read by svix as the same key', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
    const candidates = fc.oneof(
      // Real secrets: base64 of random bytes.
      fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64')),
      fc.uint8Array({ minLength: 24, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64')),
      // Near misses: any string over the base64 alphabet and '='.
      fc
        .array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 48 })
        .map((cs) => cs.join('')),
    );
    let accepted = 0;
    fc.assert(
      fc.property(candidates, (encoded) => {
        const secret = `whsec_${encoded}`;
        let ours: SignatureVerifier | undefined;
        try {
          loadConfig({ ...good(), SEAM_WEBHOOK_SECRET: secret }, ['ingress']);
          ours = new SignatureVerifier(secret);
        } catch {
          return; // refused: nothing to compare
        }
        accepted++;
        // svix accepts it too, and a delivery it signs verifies with our key.
        const signer = new Webhook(secret);
        const at = new Date();
        const body = Buffer.from('{"event_type":"access_code.set_on_device"}');
        const check = ours.verify(
          body,
          {
            'svix-id': 'msg_1',
            'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
            'svix-signature': signer.sign('msg_1', at, body.toString()),
          },
          Math.floor(at.getTime() / 1000),
        );
        expect(check.ok).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
