import type { NotifyChannel } from '../domain/notification-channel';

/** Channels the service notifies through. */
export type NotificationChannel = NotifyChannel;

export interface NotificationErrorOptions {
  channel: NotificationChannel;
  /** true: the same send may succeed later (the caller retries with backoff); false: it will not. */
  retryable: boolean;
  /** Stable, machine-readable reason, e.g. 'smtp_rejected', 'webhook_timeout'. */
  code: string;
  /** SMTP reply code (email) or HTTP status (webhook), when the peer answered. */
  status?: number;
}

/**
 * A failed notification. Its message is built by us only from the channel, the reason and the
 * peer's status: it never carries the PIN, the message body, the payload or a recipient's
 * address, so it is safe to log. The original error is deliberately not attached as `cause`.
 */
export class NotificationError extends Error {
  override readonly name = 'NotificationError';
  readonly channel: NotificationChannel;
  readonly retryable: boolean;
  readonly code: string;
  readonly status: number | undefined;

  constructor(message: string, options: NotificationErrorOptions) {
    super(message);
    this.channel = options.channel;
    this.retryable = options.retryable;
    this.code = options.code;
    this.status = options.status;
  }
}

export function isNotificationError(err: unknown): err is NotificationError {
  return err instanceof NotificationError;
}
