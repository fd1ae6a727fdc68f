/**
 * Faults on demand. One mutable fault state per simulator, changed at start, through
 * `sim.setFaults()` or `POST /_sim/faults`. Count-based faults ("the next N creates") are
 * consumed as they fire, so `getFaults()` shows what is left.
 */
import { z } from 'zod';

const deviceFaultsSchema = z
  .object({
    /** Codes created on this device fail (`failed_to_set_on_device`) instead of becoming
     *  `set`. `true` uses the default error code; a string is the error code to report. */
    failToSet: z.union([z.boolean(), z.string()]).optional(),
    /** Extra delay before `set` for codes on this device (a delay warning is emitted). */
    setDelayMs: z.number().int().nonnegative().optional(),
    /** Added latency for API requests naming this device_id. */
    latencyMs: z.number().int().nonnegative().optional(),
    /** Codes created on this device are stored with their window moved by this many minutes
     *  (a Seam that rounds differently from the plan). */
    shiftStoredWindowMinutes: z.number().int().optional(),
  })
  .strict();

export const faultsSchema = z
  .object({
    /** Added latency on every Seam API request (not on /_sim). */
    latencyMs: z.number().int().nonnegative().optional(),
    /** The next `count` creates are answered with `status` (429 carries Retry-After). With
     *  `afterStore` the code is stored first: the caller sees an error but the code exists. */
    createErrors: z
      .object({
        count: z.number().int().nonnegative(),
        status: z.number().int().min(400).max(599),
        retryAfterSeconds: z.number().int().nonnegative().optional(),
        afterStore: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Errors on other endpoints, by path (e.g. '/access_codes/get', '/events/list'): after
     *  `after` more calls answered normally, the next `count` are answered with `status` (429
     *  carries Retry-After). */
    requestErrors: z
      .record(
        z.string().startsWith('/'),
        z
          .object({
            count: z.number().int().nonnegative(),
            status: z.number().int().min(400).max(599),
            retryAfterSeconds: z.number().int().nonnegative().optional(),
            after: z.number().int().nonnegative().optional(),
          })
          .strict(),
      )
      .optional(),
    /** The next N creates store the code, then destroy the socket without an answer. */
    dropCreates: z.number().int().nonnegative().optional(),
    /** The next N creates store the code, then never answer: the caller times out. */
    hangCreates: z.number().int().nonnegative().optional(),
    /** The next N codes created fail to set instead of becoming `set`. */
    failNextSets: z.number().int().nonnegative().optional(),
    /** Error code used by failNextSets and `failToSet: true`. */
    failErrorCode: z.string().optional(),
    /** Extra delay before `set` for every code (a delay warning is emitted). */
    setDelayMs: z.number().int().nonnegative().optional(),
    /** Every webhook message is delivered this many times (same svix-id), e.g. 2. */
    duplicateDeliveries: z.number().int().min(1).max(20).optional(),
    /** Messages are held for `windowMs`, then delivered shuffled (or reversed, which is
     *  deterministic for tests). */
    reorderDeliveries: z
      .object({
        windowMs: z.number().int().positive(),
        order: z.enum(['shuffle', 'reverse']).optional(),
      })
      .strict()
      .optional(),
    /** Messages never delivered: the next `count` messages, and/or each with `probability`. */
    loseDeliveries: z
      .object({
        count: z.number().int().nonnegative().optional(),
        probability: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** Per-device faults, keyed by device_id. */
    devices: z.record(z.string(), deviceFaultsSchema).optional(),
  })
  .strict();

export type Faults = z.infer<typeof faultsSchema>;
export type DeviceFaults = z.infer<typeof deviceFaultsSchema>;

/** What happens to one code after it is created, decided when it is created so a test
 *  knows which codes a fault applies to. */
export interface CodeFate {
  failWith?: string;
  extraSetDelayMs: number;
}

export interface CreateError {
  status: number;
  retryAfterSeconds?: number;
  afterStore: boolean;
}

export const DEFAULT_FAIL_ERROR_CODE = 'failed_to_set_on_device';

/** A patch: keys present replace the current value, `null` clears one. */
export type FaultsPatch = { [K in keyof Faults]?: Faults[K] | null };

export class FaultState {
  #faults: Faults = {};

  constructor(initial?: Faults) {
    if (initial) this.set(initial);
  }

  get(): Faults {
    return structuredClone(this.#faults);
  }

  /** Merges `patch` into the current faults (validated; throws a ZodError if invalid). */
  set(patch: FaultsPatch): Faults {
    const next: Record<string, unknown> = { ...this.#faults };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null || value === undefined) delete next[key];
      else next[key] = value;
    }
    this.#faults = faultsSchema.parse(next);
    return this.get();
  }

  clear(): void {
    this.#faults = {};
  }

  latencyMs(deviceId?: string): number {
    const device = deviceId ? this.#faults.devices?.[deviceId] : undefined;
    return (this.#faults.latencyMs ?? 0) + (device?.latencyMs ?? 0);
  }

  /** Consumes one create error of the given phase, if any are left: `before` errors answer
   *  instead of storing, `after` errors (afterStore) answer once the code is stored. */
  takeCreateError(phase: 'before' | 'after'): CreateError | null {
    const spec = this.#faults.createErrors;
    if (!spec || spec.count <= 0) return null;
    if ((spec.afterStore ?? false) !== (phase === 'after')) return null;
    spec.count -= 1;
    return {
      status: spec.status,
      retryAfterSeconds: spec.retryAfterSeconds,
      afterStore: spec.afterStore ?? false,
    };
  }

  /** Consumes one error for a request to `path` (not a create), if any are due. */
  takeRequestError(path: string): CreateError | null {
    const spec = this.#faults.requestErrors?.[path];
    if (!spec || spec.count <= 0) return null;
    if ((spec.after ?? 0) > 0) {
      spec.after = (spec.after ?? 0) - 1;
      return null;
    }
    spec.count -= 1;
    return { status: spec.status, retryAfterSeconds: spec.retryAfterSeconds, afterStore: false };
  }

  /** Consumes one dropped-connection create, if any are left. */
  takeDropCreate(): boolean {
    const left = this.#faults.dropCreates ?? 0;
    if (left <= 0) return false;
    this.#faults.dropCreates = left - 1;
    return true;
  }

  /** Consumes one unanswered (hung) create, if any are left. */
  takeHangCreate(): boolean {
    const left = this.#faults.hangCreates ?? 0;
    if (left <= 0) return false;
    this.#faults.hangCreates = left - 1;
    return true;
  }

  /** Decides the fate of a code just created on `deviceId` (consumes failNextSets). */
  fateFor(deviceId: string): CodeFate {
    const device = this.#faults.devices?.[deviceId];
    const fate: CodeFate = {
      extraSetDelayMs: (this.#faults.setDelayMs ?? 0) + (device?.setDelayMs ?? 0),
    };
    const defaultCode = this.#faults.failErrorCode ?? DEFAULT_FAIL_ERROR_CODE;
    if (device?.failToSet) {
      fate.failWith = typeof device.failToSet === 'string' ? device.failToSet : defaultCode;
    } else if ((this.#faults.failNextSets ?? 0) > 0) {
      this.#faults.failNextSets = (this.#faults.failNextSets ?? 0) - 1;
      fate.failWith = defaultCode;
    }
    return fate;
  }

  /** Minutes by which codes on `deviceId` are stored off their window (0: none). */
  storedWindowShiftMinutes(deviceId: string): number {
    return this.#faults.devices?.[deviceId]?.shiftStoredWindowMinutes ?? 0;
  }

  /** Whether the next webhook message is lost (consumes loseDeliveries.count first). */
  takeLoss(): boolean {
    const spec = this.#faults.loseDeliveries;
    if (!spec) return false;
    if ((spec.count ?? 0) > 0) {
      spec.count = (spec.count ?? 0) - 1;
      return true;
    }
    return spec.probability !== undefined && Math.random() < spec.probability;
  }

  copiesPerMessage(): number {
    return this.#faults.duplicateDeliveries ?? 1;
  }

  reorder(): { windowMs: number; order: 'shuffle' | 'reverse' } | null {
    const spec = this.#faults.reorderDeliveries;
    return spec ? { windowMs: spec.windowMs, order: spec.order ?? 'shuffle' } : null;
  }
}
