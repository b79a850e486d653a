// Local fake of Google OAuth 2.0 (authorization code + PKCE, refresh, revoke) and Calendar v3
// events with Google Meet conferences.
// @see shared/reference/platform-contracts.md §3.1 (OAuth), §3.2 (insert with Meet), §3.3
// (get/patch/update/delete), §3.4 (errors and quotas) and §8 (event routes carry the calendar id).
// Behaviours marked [U] in the reference (or not in it at all) are knobs here, never hard-coded.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { applyFailure, queryToObject, readBody, type FailWith, type RecordedRequest } from './http-fake';

// ---------------------------------------------------------------------------------------------
// Types

/** Failure injection (§ General fake rules) with an optional request filter. */
export interface GoogleFailWith extends FailWith {
  /** Only requests matching this are affected (and counted against `times`). */
  match?: { method?: string; path?: RegExp | string };
}

/** Calendar quota (§3.4): at most `limit` calendar calls per window of the `now()` clock. */
export interface GoogleRateLimitKnob {
  limit: number;
  /** Window length in seconds of `now()`; default 60. */
  windowSeconds?: number;
  /** 403 (documented) or 429 [U]. */
  status: 403 | 429;
  /** Default `rateLimitExceeded`. 429 always uses `rateLimitExceeded`. */
  reason?: 'rateLimitExceeded' | 'userRateLimitExceeded';
  /** Google documents no rate-limit headers; set this to add a `Retry-After` anyway. */
  retryAfter?: number;
}

export interface GoogleFakeUser {
  email: string;
  sub: string;
}

export interface GoogleFakeKnobs {
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; `redirect_uri` must equal one exactly. */
  redirectUris: string[];
  /** The signed-in Google account; its email is the `primary` calendar id. */
  user: GoogleFakeUser;
  /** Calendar ids besides `primary` / the user's email that the user may write to. */
  calendars: string[];
  /** Scopes the consent page accepts (plus `openid`, `email`, `profile`). */
  supportedScopes: string[];
  /** Fake strictness: the consent page demands `state` (Google does not). */
  requireState: boolean;
  /** Fake strictness: the consent page demands `code_challenge` (Google does not for web apps) [U]. */
  requirePkce: boolean;
  /** Accepted `code_challenge_method`s. A missing method means `plain` (RFC 7636). */
  pkceMethods: Array<'S256' | 'plain'>;
  /** What the user clicks on the consent page. */
  userDecision: 'allow' | 'deny';
  /** Scopes the user unchecks (granular consent); the rest are granted. All unchecked = deny. */
  deniedScopes: string[];
  /**
   * The user already consented to this client once. Then a refresh token comes only with
   * `prompt=consent` (§3.1). Set to true by the fake after every allowed consent.
   */
  priorConsent: boolean;
  /** Lifetime of an authorization code [U]. */
  codeTtlSeconds: number;
  /** `expires_in` of access tokens (§3.1: ≈3599 [U]). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime (e.g. 7 days for apps in "testing" status); null = no expiry. */
  refreshTokenTtlSeconds: number | null;
  /** Refresh answers carry a new refresh token and revoke the old one (§3.1: usually not [U]). */
  rotateRefreshTokens: boolean;
  /** Clock in epoch seconds: tokens, codes, quota windows, `created`/`updated`. */
  now: () => number;
  /** Status of a successful insert (§3.2 [U: 200 vs 201]). */
  insertStatus: 200 | 201;
  /** Status of a successful delete, always with an empty body (§3.3 [U]). */
  deleteStatus: 204 | 200;
  /**
   * GETs needed before a new conference leaves `pending` (§3.2 fake knob). 0 = the insert answer
   * already has the final status; N ≥ 1 = the insert and the first N-1 GETs say `pending`, the
   * N-th GET has the final status.
   */
  conferencePendingGets: number;
  /** Final `createRequest.status.statusCode` of new conferences. */
  conferenceOutcome: 'success' | 'failure';
  /** Leave `hangoutLink` out of events (§3.2 fake knob). */
  omitHangoutLink: boolean;
  /** Add the `more` (tel.meet) and `phone` entry points besides `video`. */
  phoneEntryPoints: boolean;
  /** `conferenceSolutionKey.type`s this calendar allows; others → 400 invalid [U]. */
  allowedConferenceSolutionTypes: string[];
  /**
   * A `requestId` already used by ANOTHER event (§3.2 "a repeated id makes Google ignore the
   * request"): 'sameConference' attaches the existing conference (same Meet link), 'ignore'
   * drops the create request (no conference on insert, unchanged on patch) [U].
   * Re-sending the event's own requestId is always a no-op.
   */
  repeatedRequestId: 'sameConference' | 'ignore';
  /** PATCH/PUT without `conferenceDataVersion=1` keeps or drops the existing conference [U]. */
  modifyWithoutConferenceVersion: 'keep' | 'drop';
  /** GET of a deleted event: 200 with `status:"cancelled"` (§3.3), or 404 / 410. */
  deletedEventGet: 'cancelled' | 404 | 410;
  /** Deleting a deleted event (§3.3: 410 [U]). */
  deleteAgainStatus: 410 | 404;
  /** Add the canonical `status` ("NOT_FOUND", …) to error bodies [U]. */
  includeErrorStatus: boolean;
  /** Calendar quota; null = off. */
  rateLimit: GoogleRateLimitKnob | null;
  /** `timeZone` of the calendars in `events.list` answers [U: list is outside reference §3]. */
  calendarTimeZone: string;
  /** Replace all armed failures with this one (null clears). `failWith()` appends instead. */
  failWith: GoogleFailWith | null;
}

export type GoogleFakeOptions = Partial<GoogleFakeKnobs>;

export interface GoogleRecordedRequest extends RecordedRequest<never> {
  /** Status answered; undefined when the socket was destroyed. */
  status?: number;
  /** The connection was destroyed without an answer (reset injection or lost create). */
  dropped?: boolean;
}

export interface GoogleIssuedToken {
  kind: 'access' | 'refresh';
  token: string;
  clientId: string;
  scope: string;
  /** Epoch seconds (clock knob). */
  issuedAt: number;
  /** null = never expires. */
  expiresAt: number | null;
  revoked: boolean;
  /** For access tokens: the refresh token they belong to. */
  refreshToken?: string;
}

export interface GoogleFakeConference {
  requestId: string;
  solutionType: string;
  /** Meet code `aaa-bbbb-ccc`. */
  conferenceId: string;
  status: 'pending' | 'success' | 'failure';
  /** GETs left until `status` becomes `outcome`. */
  getsLeft: number;
  outcome: 'success' | 'failure';
  pin: string;
}

/** A stored event. `resource` is the Event without `conferenceData`/`hangoutLink` (rendered). */
export interface GoogleFakeEvent {
  calendarId: string;
  resource: Record<string, unknown>;
  /** A conference made by a create request (shared between events by `repeatedRequestId`). */
  conference: GoogleFakeConference | null;
  /** conferenceData copied in by the client (no createRequest), stored as sent. */
  copiedConference: Record<string, unknown> | null;
  deleted: boolean;
}

