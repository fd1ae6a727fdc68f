/**
 * The life of a code on an accelerated clock: `unset` -> `setting` (scheduled_on_device) ->
 * `set` (set_on_device, with a random PIN for offline codes), or a failure / delay when a
 * fault says so. In manual mode nothing advances by itself: tests drive each code with
 * setStatus / fail / emit.
 */
import { randomInt } from 'node:crypto';
import type { AccessCodeIssue, AccessCodeStatus, CodeStore, SimAccessCode } from './codes';
import type { CodeFate } from './faults';

export interface LifecycleOptions {
  /** Advance codes by themselves (default true). */
  autoAdvance: boolean;
  /** ms after creation at which a code turns `setting`. */
  settingAfterMs: number;
  /** ms after creation at which a code turns `set` (not before settingAfterMs). */
  setAfterMs: number;
}

export type Emit = (
  eventType: string,
  code: SimAccessCode,
  extra?: Record<string, unknown>,
) => void;

export interface SetStatusOptions {
  /** The PIN to give a code becoming `set` (default: the code's own, or a random one). */
  code?: string;
  errors?: AccessCodeIssue[];
  warnings?: AccessCodeIssue[];
  /** Whether to emit the matching event (default true). */
  emit?: boolean;
}

const ISSUE_MESSAGES: Record<string, string> = {
  failed_to_set_on_device: 'Failed to set code on the device.',
  delay_in_setting_on_device: 'There is a delay in setting the code on the device.',
};

export class Lifecycle {
  readonly #timers = new Map<string, NodeJS.Timeout[]>();

  constructor(
    private readonly store: CodeStore,
    private readonly emitEvent: Emit,
    private readonly options: LifecycleOptions,
  ) {}

  /** Starts the automatic advance of a new code (no-op in manual mode). */
  track(accessCodeId: string, fate: CodeFate): void {
    if (!this.options.autoAdvance) return;
    const { settingAfterMs } = this.options;
    const setAfterMs = Math.max(this.options.setAfterMs, settingAfterMs);
    this.#after(accessCodeId, settingAfterMs, () => this.#apply(accessCodeId, 'setting'));
    this.#after(accessCodeId, setAfterMs, () => {
      if (fate.extraSetDelayMs > 0) {
        this.#warn(accessCodeId, 'delay_in_setting_on_device');
        this.#after(accessCodeId, fate.extraSetDelayMs, () => this.#finish(accessCodeId, fate));
      } else {
        this.#finish(accessCodeId, fate);
      }
    });
  }

  /** Moves a code to `status` and emits the matching event (setting: scheduled_on_device,
   *  set: set_on_device). Takes the code over: its automatic advance stops. */
  setStatus(
    accessCodeId: string,
    status: AccessCodeStatus,
    opts: SetStatusOptions = {},
  ): SimAccessCode {
    this.#require(accessCodeId);
    this.#cancel(accessCodeId);
    return this.#apply(accessCodeId, status, opts);
  }

  #apply(
    accessCodeId: string,
    status: AccessCodeStatus,
    opts: SetStatusOptions = {},
  ): SimAccessCode {
    const current = this.#require(accessCodeId);
    const patch: Partial<SimAccessCode> = { status };
    if (opts.errors) patch.errors = opts.errors;
    if (opts.warnings) patch.warnings = opts.warnings;
    if (status === 'set') {
      patch.code = opts.code ?? current.code ?? this.#newPin(current.device_id);
      patch.is_waiting_for_code_assignment = false;
      patch.is_scheduled_on_device = true;
      if (!opts.warnings) patch.warnings = [];
    } else if (opts.code !== undefined) {
      patch.code = opts.code;
    }
    const updated = this.store.update(accessCodeId, patch);
    if (opts.emit !== false) {
      if (status === 'setting') this.emit('access_code.scheduled_on_device', accessCodeId);
      if (status === 'set') this.emit('access_code.set_on_device', accessCodeId);
    }
    return updated;
  }

  /** Records an error on the code and emits failed_to_set_on_device; the code stays where it
   *  was (never `set`) and stops advancing. */
  fail(
    accessCodeId: string,
    errorCode = 'failed_to_set_on_device',
    message?: string,
  ): SimAccessCode {
    const current = this.#require(accessCodeId);
    this.#cancel(accessCodeId);
    const issue: AccessCodeIssue = {
      error_code: errorCode,
      message: message ?? ISSUE_MESSAGES[errorCode] ?? `Access code error: ${errorCode}`,
      created_at: new Date().toISOString(),
    };
    const updated = this.store.update(accessCodeId, { errors: [...current.errors, issue] });
    this.emit('access_code.failed_to_set_on_device', accessCodeId);
    return updated;
  }

  /** Emits `eventType` for a code with the fields Seam puts on that type, from its state. */
  emit(eventType: string, accessCodeId: string): void {
    const code = this.#require(accessCodeId);
    const extra: Record<string, unknown> = {};
    if (
      eventType === 'access_code.set_on_device' ||
      eventType === 'access_code.scheduled_on_device'
    ) {
      if (code.code !== null) extra.code = code.code;
    }
    if (eventType === 'access_code.failed_to_set_on_device') extra.access_code_errors = code.errors;
    if (eventType === 'access_code.delay_in_setting_on_device') {
      extra.access_code_warnings = code.warnings;
    }
    this.emitEvent(eventType, code, extra);
  }

  close(): void {
    for (const id of [...this.#timers.keys()]) this.#cancel(id);
  }

  #finish(accessCodeId: string, fate: CodeFate): void {
    if (fate.failWith) this.fail(accessCodeId, fate.failWith);
    else this.#apply(accessCodeId, 'set');
  }

  #warn(accessCodeId: string, warningCode: string): void {
    const current = this.#require(accessCodeId);
    const issue: AccessCodeIssue = {
      warning_code: warningCode,
      message: ISSUE_MESSAGES[warningCode] ?? warningCode,
      created_at: new Date().toISOString(),
    };
    this.store.update(accessCodeId, { warnings: [...current.warnings, issue] });
    this.emit(`access_code.${warningCode}`, accessCodeId);
  }

  /** A random 4-8 digit PIN, unique among the device's codes. */
  #newPin(deviceId: string): string {
    const taken = new Set(
      this.store
        .all()
        .filter((c) => c.device_id === deviceId)
        .map((c) => c.code),
    );
    for (;;) {
      const length = randomInt(4, 9);
      let pin = '';
      for (let i = 0; i < length; i++) pin += String(randomInt(0, 10));
      if (!taken.has(pin)) return pin;
    }
  }

  #after(accessCodeId: string, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      const list = this.#timers.get(accessCodeId);
      list?.splice(list.indexOf(timer), 1);
      // A code the test deleted from the fake just stops advancing.
      if (this.store.get(accessCodeId)) fn();
    }, ms);
    timer.unref();
    this.#timers.set(accessCodeId, [...(this.#timers.get(accessCodeId) ?? []), timer]);
  }

  #cancel(accessCodeId: string): void {
    for (const timer of this.#timers.get(accessCodeId) ?? []) clearTimeout(timer);
    this.#timers.delete(accessCodeId);
  }

  #require(accessCodeId: string): SimAccessCode {
    const code = this.store.get(accessCodeId);
    if (!code) throw new Error(`no access code ${accessCodeId}`);
    return code;
  }
}
