// Local fake of the Zoom REST API v2 with Server-to-Server OAuth.
// @see shared/reference/platform-contracts.md §1.1 (token), §1.2 (errors), §1.3 (create),
// §1.4 (get/update/delete/end), §1.7 (rate limits) and §8 (corrections).
// Behaviours marked [U] in the reference are knobs here, never hard-coded.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { applyFailure, queryToObject, readBody, type FailWith, type RecordedRequest } from './http-fake';
import { createZoomRecordings, type ZoomDownloadKnobs, type ZoomFakeRecording, type ZoomRecordingFileSpec } from './zoom-recordings';

// ---------------------------------------------------------------------------------------------
// Types

/** A valid user: a string (an email when it contains '@', else a user id) or both explicitly. */
export type ZoomFakeUserSpec = string | { id: string; email: string };

export interface ZoomFakeUser {
  id: string;
  email: string;
}

/** Failure injection (§ General fake rules) with an optional request filter. */
export interface ZoomFailWith extends FailWith {
  /** Only requests matching this are affected (and counted against `times`). */
  match?: { method?: string; path?: RegExp | string };
  /** Send `body` ({code, message}) as a Zoom-style XML error document (§1.2 quirk). */
  xml?: boolean;
}

export interface ZoomRateLimitKnob {
  /** Token bucket size and refill rate, shared by every `/v2` call. */
  perSecond: number;
  /** `Retry-After` on a QPS 429: seconds, an ISO timestamp, or no header at all (§1.7 [U]). */
  retryAfter: 'seconds' | 'timestamp' | 'absent';
  /** `X-RateLimit-Category`; default 'Medium'. */
  category?: string;
  /** Leave out `X-RateLimit-Type` (forum reports of real 429s without it). */
  omitTypeHeader?: boolean;
}

export interface ZoomUserDefaults {
  /** The user's "require a passcode" setting: generate one when the request sends none. */
  requirePasscode: boolean;
  /** The user's waiting-room setting, applied when `settings.waiting_room` is not sent. */
  waitingRoom: boolean;
  /** The user's timezone, applied when `timezone` is not sent. */
  timezone: string;
  /** Length of generated passcodes (1..10). */
  passcodeLength: number;
}

export interface ZoomDialInNumber {
  city: string;
  country: string;
  country_name: string;
  number: string;
  type: string;
}

export interface ZoomFakeKnobs {
  accountId: string;
  clientId: string;
  clientSecret: string;
  users: ZoomFakeUserSpec[];
  tokenTtlSeconds: number;
  /** Status of the invalid_client answer (§1.1 [U]: 400 or 401). */
  badCredentialsStatus: 400 | 401;
  /** Scopes granted to tokens (the `scope` string). Write routes need meeting:write[:admin]. */
  scopes: string[];
  /** Add `api_url` to the token response (§1.1 [U]). */
  includeApiUrl: boolean;
  /** Clock in epoch seconds: token expiry, created_at, daily cap day, "upcoming". */
  now: () => number;
  /** Meeting `id` as a JSON number (documented) or a JSON string (quirk knob, §1.4). */
  idFormat: 'number' | 'string';
  /** Digits of generated meeting ids (11..19); 17+ exceeds Number.MAX_SAFE_INTEGER. */
  idDigits: number;
  /** PATCH answer: 204 empty (documented) or 200 with the meeting. */
  patchStatus: 204 | 200;
  userDefaults: ZoomUserDefaults;
  /** Per-second token bucket over all `/v2` calls; null = off. */
  rateLimit: ZoomRateLimitKnob | null;
  /** Per-user create/update requests per UTC day (real: 100); null = off. */
  dailyCreateUpdateCap: number | null;
  /** Status of the daily-cap answer: 429 (rate-limit docs) or 400 with code 300 (§1.3 errors). */
  dailyCapStatus: 429 | 300;
  /** Fields left out of `GET /users/{id}/meetings` items (e.g. ['agenda']). */
  listOmits: string[];
  /** Accept `me` as userId (user-level OAuth apps). S2S apps must name a user: default false. */
  acceptMe: boolean;
  /** Base of join/start URLs. */
  webBase: string;
  /** `settings.global_dial_in_numbers` of every meeting. */
  dialInNumbers: ZoomDialInNumber[];
  /** Replace all armed failures with this one (null clears). `failWith()` appends instead. */
  failWith: ZoomFailWith | null;
}

export type ZoomFakeOptions = Partial<Omit<ZoomFakeKnobs, 'userDefaults'>> & { userDefaults?: Partial<ZoomUserDefaults> };

export type ZoomKnobsPatch = Partial<Omit<ZoomFakeKnobs, 'userDefaults'>> & { userDefaults?: Partial<ZoomUserDefaults> };

export interface ZoomRecordedRequest extends RecordedRequest<never> {
  /** Status answered; undefined when the socket was destroyed. */
  status?: number;
  /** The connection was destroyed without an answer (reset injection or lost create). */
  dropped?: boolean;
}

export interface ZoomIssuedToken {
  access_token: string;
  /** Epoch seconds (clock knob). */
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  scope: string;
  /** Where grant_type/account_id came from. */
  via: 'query' | 'form';
}

export interface ZoomOccurrence {
  occurrence_id: string;
  start_time: string;
  duration: number;
  status: 'available' | 'deleted';
}

/** A stored meeting. `id` is the digit string; it is rendered per `idFormat`. */
export interface ZoomFakeMeeting {
  id: string;
  uuid: string;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  status: 'waiting' | 'started' | 'finished';
  start_time?: string;
  duration?: number;
  timezone?: string;
  agenda: string;
  created_at: string;
  start_url: string;
  join_url: string;
  password?: string;
  h323_password?: string;
  pstn_password?: string;
  encrypted_password?: string;
  pre_schedule: boolean;
  tracking_fields?: Array<{ field: string; value: string; visible?: boolean }>;
  recurrence?: Record<string, unknown>;
  occurrences?: ZoomOccurrence[];
  settings: Record<string, unknown>;
  creation_source: string;
  [k: string]: unknown;
}

