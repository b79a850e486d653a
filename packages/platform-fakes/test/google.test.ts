import { createHash, randomBytes } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { GOOGLE_SCOPE_CALENDAR_EVENTS, googleQuotaError, startGoogleFake, type GoogleFake } from '../src/google';

const CLIENT = 'bookingx.apps.googleusercontent.com';
const SECRET = 'gsecret';
const REDIRECT = 'http://127.0.0.1:9999/oauth/google/callback';
const USER = 'dr.ada@clinic.test';
const SCOPE = GOOGLE_SCOPE_CALENDAR_EVENTS;

let fake: GoogleFake;
let clock = 1_890_000_000; // epoch seconds, moved by tests

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(url: string, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(url, { redirect: 'manual', ...init });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** RFC 7636 S256 computed here, independently of the fake. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url'); // 43 chars
  const challenge = createHash('sha256').update(verifier).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return { verifier, challenge };
}

function consentUrl(overrides: Record<string, string | null> = {}, challenge = pkce().challenge): string {
  const params: Record<string, string | null> = {
    client_id: CLIENT,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: SCOPE,
    access_type: 'offline',
    prompt: 'consent',
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const u = new URL(fake.authUrl);
  for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
  return u.toString();
}

async function authorize(overrides: Record<string, string | null> = {}): Promise<{ code: string; verifier: string; location: URL }> {
  const { verifier, challenge } = pkce();
  const r = await call(consentUrl(overrides, challenge));
  expect(r.status).toBe(302);
  const location = new URL(r.headers.get('location')!);
  return { code: location.searchParams.get('code')!, verifier, location };
}

function tokenRequest(params: Record<string, string>): Promise<Res> {
  return call(fake.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT, client_secret: SECRET, ...params }).toString(),
  });
}

async function exchange(code: string, verifier: string): Promise<Res> {
  return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
}

async function login(): Promise<{ access: string; refresh: string }> {
  const { code, verifier } = await authorize();
  const r = await exchange(code, verifier);
  expect(r.status).toBe(200);
  return { access: r.json.access_token, refresh: r.json.refresh_token };
}

