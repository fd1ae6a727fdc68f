import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, one registry per process. Labels are low-cardinality
 * only: never an id.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const webhookDeliveries = new Counter({
    name: 'seam_webhook_deliveries_total',
    help: 'Seam webhook deliveries by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'seam_webhook_duration_seconds',
    help: 'Time to answer a Seam webhook delivery',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return { registry, webhookDeliveries, webhookDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Every webhook outcome, so each label exists (at 0) from the first scrape. */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'parked',
  'rejected_401',
  'rejected_413',
  'unavailable_503',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