export interface ZoomFake {
  /** API base, e.g. `http://127.0.0.1:41234/v2`. */
  url: string;
  /** Token endpoint, e.g. `http://127.0.0.1:41234/oauth/token`. */
  oauthUrl: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Every non-control request, in order (live array; cleared by reset()). */
  requests: ZoomRecordedRequest[];
  /** Live meetings by id (digit string). Edit entries to simulate state (e.g. status 'started'). */
  meetings: Map<string, ZoomFakeMeeting>;
  /** Deleted meetings (recoverable with PUT /meetings/{id}/status {"action":"recover"}). */
  deletedMeetings: Map<string, ZoomFakeMeeting>;
  /** Every token issued (live array). */
  tokensIssued: ZoomIssuedToken[];
  setKnobs(patch: ZoomKnobsPatch): void;
  knobs(): ZoomFakeKnobs;
  /** Arm one more failure (queue; the first armed failure that matches a request applies). */
  failWith(f: ZoomFailWith): void;
  /** The next `times` successful creates store the meeting, then destroy the socket unanswered. */
  loseNextCreateResponse(times?: number): void;
  /** Revoke one token, or all tokens (app deactivated). */
  revokeTokens(token?: string): void;
  /** Resolve a user spec to {id, email} as the fake sees it. */
  user(idOrEmail: string): ZoomFakeUser | undefined;
  /** Cloud recordings by meeting instance uuid (§1.5). */
  recordings: Map<string, ZoomFakeRecording>;
  /**
   * A finished cloud recording of a meeting (one instance per meeting uuid; files are added to it).
   * Deliver `zoomRecordingEvent(recording)` to tell the app, as Zoom's webhook does.
   */
  addRecording(meetingId: string, files: ZoomRecordingFileSpec[], at?: { start: Date; end: Date }): ZoomFakeRecording;
  /** Download behaviour: 302 first, Range support, throttling, a dropped connection, token lifetime. */
  setDownloadKnobs(patch: Partial<ZoomDownloadKnobs>): void;
  /**
   * Restore the start options; clear requests, meetings, armed failures, counters and the bucket.
   * Issued tokens stay valid unless `{ tokens: true }`.
   */
  reset(opts?: { tokens?: boolean }): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants

export const ZOOM_QPS_MESSAGE = 'You have reached the maximum per-second rate limit for this API. Try again later.';
export const zoomDailyCapMessage = (cap: number): string =>
  `You have exceeded the daily rate limit (${cap}) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.`;

const DEFAULT_SCOPES = [
  'meeting:write:admin',
  'meeting:read:admin',
  'meeting:update:admin',
  'meeting:delete:admin',
  'user:read:admin',
  'recording:read:admin',
];

const DEFAULT_DIAL_IN: ZoomDialInNumber[] = [
  { city: 'New York', country: 'US', country_name: 'US', number: '+1 5550100001', type: 'toll' },
  { city: 'San Jose', country: 'US', country_name: 'US', number: '+1 5550100002', type: 'toll' },
  { city: 'Frankfurt', country: 'DE', country_name: 'Germany', number: '+49 6950500001', type: 'toll' },
];

const PASSWORD_RE = /^[a-zA-Z0-9@\-_*]{1,10}$/;
const SETTINGS_BOOL = [
  'host_video',
  'participant_video',
  'join_before_host',
  'mute_upon_entry',
  'waiting_room',
  'watermark',
  'use_pmi',
  'meeting_authentication',
  'private_meeting',
  'email_notification',
  'focus_mode',
  'host_save_video_order',
  'internal_meeting',
  'push_change_to_calendar',
  'auto_start_meeting_summary',
] as const;
/** Keys an occurrence-level PATCH may change (§1.4). */
const OCCURRENCE_SETTINGS = ['host_video', 'participant_video', 'join_before_host', 'mute_upon_entry', 'waiting_room', 'watermark', 'auto_recording'];

// ---------------------------------------------------------------------------------------------
// Time helpers (IANA timezones without dependencies)

/** `yyyy-MM-ddTHH:mm:ssZ` */
export function zoomTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const zoneValidity = new Map<string, boolean>();
/** Remembered per name: building the formatter that checks it costs a few hundred µs. */
function validTimezone(tz: string): boolean {
  let valid = zoneValidity.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    if (zoneValidity.size < 1000) zoneValidity.set(tz, valid);
  }
  return valid;
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function localParts(ms: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = dtfCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    dtfCache.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

function tzOffsetMs(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
}

/** Local wall time in `tz` → UTC epoch ms. */
function localToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const off1 = tzOffsetMs(guess - tzOffsetMs(guess, tz), tz);
  const t = guess - off1;
  const off2 = tzOffsetMs(t, tz);
  return off2 === off1 ? t : guess - off2;
}

/**
 * Parse a create/update `start_time`: `…Z` is UTC, no suffix is local time in `tz` (§1.3).
 * Milliseconds and numeric offsets are tolerated [U]. Returns epoch ms or null.
 */
function parseStartTime(v: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const suffix = m[8];
  if (suffix === undefined) return localToUtc(y, mo, d, h, mi, s, tz);
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${suffix}`);
  return Number.isNaN(t) ? null : t;
}

// ---------------------------------------------------------------------------------------------
// Recurrence (§1.3 recurrence object; type 8 gets occurrences)

const MAX_OCCURRENCES = 50;

interface Recurrence {
  type: 1 | 2 | 3;
  repeat_interval: number;
  weekly_days?: string;
  monthly_day?: number;
  monthly_week?: number;
  monthly_week_day?: number;
  end_times?: number;
  end_date_time?: string;
}

type FieldError = { field: string; message: string };

function validateRecurrence(r: unknown, errors: FieldError[]): Recurrence | null {
  const bad = (field: string) => errors.push({ field: `recurrence.${field}`, message: 'Invalid field.' });
  if (!isObject(r)) {
    errors.push({ field: 'recurrence', message: 'Invalid field.' });
    return null;
  }
  const type = r['type'];
  if (type !== 1 && type !== 2 && type !== 3) {
    bad('type');
    return null;
  }
  const out: Recurrence = { type, repeat_interval: 1 };
  const max = type === 1 ? 90 : type === 2 ? 12 : 3;
  if (r['repeat_interval'] !== undefined) {
    const ri = r['repeat_interval'];
    if (!Number.isInteger(ri) || (ri as number) < 1 || (ri as number) > max) bad('repeat_interval');
    else out.repeat_interval = ri as number;
  }
  if (type === 2) {
    const wd = r['weekly_days'] ?? '1';
    // Strict: weekly_days is a comma-separated STRING (Rivet types, Zoom docs).
    if (typeof wd !== 'string' || !/^[1-7](,[1-7])*$/.test(wd)) bad('weekly_days');
    else out.weekly_days = wd;
  }
  if (type === 3) {
    if (r['monthly_day'] !== undefined) {
      const md = r['monthly_day'];
      if (!Number.isInteger(md) || (md as number) < 1 || (md as number) > 31) bad('monthly_day');
      else out.monthly_day = md as number;
    } else if (r['monthly_week'] !== undefined || r['monthly_week_day'] !== undefined) {
      const w = r['monthly_week'];
      const wd = r['monthly_week_day'];
      if (![-1, 1, 2, 3, 4].includes(w as number)) bad('monthly_week');
      else out.monthly_week = w as number;
      if (!Number.isInteger(wd) || (wd as number) < 1 || (wd as number) > 7) bad('monthly_week_day');
      else out.monthly_week_day = wd as number;
    } else out.monthly_day = 1;
  }
  const et = r['end_times'];
  const edt = r['end_date_time'];
  if (et !== undefined && edt !== undefined) {
    errors.push({ field: 'recurrence.end_times', message: 'end_times and end_date_time are mutually exclusive.' });
  } else if (edt !== undefined) {
    if (typeof edt !== 'string' || Number.isNaN(Date.parse(edt)) || !/Z$/.test(edt)) bad('end_date_time');
    else out.end_date_time = zoomTime(Date.parse(edt));
  } else if (et !== undefined) {
    if (!Number.isInteger(et) || (et as number) < 1 || (et as number) > MAX_OCCURRENCES) bad('end_times');
    else out.end_times = et as number;
  } else out.end_times = 1; // [U] Zoom's default when neither is sent
  return out;
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Occurrence start times (epoch ms) for a fixed-time recurring meeting, in the meeting timezone. */
function occurrenceStarts(startMs: number, tz: string, r: Recurrence): number[] {
  const lp = localParts(startMs, tz);
  const startDay = Date.UTC(lp.y, lp.mo - 1, lp.d); // local calendar date as a UTC midnight
  const limit = r.end_times ?? MAX_OCCURRENCES;
  const until = r.end_date_time ? Date.parse(r.end_date_time) : Infinity;
  const out: number[] = [];
  const at = (dayMs: number): number => {
    const d = new Date(dayMs);
    return localToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), lp.h, lp.mi, lp.s, tz);
  };
  const push = (dayMs: number): boolean => {
    if (dayMs < startDay) return true;
    const t = at(dayMs);
    if (t > until || out.length >= limit) return false;
    out.push(t);
    return out.length < limit;
  };
  const DAY = 86_400_000;
  if (r.type === 1) {
    for (let i = 0; i < 2000; i++) if (!push(startDay + i * r.repeat_interval * DAY)) break;
  } else if (r.type === 2) {
    const days = [...new Set((r.weekly_days ?? '1').split(',').map(Number))].sort((a, b) => a - b);
    const weekStart = startDay - new Date(startDay).getUTCDay() * DAY; // Sunday of the start week
    outer: for (let w = 0; w < 2000; w += r.repeat_interval) {
      for (const zd of days) if (!push(weekStart + (w * 7 + zd - 1) * DAY)) break outer;
    }
  } else {
    for (let i = 0; i < 2000; i++) {
      const mIndex = lp.mo - 1 + i * r.repeat_interval;
      const y = lp.y + Math.floor(mIndex / 12);
      const mo = (mIndex % 12) + 1;
      let day: number;
      if (r.monthly_day !== undefined) {
        day = Math.min(r.monthly_day, daysInMonth(y, mo)); // [U] clamps to the month's last day
      } else {
        const wantDow = (r.monthly_week_day ?? 1) - 1;
        if (r.monthly_week === -1) {
          const last = daysInMonth(y, mo);
          const dow = new Date(Date.UTC(y, mo - 1, last)).getUTCDay();
          day = last - ((dow - wantDow + 7) % 7);
        } else {
          const dow1 = new Date(Date.UTC(y, mo - 1, 1)).getUTCDay();
          day = 1 + ((wantDow - dow1 + 7) % 7) + ((r.monthly_week ?? 1) - 1) * 7;
        }
      }
      if (!push(Date.UTC(y, mo - 1, day))) break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function userIdFor(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest().subarray(0, 16).toString('base64url');
}

function resolveUsers(specs: ZoomFakeUserSpec[]): ZoomFakeUser[] {
  return specs.map((s) => {
    if (typeof s !== 'string') return { id: s.id, email: s.email };
    return s.includes('@') ? { id: userIdFor(s), email: s } : { id: s, email: `${s}@example.test` };
  });
}

function trackingId(): string {
  return `v=2.0;clid=us06;rid=WEB_${randomBytes(16).toString('hex')}`;
}

function randomPasscode(len: number): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A Zoom-style XML error document (the non-JSON error quirk, §1.2). */
export function zoomXmlError(code: number | string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><error><code>${xmlEscape(String(code))}</code><message>${xmlEscape(message)}</message></error>`;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['message'] ?? status));
  }
}