async function api(method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const token = opts.token ?? (await login()).access;
  const hasBody = opts.body !== undefined;
  return call(`${fake.calendarBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(opts.headers ?? {}) },
    ...(hasBody ? { body: JSON.stringify(opts.body) } : {}),
  });
}

const eventBody = (requestId = `req-${randomBytes(6).toString('hex')}`, extra: Record<string, unknown> = {}) => ({
  summary: 'Video consultation',
  description: 'Booking [bkx:42]',
  start: { dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2030-01-07T09:30:00+01:00', timeZone: 'Europe/Berlin' },
  attendees: [{ email: 'patient@example.com', displayName: 'Pat' }, { email: 'nurse@clinic.test' }],
  conferenceData: { createRequest: { requestId, conferenceSolutionKey: { type: 'hangoutsMeet' } } },
  ...extra,
});

const EVENTS = '/calendars/primary/events';
const MEET_RE = /^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/;

beforeAll(async () => {
  fake = await startGoogleFake({
    clientId: CLIENT,
    clientSecret: SECRET,
    redirectUris: [REDIRECT],
    user: { email: USER, sub: '1001' },
    now: () => clock,
  });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  clock = 1_890_000_000;
  fake.reset();
});

describe('OAuth consent page (§3.1)', () => {
  it('redirects with code, state and scope; the full auth-code + PKCE flow yields working tokens', async () => {
    const { verifier, challenge } = pkce();
    const r = await call(consentUrl({}, challenge));
    expect(r.status).toBe(302);
    const loc = new URL(r.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    expect(loc.searchParams.get('state')).toBe('st-123');
    expect(loc.searchParams.get('scope')).toBe(SCOPE);
    const code = loc.searchParams.get('code')!;
    expect(code).toMatch(/^4\/0/);

    const t = await exchange(code, verifier);
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: SCOPE });
    expect(t.json.access_token).toMatch(/^ya29\./);
    expect(typeof t.json.refresh_token).toBe('string');
    expect(t.headers.get('cache-control')).toContain('no-store');
    // The token works on the Calendar API (404 for a missing event, not 401).
    const g = await api('GET', `${EVENTS}/nosuchevent1`, { token: t.json.access_token });
    expect(g.status).toBe(404);
    expect(g.json.error).toMatchObject({ code: 404, message: 'Not Found', status: 'NOT_FOUND', errors: [{ domain: 'global', reason: 'notFound', message: 'Not Found' }] });
  });

  it('rejects an unknown client and an unregistered redirect_uri with an error page (no redirect)', async () => {
    const bad = await call(consentUrl({ client_id: 'other' }));
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('data-error="invalid_client"');
    expect(bad.headers.get('location')).toBeNull();
    const mismatch = await call(consentUrl({ redirect_uri: 'http://127.0.0.1:9999/evil' }));
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('data-error="redirect_uri_mismatch"');
  });

  it('validates response_type, scope, state, PKCE method, access_type and prompt', async () => {
    const cases: Array<[Record<string, string | null>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: null }, 'invalid_request'],
      [{ scope: `${SCOPE} https://www.googleapis.com/auth/drive` }, 'invalid_scope'],
      [{ scope: null }, 'invalid_request'],
      [{ state: null }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: null, code_challenge_method: null }, 'invalid_request'],
      [{ code_challenge: 'short' }, 'invalid_request'],
      [{ access_type: 'forever' }, 'invalid_request'],
      [{ prompt: 'none consent' }, 'invalid_request'],
    ];
    for (const [o, err] of cases) {
      const r = await call(consentUrl(o));
      expect(r.status, JSON.stringify(o)).toBe(400);
      expect(r.text, JSON.stringify(o)).toContain(`data-error="${err}"`);
    }
    fake.setKnobs({ requireState: false, requirePkce: false });
    expect((await call(consentUrl({ state: null, code_challenge: null, code_challenge_method: null }))).status).toBe(302);
  });

  it('user denies → redirect with error=access_denied and the state', async () => {
    fake.setKnobs({ userDecision: 'deny' });
    const r = await call(consentUrl());
    expect(r.status).toBe(302);
    const loc = new URL(r.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('st-123');
    expect(loc.searchParams.get('code')).toBeNull();
  });

  it('granular consent: unchecked scopes are missing from the grant', async () => {
    fake.setKnobs({ deniedScopes: [SCOPE] });
    const r = await call(consentUrl({ scope: `${SCOPE} openid email` }));
    const loc = new URL(r.headers.get('location')!);
    expect(loc.searchParams.get('scope')).toBe('openid email');
  });

  it('refresh token only with access_type=offline, and after a first consent only with prompt=consent', async () => {
    const online = await authorize({ access_type: 'online' });
    const a = await exchange(online.code, online.verifier);
    expect(a.status).toBe(200);
    expect(a.json.refresh_token).toBeUndefined();
    // The user has consented now: offline without prompt=consent gives no refresh token…
    expect(fake.knobs().priorConsent).toBe(true);
    const noPrompt = await authorize({ prompt: null });
    expect((await exchange(noPrompt.code, noPrompt.verifier)).json.refresh_token).toBeUndefined();
    // …prompt=consent forces one.
    const forced = await authorize();
    expect(typeof (await exchange(forced.code, forced.verifier)).json.refresh_token).toBe('string');
    // A first-ever consent gives one even without prompt=consent.
    fake.setKnobs({ priorConsent: false });
    const first = await authorize({ prompt: null });
    expect(typeof (await exchange(first.code, first.verifier)).json.refresh_token).toBe('string');
    // prompt=none without any consent → consent_required.
    fake.setKnobs({ priorConsent: false });
    const none = await call(consentUrl({ prompt: 'none' }));
    expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('consent_required');
  });
});