/** One invitation/notification Google would have sent (`sendUpdates` all/externalOnly). */
export interface GoogleNotification {
  at: string;
  action: 'insert' | 'patch' | 'update' | 'delete';
  calendarId: string;
  eventId: string;
  sendUpdates: 'all' | 'externalOnly';
  recipients: string[];
}

export interface GoogleFake {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Consent page: `GET /o/oauth2/v2/auth`. */
  authUrl: string;
  /** `POST /token` */
  tokenUrl: string;
  /** `POST /revoke` */
  revokeUrl: string;
  /** `http://127.0.0.1:PORT/calendar/v3` */
  calendarBase: string;
  /** Every non-control request, in order (live array; cleared by reset()). */
  requests: GoogleRecordedRequest[];
  /** Events by id (live). */
  events: Map<string, GoogleFakeEvent>;
  /** Conferences by requestId (live). */
  conferences: Map<string, GoogleFakeConference>;
  /** Every access and refresh token issued (live). */
  tokensIssued: GoogleIssuedToken[];
  /** Notifications sent because of `sendUpdates` (live). */
  notifications: GoogleNotification[];
  setKnobs(patch: Partial<GoogleFakeKnobs>): void;
  knobs(): GoogleFakeKnobs;
  /** Arm one more failure (queue; the first armed failure that matches a request applies). */
  failWith(f: GoogleFailWith): void;
  /** The next `times` successful inserts store the event, then destroy the socket unanswered. */
  loseNextCreateResponse(times?: number): void;
  /**
   * Revoke one refresh token, or all of them (the user removed the app's access). Access
   * tokens minted from a revoked refresh token stop working too.
   */
  revokeRefreshToken(token?: string): void;
  /** Restore the start options; clear requests, events, conferences, failures, quota, notifications; tokens unless `{ tokens: false }`. */
  reset(opts?: { tokens?: boolean }): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants and helpers

export const GOOGLE_SCOPE_CALENDAR = 'https://www.googleapis.com/auth/calendar';
export const GOOGLE_SCOPE_CALENDAR_EVENTS = 'https://www.googleapis.com/auth/calendar.events';
export const GOOGLE_SCOPE_CALENDAR_READONLY = 'https://www.googleapis.com/auth/calendar.readonly';
const OIDC_SCOPES = ['openid', 'email', 'profile'];
const WRITE_SCOPES = [GOOGLE_SCOPE_CALENDAR, GOOGLE_SCOPE_CALENDAR_EVENTS];
const READ_SCOPES = [...WRITE_SCOPES, GOOGLE_SCOPE_CALENDAR_READONLY, 'https://www.googleapis.com/auth/calendar.events.readonly'];

const MEET_ICON = 'https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png';
const AUTH_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

const CANONICAL_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/**
 * A Google API error body (§3.4): `{"error":{"code","message","errors":[{domain,reason,message,…}],"status"?}}`.
 * Handy as a `failWith` body. `status` is the canonical name for `code` unless `status: null`.
 */
export function googleApiError(
  code: number,
  reason: string,
  message: string,
  opts: { domain?: string; location?: string; locationType?: string; status?: string | null } = {},
): { error: Record<string, unknown> } {
  const item: GoogleErrorItem = { domain: opts.domain ?? 'global', reason, message };
  if (opts.location !== undefined) item.location = opts.location;
  if (opts.locationType !== undefined) item.locationType = opts.locationType;
  const error: Record<string, unknown> = { code, message, errors: [item] };
  const status = opts.status === undefined ? CANONICAL_STATUS[code] : opts.status;
  if (status) error['status'] = status;
  return { error };
}

/** The §3.4 quota errors, ready for `failWith({ status, body })`. */
export function googleQuotaError(kind: 'rateLimitExceeded' | 'userRateLimitExceeded' | 'tooManyRequests'): { error: Record<string, unknown> } {
  if (kind === 'tooManyRequests') return googleApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', { domain: 'usageLimits' });
  const message = kind === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : 'User Rate Limit Exceeded';
  return googleApiError(403, kind, message, { domain: 'usageLimits' });
}

/** RFC 7636 S256: base64url(sha256(verifier)). */
export function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
function base32hexId(len = 26): string {
  let s = '';
  for (let i = 0; i < len; i++) s += BASE32HEX[randomInt(32)];
  return s;
}

function meetCode(): string {
  const part = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + randomInt(26))).join('');
  return `${part(3)}-${part(4)}-${part(3)}`;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` at instant `ms`, in ms. */
function tzOffsetMs(ms: number, tz: string): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000;
}

/** `yyyy-mm-ddTHH:MM[:SS]` local wall time in `tz` → epoch ms. */
function localToUtc(local: string, tz: string): number {
  const guess = Date.parse(`${local}Z`);
  const off1 = tzOffsetMs(guess - tzOffsetMs(guess, tz), tz);
  const t = guess - off1;
  const off2 = tzOffsetMs(t, tz);
  return off2 === off1 ? t : guess - off2;
}

const DATE_TIME_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})?$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const EVENT_ID_RE = /^[a-v0-9]{5,1024}$/;
const RECURRENCE_RE = /^(RRULE|EXRULE|RDATE|EXDATE)[:;]/;

/** Fields of an Event a client may write; anything else in a body is ignored. */
const WRITABLE = [
  'summary',
  'description',
  'location',
  'colorId',
  'start',
  'end',
  'recurrence',
  'attendees',
  'reminders',
  'transparency',
  'visibility',
  'status',
  'guestsCanModify',
  'guestsCanInviteOthers',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'extendedProperties',
  'source',
  'attachments',
] as const;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly msg: string,
    readonly opts: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
  ) {
    super(msg);
  }
}

const badRequest = (reason: string, message: string, location?: string, locationType = 'parameter'): ApiError =>
  new ApiError(400, reason, message, location === undefined ? {} : { location, locationType });

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Recursive PATCH merge: objects merge, arrays and scalars replace, `null` removes. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergePatch(out[k] as Record<string, unknown>, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Start the Google fake on 127.0.0.1 (random port).
 * Routes: `GET /o/oauth2/v2/auth` (consent, answers 302), `POST /token`, `POST /revoke`;
 * `GET|POST /calendar/v3/calendars/{calendarId}/events` (list, insert);
 * `GET|PATCH|PUT|DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}`;
 * control routes `GET /__fake/requests`, `GET /__fake/events` (not recorded, never failed/limited).
 */
export async function startGoogleFake(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const requests: GoogleRecordedRequest[] = [];
  const events = new Map<string, GoogleFakeEvent>();
  const conferences = new Map<string, GoogleFakeConference>();
  const tokensIssued: GoogleIssuedToken[] = [];
  const tokens = new Map<string, GoogleIssuedToken>();
  const notifications: GoogleNotification[] = [];
  interface AuthCode {
    clientId: string;
    redirectUri: string;
    scope: string;
    challenge: string | null;
    method: 'S256' | 'plain';
    issueRefresh: boolean;
    expiresAt: number;
    used: boolean;
  }
  const codes = new Map<string, AuthCode>();
  let failures: Array<{ f: GoogleFailWith; remaining: number }> = [];
  let loseCreates = 0;
  let quota = { window: -1, count: 0 };
  let etagSeq = 0;
  let origin = '';

  const initialKnobs = (): GoogleFakeKnobs => ({
    clientId: 'fake-google-client-id.apps.googleusercontent.com',
    clientSecret: 'fake-google-client-secret',
    redirectUris: ['http://127.0.0.1:8080/oauth/google/callback'],
    user: { email: 'provider@example.test', sub: '109876543210987654321' },
    calendars: [],
    supportedScopes: [GOOGLE_SCOPE_CALENDAR_EVENTS, GOOGLE_SCOPE_CALENDAR_READONLY, GOOGLE_SCOPE_CALENDAR],
    requireState: true,
    requirePkce: true,
    pkceMethods: ['S256'],
    userDecision: 'allow',
    deniedScopes: [],
    priorConsent: false,
    codeTtlSeconds: 600,
    accessTokenTtlSeconds: 3599,
    refreshTokenTtlSeconds: null,
    rotateRefreshTokens: false,
    now: () => Math.floor(Date.now() / 1000),
    insertStatus: 200,
    deleteStatus: 204,
    conferencePendingGets: 0,
    conferenceOutcome: 'success',
    omitHangoutLink: false,
    phoneEntryPoints: false,
    allowedConferenceSolutionTypes: ['hangoutsMeet'],
    repeatedRequestId: 'sameConference',
    modifyWithoutConferenceVersion: 'keep',
    deletedEventGet: 'cancelled',
    deleteAgainStatus: 410,
    includeErrorStatus: true,
    rateLimit: null,
    calendarTimeZone: 'UTC',
    failWith: null,
    ...stripUndefined(options),
  });
  let knobs = initialKnobs();

  const armFailures = (f: GoogleFailWith | null): void => {
    failures = f ? [{ f, remaining: Math.max(0, f.times ?? 1) }] : [];
  };
  armFailures(knobs.failWith);

  const takeFailure = (method: string, path: string): GoogleFailWith | null => {
    for (const entry of failures) {
      if (entry.remaining <= 0) continue;
      const m = entry.f.match;
      if (m?.method && m.method.toUpperCase() !== method) continue;
      if (m?.path && !(typeof m.path === 'string' ? new RegExp(m.path) : m.path).test(path)) continue;
      entry.remaining -= 1;
      failures = failures.filter((e) => e.remaining > 0);
      return entry.f;
    }
    return null;
  };

  // --- responses ------------------------------------------------------------------------------

  const send = (
    rec: GoogleRecordedRequest | null,
    res: ServerResponse,
    status: number,
    body: string | null,
    headers: Record<string, string> = {},
  ): void => {
    const h: Record<string, string> = { ...headers };
    if (body !== null) h['content-type'] ??= 'application/json; charset=UTF-8';
    if (rec) rec.status = status;
    res.writeHead(status, h);
    res.end(body ?? undefined);
  };

  const sendApiError = (rec: GoogleRecordedRequest, res: ServerResponse, e: ApiError): void => {
    const body = googleApiError(e.status, e.reason, e.msg, {
      ...(e.opts.domain === undefined ? {} : { domain: e.opts.domain }),
      ...(e.opts.location === undefined ? {} : { location: e.opts.location }),
      ...(e.opts.locationType === undefined ? {} : { locationType: e.opts.locationType }),
      ...(knobs.includeErrorStatus ? {} : { status: null }),
    });
    send(rec, res, e.status, JSON.stringify(body), e.opts.headers ?? {});
  };

  // --- OAuth: consent page ---------------------------------------------------------------------

  const errorPage = (rec: GoogleRecordedRequest, res: ServerResponse, status: number, error: string, detail: string): void => {
    const html =
      `<!doctype html><html><head><meta charset="utf-8"><title>Error ${status}: ${escapeHtml(error)}</title></head>` +
      `<body><main id="google-fake-oauth" data-error="${escapeHtml(error)}"><h1>Error ${status}: ${escapeHtml(error)}</h1>` +
      `<p role="alert">${escapeHtml(detail)}</p></main></body></html>`;
    send(rec, res, status, html, { 'content-type': 'text/html; charset=utf-8' });
  };

  const handleAuth = (url: URL, method: string, rec: GoogleRecordedRequest, res: ServerResponse): void => {
    if (method !== 'GET') return errorPage(rec, res, 405, 'invalid_request', 'Method not allowed.');
    const q = url.searchParams;
    const clientId = q.get('client_id');
    if (!clientId) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: client_id');
    if (clientId !== knobs.clientId) return errorPage(rec, res, 401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: redirect_uri');
    if (!knobs.redirectUris.includes(redirectUri)) {
      return errorPage(rec, res, 400, 'redirect_uri_mismatch', `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`);
    }
    // From here on the redirect URI is trusted, but Google still shows an error page for a
    // malformed request rather than redirecting [U]; only the user's decision is redirected.
    const responseType = q.get('response_type');
    if (!responseType) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: response_type');
    if (responseType !== 'code') return errorPage(rec, res, 400, 'unsupported_response_type', `Invalid response_type: ${responseType}`);
    const scopeParam = q.get('scope');
    if (!scopeParam || !scopeParam.trim()) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: scope');
    const requested = [...new Set(scopeParam.trim().split(/\s+/))];
    const invalid = requested.filter((s) => !knobs.supportedScopes.includes(s) && !OIDC_SCOPES.includes(s));
    if (invalid.length) return errorPage(rec, res, 400, 'invalid_scope', `Some requested scopes were invalid. {invalid=[${invalid.join(', ')}]}`);
    const state = q.get('state');
    if (knobs.requireState && !state) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: state');
    const accessType = q.get('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') return errorPage(rec, res, 400, 'invalid_request', `Invalid access_type: ${accessType}`);
    const prompt = (q.get('prompt') ?? '').split(/\s+/).filter(Boolean);
    if (prompt.some((p) => !['none', 'consent', 'select_account'].includes(p)) || (prompt.includes('none') && prompt.length > 1)) {
      return errorPage(rec, res, 400, 'invalid_request', `Invalid prompt: ${q.get('prompt')}`);
    }
    const challenge = q.get('code_challenge');
    const methodParam = q.get('code_challenge_method');
    if (challenge === null) {
      if (methodParam !== null) return errorPage(rec, res, 400, 'invalid_request', 'Missing code_challenge.');
      if (knobs.requirePkce) return errorPage(rec, res, 400, 'invalid_request', 'Missing required parameter: code_challenge');
    }
    const pkceMethod = (methodParam ?? 'plain') as 'S256' | 'plain';
    if (challenge !== null) {
      if (!knobs.pkceMethods.includes(pkceMethod)) return errorPage(rec, res, 400, 'invalid_request', `Invalid code_challenge_method: ${methodParam ?? '(absent, plain)'}`);
      if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) return errorPage(rec, res, 400, 'invalid_request', 'Invalid code_challenge.');
    }
    const includeGranted = q.get('include_granted_scopes');
    if (includeGranted !== null && includeGranted !== 'true' && includeGranted !== 'false') {
      return errorPage(rec, res, 400, 'invalid_request', `Invalid include_granted_scopes: ${includeGranted}`);
    }

    const target = new URL(redirectUri);
    const redirect = (params: Record<string, string>) => {
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set('state', state);
      send(rec, res, 302, null, { location: target.toString() });
    };
    if (prompt.includes('none') && !knobs.priorConsent) return redirect({ error: 'consent_required' });
    if (knobs.userDecision === 'deny') return redirect({ error: 'access_denied' });
    const granted = requested.filter((s) => !knobs.deniedScopes.includes(s));
    if (granted.length === 0) return redirect({ error: 'access_denied' });

    // §3.1: a refresh token only with access_type=offline, and then only on the first consent
    // unless prompt=consent forces it.
    const issueRefresh = accessType === 'offline' && (prompt.includes('consent') || !knobs.priorConsent);
    knobs.priorConsent = true;
    const code = `4/0${randomBytes(40).toString('base64url')}`;
    const scope = granted.join(' ');
    codes.set(code, {
      clientId,
      redirectUri,
      scope,
      challenge,
      method: pkceMethod,
      issueRefresh,
      expiresAt: knobs.now() + knobs.codeTtlSeconds,
      used: false,
    });
    redirect({ code, scope });
  };

  // --- OAuth: token / revoke -------------------------------------------------------------------

  const oauthJson = (rec: GoogleRecordedRequest, res: ServerResponse, status: number, body: unknown): void =>
    send(rec, res, status, JSON.stringify(body), {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
      pragma: 'no-cache',
    });

  const issueToken = (kind: 'access' | 'refresh', clientId: string, scope: string, refreshToken?: string): GoogleIssuedToken => {
    const now = knobs.now();
    const t: GoogleIssuedToken = {
      kind,
      token: kind === 'access' ? `ya29.${randomBytes(48).toString('base64url')}` : `1//0${randomBytes(48).toString('base64url')}`,
      clientId,
      scope,
      issuedAt: now,
      expiresAt:
        kind === 'access' ? now + knobs.accessTokenTtlSeconds : knobs.refreshTokenTtlSeconds === null ? null : now + knobs.refreshTokenTtlSeconds,
      revoked: false,
    };
    if (refreshToken !== undefined) t.refreshToken = refreshToken;
    tokensIssued.push(t);
    tokens.set(t.token, t);
    return t;
  };

  const formOf = (req: IncomingMessage, raw: string): URLSearchParams => {
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    if (!ctype.startsWith('application/x-www-form-urlencoded')) {
      throw new OAuthError(400, 'invalid_request', 'Request must be application/x-www-form-urlencoded.'); // [U] wording
    }
    return new URLSearchParams(raw);
  };

  const handleToken = (req: IncomingMessage, raw: string, rec: GoogleRecordedRequest, res: ServerResponse): void => {
    try {
      if (req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 'Method not allowed.');
      const form = formOf(req, raw);
      // Client authentication: form fields or HTTP Basic (both accepted by Google).
      let clientId = form.get('client_id');
      let clientSecret = form.get('client_secret');
      const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const sep = decoded.indexOf(':');
        if (sep >= 0) {
          clientId = decodeURIComponent(decoded.slice(0, sep));
          clientSecret = decodeURIComponent(decoded.slice(sep + 1));
        }
      }
      if (!clientId) throw new OAuthError(400, 'invalid_request', 'Could not determine client ID from request.');
      if (clientId !== knobs.clientId) throw new OAuthError(401, 'invalid_client', 'The OAuth client was not found.');
      if (clientSecret !== knobs.clientSecret) throw new OAuthError(401, 'invalid_client', 'Unauthorized');

      const grant = form.get('grant_type') ?? '';
      const now = knobs.now();
      if (grant === 'authorization_code') {
        const code = form.get('code');
        if (!code) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: code');
        const c = codes.get(code);
        if (!c) throw new OAuthError(400, 'invalid_grant', 'Malformed auth code.');
        if (c.used || now >= c.expiresAt || c.clientId !== clientId) throw new OAuthError(400, 'invalid_grant', 'Bad Request');
        const redirectUri = form.get('redirect_uri');
        if (redirectUri !== c.redirectUri) throw new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request');
        if (c.challenge !== null) {
          const verifier = form.get('code_verifier');
          if (!verifier) throw new OAuthError(400, 'invalid_grant', 'Missing code verifier.');
          const computed = c.method === 'S256' ? pkceS256(verifier) : verifier;
          if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier) || computed !== c.challenge) {
            throw new OAuthError(400, 'invalid_grant', 'Invalid code verifier.');
          }
        }
        c.used = true; // single use; a failed check above leaves the code usable [U]
        const refresh = c.issueRefresh ? issueToken('refresh', clientId, c.scope) : undefined;
        const access = issueToken('access', clientId, c.scope, refresh?.token);
        const body: Record<string, unknown> = {
          access_token: access.token,
          expires_in: knobs.accessTokenTtlSeconds,
          scope: c.scope,
          token_type: 'Bearer',
        };
        if (refresh) body['refresh_token'] = refresh.token;
        if (refresh && refresh.expiresAt !== null) body['refresh_token_expires_in'] = refresh.expiresAt - now;
        return oauthJson(rec, res, 200, body);
      }
      if (grant === 'refresh_token') {
        const rt = form.get('refresh_token');
        if (!rt) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
        const t = tokens.get(rt);
        if (!t || t.kind !== 'refresh' || t.revoked || t.clientId !== clientId || (t.expiresAt !== null && now >= t.expiresAt)) {
          throw new OAuthError(400, 'invalid_grant', 'Token has been expired or revoked.');
        }
        let refreshToken = t;
        if (knobs.rotateRefreshTokens) {
          t.revoked = true;
          refreshToken = issueToken('refresh', clientId, t.scope);
        }
        const access = issueToken('access', clientId, t.scope, refreshToken.token);
        const body: Record<string, unknown> = {
          access_token: access.token,
          expires_in: knobs.accessTokenTtlSeconds,
          scope: t.scope,
          token_type: 'Bearer',
        };
        if (knobs.rotateRefreshTokens) body['refresh_token'] = refreshToken.token;
        return oauthJson(rec, res, 200, body);
      }
      throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`);
    } catch (e) {
      if (e instanceof OAuthError) return oauthJson(rec, res, e.status, { error: e.error, error_description: e.description });
      throw e;
    }
  };

  const revokeFamily = (t: GoogleIssuedToken): void => {
    const root = t.kind === 'refresh' ? t.token : t.refreshToken;
    t.revoked = true;
    if (root === undefined) return;
    for (const x of tokensIssued) if (x.token === root || x.refreshToken === root) x.revoked = true;
  };

  const handleRevoke = (req: IncomingMessage, url: URL, raw: string, rec: GoogleRecordedRequest, res: ServerResponse): void => {
    try {
      if (req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 'Method not allowed.');
      const token = url.searchParams.get('token') ?? (raw ? formOf(req, raw).get('token') : null);
      if (!token) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: token');
      const t = tokens.get(token);
      if (!t || t.revoked) throw new OAuthError(400, 'invalid_token', 'Token expired or revoked');
      // Revoking either an access token or its refresh token revokes both.
      revokeFamily(t);
      return oauthJson(rec, res, 200, {});
    } catch (e) {
      if (e instanceof OAuthError) return oauthJson(rec, res, e.status, { error: e.error, error_description: e.description });
      throw e;
    }
  };

  // --- Calendar: auth, quota, parsing -----------------------------------------------------------

  const authenticate = (req: IncomingMessage): GoogleIssuedToken => {
    const header = req.headers.authorization;
    const wwwAuth = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };
    if (!header) {
      // [U] the classic "Login Required" answer for a missing header.
      throw new ApiError(401, 'required', 'Login Required.', { location: 'Authorization', locationType: 'header', headers: wwwAuth });
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const t = m ? tokens.get(m[1]!) : undefined;
    if (!t || t.kind !== 'access' || t.revoked || (t.expiresAt !== null && knobs.now() >= t.expiresAt)) {
      throw new ApiError(401, 'authError', 'Invalid Credentials', { location: 'Authorization', locationType: 'header', headers: wwwAuth });
    }
    return t;
  };

  const requireScope = (t: GoogleIssuedToken, write: boolean): void => {
    const have = t.scope.split(' ');
    if (!have.some((s) => (write ? WRITE_SCOPES : READ_SCOPES).includes(s))) {
      throw new ApiError(403, 'insufficientPermissions', 'Insufficient Permission', {
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"' },
      });
    }
  };

  const checkQuota = (): void => {
    const rl = knobs.rateLimit;
    if (!rl || rl.limit < 0) return;
    const w = Math.floor(knobs.now() / Math.max(1, rl.windowSeconds ?? 60));
    if (w !== quota.window) quota = { window: w, count: 0 };
    quota.count += 1;
    if (quota.count <= rl.limit) return;
    const reason = rl.status === 429 ? 'rateLimitExceeded' : (rl.reason ?? 'rateLimitExceeded');
    const message = reason === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : 'User Rate Limit Exceeded';
    const headers: Record<string, string> = rl.retryAfter === undefined ? {} : { 'retry-after': String(rl.retryAfter) };
    throw new ApiError(rl.status, reason, message, { domain: 'usageLimits', headers });
  };

  const parseJsonBody = (req: IncomingMessage, raw: string): Record<string, unknown> => {
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    if (ctype.startsWith('application/x-www-form-urlencoded')) {
      throw badRequest('parseError', 'This API does not support parsing form-encoded input.');
    }
    if (!ctype.startsWith('application/json')) throw badRequest('parseError', 'Parse Error'); // [U]
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw badRequest('parseError', 'Parse Error');
    }
    if (!isObject(v)) throw badRequest('parseError', 'Parse Error');
    return v;
  };

  const resolveCalendar = (raw: string): string => {
    const id = decodeURIComponent(raw);
    if (id === 'primary' || id.toLowerCase() === knobs.user.email.toLowerCase()) return knobs.user.email;
    if (knobs.calendars.includes(id)) return id;
    throw new ApiError(404, 'notFound', 'Not Found');
  };

  const queryParams = (url: URL): { version: 0 | 1; sendUpdates: 'all' | 'externalOnly' | 'none' } => {
    const v = url.searchParams.get('conferenceDataVersion') ?? '0';
    if (v !== '0' && v !== '1') {
      throw badRequest('invalid', `Invalid conference data version value: ${v}`, 'conferenceDataVersion'); // [U] wording
    }
    let su = url.searchParams.get('sendUpdates');
    if (su === null) {
      const sn = url.searchParams.get('sendNotifications'); // deprecated: true = all
      su = sn === 'true' ? 'all' : 'none';
    }
    if (su !== 'all' && su !== 'externalOnly' && su !== 'none') {
      throw badRequest('invalidParameter', `Invalid value '${su}'. Values must match the following regular expression: '(all|externalOnly|none)'`, 'sendUpdates');
    }
    return { version: v === '1' ? 1 : 0, sendUpdates: su };
  };

  // --- Calendar: event validation ---------------------------------------------------------------

  /** Validate one of start/end; returns its instant in epoch ms (all-day: UTC midnight). */
  const validateTime = (v: unknown, which: 'start' | 'end', recurring: boolean): number => {
    if (v === undefined || v === null) throw badRequest('required', `Missing ${which} time.`);
    if (!isObject(v)) throw badRequest('invalid', `Invalid ${which} time.`);
    const { dateTime, date, timeZone } = v;
    if (timeZone !== undefined && (typeof timeZone !== 'string' || !validTimezone(timeZone))) {
      throw badRequest('invalid', `Invalid time zone definition for ${which} time.`);
    }
    if ((dateTime === undefined) === (date === undefined)) throw badRequest('required', `Missing ${which} time.`);
    if (date !== undefined) {
      if (typeof date !== 'string' || !DATE_RE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
        throw badRequest('invalid', `Invalid ${which} time.`);
      }
      return Date.parse(`${date}T00:00:00Z`);
    }
    const m = typeof dateTime === 'string' ? DATE_TIME_RE.exec(dateTime) : null;
    if (!m) throw badRequest('invalid', `Invalid ${which} time.`);
    if (recurring && timeZone === undefined) throw badRequest('required', `Missing time zone definition for ${which} time.`);
    if (m[2] === undefined) {
      if (timeZone === undefined) throw badRequest('required', `Missing time zone definition for ${which} time.`);
      const t = localToUtc(m[1]!.length === 16 ? `${m[1]}:00` : m[1]!, timeZone as string);
      if (Number.isNaN(t)) throw badRequest('invalid', `Invalid ${which} time.`);
      return t;
    }
    const t = Date.parse(dateTime as string);
    if (Number.isNaN(t)) throw badRequest('invalid', `Invalid ${which} time.`);
    return t;
  };

  /** Validate and normalise the writable fields of a full event (insert, PUT, or a merged PATCH). */
  const validateEvent = (e: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const k of WRITABLE) if (e[k] !== undefined) out[k] = structuredClone(e[k]);
    for (const k of ['summary', 'description', 'location'] as const) {
      if (out[k] !== undefined && typeof out[k] !== 'string') throw badRequest('invalid', `Invalid value for: ${k}`);
    }
    if (out['status'] !== undefined && !['confirmed', 'tentative', 'cancelled'].includes(out['status'] as string)) {
      throw badRequest('invalid', 'Invalid value for: status');
    }
    const recurrence = out['recurrence'];
    if (recurrence !== undefined) {
      if (!Array.isArray(recurrence) || recurrence.some((r) => typeof r !== 'string' || !RECURRENCE_RE.test(r))) {
        throw badRequest('invalid', 'Invalid recurrence rule.');
      }
    }
    const recurring = Array.isArray(recurrence) && recurrence.length > 0;
    const start = validateTime(out['start'], 'start', recurring);
    const end = validateTime(out['end'], 'end', recurring);
    if (end < start) throw badRequest('timeRangeEmpty', 'The specified time range is empty.', 'timeRange');
    if (out['attendees'] !== undefined) {
      const a = out['attendees'];
      if (!Array.isArray(a)) throw badRequest('invalid', 'Invalid attendee.');
      out['attendees'] = a.map((x: unknown) => {
        if (!isObject(x) || typeof x['email'] !== 'string' || !x['email'].includes('@')) throw badRequest('invalid', 'Invalid attendee email.');
        const att: Record<string, unknown> = { ...x, responseStatus: x['responseStatus'] ?? 'needsAction' };
        if (x['email'].toLowerCase() === knobs.user.email.toLowerCase()) Object.assign(att, { self: true, organizer: true });
        return att;
      });
    }
    if (out['extendedProperties'] !== undefined && !isObject(out['extendedProperties'])) throw badRequest('invalid', 'Invalid value for: extendedProperties');
    return out;
  };

  // --- Calendar: conferences --------------------------------------------------------------------

  const newConference = (requestId: string, solutionType: string): GoogleFakeConference => {
    const pending = Math.max(0, Math.floor(knobs.conferencePendingGets));
    const c: GoogleFakeConference = {
      requestId,
      solutionType,
      conferenceId: meetCode(),
      status: pending > 0 ? 'pending' : knobs.conferenceOutcome,
      getsLeft: pending,
      outcome: knobs.conferenceOutcome,
      pin: String(randomInt(1e9, 1e10)) + String(randomInt(1e3, 1e4)),
    };
    conferences.set(requestId, c);
    return c;
  };

  /**
   * Apply the request's conferenceData to `ev` (§3.2/§3.3). `present` = the body has the key.
   * Version 0 ignores conferenceData; version 1 creates, copies, keeps or removes.
   */
  const applyConference = (ev: GoogleFakeEvent, body: Record<string, unknown>, version: 0 | 1, kind: 'insert' | 'patch' | 'update'): void => {
    if (version !== 1) {
      if (kind !== 'insert' && knobs.modifyWithoutConferenceVersion === 'drop') {
        ev.conference = null;
        ev.copiedConference = null;
      }
      return;
    }
    if (!('conferenceData' in body)) {
      if (kind === 'update') {
        // [U] a full update with version 1 and no conferenceData removes the conference.
        ev.conference = null;
        ev.copiedConference = null;
      }
      return;
    }
    const cd = body['conferenceData'];
    if (cd === null) {
      ev.conference = null;
      ev.copiedConference = null;
      return;
    }
    if (!isObject(cd)) throw badRequest('invalid', 'Invalid conference data.');
    const cr = cd['createRequest'];
    if (cr !== undefined) {
      if (!isObject(cr)) throw badRequest('invalid', 'Invalid conference create request.');
      const requestId = cr['requestId'];
      if (typeof requestId !== 'string' || requestId === '') throw badRequest('required', 'Missing conference create request id.'); // [U] wording
      const key = cr['conferenceSolutionKey'];
      const type = isObject(key) ? key['type'] : undefined;
      if (typeof type !== 'string' || type === '') throw badRequest('required', 'Missing conference solution key.'); // [U] wording
      if (!knobs.allowedConferenceSolutionTypes.includes(type)) throw badRequest('invalid', 'Invalid conference type value.');
      if (ev.conference?.requestId === requestId) return; // the event's own request, re-sent: no-op
      const existing = conferences.get(requestId);
      if (existing) {
        if (knobs.repeatedRequestId === 'sameConference') {
          ev.conference = existing;
          ev.copiedConference = null;
        }
        return; // 'ignore': the create request is dropped
      }
      ev.conference = newConference(requestId, type);
      ev.copiedConference = null;
      return;
    }
    // No createRequest: copying an existing conference (conferenceId / entryPoints).
    const known = typeof cd['conferenceId'] === 'string' ? [...conferences.values()].find((c) => c.conferenceId === cd['conferenceId']) : undefined;
    if (known) {
      ev.conference = known;
      ev.copiedConference = null;
    } else if (cd['conferenceId'] !== undefined || cd['entryPoints'] !== undefined) {
      ev.conference = null;
      ev.copiedConference = structuredClone(cd);
    }
  };

  /** One GET of an event moves a pending conference forward (§3.2 polling). */
  const pollConference = (ev: GoogleFakeEvent): void => {
    const c = ev.conference;
    if (!c || c.status !== 'pending') return;
    c.getsLeft -= 1;
    if (c.getsLeft <= 0) c.status = c.outcome;
  };

  const conferenceView = (c: GoogleFakeConference): Record<string, unknown> => {
    const solution = { key: { type: c.solutionType }, name: 'Google Meet', iconUri: MEET_ICON };
    const createRequest = { requestId: c.requestId, conferenceSolutionKey: { type: c.solutionType }, status: { statusCode: c.status } };
    if (c.status !== 'success') return { createRequest, ...(c.status === 'pending' ? { conferenceSolution: solution } : {}) };
    const uri = `https://meet.google.com/${c.conferenceId}`;
    const entryPoints: Array<Record<string, unknown>> = [{ entryPointType: 'video', uri, label: `meet.google.com/${c.conferenceId}` }];
    if (knobs.phoneEntryPoints) {
      entryPoints.push(
        { entryPointType: 'more', uri: `https://tel.meet/${c.conferenceId}?pin=${c.pin}`, pin: c.pin },
        { entryPointType: 'phone', uri: 'tel:+1-555-010-0199', label: '+1 555-010-0199', pin: c.pin.slice(0, 9), regionCode: 'US' },
      );
    }
    return { entryPoints, conferenceSolution: solution, conferenceId: c.conferenceId, createRequest };
  };

  const eventView = (ev: GoogleFakeEvent): Record<string, unknown> => {
    const view: Record<string, unknown> = structuredClone(ev.resource);
    if (ev.conference) {
      view['conferenceData'] = conferenceView(ev.conference);
      if (ev.conference.status === 'success' && !knobs.omitHangoutLink) view['hangoutLink'] = `https://meet.google.com/${ev.conference.conferenceId}`;
    } else if (ev.copiedConference) {
      view['conferenceData'] = structuredClone(ev.copiedConference);
      const eps = ev.copiedConference['entryPoints'];
      const video = Array.isArray(eps) ? eps.find((e) => isObject(e) && e['entryPointType'] === 'video') : undefined;
      if (isObject(video) && typeof video['uri'] === 'string' && video['uri'].startsWith('https://meet.google.com/') && !knobs.omitHangoutLink) {
        view['hangoutLink'] = video['uri'];
      }
    }
    return view;
  };

  const touch = (ev: GoogleFakeEvent): void => {
    const ms = knobs.now() * 1000;
    ev.resource['updated'] = rfc3339(ms);
    etagSeq += 1;
    ev.resource['etag'] = `"${ms * 1000 + (etagSeq % 1000)}"`;
  };

  const notify = (action: GoogleNotification['action'], ev: GoogleFakeEvent, id: string, sendUpdates: 'all' | 'externalOnly' | 'none'): void => {
    if (sendUpdates === 'none') return;
    const attendees = Array.isArray(ev.resource['attendees']) ? (ev.resource['attendees'] as Array<Record<string, unknown>>) : [];
    const domain = knobs.user.email.split('@')[1]?.toLowerCase();
    const recipients = attendees
      .filter((a) => !a['self'])
      .map((a) => String(a['email']))
      .filter((e) => sendUpdates === 'all' || e.split('@')[1]?.toLowerCase() !== domain);
    if (recipients.length === 0) return;
    notifications.push({ at: new Date().toISOString(), action, calendarId: ev.calendarId, eventId: id, sendUpdates, recipients });
  };

  const checkIfMatch = (req: IncomingMessage, ev: GoogleFakeEvent): void => {
    const im = req.headers['if-match'];
    if (im !== undefined && im !== '*' && im !== ev.resource['etag']) throw new ApiError(412, 'conditionNotMet', 'Precondition Failed', { location: 'If-Match', locationType: 'header' });
  };

  /**
   * `events.list` (not in reference §3 [U]; the Calendar v3 shape): a harmless read for connection
   * checks (`summary` is the calendar's name, the account's e-mail for the primary calendar).
   * Supports `maxResults`, `showDeleted` and `privateExtendedProperty=name=value` (repeatable, all
   * must match); no paging, no time filters. Reading does not advance pending conferences.
   */
  const listEvents = (calendarId: string, url: URL): Record<string, unknown> => {
    const maxRaw = url.searchParams.get('maxResults');
    const max = maxRaw === null ? 250 : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > 2500) throw badRequest('invalid', `Invalid value '${maxRaw}' for maxResults`, 'maxResults');
    const showDeleted = url.searchParams.get('showDeleted') === 'true';
    const filters = url.searchParams.getAll('privateExtendedProperty').map((f) => {
      const at = f.indexOf('=');
      if (at <= 0) throw badRequest('invalid', 'Invalid extended property constraint.', 'privateExtendedProperty');
      return [f.slice(0, at), f.slice(at + 1)] as const;
    });
    const items = [...events.values()]
      .filter((ev) => ev.calendarId === calendarId && (showDeleted || !ev.deleted))
      .filter((ev) => {
        const priv = (ev.resource['extendedProperties'] as { private?: Record<string, unknown> } | undefined)?.private ?? {};
        return filters.every(([k, v]) => priv[k] === v);
      })
      .slice(0, max)
      .map(eventView);
    return {
      kind: 'calendar#events',
      etag: `"${knobs.now() * 1000}"`,
      summary: calendarId,
      updated: rfc3339(knobs.now() * 1000),
      timeZone: knobs.calendarTimeZone,
      accessRole: 'owner',
      defaultReminders: [],
      items,
    };
  };

  // --- Calendar: routing ------------------------------------------------------------------------

  const handleCalendar = (req: IncomingMessage, url: URL, raw: string, rec: GoogleRecordedRequest, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const sub = url.pathname.slice('/calendar/v3'.length);
    const json = (status: number, v: unknown) => send(rec, res, status, JSON.stringify(v));
    try {
      const token = authenticate(req);
      checkQuota();

      const listRoute = /^\/calendars\/([^/]+)\/events\/?$/.exec(sub);
      if (listRoute) {
        if (method === 'GET') {
          requireScope(token, false);
          return json(200, listEvents(resolveCalendar(listRoute[1]!), url));
        }
        if (method !== 'POST') throw new ApiError(405, 'httpMethodNotAllowed', 'Method Not Allowed');
        requireScope(token, true);
        const calendarId = resolveCalendar(listRoute[1]!);
        const { version, sendUpdates } = queryParams(url);
        const body = parseJsonBody(req, raw);
        let id: string;
        if (body['id'] !== undefined) {
          if (typeof body['id'] !== 'string' || !EVENT_ID_RE.test(body['id'])) throw badRequest('invalid', 'Invalid resource id value.');
          id = body['id'];
          if (events.has(id)) throw new ApiError(409, 'duplicate', 'The requested identifier already exists.');
        } else {
          do id = base32hexId();
          while (events.has(id));
        }
        const fields = validateEvent(body);
        const ms = knobs.now() * 1000;
        const self = { email: knobs.user.email, self: true };
        const resource: Record<string, unknown> = {
          kind: 'calendar#event',
          etag: '',
          id,
          status: 'confirmed',
          htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendarId}`).toString('base64url')}`,
          created: rfc3339(ms),
          updated: rfc3339(ms),
          creator: self,
          organizer: calendarId === knobs.user.email ? self : { email: calendarId, self: true },
          ...fields,
          iCalUID: `${id}@google.com`,
          sequence: 0,
          reminders: fields['reminders'] ?? { useDefault: true },
          eventType: 'default',
        };
        const ev: GoogleFakeEvent = { calendarId, resource, conference: null, copiedConference: null, deleted: false };
        applyConference(ev, body, version, 'insert');
        touch(ev);
        events.set(id, ev);
        notify('insert', ev, id, sendUpdates);
        if (loseCreates > 0) {
          // "Created but the response was lost": stored, then the socket dies.
          loseCreates -= 1;
          rec.dropped = true;
          req.socket.destroy();
          return;
        }
        return json(knobs.insertStatus, eventView(ev));
      }

      const eventRoute = /^\/calendars\/([^/]+)\/events\/([^/]+)\/?$/.exec(sub);
      if (eventRoute) {
        const calendarId = resolveCalendar(eventRoute[1]!);
        const id = decodeURIComponent(eventRoute[2]!);
        const found = events.get(id);
        const ev = found && found.calendarId === calendarId ? found : undefined;
        if (method === 'GET') {
          requireScope(token, false);
          if (!ev) throw new ApiError(404, 'notFound', 'Not Found');
          if (ev.deleted && knobs.deletedEventGet === 404) throw new ApiError(404, 'notFound', 'Not Found');
          if (ev.deleted && knobs.deletedEventGet === 410) throw new ApiError(410, 'deleted', 'Resource has been deleted');
          pollConference(ev);
          return json(200, eventView(ev));
        }
        if (method === 'PATCH' || method === 'PUT') {
          requireScope(token, true);
          const { version, sendUpdates } = queryParams(url);
          const body = parseJsonBody(req, raw);
          if (!ev) throw new ApiError(404, 'notFound', 'Not Found');
          checkIfMatch(req, ev);
          if (body['id'] !== undefined && body['id'] !== id) throw badRequest('invalid', 'Invalid resource id value.'); // [U]
          const writable: Record<string, unknown> = {};
          for (const k of WRITABLE) if (k in body) writable[k] = body[k];
          const current: Record<string, unknown> = {};
          for (const k of WRITABLE) if (ev.resource[k] !== undefined) current[k] = ev.resource[k];
          const merged = method === 'PATCH' ? mergePatch(current, writable) : writable;
          const fields = validateEvent(merged);
          const timingChanged = ['start', 'end', 'recurrence', 'location'].some((k) => JSON.stringify(fields[k]) !== JSON.stringify(current[k]));
          const next: GoogleFakeEvent = { ...ev };
          applyConference(next, body, version, method === 'PATCH' ? 'patch' : 'update');
          for (const k of WRITABLE) delete ev.resource[k];
          Object.assign(ev.resource, fields);
          ev.resource['reminders'] ??= { useDefault: true };
          ev.resource['status'] ??= 'confirmed';
          ev.conference = next.conference;
          ev.copiedConference = next.copiedConference;
          ev.deleted = ev.resource['status'] === 'cancelled';
          if (timingChanged) ev.resource['sequence'] = Number(ev.resource['sequence'] ?? 0) + 1; // [U]
          touch(ev);
          notify(method === 'PATCH' ? 'patch' : 'update', ev, id, sendUpdates);
          return json(200, eventView(ev));
        }
        if (method === 'DELETE') {
          requireScope(token, true);
          const { sendUpdates } = queryParams(url);
          if (!ev) throw new ApiError(404, 'notFound', 'Not Found');
          if (ev.deleted) {
            if (knobs.deleteAgainStatus === 404) throw new ApiError(404, 'notFound', 'Not Found');
            throw new ApiError(410, 'deleted', 'Resource has been deleted');
          }
          checkIfMatch(req, ev);
          ev.deleted = true;
          ev.resource['status'] = 'cancelled';
          touch(ev);
          notify('delete', ev, id, sendUpdates);
          return send(rec, res, knobs.deleteStatus, null);
        }
        throw new ApiError(405, 'httpMethodNotAllowed', 'Method Not Allowed');
      }
      throw new ApiError(404, 'notFound', 'Not Found');
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.reason === 'authError') {
          // The 401 top-level message differs from the item's "Invalid Credentials".
          const body = googleApiError(401, 'authError', 'Invalid Credentials', {
            location: 'Authorization',
            locationType: 'header',
            ...(knobs.includeErrorStatus ? {} : { status: null }),
          });
          body.error['message'] = AUTH_MESSAGE;
          return send(rec, res, 401, JSON.stringify(body), err.opts.headers ?? {});
        }
        return sendApiError(rec, res, err);
      }
      throw err;
    }
  };

  // --- dispatch ---------------------------------------------------------------------------------

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const raw = (await readBody(req)).toString('utf8');
    const method = req.method ?? 'GET';

    // Control routes: neither recorded, nor failed, nor rate limited; GETs here do not poll.
    if (url.pathname === '/__fake/requests') return send(null, res, 200, JSON.stringify(requests));
    if (url.pathname === '/__fake/events') {
      const list = [...events.values()].map((ev) => ({
        calendarId: ev.calendarId,
        deleted: ev.deleted,
        conference: ev.conference,
        event: eventView(ev),
      }));
      return send(null, res, 200, JSON.stringify(list));
    }

    const rec: GoogleRecordedRequest = {
      at: new Date().toISOString(),
      method,
      path: url.pathname,
      query: queryToObject(url.searchParams),
      headers: req.headers,
      body: raw,
    };
    requests.push(rec);

    const failure = takeFailure(method, url.pathname);
    if (failure) {
      const { match: _match, times: _times, ...f } = failure;
      rec.injected = f;
      if (await applyFailure(f, req, res)) {
        if (f.reset) rec.dropped = true;
        else rec.status = f.status;
        return;
      }
    }

    if (url.pathname === '/o/oauth2/v2/auth') return handleAuth(url, method, rec, res);
    if (url.pathname === '/token') return handleToken(req, raw, rec, res);
    if (url.pathname === '/revoke') return handleRevoke(req, url, raw, rec, res);
    if (url.pathname.startsWith('/calendar/v3/')) return handleCalendar(req, url, raw, rec, res);
    sendApiError(rec, res, new ApiError(404, 'notFound', 'Not Found'));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(null, res, 500, JSON.stringify(googleApiError(500, 'backendError', `google fake error: ${String(err)}`)));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    authUrl: `${origin}/o/oauth2/v2/auth`,
    tokenUrl: `${origin}/token`,
    revokeUrl: `${origin}/revoke`,
    calendarBase: `${origin}/calendar/v3`,
    requests,
    events,
    conferences,
    tokensIssued,
    notifications,
    setKnobs(patch) {
      knobs = { ...knobs, ...stripUndefined(patch) };
      if ('rateLimit' in patch) {
        knobs.rateLimit = patch.rateLimit ?? null;
        quota = { window: -1, count: 0 };
      }
      if ('refreshTokenTtlSeconds' in patch) knobs.refreshTokenTtlSeconds = patch.refreshTokenTtlSeconds ?? null;
      if ('failWith' in patch) {
        knobs.failWith = patch.failWith ?? null;
        armFailures(knobs.failWith);
      }
    },
    knobs: () => ({ ...knobs }),
    failWith(f) {
      failures.push({ f, remaining: Math.max(0, f.times ?? 1) });
    },
    loseNextCreateResponse(times = 1) {
      loseCreates += times;
    },
    revokeRefreshToken(token) {
      for (const t of tokensIssued) {
        if (t.kind === 'refresh' && (token === undefined || t.token === token)) revokeFamily(t);
      }
    },
    reset(opts = {}) {
      knobs = initialKnobs();
      armFailures(knobs.failWith);
      requests.length = 0;
      events.clear();
      conferences.clear();
      notifications.length = 0;
      codes.clear();
      loseCreates = 0;
      quota = { window: -1, count: 0 };
      if (opts.tokens !== false) {
        tokensIssued.length = 0;
        tokens.clear();
      }
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
