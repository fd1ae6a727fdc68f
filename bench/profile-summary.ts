/**
 * Summarises a V8 CPU profile (node --cpu-prof): self time by function and by package, so a
 * bench run with --profile says where the ingress spends its CPU.
 *   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(file: string, top = 25): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Start-up (module loading) and idle time are not the request path: left out.
  const startup = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (byId.get(at)?.callFrame.functionName === 'Module._load') return true;
    }
    return false;
  };
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === '(idle)' || startup(id)) return;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|dist)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const group = m
      ? m[1]!
      : url.startsWith('node:')
        ? 'node internals'
        : url
          ? 'ours'
          : functionName;
    pkg.set(group, (pkg.get(group) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return [
    `${(total / 1e6).toFixed(1)} s of CPU sampled (start-up and idle left out)`,
    'by package:',
    ...sorted(pkg)
      .slice(0, 15)
      .map(([k, v]) => `  ${pct(v)} ${k}`),
    'by function (self time):',
    ...sorted(fn)
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)} ${k}`),
  ];
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  for (const line of summarise(file, top ? Number(top) : 25)) console.log(line);
}