describe('OAuth token endpoint (§3.1)', () => {
  it('rejects a wrong code_verifier with invalid_grant; the right one still works once', async () => {
    const { code, verifier } = await authorize();
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    const missing = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(missing.json.error).toBe('invalid_grant');
    expect((await exchange(code, verifier)).status).toBe(200);
    const reused = await exchange(code, verifier);
    expect(reused.status).toBe(400);
    expect(reused.json.error).toBe('invalid_grant');
  });

  it('checks client credentials (form or Basic), redirect_uri, code expiry and grant_type', async () => {
    const { code, verifier } = await authorize();
    const badSecret = await call(fake.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT, client_secret: 'nope', grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    });
    expect(badSecret.status).toBe(401);
    expect(badSecret.json.error).toBe('invalid_client');
    const wrongRedirect = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT}x`, code_verifier: verifier });
    expect(wrongRedirect.json.error).toBe('redirect_uri_mismatch');
    const basic = await call(fake.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT}:${SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    });
    expect(basic.status).toBe(200);

    const late = await authorize();
    clock += 601;
    expect((await exchange(late.code, late.verifier)).json.error).toBe('invalid_grant');
    expect((await tokenRequest({ grant_type: 'password' })).json.error).toBe('unsupported_grant_type');
    const json = await call(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
  });

  it('refresh_token grant returns a new access token without a new refresh token', async () => {
    const { access, refresh } = await login();
    clock += 3599;
    const expired = await api('GET', `${EVENTS}/nosuchevent1`, { token: access });
    expect(expired.status).toBe(401);
    expect(expired.json.error.errors[0]).toMatchObject({ reason: 'authError', message: 'Invalid Credentials', location: 'Authorization' });
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: SCOPE });
    expect(r.json.refresh_token).toBeUndefined();
    expect((await api('GET', `${EVENTS}/nosuchevent1`, { token: r.json.access_token })).status).toBe(404);
  });

  it('revoked refresh token → invalid_grant, and its access tokens stop working', async () => {
    const { access, refresh } = await login();
    fake.revokeRefreshToken(refresh);
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    expect((await api('GET', `${EVENTS}/x`, { token: access })).status).toBe(401);
  });

  it('expired refresh token (refreshTokenTtlSeconds) → invalid_grant; /revoke endpoint revokes', async () => {
    fake.setKnobs({ refreshTokenTtlSeconds: 7 * 86400 });
    const first = await login();
    clock += 7 * 86400;
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh })).json.error).toBe('invalid_grant');

    const second = await login();
    const rv = await call(`${fake.revokeUrl}?token=${encodeURIComponent(second.access)}`, { method: 'POST' });
    expect(rv.status).toBe(200);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: second.refresh })).json.error).toBe('invalid_grant');
    const again = await call(`${fake.revokeUrl}?token=${encodeURIComponent(second.access)}`, { method: 'POST' });
    expect(again.json.error).toBe('invalid_token');
  });

  it('rotateRefreshTokens knob returns a new refresh token and kills the old one', async () => {
    fake.setKnobs({ rotateRefreshTokens: true });
    const { refresh } = await login();
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(typeof r.json.refresh_token).toBe('string');
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh })).json.error).toBe('invalid_grant');
  });
});

describe('Calendar insert with a Meet link (§3.2)', () => {
  it('creates the conference immediately by default: hangoutLink and a video entry point', async () => {
    const r = await api('POST', `${EVENTS}?conferenceDataVersion=1&sendUpdates=all`, { body: eventBody('req-1') });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'calendar#event', status: 'confirmed', summary: 'Video consultation', sequence: 0 });
    expect(r.json.id).toMatch(/^[a-v0-9]{26}$/);
    expect(r.json.hangoutLink).toMatch(MEET_RE);
    const cd = r.json.conferenceData;
    expect(cd.createRequest).toEqual({ requestId: 'req-1', conferenceSolutionKey: { type: 'hangoutsMeet' }, status: { statusCode: 'success' } });
    expect(cd.entryPoints[0]).toMatchObject({ entryPointType: 'video', uri: r.json.hangoutLink });
    expect(cd.conferenceId).toBe(r.json.hangoutLink.slice('https://meet.google.com/'.length));
    expect(cd.conferenceSolution.key.type).toBe('hangoutsMeet');
    expect(r.json.organizer).toEqual({ email: USER, self: true });
    // sendUpdates is recorded on the request and as a notification.
    expect(fake.requests.at(-1)!.query).toMatchObject({ conferenceDataVersion: '1', sendUpdates: 'all' });
    expect(fake.notifications).toEqual([expect.objectContaining({ action: 'insert', eventId: r.json.id, sendUpdates: 'all', recipients: ['patient@example.com', 'nurse@clinic.test'] })]);
  });

  it('pending → polling with GET → success after conferencePendingGets GETs', async () => {
    fake.setKnobs({ conferencePendingGets: 2 });
    const token = (await login()).access;
    const r = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('req-p'), token });
    expect(r.json.conferenceData.createRequest.status.statusCode).toBe('pending');
    expect(r.json.conferenceData.entryPoints).toBeUndefined();
    expect(r.json.hangoutLink).toBeUndefined();
    const g1 = await api('GET', `${EVENTS}/${r.json.id}`, { token });
    expect(g1.json.conferenceData.createRequest.status.statusCode).toBe('pending');
    const g2 = await api('GET', `${EVENTS}/${r.json.id}`, { token });
    expect(g2.json.conferenceData.createRequest.status.statusCode).toBe('success');
    expect(g2.json.hangoutLink).toMatch(MEET_RE);
    expect(g2.json.conferenceData.entryPoints).toEqual([expect.objectContaining({ entryPointType: 'video', uri: g2.json.hangoutLink })]);
  });

  it('failure outcome, omitHangoutLink and phone entry points knobs', async () => {
    fake.setKnobs({ conferenceOutcome: 'failure' });
    const f = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody() });
    expect(f.json.conferenceData.createRequest.status.statusCode).toBe('failure');
    expect(f.json.conferenceData.entryPoints).toBeUndefined();
    expect(f.json.hangoutLink).toBeUndefined();
    fake.setKnobs({ conferenceOutcome: 'success', omitHangoutLink: true, phoneEntryPoints: true });
    const s = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody() });
    expect(s.json.hangoutLink).toBeUndefined();
    expect(s.json.conferenceData.entryPoints.map((e: any) => e.entryPointType)).toEqual(['video', 'more', 'phone']);
  });

  it('conferenceDataVersion=0 (or absent) ignores conferenceData', async () => {
    const r = await api('POST', EVENTS, { body: eventBody() });
    expect(r.status).toBe(200);
    expect(r.json.conferenceData).toBeUndefined();
    expect(r.json.hangoutLink).toBeUndefined();
    expect((await api('POST', `${EVENTS}?conferenceDataVersion=2`, { body: eventBody() })).status).toBe(400);
  });

  it('same requestId → same conference (default), or ignored by knob', async () => {
    const token = (await login()).access;
    const a = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('dup-req'), token });
    const b = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('dup-req'), token });
    expect(b.json.id).not.toBe(a.json.id);
    expect(b.json.hangoutLink).toBe(a.json.hangoutLink);
    fake.setKnobs({ repeatedRequestId: 'ignore' });
    const c = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('dup-req'), token });
    expect(c.status).toBe(200);
    expect(c.json.conferenceData).toBeUndefined();
  });

  it('validates the body: time range, time zones, recurrence, client ids, solution type, content type', async () => {
    const token = (await login()).access;
    const post = (body: unknown, q = '?conferenceDataVersion=1') => api('POST', `${EVENTS}${q}`, { body, token });
    const empty = await post(eventBody(undefined, { end: { dateTime: '2030-01-07T08:00:00+01:00' } }));
    expect(empty.status).toBe(400);
    expect(empty.json.error.errors[0]).toMatchObject({ domain: 'global', reason: 'timeRangeEmpty', message: 'The specified time range is empty.' });
    expect((await post(eventBody(undefined, { end: undefined }))).json.error.errors[0]).toMatchObject({ reason: 'required', message: 'Missing end time.' });
    const noTz = await post(eventBody(undefined, { start: { dateTime: '2030-01-07T09:00:00' } }));
    expect(noTz.json.error.message).toBe('Missing time zone definition for start time.');
    const recurring = await post(eventBody(undefined, { start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T09:30:00Z' }, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=5'] }));
    expect(recurring.json.error.message).toBe('Missing time zone definition for start time.');
    expect((await post(eventBody(undefined, { recurrence: ['DTSTART:20300107T090000Z'] }))).status).toBe(400);
    expect((await post(eventBody(undefined, { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=5'] }))).status).toBe(200);
    // Local wall time + timeZone is accepted.
    expect((await post(eventBody(undefined, { start: { dateTime: '2030-01-07T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-01-07T09:30:00', timeZone: 'Europe/Berlin' } }))).status).toBe(200);
    expect((await post(eventBody(undefined, { id: 'BAD_ID' }))).json.error.errors[0].reason).toBe('invalid');
    expect((await post(eventBody(undefined, { id: 'bk00042' }))).status).toBe(200);
    const dup = await post(eventBody(undefined, { id: 'bk00042' }));
    expect(dup.status).toBe(409);
    expect(dup.json.error).toMatchObject({ code: 409, errors: [{ reason: 'duplicate' }] });
    const addOn = await post(eventBody(undefined, { conferenceData: { createRequest: { requestId: 'x', conferenceSolutionKey: { type: 'addOn' } } } }));
    expect(addOn.status).toBe(400);
    const form = await call(`${fake.calendarBase}${EVENTS}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'summary=x' });
    expect(form.json.error.errors[0].reason).toBe('parseError');
    const badSend = await api('POST', `${EVENTS}?sendUpdates=everyone`, { body: eventBody(), token });
    expect(badSend.json.error.errors[0]).toMatchObject({ reason: 'invalidParameter', location: 'sendUpdates' });
  });

  it('auth and calendar checks: missing header, unknown calendar, insufficient scope, email as calendar id', async () => {
    const none = await call(`${fake.calendarBase}${EVENTS}/x`);
    expect(none.status).toBe(401);
    expect(none.json.error.errors[0].reason).toBe('required');
    const token = (await login()).access;
    expect((await api('POST', '/calendars/someone%40else.test/events', { body: eventBody(), token })).status).toBe(404);
    const byEmail = await api('POST', `/calendars/${encodeURIComponent(USER)}/events`, { body: eventBody(), token });
    expect(byEmail.status).toBe(200);
    expect((await api('GET', `/calendars/primary/events/${byEmail.json.id}`, { token })).status).toBe(200);

    const { verifier, challenge } = pkce();
    const ro = await call(consentUrl({ scope: 'https://www.googleapis.com/auth/calendar.readonly' }, challenge));
    const roTok = (await exchange(new URL(ro.headers.get('location')!).searchParams.get('code')!, verifier)).json.access_token;
    const denied = await api('POST', EVENTS, { body: eventBody(), token: roTok });
    expect(denied.status).toBe(403);
    expect(denied.json.error.errors[0].reason).toBe('insufficientPermissions');
    expect((await api('GET', `${EVENTS}/${byEmail.json.id}`, { token: roTok })).status).toBe(200);
  });
});

