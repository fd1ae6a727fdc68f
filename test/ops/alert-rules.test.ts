/**
 * deploy/prometheus/alerts.yml is a valid Prometheus rule file (the shape `promtool check
 * rules` checks: groups of rules with alert, expr, for, labels, annotations; each expr parsed
 * with Prometheus's own PromQL grammar), and every series a rule reads is one this service
 * exports, with the label values the rule matches on, as scraped from a running service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { Scrape } from './exposition';

const RULES_FILE = path.join(__dirname, '../../deploy/prometheus/alerts.yml');
/** Prometheus's duration syntax (model.ParseDuration). */
const DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RULE_KEYS = new Set(['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
/** Series Prometheus makes itself for every target, and the labels it adds to every series. */
const SYNTHETIC_SERIES = new Set(['up']);
const TARGET_LABELS = ['job', 'instance'];

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function loadRules(): Rule[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as unknown;
  if (!isDict(doc) || Object.keys(doc).join() !== 'groups' || !Array.isArray(doc.groups)) {
    throw new Error('a rule file is {groups: [...]} and nothing else');
  }
  const names = new Set<string>();
  const rules: Rule[] = [];
  for (const group of doc.groups as unknown[]) {
    if (!isDict(group) || typeof group.name !== 'string' || !Array.isArray(group.rules)) {
      throw new Error(`a group needs a name and rules: ${JSON.stringify(group)}`);
    }
    if (names.has(group.name)) throw new Error(`group ${group.name} twice`);
    names.add(group.name);
    expect(group.rules.length).toBeGreaterThan(0);
    for (const rule of group.rules as unknown[]) {
      if (!isDict(rule)) throw new Error('a rule is a mapping');
      expect(Object.keys(rule).filter((k) => !RULE_KEYS.has(k))).toEqual([]);
      rules.push(rule as unknown as Rule);
    }
  }
  return rules;
}

/** Every error node of the PromQL parse, with where it is. */
function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError)
        errors.push(`at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.from + 20))}`);
    },
  });
  return errors;
}

interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

function selectorsOf(expr: string): { selectors: Selector[]; grouping: string[] } {
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.name === 'GroupingLabels') {
        for (let c = ref.node.firstChild; c; c = c.nextSibling) {
          if (c.name === 'LabelName') grouping.push(text(c));
        }
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const id = node.getChild('Identifier');
      const matchers: Selector['matchers'] = [];
      const list = node.getChild('LabelMatchers');
      for (let m = list?.firstChild; m; m = m.nextSibling) {
        const label = m.getChild('LabelName');
        const op = m.getChild('MatchOp');
        const value = m.getChild('StringLiteral');
        if (label && op && value) {
          matchers.push({ label: text(label), op: text(op), value: JSON.parse(text(value)) });
        }
      }
      selectors.push({ metric: id ? text(id) : '', matchers });
    },
  });
  return { selectors, grouping };
}

describe('Prometheus alert rules (deploy/prometheus/alerts.yml)', () => {
  const rules = loadRules();

  it('has the shape of a Prometheus rule file, each expr valid PromQL', () => {
    const alerts = rules.map((r) => r.alert);
    expect(new Set(alerts).size).toBe(alerts.length);
    for (const rule of rules) {
      expect({ alert: rule.alert, ok: LABEL_NAME.test(rule.alert) }).toEqual({
        alert: rule.alert,
        ok: true,
      });
      expect(typeof rule.expr).toBe('string');
      expect({ alert: rule.alert, errors: syntaxErrors(rule.expr) }).toEqual({
        alert: rule.alert,
        errors: [],
      });
      if (rule.for !== undefined) expect(rule.for).toMatch(DURATION);
      expect(isDict(rule.labels)).toBe(true);
      for (const [name, value] of Object.entries(rule.labels)) {
        expect(name).toMatch(LABEL_NAME);
        expect(typeof value).toBe('string');
      }
      expect(['page', 'ticket']).toContain(rule.labels.severity);
      expect(isDict(rule.annotations)).toBe(true);
      expect(typeof rule.annotations.summary).toBe('string');
      for (const value of Object.values(rule.annotations)) {
        expect(typeof value).toBe('string');
        // Go templates: every action closed.
        expect((value.match(/\{\{/g) ?? []).length).toBe((value.match(/\}\}/g) ?? []).length);
      }
    }
  });

  it('alerts on what the issue asks for', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const watched of [
      'guest_code_oldest_open_age_seconds',
      'guest_codes{status="failed"}',
      'guest_notifications_total{outcome="failed"}',
      'seam_webhook_deliveries_total{outcome="rejected_401"}',
      'seam_webhook_deliveries_total{outcome="unavailable_503"}',
      'seam_ready',
    ]) {
      expect(exprs).toContain(watched);
    }
  });

  describe('against the metrics a running service exports', () => {
    let s: Stack;
    let scrape: Scrape;
    beforeAll(async () => {
      s = await startStack({ sim: { autoAdvance: false }, env: { STUCK_WAITING_MS: '5000' } });
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: s.sim.devices.igloohome[0],
          guest: { name: 'Alert Check', email: 'alert@example.com' },
          reference: 'alert-check-1',
          ...hourlyWindow(2, 24),
        },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;
      await eventually(async () =>
        (await s.store.get(id))?.status === 'waiting' ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 1100));
      scrape = new Scrape(await (await fetch(`${s.url}/metrics`)).text());
    });
    afterAll(() => s.close());

    it('every series a rule reads is exported, with the label values it matches', () => {
      const exported = new Set(scrape.samples.map((x) => x.name));
      for (const rule of rules) {
        const { selectors, grouping } = selectorsOf(rule.expr);
        expect(selectors.length).toBeGreaterThan(0);
        const labelsSeen = new Set<string>(TARGET_LABELS);
        for (const sel of selectors) {
          if (SYNTHETIC_SERIES.has(sel.metric)) continue;
          expect({
            alert: rule.alert,
            metric: sel.metric,
            exported: exported.has(sel.metric),
          }).toEqual({ alert: rule.alert, metric: sel.metric, exported: true });
          for (const sample of scrape.select(sel.metric)) {
            for (const label of Object.keys(sample.labels)) labelsSeen.add(label);
          }
          for (const m of sel.matchers.filter((x) => x.op === '=')) {
            expect({
              alert: rule.alert,
              series: `${sel.metric}{${m.label}="${m.value}"}`,
              found: scrape.select(sel.metric, { [m.label]: m.value }).length > 0,
            }).toEqual({
              alert: rule.alert,
              series: `${sel.metric}{${m.label}="${m.value}"}`,
              found: true,
            });
          }
        }
        for (const label of grouping) {
          expect({ alert: rule.alert, label, known: labelsSeen.has(label) }).toEqual({
            alert: rule.alert,
            label,
            known: true,
          });
        }
      }
    });

    it('the gauges the new rules read carry real values', () => {
      expect(scrape.value('seam_ready')).toBe(1);
      expect(scrape.value('guest_code_stuck_threshold_seconds', { status: 'waiting' })).toBe(5);
      expect(scrape.value('guest_code_stuck_threshold_seconds', { status: 'requested' })).toBe(900);
      const waitingAge = scrape.value('guest_code_oldest_open_age_seconds', { status: 'waiting' })!;
      expect(waitingAge).toBeGreaterThanOrEqual(1);
      expect(waitingAge).toBeLessThan(60);
      expect(scrape.value('guest_code_oldest_open_age_seconds', { status: 'set' })).toBe(0);
    });
  });
});
