// Local SMTP receiver (RFC 5321) standing in for the site's mail server, so tests see what wp_mail()
// really put on the wire: the envelope, the raw source and the parsed MIME parts, including each
// attachment's full Content-Type (iMIP needs `text/calendar; method=REQUEST`, reference §6.1).
// The protocol is nodemailer's `smtp-server`, the MIME parsing its `mailparser`.
// Failures are knobs: refuse a stage with a reply code (5xx permanent, 4xx temporary) or drop the
// connection at a stage without answering.

import type { Socket } from 'node:net';

import { simpleParser, type AddressObject, type HeaderValue, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

import { sleep } from './http-fake';

// ---------------------------------------------------------------------------------------------
// Types

/** Where in the SMTP dialogue a failure applies. `data` is after the whole message was received. */
export type SmtpStage = 'connect' | 'mail' | 'rcpt' | 'data';

export interface SmtpFailure {
  stage: SmtpStage;
  /** Reply code for a refusal (default 550; 4xx = try later). Ignored by `drop`. */
  code?: number;
  /** Reply text for a refusal. */
  message?: string;
  /** How many times it applies; default 1. */
  times?: number;
  /** Only recipients (stage `rcpt`) or messages with a recipient (stage `data`) matching this. */
  recipient?: RegExp | string;
}

export interface SmtpAttachment {
  filename?: string;
  /** The MIME type alone, lower case, e.g. `text/calendar`. */
  mimeType: string;
  /** The full Content-Type as received, parameters included, e.g. `text/calendar; method=REQUEST; charset=UTF-8; name=invite.ics`. */
  contentType: string;
  /** Content-Type parameters, names lower case (`method`, `charset`, `name`). */
  params: Record<string, string>;
  /** `attachment` or `inline`, when the part said. */
  disposition?: string;
  content: Buffer;
}

export interface SmtpMessage {
  /** 1, 2, … in order of arrival. */
  id: number;
  /** ISO time the DATA ended. */
  at: string;
  /** SMTP envelope: MAIL FROM and every accepted RCPT TO, exactly as sent. */
  envelope: { from: string; to: string[] };
  /** EHLO/HELO name the client gave. */
  helo: string;
  /** The message source exactly as received (dot-unstuffed, CRLF line ends). */
  raw: string;
  messageId?: string;
  subject: string;
  /** Header addresses (`From:`, `To:`), addresses only. */
  from: string[];
  to: string[];
  /** Lower-cased header name → first value as sent (unfolded). */
  headers: Record<string, string>;
  /** Plain text part ('' when none). */
  text: string;
  /** HTML part ('' when none). */
  html: string;
  /** The top-level Content-Type, e.g. `multipart/mixed; boundary=…`. */
  contentType: string;
  attachments: SmtpAttachment[];
}

export interface SmtpRejection {
  at: string;
  stage: SmtpStage;
  kind: 'refused' | 'dropped';
  code?: number;
  /** The recipient concerned (stage rcpt/data), else the sender (mail). */
  address?: string;
}

export interface SmtpFakeOptions {
  /** Banner/EHLO name; default `smtp-fake.test`. */
  name?: string;
  /** Largest message accepted (SIZE); default 25 MiB. */
  maxBytes?: number;
  /** Wait this long before answering each DATA (a slow server). */
  dataDelayMs?: number;
}

export interface SmtpFake {
  host: string;
  port: number;
  /** `smtp://127.0.0.1:PORT` */
  url: string;
  /** Accepted messages in order (live array; cleared by reset()). */
  messages: SmtpMessage[];
  /** Refusals and drops applied (live array). */
  rejections: SmtpRejection[];
  /** Connections opened so far. */
  connections(): number;
  /** Arm a refusal: the next matching `times` commands at `stage` get `code` (default 550). */
  refuse(f: SmtpFailure): void;
  /** Arm a drop: the next matching `times` times at `stage` the socket is destroyed unanswered. */
  drop(f: Omit<SmtpFailure, 'code' | 'message'>): void;
  setDataDelay(ms: number): void;
  /**
   * Resolves with the first message (already received or arriving later) matching `predicate`.
   * @throws Error after `timeoutMs` naming the subjects that did arrive.
   */
  waitFor(predicate: (m: SmtpMessage) => boolean, timeoutMs?: number): Promise<SmtpMessage>;
  /** Clear messages, rejections and armed failures. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Armed extends SmtpFailure {
  kind: 'refused' | 'dropped';
  left: number;
}

const matches = (pattern: RegExp | string | undefined, address: string): boolean =>
  pattern === undefined || (typeof pattern === 'string' ? address.toLowerCase() === pattern.toLowerCase() : pattern.test(address));

const addresses = (v: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(v) ? v : v ? [v] : []).flatMap((o) => o.value.flatMap((a) => (a.address ? [a.address] : (a.group ?? []).map((g) => g.address ?? ''))));

/** A structured header value (`{ value, params }`) back to its header form. */
function structured(v: HeaderValue | undefined): { value: string; params: Record<string, string> } {
  if (v && typeof v === 'object' && 'value' in v && 'params' in v) {
    const params = Object.fromEntries(Object.entries((v as { params: Record<string, string> }).params).map(([k, p]) => [k.toLowerCase(), String(p)]));
    return { value: String((v as { value: string }).value), params };
  }
  return { value: typeof v === 'string' ? v : '', params: {} };
}

const withParams = (s: { value: string; params: Record<string, string> }): string =>
  [s.value, ...Object.entries(s.params).map(([k, v]) => `${k}=${/[\s;"=]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v}`)].join('; ');

function rawHeaders(parsed: ParsedMail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const key = line.key.toLowerCase();
    if (out[key] === undefined) out[key] = line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  }
  return out;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

// ---------------------------------------------------------------------------------------------
// Server

/** Starts the SMTP fake on 127.0.0.1 and a free port. No TLS, no AUTH (PHPMailer: SMTPAutoTLS false, SMTPAuth false). */
export async function startSmtpFake(options: SmtpFakeOptions = {}): Promise<SmtpFake> {
  const messages: SmtpMessage[] = [];
  const rejections: SmtpRejection[] = [];
  const armed: Armed[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Map<number, Socket>(); // by the client's port: session.remotePort
  let dataDelayMs = options.dataDelayMs ?? 0;
  let opened = 0;

  /** The first armed failure for this stage whose recipient filter matches one of `recipients`, consumed. */
  const take = (stage: SmtpStage, recipients: string[] = []): Armed | undefined => {
    const i = armed.findIndex((a) => a.stage === stage && a.left > 0 && (a.recipient === undefined || recipients.some((r) => matches(a.recipient, r))));
    if (i < 0) return undefined;
    const a = armed[i]!;
    a.left -= 1;
    if (a.left <= 0) armed.splice(i, 1);
    return a;
  };

  /** Applies a failure: returns the error for the callback, or null when the socket was dropped. */
  const apply = (a: Armed, stage: SmtpStage, session: SMTPServerSession, address?: string): Error | null => {
    rejections.push({ at: new Date().toISOString(), stage, kind: a.kind, ...(a.kind === 'refused' ? { code: a.code ?? 550 } : {}), ...(address ? { address } : {}) });
    if (a.kind === 'dropped') {
      sockets.get(session.remotePort)?.destroy();
      return null;
    }
    const code = a.code ?? 550;
    return smtpError(code, a.message ?? (code >= 500 ? 'Requested action not taken: refused by the test' : 'Try again later (test)'));
  };

  const server = new SMTPServer({
    name: options.name ?? 'smtp-fake.test',
    banner: 'BookingX test SMTP fake',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    logger: false,
    size: options.maxBytes ?? 25 * 1024 * 1024,
    onConnect(session, callback) {
      opened += 1;
      const a = take('connect');
      if (!a) return callback();
      const err = apply(a, 'connect', session);
      if (err) callback(err);
    },
    onMailFrom(address: SMTPServerAddress, session, callback) {
      const a = take('mail');
      if (!a) return callback();
      const err = apply(a, 'mail', session, address.address);
      if (err) callback(err);
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const a = take('rcpt', [address.address]);
      if (!a) return callback();
      const err = apply(a, 'rcpt', session, address.address);
      if (err) callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => callback(e));
      stream.on('end', () => {
        void (async () => {
          if (dataDelayMs > 0) await sleep(dataDelayMs);
          const to = session.envelope.rcptTo.map((r) => r.address);
          const a = take('data', to);
          if (a) {
            const err = apply(a, 'data', session, to[0]);
            if (err) callback(err);
            return;
          }
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(smtpError(552, 'Message exceeds fixed maximum message size'));
            return;
          }
          const raw = Buffer.concat(chunks);
          try {
            const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
            const ct = structured(parsed.headers.get('content-type'));
            const from = session.envelope.mailFrom;
            messages.push({
              id: messages.length + 1,
              at: new Date().toISOString(),
              envelope: { from: from ? from.address : '', to },
              helo: session.hostNameAppearsAs ?? '',
              raw: raw.toString('utf8'),
              ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
              subject: parsed.subject ?? '',
              from: addresses(parsed.from),
              to: addresses(parsed.to),
              headers: rawHeaders(parsed),
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              contentType: ct.value ? withParams(ct) : 'text/plain',
              attachments: parsed.attachments.map((att) => {
                const c = structured(att.headers.get('content-type'));
                const mime = (c.value || att.contentType).toLowerCase();
                return {
                  ...(att.filename ? { filename: att.filename } : {}),
                  mimeType: mime,
                  contentType: withParams({ value: mime, params: c.params }),
                  params: c.params,
                  ...(att.contentDisposition ? { disposition: att.contentDisposition } : {}),
                  content: att.content,
                };
              }),
            });
          } catch (e) {
            callback(smtpError(554, `Transaction failed: the test fake could not parse the message (${String(e)})`));
            return;
          }
          callback(null, 'Queued by the test fake');
          for (const w of [...waiters]) w();
        })();
      });
    },
  });
  server.on('error', () => {
    /* a client that hangs up mid-dialogue is no failure of the fake */
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const fake: SmtpFake = {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejections,
    connections: () => opened,
    refuse(f) {
      armed.push({ ...f, kind: 'refused', left: f.times ?? 1 });
    },
    drop(f) {
      armed.push({ ...f, kind: 'dropped', left: f.times ?? 1 });
    },
    setDataDelay(ms) {
      dataDelayMs = ms;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise<SmtpMessage>((resolve, reject) => {
        const check = (): boolean => {
          const m = messages.find(predicate);
          if (!m) return false;
          cleanup();
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No matching e-mail within ${timeoutMs} ms. Received: ${JSON.stringify(messages.map((m) => `${m.envelope.to.join(',')}: ${m.subject}`))}`));
        }, timeoutMs);
        const waiter = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
        check();
      });
    },
    reset() {
      messages.length = 0;
      rejections.length = 0;
      armed.length = 0;
    },
    close() {
      for (const s of sockets.values()) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
