/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file exists, and a
 * `#anchor` into a markdown file names one of its headings (GitHub's slugs). External links
 * (http, mailto) are not fetched. Links inside fenced code blocks are not links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const FILES = [
  path.join(ROOT, 'README.md'),
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(ROOT, 'docs', f)),
];

/** The text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function linksOf(file: string): { target: string; file: string }[] {
  const links: { target: string; file: string }[] = [];
  for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
    links.push({ target: m[1]!, file });
  }
  return links;
}

describe('links in README.md and docs/', () => {
  const links = FILES.flatMap(linksOf).filter((l) => !/^(https?:|mailto:)/.test(l.target));

  it('finds the documents and their links', () => {
    expect(FILES.length).toBeGreaterThan(5);
    expect(links.length).toBeGreaterThan(20);
  });

  it('every relative link resolves to an existing file, and every anchor to a heading', () => {
    const broken: string[] = [];
    for (const { target, file } of links) {
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), pathPart);
      const where = `${path.relative(ROOT, file)} -> ${target}`;
      if (!existsSync(resolved)) {
        broken.push(`${where}: no such file`);
        continue;
      }
      if (anchor && statSync(resolved).isFile() && resolved.endsWith('.md')) {
        if (!anchorsOf(resolved).has(anchor)) broken.push(`${where}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the slugs follow GitHub', () => {
    expect(slug('Finding guest codes: `GET /v1/guest-codes`')).toBe(
      'finding-guest-codes-get-v1guest-codes',
    );
    expect(slug('`POST /webhooks/seam` (Seam → us)')).toBe('post-webhooksseam-seam--us');
    expect(slug('Rate limits and load balancers')).toBe('rate-limits-and-load-balancers');
  });

  it('the README links every page of docs/', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const missing = readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .filter((f) => !readme.includes(`](docs/${f}`));
    expect(missing).toEqual([]);
  });
});
