// Shared plumbing for the platform fakes: request recording and failure injection.
// Follows "General fake rules" in shared/reference/platform-contracts.md: every error is
// injectable (status, body, Retry-After, delay, connection reset) and every request is recorded
// with its exact raw body.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Failure to inject on the next `times` requests (control routes under `/__fake/` are exempt). */
export interface FailWith {
  /** HTTP status to answer with. Omit to only delay (and then answer normally) or to reset. */
  status?: number;
  /** Response body; objects are sent as JSON. */
  body?: string | Record<string, unknown> | unknown[];
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Shortcut for a `Retry-After` header. */
  retryAfter?: string | number;
  /** Wait this long before answering (or resetting). */
  delayMs?: number;
  /** Destroy the socket instead of answering (the client sees ECONNRESET / "socket hang up"). */
  reset?: boolean;
  /** How many requests this applies to; default 1. */
  times?: number;
}

/** One request as the fake saw it. */
export interface RecordedRequest<V = unknown> {
  at: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  /** Raw request body, UTF-8 decoded, exactly as received. */
  body: string;
  /** Set when an injected failure was applied to this request. */
  injected?: Omit<FailWith, 'times'>;
  /** Platform-specific outcome (e.g. the Jitsi token verification result). */
  verification?: V;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function queryToObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Tracks the remaining count of an injected failure. `take()` returns the failure to apply to
 * the current request, or null.
 */
export class FailureInjector {
  private current: FailWith | null = null;
  private remaining = 0;

  set(f: FailWith | null | undefined): void {
    this.current = f ?? null;
    this.remaining = f ? Math.max(0, f.times ?? 1) : 0;
  }

  take(): Omit<FailWith, 'times'> | null {
    if (!this.current || this.remaining <= 0) return null;
    this.remaining -= 1;
    const { times: _times, ...rest } = this.current;
    if (this.remaining === 0) this.current = null;
    return rest;
  }
}

/**
 * Applies an injected failure. Returns true when the response was fully handled (answered or
 * reset); false when it was only a delay and the normal handler should continue.
 */
export async function applyFailure(
  f: Omit<FailWith, 'times'>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  if (f.delayMs && f.delayMs > 0) await sleep(f.delayMs);
  if (f.reset) {
    req.socket.destroy();
    return true;
  }
  if (f.status === undefined) return false;
  const headers: Record<string, string> = { ...(f.headers ?? {}) };
  if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
  let body = '';
  if (typeof f.body === 'string') body = f.body;
  else if (f.body !== undefined) {
    body = JSON.stringify(f.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(f.status, headers);
  res.end(body);
  return true;
}
