/** A real SMTP server (smtp-server) for the tests and the demo, plus a minimal MIME reader. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** Whether the message came over TLS (STARTTLS). */
  secure: boolean;
  from: string | undefined;
  rcptTo: string[];
  raw: string;
  headers: Record<string, string>;
  subject: string;
  text: string | undefined;
  html: string | undefined;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Number of TCP sessions the server saw. */
  connections(): number;
  /** With `starttls`: the certificate it presents, for the client to trust. */
  ca?: string;
  /** Changes (or, with undefined, stops) the RCPT TO refusal from now on. */
  rejectRcpt(reject: { code: number; message: string } | undefined): void;
  close(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** Reply to RCPT TO with this code (e.g. 550, 451) instead of accepting. */
  rejectRcptWith?: { code: number; message: string };
  /** Refuse every connection at the greeting with this code (e.g. 421). */
  refuseConnectionWith?: { code: number; message: string };
  /** Offer STARTTLS, with a fresh self-signed certificate for 127.0.0.1 and localhost. */
  starttls?: boolean;
  /** Called with each message as it arrives (the demo prints it). */
  onMessage?: (mail: ReceivedMail) => void;
}

let certificate: { key: string; cert: string } | undefined;

/** A self-signed key and certificate for 127.0.0.1 / localhost, made once per test process with
 *  openssl (smtp-server's built-in one has expired). */
function testCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(path.join(tmpdir(), 'smtp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpServer(
  options: TestSmtpServerOptions = {},
): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let connections = 0;
  const tls = options.starttls ? testCertificate() : undefined;
  let rejectRcptWith = options.rejectRcptWith;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    logger: false,
    onConnect(_session: SMTPServerSession, callback: (err?: Error | null) => void) {
      connections += 1;
      const refuse = options.refuseConnectionWith;
      callback(refuse ? smtpError(refuse.code, refuse.message) : null);
    },
    onRcptTo(_address, _session, callback) {
      const reject = rejectRcptWith;
      callback(reject ? smtpError(reject.code, reject.message) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeFrom = session.envelope.mailFrom;
        const mail: ReceivedMail = {
          from: envelopeFrom ? envelopeFrom.address : undefined,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          ...parseMime(raw),
          secure: session.secure,
        };
        messages.push(mail);
        options.onMessage?.(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    port: address.port,
    messages,
    connections: () => connections,
    rejectRcpt: (reject) => {
      rejectRcptWith = reject;
    },
    ...(tls ? { ca: tls.cert } : {}),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP listener that accepts connections and never says anything (a hung SMTP server). */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- minimal MIME reading: enough for what nodemailer produces -------------------------------

function splitHeaderBody(raw: string): { headers: Record<string, string>; body: string } {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep === -1 ? raw : raw.slice(0, sep);
  const body = sep === -1 ? '' : raw.slice(sep + 4);
  const headers: Record<string, string> = {};
  // unfold continuation lines, then one header per line
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

export function decodeQuotedPrintable(input: string): string {
  const bytes: number[] = [];
  const unfolded = input.replace(/=\r?\n/g, '');
  for (let i = 0; i < unfolded.length; i++) {
    const ch = unfolded[i]!;
    const hex = unfolded.slice(i + 1, i + 3);
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, transferEncoding: string | undefined): string {
  const enc = (transferEncoding ?? '7bit').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / =?UTF-8?B?...?=). */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_m, _charset: string, enc: string, text: string) =>
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function parseMime(raw: string): Omit<ReceivedMail, 'from' | 'rcptTo' | 'secure'> {
  const { headers, body } = splitHeaderBody(raw);
  const result = {
    raw,
    headers,
    subject: decodeHeader(headers['subject'] ?? ''),
    text: undefined as string | undefined,
    html: undefined as string | undefined,
  };
  const visit = (partHeaders: Record<string, string>, partBody: string): void => {
    const type = partHeaders['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      const pieces = partBody.split(`--${boundary}`);
      // pieces[0] is the preamble, the last one the epilogue after the closing "--"
      for (const piece of pieces.slice(1)) {
        if (piece.startsWith('--')) break;
        const sub = splitHeaderBody(piece.replace(/^\r\n/, ''));
        visit(sub.headers, sub.body.replace(/\r\n$/, ''));
      }
      return;
    }
    const decoded = decodeBody(partBody, partHeaders['content-transfer-encoding']).replace(
      /\r\n/g,
      '\n',
    );
    if (/^text\/plain/i.test(type)) result.text = decoded;
    else if (/^text\/html/i.test(type)) result.html = decoded;
  };
  visit(headers, body);
  return result;
}