describe('Calendar events.list (a harmless read; outside §3)', () => {
  it('lists the calendar: summary is the account for primary, deleted events only with showDeleted, private property filter', async () => {
    const token = (await login()).access;
    const a = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(undefined, { extendedProperties: { private: { bkx: '1' } } }), token });
    const b = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(undefined, { extendedProperties: { private: { bkx: '2' } } }), token });
    await api('DELETE', `${EVENTS}/${b.json.id}`, { token });
    const list = await api('GET', `${EVENTS}?maxResults=1`, { token });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ kind: 'calendar#events', summary: USER, timeZone: 'UTC', accessRole: 'owner' });
    expect(list.json.items.map((e: { id: string }) => e.id)).toEqual([a.json.id]);
    const all = await api('GET', `${EVENTS}?showDeleted=true`, { token });
    expect(all.json.items).toHaveLength(2);
    const filtered = await api('GET', `${EVENTS}?showDeleted=true&privateExtendedProperty=${encodeURIComponent('bkx=2')}`, { token });
    expect(filtered.json.items.map((e: { id: string }) => e.id)).toEqual([b.json.id]);
    expect((await api('GET', `${EVENTS}?maxResults=0`, { token })).status).toBe(400);
    expect((await api('GET', '/calendars/other%40cal.test/events', { token })).status).toBe(404);
  });
});

