import nodemailer from 'nodemailer';
import { isLoopbackHost } from '../util/loopback';
import type { GuestMessage } from './guest-message';
import { NotificationError } from './errors';

export interface EmailSenderOptions {
  /** smtp://[user:pass@]host[:port] or smtps://... (query parameters are ignored). */
  smtpUrl: string;
  /** From header, e.g. '"Front desk" <desk@example.com>'. */
  from: string;
  /** Reply-To header: where a guest's answer goes (the From address may not be read). */
  replyTo?: string;
  /**
   * Bound, in ms, on each phase of a send: connecting (DNS included), the greeting, and any
   * silence from the server afterwards. The whole send is also aborted after twice this.
   * Default 5000.
   */
  timeoutMs?: number;
  /**
   * For smtp://: refuse to send unless the server upgrades the connection with STARTTLS (the
   * message holds a PIN and the guest's address). Default: required unless the host is a
   * loopback address; smtps:// is TLS from the first byte either way.
   */
  requireTls?: boolean;
  /** Extra CA certificate(s) (PEM) to trust, for a relay with a private CA. */
  ca?: string;
}

export interface EmailSender {
  send(to: string, msg: GuestMessage): Promise<{ messageId: string }>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * One message per send over a fresh SMTP connection (no pool: nodemailer's pool requeues
 * messages on its own, and retries belong to the caller, which backs off). Failures become a
 * NotificationError whose message never carries the PIN or the body.
 */
export function createEmailSender(options: EmailSenderOptions): EmailSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError('createEmailSender: timeoutMs must be a positive number');
  }
  const server = parseSmtpUrl(options.smtpUrl);
  const requireTLS = !server.secure && (options.requireTls ?? !isLoopbackHost(server.host));
  const transporter = nodemailer.createTransport({
    ...server,
    requireTLS,
    ...(options.ca ? { tls: { ca: options.ca } } : {}),
    pool: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    socketCloseTimeout: 1_000,
    // the message is ours and built from text: nothing in it may read files or fetch URLs
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async send(to, msg) {
      try {
        const info = await transporter.sendMail({
          from: options.from,
          ...(options.replyTo ? { replyTo: options.replyTo } : {}),
          to,
          subject: msg.subject,
          text: msg.text,
          html: msg.html,
          signal: AbortSignal.timeout(timeoutMs * 2),
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw toNotificationError(err);
      }
    },
    close() {
      transporter.close();
    },
  };
}

interface SmtpServerOptions {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
}

function parseSmtpUrl(smtpUrl: string): SmtpServerOptions {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // never echo the url: it may hold a password
    throw new RangeError('createEmailSender: smtpUrl is not a valid URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new RangeError('createEmailSender: smtpUrl must start with smtp:// or smtps://');
  }
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port);
  const server: SmtpServerOptions = { host, port, secure };
  if (url.username !== '') {
    server.auth = {
      user: decodeURIComponent(url.username),
      pass: decodeURIComponent(url.password),
    };
  }
  return server;
}

interface SmtpErrorShape {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  name?: unknown;
}

/** Nodemailer codes of failures that ended the connection rather than rejected the message. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY']);
/** Nodemailer codes of failures that a retry of the same message would meet again. */
const PERMANENT_CODES = new Set([
  'EENVELOPE',
  'EMESSAGE',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'EREQUIRETLS',
  'EMAXRECIPIENTS',
  'EFILEACCESS',
  'EURLACCESS',
]);

function toNotificationError(err: unknown): NotificationError {
  const e: SmtpErrorShape = typeof err === 'object' && err !== null ? err : {};
  const nmCode = typeof e.code === 'string' ? e.code : undefined;
  const command = typeof e.command === 'string' ? e.command.replace(/[^A-Z ]/g, '') : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const at = command ? ` at ${command}` : '';
  const tag = nmCode ? ` (${nmCode})` : '';

  if (reply !== undefined && reply >= 400 && reply < 600) {
    // RFC 5321: 4yz transient, 5yz permanent
    const retryable = reply < 500;
    return new NotificationError(
      `email: SMTP server replied ${reply}${at}${tag}: ${retryable ? 'transient' : 'permanent'} failure`,
      {
        channel: 'email',
        retryable,
        code: retryable ? 'smtp_deferred' : 'smtp_rejected',
        status: reply,
      },
    );
  }
  if (nmCode === 'EABORT' || nmCode === 'ETIMEDOUT') {
    return new NotificationError(`email: SMTP send timed out${at}${tag}`, {
      channel: 'email',
      retryable: true,
      code: 'smtp_timeout',
    });
  }
  if (nmCode !== undefined && CONNECTION_CODES.has(nmCode)) {
    return new NotificationError(`email: SMTP connection failed${at}${tag}`, {
      channel: 'email',
      retryable: true,
      code: 'smtp_connection',
    });
  }
  if (nmCode !== undefined && PERMANENT_CODES.has(nmCode)) {
    return new NotificationError(`email: message refused before delivery${at}${tag}`, {
      channel: 'email',
      retryable: false,
      code: 'smtp_invalid',
    });
  }
  // unknown failure: let the caller's bounded retries decide
  return new NotificationError(`email: SMTP send failed${at}${tag}`, {
    channel: 'email',
    retryable: true,
    code: 'smtp_unknown',
  });
}
