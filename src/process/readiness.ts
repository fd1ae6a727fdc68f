/** Whether this process can take traffic now: one named check per dependency. */
export type ReadinessCheck = () => Promise<{ ok: true } | { ok: false; reason: string }>;

export interface Lifecycle {
  /** Set once on SIGTERM/SIGINT; readiness turns 503 at once so the balancer drains us. */
  shuttingDown: boolean;
}