describe('Calendar get / patch / update / delete (§3.3)', () => {
  it('patch merges, keeps the conference, bumps sequence on time changes; sendUpdates recorded', async () => {
    const token = (await login()).access;
    const created = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('req-a'), token });
    const id = created.json.id;
    const p = await api('PATCH', `${EVENTS}/${id}?conferenceDataVersion=1&sendUpdates=externalOnly`, {
      body: { summary: 'Moved consultation', start: { dateTime: '2030-01-08T09:00:00+01:00' }, end: { dateTime: '2030-01-08T09:30:00+01:00' } },
      token,
    });
    expect(p.status).toBe(200);
    expect(p.json.summary).toBe('Moved consultation');
    expect(p.json.description).toBe('Booking [bkx:42]');
    expect(p.json.start).toEqual({ dateTime: '2030-01-08T09:00:00+01:00', timeZone: 'Europe/Berlin' });
    expect(p.json.sequence).toBe(1);
    expect(p.json.hangoutLink).toBe(created.json.hangoutLink);
    expect(p.json.etag).not.toBe(created.json.etag);
    expect(fake.requests.at(-1)!.query['sendUpdates']).toBe('externalOnly');
    expect(fake.notifications.at(-1)).toMatchObject({ action: 'patch', sendUpdates: 'externalOnly', recipients: ['patient@example.com'] });

    // Same requestId again: no new conference; conferenceData:null removes it.
    const same = await api('PATCH', `${EVENTS}/${id}?conferenceDataVersion=1`, { body: { conferenceData: created.json.conferenceData }, token });
    expect(same.json.hangoutLink).toBe(created.json.hangoutLink);
    const fresh = await api('PATCH', `${EVENTS}/${id}?conferenceDataVersion=1`, { body: eventBody('req-b') , token });
    expect(fresh.json.hangoutLink).toMatch(MEET_RE);
    expect(fresh.json.hangoutLink).not.toBe(created.json.hangoutLink);
    const removed = await api('PATCH', `${EVENTS}/${id}?conferenceDataVersion=1`, { body: { conferenceData: null }, token });
    expect(removed.json.conferenceData).toBeUndefined();
    expect(removed.json.hangoutLink).toBeUndefined();
  });

  it('modification without conferenceDataVersion keeps (default) or drops the conference', async () => {
    const token = (await login()).access;
    const c = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(), token });
    const keep = await api('PATCH', `${EVENTS}/${c.json.id}`, { body: { summary: 'x' }, token });
    expect(keep.json.hangoutLink).toBe(c.json.hangoutLink);
    fake.setKnobs({ modifyWithoutConferenceVersion: 'drop' });
    const drop = await api('PATCH', `${EVENTS}/${c.json.id}`, { body: { summary: 'y' }, token });
    expect(drop.json.hangoutLink).toBeUndefined();
  });

  it('PUT replaces the event; If-Match mismatch → 412', async () => {
    const token = (await login()).access;
    const c = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody('req-put'), token });
    const body = { ...eventBody('req-put'), summary: 'Replaced', description: undefined };
    const u = await api('PUT', `${EVENTS}/${c.json.id}?conferenceDataVersion=1`, { body, token });
    expect(u.status).toBe(200);
    expect(u.json.summary).toBe('Replaced');
    expect(u.json.description).toBeUndefined();
    expect(u.json.hangoutLink).toBe(c.json.hangoutLink);
    const missingEnd = await api('PUT', `${EVENTS}/${c.json.id}`, { body: { summary: 'no times' }, token });
    expect(missingEnd.status).toBe(400);
    const stale = await api('PATCH', `${EVENTS}/${c.json.id}`, { body: { summary: 'z' }, token, headers: { 'if-match': c.json.etag } });
    expect(stale.status).toBe(412);
    expect(stale.json.error.errors[0].reason).toBe('conditionNotMet');
    expect((await api('PATCH', `${EVENTS}/${c.json.id}`, { body: { summary: 'z' }, token, headers: { 'if-match': u.json.etag } })).status).toBe(200);
  });

  it('delete → 204, GET shows status cancelled, delete again → 410 deleted; knobs for 404', async () => {
    const token = (await login()).access;
    const c = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(), token });
    const d = await api('DELETE', `${EVENTS}/${c.json.id}?sendUpdates=all`, { token });
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expect(fake.notifications.at(-1)).toMatchObject({ action: 'delete', sendUpdates: 'all' });
    const g = await api('GET', `${EVENTS}/${c.json.id}`, { token });
    expect(g.status).toBe(200);
    expect(g.json.status).toBe('cancelled');
    const again = await api('DELETE', `${EVENTS}/${c.json.id}`, { token });
    expect(again.status).toBe(410);
    expect(again.json.error).toMatchObject({ code: 410, message: 'Resource has been deleted', errors: [{ domain: 'global', reason: 'deleted' }] });
    fake.setKnobs({ deletedEventGet: 404, deleteAgainStatus: 404 });
    expect((await api('GET', `${EVENTS}/${c.json.id}`, { token })).status).toBe(404);
    expect((await api('DELETE', `${EVENTS}/${c.json.id}`, { token })).status).toBe(404);
    fake.setKnobs({ deletedEventGet: 410 });
    expect((await api('GET', `${EVENTS}/${c.json.id}`, { token })).json.error.errors[0].reason).toBe('deleted');
    expect((await api('DELETE', `${EVENTS}/nosuchevent1`, { token })).status).toBe(404);
    // The legacy spec path without a calendar id does not exist (§8).
    expect((await api('GET', `/events/${c.json.id}`, { token })).status).toBe(404);
  });
});

