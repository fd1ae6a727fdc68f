/** Reads Prometheus text exposition (what `/metrics` answers) into samples a test can query. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`unparsable labels: {${text}}`);
  return labels;
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line.trim());
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  return samples;
}

export class Scrape {
  readonly samples: Sample[];

  constructor(readonly text: string) {
    this.samples = parseExposition(text);
  }

  /** Samples of `name` whose labels include every given label. */
  select(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The one sample with exactly these labels (undefined when absent). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const wanted = Object.keys(labels).length;
    const found = this.select(name, labels).filter((s) => Object.keys(s.labels).length === wanted);
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is not one sample`);
    return found[0]?.value;
  }

  /** Sum over every sample of `name` whose labels include the given ones. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.select(name, labels).reduce((total, s) => total + s.value, 0);
  }

  /** The distinct values of one label among the samples of `name`. */
  labelValues(name: string, label: string): string[] {
    return [...new Set(this.select(name).map((s) => s.labels[label] ?? ''))].sort();
  }
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return new Scrape(await res.text());
}