const validation = (errors: FieldError[], message = 'Validation Failed.'): ApiError =>
  new ApiError(400, { code: 300, message, errors });
const meetingNotFound = (id: string): ApiError =>
  new ApiError(404, { code: 3001, message: `Meeting ${id} is not found or has expired.` });

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Start the Zoom fake on 127.0.0.1 (random port).
 * Routes: `POST /oauth/token`; `GET /v2/users/{userId}`; `POST|GET /v2/users/{userId}/meetings`;
 * `GET|PATCH|DELETE /v2/meetings/{id}`; `PUT /v2/meetings/{id}/status`;
 * control routes `GET /__fake/requests`, `GET /__fake/meetings` (not recorded, never failed/limited).
 */
export async function startZoomFake(options: ZoomFakeOptions = {}): Promise<ZoomFake> {
  const requests: ZoomRecordedRequest[] = [];
  const meetings = new Map<string, ZoomFakeMeeting>();
  const deletedMeetings = new Map<string, ZoomFakeMeeting>();
  const tokensIssued: ZoomIssuedToken[] = [];
  const tokens = new Map<string, ZoomIssuedToken>();
  const dailyCounts = new Map<string, number>();
  const pageTokens = new Map<string, { userId: string; type: string; offset: number; pageSize: number }>();
  let failures: Array<{ f: ZoomFailWith; remaining: number }> = [];
  let loseCreates = 0;
  let bucket = { tokens: 0, at: performance.now(), rate: 0 };
  const idSentinel = `\u0000zoomid${randomBytes(6).toString('hex')}:`;
  let origin = '';
  const cloud = createZoomRecordings({
    origin: () => origin,
    accountId: () => knobs.accountId,
    now: () => knobs.now(),
    oauthTokenValid: (value) => {
      const t = tokens.get(value);
      return !!t && !t.revoked && knobs.now() < t.expiresAt;
    },
  });

  const initialKnobs = (): ZoomFakeKnobs => {
    const o = stripUndefined(options);
    return {
      accountId: 'fake-account-id',
      clientId: 'fake-client-id',
      clientSecret: 'fake-client-secret',
      users: ['host@example.test'],
      tokenTtlSeconds: 3600,
      badCredentialsStatus: 401,
      scopes: DEFAULT_SCOPES,
      includeApiUrl: false,
      now: () => Math.floor(Date.now() / 1000),
      idFormat: 'number',
      idDigits: 11,
      patchStatus: 204,
      rateLimit: null,
      dailyCreateUpdateCap: null,
      dailyCapStatus: 429,
      listOmits: [],
      acceptMe: false,
      webBase: 'https://zoom.example.test',
      dialInNumbers: DEFAULT_DIAL_IN,
      failWith: null,
      ...o,
      userDefaults: { requirePasscode: false, waitingRoom: false, timezone: 'UTC', passcodeLength: 6, ...stripUndefined(options.userDefaults ?? {}) },
    };
  };
  let knobs = initialKnobs();

  const armFailures = (f: ZoomFailWith | null): void => {
    failures = f ? [{ f, remaining: Math.max(0, f.times ?? 1) }] : [];
  };
  armFailures(knobs.failWith);

  const takeFailure = (method: string, path: string): ZoomFailWith | null => {
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

  // Resolved once per users knob (each e-mail's id is a hash), not on every request.
  let resolvedUsers: { specs: ZoomFakeUserSpec[]; users: ZoomFakeUser[] } | null = null;
  const findUser = (idOrEmail: string): ZoomFakeUser | undefined => {
    if (resolvedUsers?.specs !== knobs.users) resolvedUsers = { specs: knobs.users, users: resolveUsers(knobs.users) };
    const users = resolvedUsers.users;
    if (idOrEmail === 'me') return knobs.acceptMe ? users[0] : undefined;
    const lower = idOrEmail.toLowerCase();
    return users.find((u) => u.id === idOrEmail || u.email.toLowerCase() === lower);
  };

  // --- rendering ------------------------------------------------------------------------------

  // JSON.stringify escapes the sentinel's NUL as the six characters \u0000.
  const quotedSentinel = JSON.stringify(idSentinel).slice(1, -1);
  const sentinelId = new RegExp(`"${quotedSentinel.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`, 'g');
  const renderJson = (value: unknown): string => {
    const text = JSON.stringify(value);
    if (knobs.idFormat === 'string') return text.split(quotedSentinel).join('');
    // Replace the sentinel strings by bare digits, so ids beyond 2^53 stay exact on the wire.
    return text.replace(sentinelId, '$1');
  };
  const wireId = (id: string): string => `${idSentinel}${id}`;

  const meetingView = (m: ZoomFakeMeeting): Record<string, unknown> => {
    const { id, ...rest } = m;
    return { id: wireId(id), ...rest };
  };

  // --- responses ------------------------------------------------------------------------------

  const send = (
    rec: ZoomRecordedRequest | null,
    res: ServerResponse,
    status: number,
    body: string | null,
    headers: Record<string, string> = {},
  ): void => {
    const h: Record<string, string> = { 'x-zm-trackingid': trackingId(), ...headers };
    if (body !== null) h['content-type'] ??= 'application/json;charset=UTF-8';
    if (rec) rec.status = status;
    res.writeHead(status, h);
    res.end(body ?? undefined);
  };

  // --- OAuth ----------------------------------------------------------------------------------

  const handleToken = (req: IncomingMessage, url: URL, raw: string, rec: ZoomRecordedRequest, res: ServerResponse): void => {
    const oauthErr = (status: number, error: string, reason: string) =>
      send(rec, res, status, JSON.stringify({ reason, error }));
    if (req.method !== 'POST') return oauthErr(405, 'invalid_request', 'Method not allowed');
    const auth = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    if (!m || sep < 0 || decoded.slice(0, sep) !== knobs.clientId || decoded.slice(sep + 1) !== knobs.clientSecret) {
      return oauthErr(knobs.badCredentialsStatus, 'invalid_client', 'Invalid client_id or client_secret');
    }
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    const form = raw && ctype.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(raw) : null;
    const param = (k: string): { value: string | null; via: 'query' | 'form' } => {
      const q = url.searchParams.get(k);
      if (q !== null) return { value: q, via: 'query' };
      return { value: form?.get(k) ?? null, via: 'form' };
    };
    const grant = param('grant_type');
    if (grant.value === null) return oauthErr(400, 'invalid_request', 'Missing grant_type');
    if (grant.value !== 'account_credentials') return oauthErr(400, 'unsupported_grant_type', 'Unsupported grant type');
    const account = param('account_id');
    if (account.value !== knobs.accountId) return oauthErr(400, 'invalid_request', 'Invalid account_id');
    const now = knobs.now();
    const scope = knobs.scopes.join(' ');
    const t: ZoomIssuedToken = {
      access_token: `eyJ${randomBytes(48).toString('base64url')}`,
      issuedAt: now,
      expiresAt: now + knobs.tokenTtlSeconds,
      revoked: false,
      scope,
      via: grant.via,
    };
    tokensIssued.push(t);
    tokens.set(t.access_token, t);
    const body: Record<string, unknown> = { access_token: t.access_token, token_type: 'bearer', expires_in: knobs.tokenTtlSeconds, scope };
    if (knobs.includeApiUrl) body['api_url'] = origin;
    send(rec, res, 200, JSON.stringify(body), { 'cache-control': 'no-store' });
  };

  // --- rate limiting --------------------------------------------------------------------------

  /** Returns a 429 ApiError when the bucket is empty, else consumes one token. */
  const rateLimited = (): ApiError | null => {
    const rl = knobs.rateLimit;
    if (!rl || rl.perSecond <= 0) return null;
    const t = performance.now();
    if (bucket.rate !== rl.perSecond) bucket = { tokens: rl.perSecond, at: t, rate: rl.perSecond };
    bucket.tokens = Math.min(rl.perSecond, bucket.tokens + ((t - bucket.at) / 1000) * rl.perSecond);
    bucket.at = t;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    const waitS = Math.max(1, Math.ceil((1 - bucket.tokens) / rl.perSecond));
    const headers: Record<string, string> = {
      'x-ratelimit-category': rl.category ?? 'Medium',
      'x-ratelimit-limit': String(rl.perSecond),
      'x-ratelimit-remaining': '0',
    };
    if (!rl.omitTypeHeader) headers['x-ratelimit-type'] = 'QPS';
    if (rl.retryAfter === 'seconds') headers['retry-after'] = String(waitS);
    else if (rl.retryAfter === 'timestamp') headers['retry-after'] = zoomTime((knobs.now() + waitS) * 1000);
    return new ApiError(429, { code: 429, message: ZOOM_QPS_MESSAGE }, headers);
  };

  const countCreateUpdate = (userId: string): void => {
    const cap = knobs.dailyCreateUpdateCap;
    if (cap === null || cap === undefined) return;
    const nowMs = knobs.now() * 1000;
    const day = zoomTime(nowMs).slice(0, 10);
    const key = `${userId}|${day}`;
    const n = dailyCounts.get(key) ?? 0;
    if (n >= cap) {
      const d = new Date(nowMs);
      const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      if (knobs.dailyCapStatus === 300) throw new ApiError(400, { code: 300, message: zoomDailyCapMessage(cap) });
      throw new ApiError(
        429,
        { code: 429, message: zoomDailyCapMessage(cap) },
        {
          'x-ratelimit-category': 'Medium',
          'x-ratelimit-type': 'Daily-limit',
          'x-ratelimit-limit': String(cap),
          'x-ratelimit-remaining': '0',
          'retry-after': zoomTime(midnight),
        },
      );
    }
    dailyCounts.set(key, n + 1);
  };

  // --- API auth -------------------------------------------------------------------------------

  const authenticate = (req: IncomingMessage, url: URL): ZoomIssuedToken => {
    const invalid = (message = 'Invalid access token.') => new ApiError(401, { code: 124, message });
    // Tokens in the query string are refused since 2023-02 (§1.1), even next to a header.
    if (url.searchParams.has('access_token')) throw invalid();
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw invalid();
    const t = tokens.get(m[1]!);
    if (!t || t.revoked) throw invalid();
    if (knobs.now() >= t.expiresAt) throw invalid('Access token is expired.');
    return t;
  };

  const requireScope = (t: ZoomIssuedToken, kind: 'read' | 'write'): void => {
    const have = t.scope.split(' ');
    const ok = have.some((s) => s === `meeting:${kind}:admin` || s === `meeting:${kind}`);
    if (!ok) {
      throw new ApiError(400, { code: 4711, message: `Invalid access token, does not contain scopes:[meeting:${kind}:admin, meeting:${kind}].` });
    }
  };

  const parseJsonBody = (req: IncomingMessage, raw: string): Record<string, unknown> => {
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    if (!ctype.startsWith('application/json')) {
      throw new ApiError(400, { code: 300, message: 'Request Body should be a valid JSON object.' }); // [U] status
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new ApiError(400, { code: 300, message: 'Request Body should be a valid JSON object.' });
    }
    if (!isObject(v)) throw new ApiError(400, { code: 300, message: 'Request Body should be a valid JSON object.' });
    return v;
  };

  // --- meeting building -----------------------------------------------------------------------

  const newMeetingId = (): string => {
    const digits = Math.min(19, Math.max(10, knobs.idDigits));
    for (;;) {
      let id = '8';
      for (let i = 1; i < digits; i++) id += String(randomInt(10));
      if (!meetings.has(id) && !deletedMeetings.has(id)) return id;
    }
  };

  const setPassword = (m: ZoomFakeMeeting, pw: string | undefined): void => {
    if (pw === undefined || pw === '') {
      delete m.password;
      delete m.h323_password;
      delete m.pstn_password;
      delete m.encrypted_password;
      m.join_url = `${knobs.webBase}/j/${m.id}`;
      return;
    }
    m.password = pw;
    const digits = String(parseInt(createHash('sha256').update(pw).digest('hex').slice(0, 10), 16)).slice(0, 6).padEnd(6, '0');
    m.h323_password = digits;
    m.pstn_password = digits;
    m.encrypted_password = `${randomBytes(24).toString('base64url')}.1`;
    m.join_url = `${knobs.webBase}/j/${m.id}?pwd=${m.encrypted_password}`;
  };

  const validateSettings = (s: unknown, errors: FieldError[]): Record<string, unknown> => {
    if (s === undefined) return {};
    if (!isObject(s)) {
      errors.push({ field: 'settings', message: 'Invalid field.' });
      return {};
    }
    const bad = (f: string) => errors.push({ field: `settings.${f}`, message: 'Invalid field.' });
    for (const k of SETTINGS_BOOL) if (s[k] !== undefined && typeof s[k] !== 'boolean') bad(k);
    if (s['auto_recording'] !== undefined && !['local', 'cloud', 'none'].includes(s['auto_recording'] as string)) bad('auto_recording');
    if (s['approval_type'] !== undefined && ![0, 1, 2].includes(s['approval_type'] as number)) bad('approval_type');
    if (s['audio'] !== undefined && !['both', 'telephony', 'voip', 'thirdParty'].includes(s['audio'] as string)) bad('audio');
    if (s['encryption_type'] !== undefined && !['enhanced_encryption', 'e2ee'].includes(s['encryption_type'] as string)) bad('encryption_type');
    if (s['jbh_time'] !== undefined && ![0, 5, 10, 15].includes(s['jbh_time'] as number)) bad('jbh_time');
    if (s['alternative_hosts'] !== undefined && typeof s['alternative_hosts'] !== 'string') bad('alternative_hosts');
    return s;
  };

  const defaultSettings = (): Record<string, unknown> => ({
    host_video: false,
    participant_video: false,
    cn_meeting: false,
    in_meeting: false,
    join_before_host: false,
    jbh_time: 0,
    mute_upon_entry: false,
    watermark: false,
    use_pmi: false,
    approval_type: 2,
    audio: 'voip',
    auto_recording: 'none',
    enforce_login: false,
    enforce_login_domains: '',
    alternative_hosts: '',
    waiting_room: knobs.userDefaults.waitingRoom,
    meeting_authentication: false,
    encryption_type: 'enhanced_encryption',
    breakout_room: { enable: false },
    private_meeting: false,
    email_notification: true,
    host_save_video_order: false,
    focus_mode: false,
    auto_start_meeting_summary: false,
  });

  /** Validate create/PATCH body fields and apply them to `m` (mutates only when valid). */
  const applyBody = (m: ZoomFakeMeeting, body: Record<string, unknown>, isCreate: boolean): void => {
    const errors: FieldError[] = [];
    const bad = (f: string, message = 'Invalid field.') => errors.push({ field: f, message });
    const next: ZoomFakeMeeting = structuredClone(m);

    if (body['topic'] !== undefined) {
      if (typeof body['topic'] !== 'string' || body['topic'].length > 200) bad('topic');
      else next.topic = body['topic'];
    }
    if (body['agenda'] !== undefined) {
      if (typeof body['agenda'] !== 'string' || body['agenda'].length > 2000) bad('agenda');
      else next.agenda = body['agenda'];
    }
    if (body['type'] !== undefined) {
      if (![1, 2, 3, 8].includes(body['type'] as number)) bad('type');
      else next.type = body['type'] as number;
    }
    if (body['timezone'] !== undefined) {
      if (typeof body['timezone'] !== 'string' || !validTimezone(body['timezone'])) bad('timezone');
      else next.timezone = body['timezone'];
    }
    const tz = next.timezone ?? knobs.userDefaults.timezone;
    let startMs: number | null = next.start_time ? Date.parse(next.start_time) : null;
    if (body['start_time'] !== undefined) {
      const parsed = typeof body['start_time'] === 'string' ? parseStartTime(body['start_time'], tz) : null;
      if (parsed === null) bad('start_time');
      else startMs = parsed;
    }
    if (body['duration'] !== undefined) {
      if (!Number.isInteger(body['duration']) || (body['duration'] as number) < 0) bad('duration');
      else next.duration = body['duration'] as number;
    }
    let password: string | undefined | null = null; // null = unchanged
    if (body['password'] !== undefined) {
      const pw = body['password'];
      if (typeof pw !== 'string' || (pw !== '' && !PASSWORD_RE.test(pw))) {
        bad('password', 'Password must be at most 10 characters from [a-z A-Z 0-9 @ - _ *].');
      } else password = pw;
    } else if (body['default_password'] === true || (isCreate && knobs.userDefaults.requirePasscode)) {
      password = randomPasscode(Math.min(10, Math.max(1, knobs.userDefaults.passcodeLength)));
    }
    if (body['default_password'] !== undefined && typeof body['default_password'] !== 'boolean') bad('default_password');
    if (body['pre_schedule'] !== undefined) {
      if (typeof body['pre_schedule'] !== 'boolean') bad('pre_schedule');
      else next.pre_schedule = body['pre_schedule'];
    }
    if (body['tracking_fields'] !== undefined) {
      const tf = body['tracking_fields'];
      if (!Array.isArray(tf) || tf.some((f) => !isObject(f) || typeof f['field'] !== 'string' || typeof f['value'] !== 'string')) {
        bad('tracking_fields');
      } else next.tracking_fields = tf.map((f: Record<string, unknown>) => ({ field: f['field'] as string, value: f['value'] as string, visible: true }));
    }
    for (const k of ['schedule_for', 'template_id'] as const) {
      if (body[k] !== undefined) {
        if (typeof body[k] !== 'string') bad(k);
        else next[k] = body[k];
      }
    }
    const settings = validateSettings(body['settings'], errors);
    let recurrence: Recurrence | null | undefined; // undefined = unchanged
    if (body['recurrence'] !== undefined) recurrence = validateRecurrence(body['recurrence'], errors);
    if (errors.length) throw validation(errors);

    // Settings: one-level merge; nested objects are replaced.
    next.settings = { ...next.settings, ...settings };
    if (next.settings['encryption_type'] === 'e2ee') {
      // [U] e2ee disables join-before-host and cloud recording (§1.3): coerced, not rejected.
      next.settings['join_before_host'] = false;
      if (next.settings['auto_recording'] === 'cloud') next.settings['auto_recording'] = 'none';
    }
    next.settings['global_dial_in_numbers'] = structuredClone(knobs.dialInNumbers);

    // Start time and timezone per type.
    if (next.type === 1) {
      startMs = startMs ?? knobs.now() * 1000;
    } else if (next.type === 3) {
      startMs = null;
    } else if (startMs === null) {
      startMs = knobs.now() * 1000;
    }
    if (startMs === null) delete next.start_time;
    else next.start_time = zoomTime(startMs);
    if (next.type !== 3 && next.timezone === undefined) next.timezone = knobs.userDefaults.timezone;
    next.duration ??= 60;

    // Recurrence and occurrences.
    if (recurrence) next.recurrence = { ...recurrence };
    if (next.type === 8 || next.type === 3) {
      if (!next.recurrence && next.type === 8) throw validation([{ field: 'recurrence', message: 'Recurrence is required for type 8.' }]);
    } else {
      delete next.recurrence;
    }
    if (next.type === 8 && next.recurrence && startMs !== null) {
      const starts = occurrenceStarts(startMs, next.timezone ?? 'UTC', next.recurrence as unknown as Recurrence);
      next.occurrences = starts.map((t) => ({ occurrence_id: String(t), start_time: zoomTime(t), duration: next.duration ?? 60, status: 'available' }));
    } else {
      delete next.occurrences;
    }

    if (password !== null) setPassword(next, password);
    Object.assign(m, next);
    for (const k of Object.keys(m)) if (!(k in next)) delete m[k];
  };

  const createMeeting = (user: ZoomFakeUser, body: Record<string, unknown>): ZoomFakeMeeting => {
    const id = newMeetingId();
    const m: ZoomFakeMeeting = {
      id,
      uuid: randomBytes(16).toString('base64'),
      host_id: user.id,
      host_email: user.email,
      topic: 'Zoom Meeting',
      type: 2,
      status: 'waiting',
      agenda: '',
      created_at: zoomTime(knobs.now() * 1000),
      start_url: `${knobs.webBase}/s/${id}?zak=${randomBytes(24).toString('base64url')}`,
      join_url: `${knobs.webBase}/j/${id}`,
      pre_schedule: false,
      settings: defaultSettings(),
      creation_source: 'open_api',
    };
    applyBody(m, body, true);
    return m;
  };

  const meetingById = (raw: string): ZoomFakeMeeting => {
    const m = /^\d+$/.test(raw) ? meetings.get(raw) : undefined;
    if (!m) throw meetingNotFound(raw);
    return m;
  };

  const occurrenceOf = (m: ZoomFakeMeeting, url: URL): ZoomOccurrence | null => {
    const oid = url.searchParams.get('occurrence_id');
    if (oid === null || oid === '') return null;
    const occ = m.occurrences?.find((o) => o.occurrence_id === oid);
    if (!occ) throw new ApiError(400, { code: 3000, message: 'Invalid occurrence_id.' });
    return occ;
  };

  const endMs = (m: ZoomFakeMeeting): number => {
    const times = m.occurrences?.length
      ? m.occurrences.filter((o) => o.status === 'available').map((o) => Date.parse(o.start_time) + o.duration * 60_000)
      : m.start_time
        ? [Date.parse(m.start_time) + (m.duration ?? 0) * 60_000]
        : [Infinity];
    return Math.max(...times, -Infinity);
  };

  const LIST_FIELDS = ['uuid', 'id', 'host_id', 'topic', 'type', 'start_time', 'duration', 'timezone', 'agenda', 'created_at', 'join_url'];

  const listMeetings = (user: ZoomFakeUser, url: URL): Record<string, unknown> => {
    const tokenIn = url.searchParams.get('next_page_token') ?? '';
    let type = url.searchParams.get('type') ?? 'scheduled';
    let pageSize = 30;
    let offset = 0;
    if (tokenIn) {
      const st = pageTokens.get(tokenIn);
      if (!st || st.userId !== user.id) throw new ApiError(400, { code: 300, message: 'Invalid parameter: next_page_token.' });
      ({ type, pageSize, offset } = st);
    } else {
      if (!['scheduled', 'live', 'upcoming', 'upcoming_meetings', 'previous_meetings'].includes(type)) {
        throw validation([{ field: 'type', message: 'Invalid field.' }]);
      }
      const ps = url.searchParams.get('page_size');
      if (ps !== null) {
        if (!/^\d+$/.test(ps) || Number(ps) < 1) throw validation([{ field: 'page_size', message: 'Invalid field.' }]);
        pageSize = Math.min(300, Number(ps));
      }
    }
    const nowMs = knobs.now() * 1000;
    const all = [...meetings.values()]
      .filter((m) => m.host_id === user.id)
      .filter((m) => {
        if (type === 'live') return m.status === 'started';
        if (type === 'upcoming' || type === 'upcoming_meetings') return m.status !== 'finished' && endMs(m) >= nowMs;
        if (type === 'previous_meetings') return m.status === 'finished' || endMs(m) < nowMs;
        return true;
      })
      .sort((a, b) => (a.start_time ?? '').localeCompare(b.start_time ?? ''));
    const page = all.slice(offset, offset + pageSize);
    let next = '';
    if (offset + pageSize < all.length) {
      next = randomBytes(16).toString('base64url');
      pageTokens.set(next, { userId: user.id, type, offset: offset + pageSize, pageSize });
    }
    const fields = LIST_FIELDS.filter((f) => !knobs.listOmits.includes(f));
    return {
      page_size: pageSize,
      total_records: all.length,
      next_page_token: next,
      meetings: page.map((m) => {
        const item: Record<string, unknown> = {};
        for (const f of fields) if (m[f] !== undefined) item[f] = f === 'id' ? wireId(m.id) : m[f];
        return item;
      }),
    };
  };

  // --- API routing ----------------------------------------------------------------------------

  const handleApi = (req: IncomingMessage, url: URL, raw: string, rec: ZoomRecordedRequest, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const sub = url.pathname.slice('/v2'.length);
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => send(rec, res, status, renderJson(v), headers);
    try {
      const limited = rateLimited();
      if (limited) throw limited;
      const token = authenticate(req, url);

      // `GET /users/{userId}`: the harmless read a connection check makes (§1.3: unknown user →
      // 404 + 1001). The user object's fields beyond id/email are [U]: a plausible subset.
      const userGet = /^\/users\/([^/]+)\/?$/.exec(sub);
      if (userGet) {
        const userId = decodeURIComponent(userGet[1]!);
        if (method !== 'GET') throw new ApiError(405, { code: 405, message: 'Method not allowed.' });
        if (!token.scope.split(' ').some((s) => s === 'user:read:admin' || s === 'user:read')) {
          throw new ApiError(400, { code: 4711, message: 'Invalid access token, does not contain scopes:[user:read:admin, user:read].' });
        }
        const user = findUser(userId);
        if (!user) throw new ApiError(404, { code: 1001, message: `User ${userId} not exist or not belong to this account.` });
        const local = user.email.split('@')[0] ?? user.id;
        return json(200, {
          id: user.id,
          email: user.email,
          first_name: local,
          last_name: '',
          display_name: local,
          type: 2,
          status: 'active',
          timezone: knobs.userDefaults.timezone,
          account_id: knobs.accountId,
        });
      }

      const userRoute = /^\/users\/([^/]+)\/meetings\/?$/.exec(sub);
      if (userRoute) {
        const userId = decodeURIComponent(userRoute[1]!);
        if (method !== 'POST' && method !== 'GET') throw new ApiError(405, { code: 405, message: 'Method not allowed.' });
        requireScope(token, method === 'POST' ? 'write' : 'read');
        const user = findUser(userId);
        if (!user) throw new ApiError(404, { code: 1001, message: `User ${userId} not exist or not belong to this account.` });
        if (method === 'GET') return json(200, listMeetings(user, url));
        const body = parseJsonBody(req, raw);
        countCreateUpdate(user.id);
        const m = createMeeting(user, body);
        meetings.set(m.id, m);
        if (loseCreates > 0) {
          // "Created but the response was lost" (issue 4): stored, then the socket dies.
          loseCreates -= 1;
          rec.dropped = true;
          req.socket.destroy();
          return;
        }
        return json(201, meetingView(m), { 'content-location': `${origin}/v2/meetings/${m.id}` });
      }

      // `GET /meetings/{id or uuid}/recordings` (§1.5); `recording:read` scopes.
      const recordingsRoute = /^\/meetings\/(.+)\/recordings\/?$/.exec(sub);
      if (recordingsRoute) {
        if (method !== 'GET') throw new ApiError(405, { code: 405, message: 'Method not allowed.' });
        if (!token.scope.split(' ').some((s) => s === 'recording:read:admin' || s === 'recording:read')) {
          throw new ApiError(400, { code: 4711, message: 'Invalid access token, does not contain scopes:[recording:read:admin, recording:read].' });
        }
        const found = cloud.find(recordingsRoute[1]!);
        if (!found) throw new ApiError(404, { code: 3301, message: 'There is no recording for this meeting.' });
        const include = String(url.searchParams.get('include_fields') ?? '').split(',').includes('download_access_token');
        return send(rec, res, 200, JSON.stringify(cloud.recordingView(found, { idAsNumber: knobs.idFormat === 'number', downloadAccessToken: include })));
      }

      const statusRoute = /^\/meetings\/([^/]+)\/status\/?$/.exec(sub);
      if (statusRoute) {
        if (method !== 'PUT') throw new ApiError(405, { code: 405, message: 'Method not allowed.' });
        requireScope(token, 'write');
        const id = decodeURIComponent(statusRoute[1]!);
        const body = parseJsonBody(req, raw);
        if (body['action'] === 'recover') {
          const d = deletedMeetings.get(id);
          if (!d) throw meetingNotFound(id);
          deletedMeetings.delete(id);
          meetings.set(id, d);
          return send(rec, res, 204, null);
        }
        const m = meetingById(id);
        if (body['action'] !== 'end') throw validation([{ field: 'action', message: 'Invalid field.' }]);
        m.status = 'finished'; // [U] what GET shows after "end"
        return send(rec, res, 204, null);
      }

      const meetingRoute = /^\/meetings\/([^/]+)\/?$/.exec(sub);
      if (meetingRoute) {
        const id = decodeURIComponent(meetingRoute[1]!);
        if (method === 'GET') {
          requireScope(token, 'read');
          const m = meetingById(id);
          const occ = occurrenceOf(m, url);
          // The host link expires (§1.3): each GET hands out a fresh one.
          m.start_url = `${knobs.webBase}/s/${m.id}?zak=${randomBytes(24).toString('base64url')}`;
          const view = meetingView(m);
          if (occ) Object.assign(view, { start_time: occ.start_time, duration: occ.duration, occurrences: [occ] });
          return json(200, view);
        }
        if (method === 'PATCH') {
          requireScope(token, 'write');
          const m = meetingById(id);
          const occ = occurrenceOf(m, url);
          const body = parseJsonBody(req, raw);
          countCreateUpdate(m.host_id);
          if (occ) {
            // Only agenda, start_time, duration and some settings change for one occurrence (§1.4).
            const errors: FieldError[] = [];
            let t: number | null = null;
            if (body['start_time'] !== undefined) {
              t = typeof body['start_time'] === 'string' ? parseStartTime(body['start_time'], m.timezone ?? 'UTC') : null;
              if (t === null) errors.push({ field: 'start_time', message: 'Invalid field.' });
            }
            if (body['duration'] !== undefined && (!Number.isInteger(body['duration']) || (body['duration'] as number) < 0)) {
              errors.push({ field: 'duration', message: 'Invalid field.' });
            }
            const s = validateSettings(body['settings'], errors);
            if (body['agenda'] !== undefined && (typeof body['agenda'] !== 'string' || body['agenda'].length > 2000)) {
              errors.push({ field: 'agenda', message: 'Invalid field.' });
            }
            if (errors.length) throw validation(errors);
            if (t !== null) occ.start_time = zoomTime(t);
            if (body['duration'] !== undefined) occ.duration = body['duration'] as number;
            if (typeof body['agenda'] === 'string') m.agenda = body['agenda'];
            for (const k of OCCURRENCE_SETTINGS) if (s[k] !== undefined) m.settings[k] = s[k];
          } else {
            applyBody(m, body, false);
          }
          if (knobs.patchStatus === 200) return json(200, meetingView(m));
          return send(rec, res, 204, null);
        }
        if (method === 'DELETE') {
          requireScope(token, 'write');
          const m = meetingById(id);
          const occ = occurrenceOf(m, url);
          if (m.status === 'started') {
            throw new ApiError(400, { code: 3002, message: 'Sorry, you cannot delete this meeting since it is in progress.' });
          }
          if (occ) occ.status = 'deleted';
          else {
            meetings.delete(id);
            deletedMeetings.set(id, m);
          }
          return send(rec, res, 204, null);
        }
        throw new ApiError(405, { code: 405, message: 'Method not allowed.' });
      }
      throw new ApiError(404, { code: 404, message: 'Not found.' }); // fake-only shape for unknown routes
    } catch (err) {
      if (err instanceof ApiError) return json(err.status, err.body, err.headers);
      throw err;
    }
  };

  // --- dispatch -------------------------------------------------------------------------------

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const raw = (await readBody(req)).toString('utf8');
    const method = req.method ?? 'GET';

    // Control routes: neither recorded, nor failed, nor rate limited.
    if (url.pathname === '/__fake/requests') return send(null, res, 200, JSON.stringify(requests));
    if (url.pathname === '/__fake/meetings') return send(null, res, 200, renderJson([...meetings.values()].map(meetingView)));

    const rec: ZoomRecordedRequest = {
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
      const { match: _match, xml, times: _times, ...f } = failure;
      if (xml) {
        const b = isObject(f.body) ? f.body : {};
        f.body = zoomXmlError(String(b['code'] ?? f.status ?? 500), String(b['message'] ?? 'Internal error'));
        f.headers = { 'content-type': 'application/xml;charset=UTF-8', ...(f.headers ?? {}) };
      }
      if (f.status !== undefined) f.headers = { 'x-zm-trackingid': trackingId(), ...(f.headers ?? {}) };
      rec.injected = f;
      if (await applyFailure(f, req, res)) {
        if (f.reset) rec.dropped = true;
        else rec.status = f.status;
        return;
      }
    }

    if (url.pathname === '/oauth/token') return handleToken(req, url, raw, rec, res);
    if (url.pathname.startsWith('/rec/')) {
      rec.status = await cloud.serve(req, url, res);
      return;
    }
    if (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) return handleApi(req, url, raw, rec, res);
    send(rec, res, 404, JSON.stringify({ code: 404, message: 'Not found.' }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(null, res, 500, JSON.stringify({ code: 500, message: `zoom fake error: ${String(err)}` }));
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
    url: `${origin}/v2`,
    oauthUrl: `${origin}/oauth/token`,
    origin,
    requests,
    meetings,
    deletedMeetings,
    tokensIssued,
    setKnobs(patch) {
      const { userDefaults, ...rest } = patch;
      knobs = { ...knobs, ...stripUndefined(rest) };
      if ('rateLimit' in patch) knobs.rateLimit = patch.rateLimit ?? null;
      if ('dailyCreateUpdateCap' in patch) knobs.dailyCreateUpdateCap = patch.dailyCreateUpdateCap ?? null;
      if (userDefaults) knobs.userDefaults = { ...knobs.userDefaults, ...stripUndefined(userDefaults) };
      if ('failWith' in patch) {
        knobs.failWith = patch.failWith ?? null;
        armFailures(knobs.failWith);
      }
      if ('rateLimit' in patch) bucket = { tokens: 0, at: performance.now(), rate: 0 };
    },
    knobs: () => ({ ...knobs, userDefaults: { ...knobs.userDefaults } }),
    failWith(f) {
      failures.push({ f, remaining: Math.max(0, f.times ?? 1) });
    },
    loseNextCreateResponse(times = 1) {
      loseCreates += times;
    },
    revokeTokens(token) {
      for (const t of tokensIssued) if (token === undefined || t.access_token === token) t.revoked = true;
    },
    user: (idOrEmail) => findUser(idOrEmail),
    recordings: cloud.recordings,
    addRecording(meetingId, files, at) {
      const m = meetings.get(meetingId) ?? deletedMeetings.get(meetingId);
      if (!m) throw new Error(`zoom fake: no meeting ${meetingId}`);
      const start = at?.start ?? new Date(m.start_time ? Date.parse(m.start_time) : knobs.now() * 1000);
      const end = at?.end ?? new Date(start.getTime() + (m.duration ?? 30) * 60_000);
      return cloud.add(m, files, { start, end });
    },
    setDownloadKnobs: (patch) => cloud.setKnobs(patch),
    reset(opts = {}) {
      cloud.reset();
      knobs = initialKnobs();
      armFailures(knobs.failWith);
      requests.length = 0;
      meetings.clear();
      deletedMeetings.clear();
      dailyCounts.clear();
      pageTokens.clear();
      loseCreates = 0;
      bucket = { tokens: 0, at: performance.now(), rate: 0 };
      if (opts.tokens) {
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
