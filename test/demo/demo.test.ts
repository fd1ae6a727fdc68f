/** `npm run demo` end to end: the script as a user runs it, with its own redis-server. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isAccepting } from '../../devkit/redis';

const ROOT = path.resolve(__dirname, '../..');

function runDemo(): Promise<{ code: number | null; signal: string | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // The demo must start its own redis-server, as on a fresh clone.
  delete env.REDIS_URL;
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGINT'), 80_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, out });
    });
  });
}

describe('npm run demo', () => {
  it('runs the whole flow to a successful summary and exits 0', async () => {
    const { code, out } = await runDemo();
    if (code !== 0) console.log(out);
    expect(code).toBe(0);

    expect(out).toContain('DEMO OK');
    expect(out).not.toContain('DEMO FAILED');
    const summary = out.slice(out.indexOf('== Summary =='));
    const row = (reference: string) =>
      summary.split('\n').find((line) => line.startsWith(reference)) ?? '';
    for (const reference of ['BK-1001', 'BK-1002', 'BK-1003', 'BK-1004']) {
      expect(row(reference)).toMatch(/\bnotified\b.*\byes\b/);
    }
    expect(row('BK-1001')).toContain('igloohome hourly');
    expect(row('BK-1002')).toContain('igloohome daily');
    expect(row('BK-1003')).toContain('igloohome one-time');
    expect(row('BK-1004')).toContain('dormakaba slot');
    // 16:00 -> 12:00 on the 3pm-11am slot: the answer says what moved
    expect(out).toMatch(/ends_earlier: The code ends 1 hour before the requested ends_at/);
    expect(row('BK-1005')).toContain('rejected 422 igloohome_duration_gap');
    expect(summary).toContain('Guest notifications: 4 emails, 4 guest_code.ready webhooks.');
    // The service's own metrics agree: one Seam code per accepted booking, four guests told.
    expect(summary).toMatch(
      /Seam API calls: .*\/access_codes\/create 4\b.*; guest codes: notified 4\./,
    );

    // After the summary, BK-1001 stays a night longer: a new code, one more email, and the
    // answer says what the previous PIN still opens.
    expect(out).toMatch(/BK-1001 ends_at → \S+: 202/);
    expect(out).toMatch(/The previous PIN \(\S+\), which the guest was told, still opens the door/);
    expect(out).toMatch(/BK-1001 \S+ again with a new code/);

    // A stay with two doors: one email with both PINs.
    expect(out).toMatch(/BK-2001 two doors: 202 st_/);
    expect(out).toMatch(/BK-2001 both doors \S+: one email with both PINs, one stay.ready/);

    // Each guest's email was shown as received (BK-1001's twice, BK-2001's once), the live
    // progress too.
    expect(out.match(/Email received for /g)).toHaveLength(6);
    expect(out).toMatch(/BK-1004 \S+ → notified/);
    // The private redis-server stopped with the demo.
    const port = Number(/private redis-server at redis:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await isAccepting(port)).toBe(false);
  }, 90_000);
});
