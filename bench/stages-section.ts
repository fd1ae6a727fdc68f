import { spawn } from 'node:child_process';
import type { BenchContext } from './lib/context';
import { ROOT } from './lib/processes';
import type { StagesInput, StagesReport } from './stages';

export type { StagesReport };

/** Runs bench/stages.ts in a process of its own (its CPU and heap are the measure). */
export function benchStages(ctx: BenchContext, iterations: number): Promise<StagesReport> {
  const input: StagesInput = { redisUrl: ctx.redisUrl, secret: ctx.secret, iterations };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/stages.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        BENCH_STAGES: JSON.stringify(input),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`stages exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as StagesReport);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