describe('Errors, quotas and failure injection (§3.4, general rules)', () => {
  it('quota knob: 403 rateLimitExceeded in domain usageLimits, window resets with the clock', async () => {
    const token = (await login()).access;
    fake.setKnobs({ rateLimit: { limit: 2, windowSeconds: 60, status: 403 } });
    expect((await api('GET', `${EVENTS}/nosuchevent1`, { token })).status).toBe(404);
    expect((await api('GET', `${EVENTS}/nosuchevent1`, { token })).status).toBe(404);
    const limited = await api('GET', `${EVENTS}/nosuchevent1`, { token });
    expect(limited.status).toBe(403);
    expect(limited.json).toEqual({
      error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], status: 'PERMISSION_DENIED' },
    });
    expect(limited.headers.get('retry-after')).toBeNull();
    clock += 60;
    expect((await api('GET', `${EVENTS}/nosuchevent1`, { token })).status).toBe(404);
  });

  it('quota knob: userRateLimitExceeded, and 429 with Retry-After', async () => {
    const token = (await login()).access;
    fake.setKnobs({ rateLimit: { limit: 0, status: 403, reason: 'userRateLimitExceeded' } });
    const u = await api('GET', `${EVENTS}/x`, { token });
    expect(u.json.error.errors[0]).toMatchObject({ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' });
    fake.setKnobs({ rateLimit: { limit: 0, status: 429, retryAfter: 3 } });
    const t = await api('GET', `${EVENTS}/x`, { token });
    expect(t.status).toBe(429);
    expect(t.json.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded' }] });
    expect(t.headers.get('retry-after')).toBe('3');
    fake.setKnobs({ rateLimit: null, includeErrorStatus: false });
    expect((await api('GET', `${EVENTS}/x`, { token })).json.error.status).toBeUndefined();
  });

  it('failWith with match, times and Retry-After; reset and delay injection', async () => {
    const token = (await login()).access;
    fake.failWith({ status: 403, body: googleQuotaError('userRateLimitExceeded'), retryAfter: 2, times: 2, match: { method: 'POST', path: /\/events$/ } });
    expect((await api('GET', `${EVENTS}/x`, { token })).status).toBe(404); // not matched
    const f1 = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(), token });
    expect(f1.status).toBe(403);
    expect(f1.headers.get('retry-after')).toBe('2');
    expect(f1.json.error.errors[0].reason).toBe('userRateLimitExceeded');
    expect((await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(), token })).status).toBe(403);
    expect((await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body: eventBody(), token })).status).toBe(200);
    expect(fake.requests.filter((r) => r.injected)).toHaveLength(2);

    fake.failWith({ reset: true, match: { path: '^/token$' } });
    await expect(tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' })).rejects.toThrow();
    expect(fake.requests.at(-1)!.dropped).toBe(true);

    fake.setKnobs({ failWith: { delayMs: 150 } });
    const t0 = performance.now();
    expect((await api('GET', `${EVENTS}/x`, { token })).status).toBe(404);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('lost create response: the event is stored; a retry with the same client id gets 409 and GET finds it', async () => {
    const token = (await login()).access;
    fake.loseNextCreateResponse();
    const body = eventBody('req-lost', { id: 'bk42attempt1' });
    await expect(
      fetch(`${fake.calendarBase}${EVENTS}?conferenceDataVersion=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    ).rejects.toThrow();
    expect(fake.requests.at(-1)!.dropped).toBe(true);
    expect(fake.events.get('bk42attempt1')).toBeDefined();
    const retry = await api('POST', `${EVENTS}?conferenceDataVersion=1`, { body, token });
    expect(retry.status).toBe(409);
    const g = await api('GET', `${EVENTS}/bk42attempt1`, { token });
    expect(g.json.hangoutLink).toMatch(MEET_RE);
    expect(g.json.conferenceData.createRequest.requestId).toBe('req-lost');
  });

  it('records every request with its raw body; /__fake/ routes are not recorded', async () => {
    const token = (await login()).access;
    const raw = JSON.stringify(eventBody('req-rec'));
    await call(`${fake.calendarBase}${EVENTS}?conferenceDataVersion=1&sendUpdates=none`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: raw,
    });
    const rec = fake.requests.at(-1)!;
    expect(rec).toMatchObject({ method: 'POST', path: '/calendar/v3/calendars/primary/events', body: raw, status: 200 });
    expect(rec.query).toEqual({ conferenceDataVersion: '1', sendUpdates: 'none' });
    expect(fake.notifications).toHaveLength(0);
    const n = fake.requests.length;
    const list = await call(`${fake.origin}/__fake/requests`);
    expect(list.json).toHaveLength(n);
    const evs = await call(`${fake.origin}/__fake/events`);
    expect(evs.json).toHaveLength(1);
    expect(evs.json[0]).toMatchObject({ calendarId: USER, deleted: false, event: { summary: 'Video consultation' } });
    expect(fake.requests).toHaveLength(n);
  });
});
