import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { GRAPH_SCOPE, GRAPH_THROTTLE_MESSAGE, startGraphFake, type GraphFake } from '../src/graph';

const TENANT = 'tenant-0001';
const CLIENT = 'client-0001';
const SECRET = 'secret-0001';
const ORG = { id: '11111111-1111-4111-a111-111111111111', upn: 'ada@clinic.example.test', displayName: 'Dr Ada' };
const OTHER = { id: '22222222-2222-4222-a222-222222222222', upn: 'bob@clinic.example.test', displayName: 'Dr Bob' };

let fake: GraphFake;
let clock = 1_890_000_000; // epoch seconds = 2029-11-22T00:00:00Z

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(url: string, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(url, init);
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, headers: r.headers, text, json };
}

function tokenRequest(fields: Record<string, string>, tenant = TENANT): Promise<Res> {
  return call(fake.tokenUrl(tenant), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}
const goodForm = () => ({ client_id: CLIENT, client_secret: SECRET, scope: GRAPH_SCOPE, grant_type: 'client_credentials' });

async function token(): Promise<string> {
  const r = await tokenRequest(goodForm());
  expect(r.status).toBe(200);
  return r.json.access_token as string;
}

async function api(method: string, path: string, body?: unknown, opts: { tok?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const t = opts.tok ?? (await token());
  return call(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${t}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(opts.headers ?? {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const meetingBody = {
  subject: 'Consultation [bkx:42]',
  startDateTime: '2030-01-07T10:00:00+01:00',
  endDateTime: '2030-01-07T10:30:00+01:00',
  lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: false },
  allowedPresenters: 'organizer',
  isEntryExitAnnounced: false,
  participants: { attendees: [{ upn: 'guest@example.test', role: 'attendee' }] },
};
const meetingPath = (id: string, user = ORG.id) => `/users/${user}/onlineMeetings/${encodeURIComponent(id)}`;

// ---- a tiny local notification receiver (real node:http) --------------------------------------

type Mode = 'echo' | 'wrong-body' | 'json-type' | 'status-500' | 'slow' | 'raw-token';
interface Receiver {
  url: string;
  mode: Mode;
  slowMs: number;
  /** Answer 500 to this many more requests, then behave per mode. */
  failNext: number;
  hits: Array<{ query: URLSearchParams; contentType: string; body: string; rawQuery: string }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const state: Receiver = { url: '', mode: 'echo', slowMs: 0, failNext: 0, hits: [], close: async () => undefined };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server: Server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const body = await read(req);
    state.hits.push({ query: u.searchParams, contentType: String(req.headers['content-type'] ?? ''), body, rawQuery: u.search });
    const vt = u.searchParams.get('validationToken'); // URLSearchParams decodes it
    if (state.mode === 'slow') await new Promise((r) => setTimeout(r, state.slowMs));
    if (state.mode === 'status-500' || state.failNext > 0) {
      state.failNext = Math.max(0, state.failNext - 1);
      res.writeHead(500).end();
      return;
    }
    if (vt !== null) {
      if (state.mode === 'wrong-body') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('nope');
      if (state.mode === 'json-type') return void res.writeHead(200, { 'content-type': 'application/json' }).end(vt);
      if (state.mode === 'raw-token') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(u.search.slice('?validationToken='.length));
      return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(vt);
    }
    res.writeHead(202).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graph/notify`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

let rx: Receiver;
const iso = (secondsFromClock: number) => new Date((clock + secondsFromClock) * 1000).toISOString();
const subBody = (over: Record<string, unknown> = {}) => ({
  changeType: 'updated',
  notificationUrl: rx.url,
  resource: `communications/onlineMeetings/?$filter=JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/x'`,
  expirationDateTime: iso(3000),
  clientState: 'bkx-secret-state',
  ...over,
});

beforeAll(async () => {
  fake = await startGraphFake({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, users: [ORG, OTHER], now: () => clock });
  rx = await startReceiver();
});
afterAll(async () => {
  await fake.close();
  await rx.close();
});
beforeEach(() => {
  clock = 1_890_000_000;
  fake.reset({ tokens: true });
  rx.mode = 'echo';
  rx.slowMs = 0;
  rx.failNext = 0;
  rx.hits.length = 0;
});

// ------------------------------------------------------------------------------------------------

describe('client-credentials token (§2.1)', () => {
  it('issues a Bearer token for a form body with the .default scope', async () => {
    const r = await tokenRequest(goodForm());
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(typeof r.json.access_token).toBe('string');
    expect(r.json.refresh_token).toBeUndefined();
    expect(fake.tokenUrl()).toBe(`${fake.loginBase}/${TENANT}/oauth2/v2.0/token`);
    // A tenant domain works as well.
    fake.setKnobs({ tenantDomains: ['clinic.example.test'] });
    expect((await tokenRequest(goodForm(), 'clinic.example.test')).status).toBe(200);
  });

  it('answers AADSTS errors for a bad secret, tenant, scope, grant or content type', async () => {
    const badSecret = await tokenRequest({ ...goodForm(), client_secret: 'wrong' });
    expect(badSecret.status).toBe(401);
    expect(badSecret.json).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(badSecret.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    for (const k of ['timestamp', 'trace_id', 'correlation_id']) expect(typeof badSecret.json[k]).toBe('string');
    fake.setKnobs({ badSecretStatus: 400 });
    expect((await tokenRequest({ ...goodForm(), client_secret: 'wrong' })).status).toBe(400);

    const badTenant = await tokenRequest(goodForm(), 'nope');
    expect(badTenant.status).toBe(400);
    expect(badTenant.json).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    expect(badTenant.json.error_description).toContain("Tenant 'nope' not found");

    const badClient = await tokenRequest({ ...goodForm(), client_id: 'other' });
    expect(badClient.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });

    const badScope = await tokenRequest({ ...goodForm(), scope: 'https://graph.microsoft.com/OnlineMeetings.ReadWrite.All' });
    expect(badScope.status).toBe(400);
    expect(badScope.json).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });

    const badGrant = await tokenRequest({ ...goodForm(), grant_type: 'password' });
    expect(badGrant.json).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });

    const asJson = await call(fake.tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(goodForm()) });
    expect(asJson.status).toBe(400);
    expect(asJson.json).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
    expect(fake.tokensIssued).toHaveLength(0);
  });

  it('tokens expire by the clock knob and can be revoked; Graph answers InvalidAuthenticationToken', async () => {
    const t = await token();
    expect((await api('GET', meetingPath('x'), undefined, { tok: t })).status).toBe(404);
    clock += 3599;
    const expired = await api('GET', meetingPath('x'), undefined, { tok: t });
    expect(expired.status).toBe(401);
    expect(expired.json.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' });

    const t2 = await token();
    fake.revokeTokens(t2);
    expect((await api('GET', meetingPath('x'), undefined, { tok: t2 })).json.error.code).toBe('InvalidAuthenticationToken');
    const none = await call(`${fake.url}${meetingPath('x')}`);
    expect(none.status).toBe(401);
    expect(none.json.error.message).toBe('Access token is empty.');
  });
});

describe('online meetings (§2.2, §2.3)', () => {
  it('creates a meeting: 201 with the documented fields, times normalised to UTC', async () => {
    const r = await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { headers: { 'client-request-id': 'my-corr-1' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('client-request-id')).toBe('my-corr-1');
    const m = r.json;
    expect(m.id).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(m.id, 'base64').toString()).toContain(`1*${ORG.id}*0**19:meeting_`);
    expect(m.joinWebUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_/);
    expect(m.joinUrl).toBeUndefined();
    expect(m).toMatchObject({
      subject: 'Consultation [bkx:42]',
      startDateTime: '2030-01-07T09:00:00Z',
      endDateTime: '2030-01-07T09:30:00Z',
      creationDateTime: '2029-11-22T00:00:00.0000000Z',
      lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: false },
      allowedPresenters: 'organizer',
      isEntryExitAnnounced: false,
      chatInfo: { messageId: '0' },
      participants: {
        organizer: { upn: ORG.upn, role: 'presenter', identity: { user: { id: ORG.id, displayName: 'Dr Ada', tenantId: TENANT } } },
        attendees: [{ upn: 'guest@example.test', role: 'attendee' }],
      },
    });
    expect(m.videoTeleconferenceId).toMatch(/^\d+$/);
    expect(m.joinMeetingIdSettings.isPasscodeRequired).toBe(true);
    expect(m.joinMeetingIdSettings.joinMeetingId).toMatch(/^\d{12}$/);
    expect(m.joinMeetingIdSettings.passcode).toMatch(/^\S{6}$/);
    expect(m.joinInformation.contentType).toBe('html');
    expect(m.audioConferencing).toBeUndefined();
    expect(fake.meetings.get(m.id)?.userId).toBe(ORG.id);
    // Fractions are kept to 7 digits.
    const f = await api('POST', `/users/${ORG.id}/onlineMeetings`, { startDateTime: '2030-01-07T09:00:00.25Z', endDateTime: '2030-01-07T10:00:00Z' });
    expect(f.json.startDateTime).toBe('2030-01-07T09:00:00.2500000Z');
  });

  it('audioConferencing appears with the PSTN knob, in each style, and per user', async () => {
    fake.setKnobs({ audioConferencing: true });
    const a = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody)).json.audioConferencing;
    expect(Object.keys(a).sort()).toEqual(['conferenceId', 'dialinUrl', 'tollFreeNumber', 'tollNumber']);
    fake.setKnobs({ audioConferencingStyle: 'docExample' });
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody)).json.audioConferencing).toHaveProperty('ConferenceId');
    fake.setKnobs({ audioConferencingStyle: 'withArrays' });
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody)).json.audioConferencing.tollNumbers).toHaveLength(1);
    fake.setKnobs({ audioConferencing: false, users: [{ ...ORG, audioConferencing: true }, OTHER] });
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody)).json.audioConferencing).toBeDefined();
    expect((await api('POST', `/users/${OTHER.id}/onlineMeetings`, meetingBody)).json.audioConferencing).toBeUndefined();
  });

  it('evolvable lobby scopes need Prefer: include-unknown-enum-members; joinUrl and Accept-Language knobs', async () => {
    const body = { ...meetingBody, lobbyBypassSettings: { scope: 'invited' } };
    const plain = await api('POST', `/users/${ORG.id}/onlineMeetings`, body);
    expect(plain.json.lobbyBypassSettings.scope).toBe('unknownFutureValue');
    const got = await api('GET', meetingPath(plain.json.id), undefined, { headers: { prefer: 'include-unknown-enum-members' } });
    expect(got.json.lobbyBypassSettings.scope).toBe('invited');
    fake.setKnobs({ includeDeprecatedJoinUrl: true });
    const de = await api('GET', meetingPath(plain.json.id), undefined, { headers: { 'accept-language': 'de-DE' } });
    expect(de.json.joinUrl).toBe(de.json.joinWebUrl);
    expect(decodeURIComponent(de.json.joinInformation.content)).toContain('Microsoft Teams-Besprechung');
  });

  it('rejects isEntryExempt, custom passcodes, bad enums and non-JSON bodies with Graph errors', async () => {
    const t = await token();
    const exempt = await api('POST', `/users/${ORG.id}/onlineMeetings`, { ...meetingBody, isEntryExempt: true }, { tok: t });
    expect(exempt.status).toBe(400);
    expect(exempt.json.error.message).toContain("The property 'isEntryExempt' does not exist on type 'microsoft.graph.onlineMeeting'");
    expect(exempt.json.error.innerError).toMatchObject({ 'request-id': exempt.headers.get('request-id') });
    const pass = await api('POST', `/users/${ORG.id}/onlineMeetings`, { joinMeetingIdSettings: { isPasscodeRequired: true, passcode: '1234' } }, { tok: t });
    expect(pass.status).toBe(400);
    const scope = await api('POST', `/users/${ORG.id}/onlineMeetings`, { lobbyBypassSettings: { scope: 'guests' } }, { tok: t });
    expect(scope.status).toBe(400);
    const text = await call(`${fake.url}/users/${ORG.id}/onlineMeetings`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: '{' });
    expect(text.json.error.code).toBe('BadRequest');
    expect(fake.meetings.size).toBe(0);
    fake.setKnobs({ rejectUnknownProperties: false });
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, { isEntryExempt: true }, { tok: t })).status).toBe(201);
  });

  it('gets, patches (200 + full object), deletes (204, empty), then 404 itemNotFound', async () => {
    const t = await token();
    const created = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).json;
    const got = await api('GET', meetingPath(created.id), undefined, { tok: t });
    expect(got.status).toBe(200);
    expect(got.json.joinWebUrl).toBe(created.joinWebUrl);

    const patched = await api(
      'PATCH',
      meetingPath(created.id),
      { startDateTime: '2030-01-08T09:00:00Z', endDateTime: '2030-01-08T09:45:00Z', subject: 'Moved', participants: { attendees: [{ upn: OTHER.upn, role: 'presenter' }] } },
      { tok: t },
    );
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: created.id, subject: 'Moved', startDateTime: '2030-01-08T09:00:00Z', endDateTime: '2030-01-08T09:45:00Z', joinWebUrl: created.joinWebUrl });
    expect(patched.json.participants.attendees).toEqual([
      { upn: OTHER.upn, role: 'presenter', identity: { application: null, device: null, user: { id: OTHER.id, displayName: 'Dr Bob', tenantId: TENANT, identityProvider: 'AAD' } } },
    ]);
    expect(patched.json.lobbyBypassSettings.scope).toBe('organizer'); // untouched fields stay

    // Time changes need both ends; organizer and joinMeetingIdSettings are immutable.
    expect((await api('PATCH', meetingPath(created.id), { startDateTime: '2030-01-09T09:00:00Z' }, { tok: t })).status).toBe(400);
    expect((await api('PATCH', meetingPath(created.id), { participants: { organizer: { identity: { user: { id: OTHER.id } } } } }, { tok: t })).status).toBe(400);
    expect((await api('PATCH', meetingPath(created.id), { joinMeetingIdSettings: { isPasscodeRequired: false } }, { tok: t })).status).toBe(400);
    expect(fake.meetings.get(created.id)?.['startDateTime']).toBe('2030-01-08T09:00:00Z');

    // Lookup by join URL [U].
    const list = await api('GET', `/users/${ORG.id}/onlineMeetings?$filter=${encodeURIComponent(`JoinWebUrl eq '${created.joinWebUrl}'`)}`, undefined, { tok: t });
    expect(list.status).toBe(200);
    expect(list.json.value.map((m: { id: string }) => m.id)).toEqual([created.id]);

    const del = await api('DELETE', meetingPath(created.id), undefined, { tok: t });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const gone = await api('GET', meetingPath(created.id), undefined, { tok: t });
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('itemNotFound');
    expect(gone.json.error.innerError).toHaveProperty('date');
    expect((await api('DELETE', meetingPath(created.id), undefined, { tok: t })).status).toBe(404);
    // Another organizer's path does not reach the meeting.
    const again = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).json;
    expect((await api('GET', meetingPath(again.id, OTHER.id), undefined, { tok: t })).status).toBe(404);
  });

  it('GET /users/{idOrUpn} → {id, userPrincipalName, displayName}; unknown users → 404', async () => {
    const t = await token();
    const byUpn = await api('GET', `/users/${encodeURIComponent(ORG.upn.toUpperCase())}`, undefined, { tok: t });
    expect(byUpn.status).toBe(200);
    expect(byUpn.json).toMatchObject({ id: ORG.id, userPrincipalName: ORG.upn, displayName: ORG.displayName });
    expect((await api('GET', `/users/${OTHER.id}`, undefined, { tok: t })).json).toMatchObject({ id: OTHER.id, userPrincipalName: OTHER.upn });
    const unknown = await api('GET', '/users/nobody%40clinic.example.test', undefined, { tok: t });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('Request_ResourceNotFound');
    expect((await call(`${fake.url}/users/${ORG.id}`)).status).toBe(401);
  });

  it('unknown users → 404; UPN in the path only with acceptUpnInPath', async () => {
    const t = await token();
    expect((await api('POST', `/users/33333333-0000-4000-a000-000000000000/onlineMeetings`, meetingBody, { tok: t })).status).toBe(404);
    expect((await api('POST', `/users/${ORG.upn}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(404);
    fake.setKnobs({ acceptUpnInPath: true });
    expect((await api('POST', `/users/${ORG.upn}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(201);
  });

  it('application access policy missing → 403 Unauthorized "App … is not authorized to Create meeting on behalf of user …"', async () => {
    const t = await token();
    fake.setKnobs({ accessPolicyGranted: false });
    const r = await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('Unauthorized');
    expect(r.json.error.message).toBe(`App ${CLIENT} is not authorized to Create meeting on behalf of user ${ORG.id}`);
    fake.setKnobs({ accessPolicyGranted: [OTHER.upn] });
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(403);
    expect((await api('POST', `/users/${OTHER.id}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(201);
    fake.setKnobs({ accessPolicyStatus: 401, accessPolicyGranted: false });
    expect((await api('POST', `/users/${OTHER.id}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(401);
  });

  it('a token without OnlineMeetings.ReadWrite.All cannot write', async () => {
    const t = await token();
    const id = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).json.id as string;
    fake.setKnobs({ roles: ['OnlineMeetings.Read.All'] });
    const ro = await token();
    expect((await api('GET', meetingPath(id), undefined, { tok: ro })).status).toBe(200);
    const w = await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: ro });
    expect(w.status).toBe(403);
    expect(w.json.error.code).toBe('Forbidden');
  });
});

describe('createOrGet: create with an externalId, or get the meeting that has it', () => {
  const cog = (user = ORG.id) => `/users/${user}/onlineMeetings/createOrGet`;
  const cogBody = { externalId: 'bkx-site1-b42-g0', subject: 'Consultation [bkx:42]', startDateTime: '2030-01-07T10:00:00+01:00', endDateTime: '2030-01-07T10:30:00+01:00' };

  it('201 with a new meeting, then 200 with the same meeting (unchanged) for the same externalId', async () => {
    const t = await token();
    const first = await api('POST', cog(), cogBody, { tok: t });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      externalId: 'bkx-site1-b42-g0',
      subject: 'Consultation [bkx:42]',
      startDateTime: '2030-01-07T09:00:00Z',
      endDateTime: '2030-01-07T09:30:00Z',
      participants: { organizer: { upn: ORG.upn, identity: { user: { id: ORG.id } } } },
      // Not settable through createOrGet: the tenant's defaults apply.
      lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
      joinMeetingIdSettings: { isPasscodeRequired: true },
    });
    expect(first.json.joinMeetingIdSettings.passcode).toMatch(/^\S{6}$/);
    expect(first.headers.get('location')).toBe(`${fake.url}/users/${ORG.id}/onlineMeetings/${encodeURIComponent(first.json.id)}`);
    const again = await api('POST', cog(), { ...cogBody, subject: 'Other', startDateTime: '2030-02-01T10:00:00Z', endDateTime: '2030-02-01T11:00:00Z' }, { tok: t });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, joinWebUrl: first.json.joinWebUrl, subject: 'Consultation [bkx:42]', startDateTime: '2030-01-07T09:00:00Z' });
    expect(fake.meetings.size).toBe(1);
    // The meeting is an ordinary online meeting: GET and PATCH reach it.
    expect((await api('GET', meetingPath(first.json.id), undefined, { tok: t })).json.externalId).toBe('bkx-site1-b42-g0');
    const patched = await api('PATCH', meetingPath(first.json.id), { lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: true } }, { tok: t });
    expect(patched.status).toBe(200);
    expect(patched.json.lobbyBypassSettings).toEqual({ scope: 'organizer', isDialInBypassEnabled: true });
    // Knob: some tenants may answer 201 for an existing meeting too.
    fake.setKnobs({ createOrGetExistingStatus: 201 });
    const third = await api('POST', cog(), cogBody, { tok: t });
    expect([third.status, third.json.id]).toEqual([201, first.json.id]);
  });

  it('defaults the times to now and +1 h; requires externalId; refuses parameters it does not take', async () => {
    const t = await token();
    const bare = await api('POST', cog(), { externalId: 'x-1' }, { tok: t });
    expect(bare.status).toBe(201);
    expect(bare.json.startDateTime).toBe('2029-11-22T00:00:00.0000000Z');
    expect(bare.json.endDateTime).toBe('2029-11-22T01:00:00.0000000Z');
    const missing = await api('POST', cog(), { subject: 'No id' }, { tok: t });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('InvalidRequest');
    expect(missing.json.error.message).toContain('externalId');
    expect((await api('POST', cog(), { externalId: '  ' }, { tok: t })).status).toBe(400);
    expect((await api('POST', cog(), { externalId: 7 }, { tok: t })).status).toBe(400);
    for (const extra of [{ lobbyBypassSettings: { scope: 'organizer' } }, { joinMeetingIdSettings: { isPasscodeRequired: false } }, { isEntryExempt: true }]) {
      const r = await api('POST', cog(), { externalId: 'x-2', ...extra }, { tok: t });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toContain("is not a valid parameter for the operation 'createOrGet'");
    }
    expect((await api('POST', cog(), { externalId: 'x-3', endDateTime: '2030-01-01T00:00:00Z' }, { tok: t })).status).toBe(400);
    expect((await api('POST', cog(), { externalId: 'x-4', startDateTime: '2030-01-01T10:00:00Z', endDateTime: '2030-01-01T09:00:00Z' }, { tok: t })).status).toBe(400);
    expect((await api('GET', cog(), undefined, { tok: t })).status).toBe(405);
    expect([...fake.meetings.values()].map((m) => m['externalId'])).toEqual(['x-1']);
  });

  it('scopes externalId per organizer (documented), or per tenant with the knob', async () => {
    const t = await token();
    const a = await api('POST', cog(ORG.id), cogBody, { tok: t });
    const b = await api('POST', cog(OTHER.id), cogBody, { tok: t });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.json.id).not.toBe(a.json.id);
    expect(fake.meetings.get(b.json.id)?.userId).toBe(OTHER.id);
    fake.reset();
    fake.setKnobs({ externalIdScope: 'tenant' });
    const first = await api('POST', cog(ORG.id), cogBody, { tok: t });
    const other = await api('POST', cog(OTHER.id), cogBody, { tok: t });
    expect(other.status).toBe(200);
    expect(other.json.id).toBe(first.json.id);
    expect(other.json.participants.organizer.identity.user.id).toBe(ORG.id);
  });

  it('after a deletion the externalId is reusable, returns the deleted meeting, or answers 409, per knob', async () => {
    const t = await token();
    const made = (await api('POST', cog(), cogBody, { tok: t })).json;
    expect((await api('DELETE', meetingPath(made.id), undefined, { tok: t })).status).toBe(204);
    // Default: the deleted meeting comes back, but its id reaches nothing any more.
    const stale = await api('POST', cog(), cogBody, { tok: t });
    expect([stale.status, stale.json.id]).toEqual([200, made.id]);
    expect((await api('PATCH', meetingPath(made.id), { subject: 'x' }, { tok: t })).status).toBe(404);
    expect((await api('GET', meetingPath(made.id), undefined, { tok: t })).status).toBe(404);
    fake.setKnobs({ deletedExternalIds: 'conflict' });
    const conflict = await api('POST', cog(), cogBody, { tok: t });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('Conflict');
    fake.setKnobs({ deletedExternalIds: 'reusable' });
    const fresh = await api('POST', cog(), cogBody, { tok: t });
    expect(fresh.status).toBe(201);
    expect(fresh.json.id).not.toBe(made.id);
    expect((await api('POST', cog(), cogBody, { tok: t })).json.id).toBe(fresh.json.id);
    // A meeting removed behind the API's back (fake.meetings) counts as deleted too.
    fake.setKnobs({ deletedExternalIds: 'returnsDeleted' });
    fake.meetings.delete(fresh.json.id);
    expect((await api('POST', cog(), cogBody, { tok: t })).json.id).toBe(fresh.json.id);
    expect(fake.meetings.size).toBe(0);
  });

  it('shares create\'s auth, permission, access policy, throttling, failure injection and lost answers', async () => {
    expect((await call(`${fake.url}${cog()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cogBody) })).status).toBe(401);
    const t = await token();
    fake.setKnobs({ accessPolicyGranted: false });
    const policy = await api('POST', cog(), cogBody, { tok: t });
    expect(policy.status).toBe(403);
    expect(policy.json.error).toMatchObject({ code: 'Unauthorized', message: `App ${CLIENT} is not authorized to Create meeting on behalf of user ${ORG.id}` });
    fake.setKnobs({ accessPolicyGranted: true, roles: ['OnlineMeetings.Read.All'] });
    expect((await api('POST', cog(), cogBody)).json.error.code).toBe('Forbidden');
    fake.setKnobs({ roles: ['OnlineMeetings.ReadWrite.All'] });
    expect((await api('POST', '/users/33333333-0000-4000-a000-000000000000/onlineMeetings/createOrGet', cogBody, { tok: t })).status).toBe(404);
    expect(fake.meetings.size).toBe(0);

    fake.failWith({ status: 429, code: 'TooManyRequests', message: GRAPH_THROTTLE_MESSAGE, retryAfter: 3, match: { method: 'POST', path: /createOrGet$/ } });
    const busy = await api('POST', cog(), cogBody, { tok: t });
    expect([busy.status, busy.headers.get('retry-after')]).toEqual([429, '3']);
    expect(fake.meetings.size).toBe(0);

    // Made, answer lost; the retry gets the same meeting.
    fake.loseNextCreateResponse();
    await expect(api('POST', cog(), cogBody, { tok: t })).rejects.toThrow();
    expect(fake.requests.at(-1)?.dropped).toBe(true);
    expect(fake.meetings.size).toBe(1);
    const retry = await api('POST', cog(), cogBody, { tok: t });
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe([...fake.meetings.keys()][0]);
    // An answer for an existing meeting is never dropped by that knob.
    fake.loseNextCreateResponse();
    expect((await api('POST', cog(), cogBody, { tok: t })).status).toBe(200);

    fake.setKnobs({ rateLimit: { perSecond: 1, retryAfter: 'seconds' } });
    const burst = await Promise.all([1, 2, 3].map(() => api('POST', cog(), cogBody, { tok: t })));
    expect(burst.some((r) => r.status === 429)).toBe(true);
    // Concurrent calls with one externalId still make one meeting.
    expect(fake.meetings.size).toBe(1);
  });
});

describe('throttling and failure injection (§2.6)', () => {
  it('answers 429 TooManyRequests over N/s with Retry-After seconds, or without it', async () => {
    const t = await token();
    for (const mode of ['seconds', 'absent'] as const) {
      fake.setKnobs({ rateLimit: { perSecond: 4, retryAfter: mode } });
      const rs = await Promise.all(Array.from({ length: 6 }, () => api('GET', meetingPath('x'), undefined, { tok: t })));
      expect(rs.filter((r) => r.status === 404)).toHaveLength(4);
      const limited = rs.filter((r) => r.status === 429);
      expect(limited).toHaveLength(2);
      expect(limited[0]!.json.error).toMatchObject({ code: 'TooManyRequests', message: GRAPH_THROTTLE_MESSAGE });
      expect(limited[0]!.headers.get('retry-after')).toBe(mode === 'seconds' ? '1' : null);
    }
    // The token endpoint is not limited.
    expect((await tokenRequest(goodForm())).status).toBe(200);
  });

  it('failWith: Graph-shaped 429/503 bodies by code, matching, innererror casing, delay and reset', async () => {
    const t = await token();
    fake.failWith({ status: 429, code: 'TooManyRequests', message: GRAPH_THROTTLE_MESSAGE, retryAfter: 7, match: { method: 'POST', path: /onlineMeetings$/ } });
    const g = await api('GET', meetingPath('x'), undefined, { tok: t }); // does not match
    expect(g.status).toBe(404);
    const r = await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t, headers: { 'client-request-id': 'c-9' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json.error.innerError['client-request-id']).toBe('c-9');
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(201);

    fake.setKnobs({ innerErrorCasing: 'innererror' });
    const e = await api('GET', meetingPath('x'), undefined, { tok: t });
    expect(e.json.error.innererror).toBeDefined();
    expect(e.json.error.innerError).toBeUndefined();

    fake.setKnobs({ failWith: { delayMs: 250 } });
    const t0 = Date.now();
    expect((await api('GET', meetingPath('x'), undefined, { tok: t })).status).toBe(404);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    fake.failWith({ reset: true });
    await expect(api('GET', meetingPath('x'), undefined, { tok: t })).rejects.toThrow();
    expect(fake.requests.at(-1)?.dropped).toBe(true);
  });

  it('loseNextCreateResponse stores the meeting and drops the socket', async () => {
    const t = await token();
    fake.loseNextCreateResponse();
    await expect(api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).rejects.toThrow();
    expect(fake.meetings.size).toBe(1);
    expect([...fake.meetings.values()][0]!['subject']).toBe('Consultation [bkx:42]');
    expect((await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).status).toBe(201);
  });

  it('records every request; /__fake routes are not recorded', async () => {
    const t = await token();
    const id = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).json.id;
    expect(fake.requests.map((q) => [q.method, q.status])).toEqual([
      ['POST', 200],
      ['POST', 201],
    ]);
    expect(fake.requests[1]!.body).toBe(JSON.stringify(meetingBody));
    const reqs = await call(`${fake.loginBase}/__fake/requests`);
    const ms = await call(`${fake.loginBase}/__fake/meetings`);
    expect(reqs.json).toHaveLength(2);
    expect(ms.json.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('change-notification subscriptions (§2.5)', () => {
  it('validates notificationUrl (POST ?validationToken=, text/plain echo of the decoded token) before the 201', async () => {
    const r = await api('POST', '/subscriptions', subBody());
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      changeType: 'updated',
      notificationUrl: rx.url,
      clientState: 'bkx-secret-state',
      applicationId: CLIENT,
      expirationDateTime: '2029-11-22T00:50:00.0000000Z', // normalised to UTC, fraction kept to 7 digits
    });
    expect(r.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rx.hits).toHaveLength(1);
    const hit = rx.hits[0]!;
    expect(hit.contentType).toBe('text/plain; charset=utf-8');
    expect(hit.body).toBe('');
    expect(hit.query.get('validationToken')).toMatch(/^Validation: Testing client application reachability/);
    expect(hit.rawQuery).toContain('%20'); // must be URL-decoded by the receiver
    expect(fake.validations[0]).toMatchObject({ ok: true, status: 200 });
    expect(fake.subscriptions.has(r.json.id)).toBe(true);
  });

  it('refuses the subscription when the receiver answers wrongly, late or not 200', async () => {
    const t = await token();
    const cases: Array<[Mode, string]> = [
      ['wrong-body', 'Response must exactly match validationToken'],
      ['raw-token', 'Response must exactly match validationToken'],
      ['json-type', 'Content-Type text/plain'],
      ['status-500', 'must respond with 200 OK'],
    ];
    for (const [mode, text] of cases) {
      rx.mode = mode;
      const r = await api('POST', '/subscriptions', subBody(), { tok: t });
      expect(r.status, mode).toBe(400);
      expect(r.json.error.code).toBe('ValidationError');
      expect(r.json.error.message).toContain(text);
    }
    rx.mode = 'slow';
    rx.slowMs = 400;
    fake.setKnobs({ validationTimeoutMs: 150 });
    const late = await api('POST', '/subscriptions', subBody(), { tok: t });
    expect(late.json.error.message).toBe('Subscription validation request timed out.');
    expect(fake.validations.at(-1)?.error).toBe('timeout');
    expect(fake.subscriptions.size).toBe(0);
  });

  it('checks changeType, clientState, URL scheme, lifetime and the Teams 1-hour lifecycle rule', async () => {
    const t = await token();
    const s = (over: Record<string, unknown>) => api('POST', '/subscriptions', subBody(over), { tok: t });
    expect((await s({ changeType: 'created,moved' })).status).toBe(400);
    expect((await s({ clientState: 'x'.repeat(129) })).status).toBe(400);
    expect((await s({ expirationDateTime: iso(-10) })).status).toBe(400);
    const long = await s({ expirationDateTime: iso(2 * 3600) });
    expect(long.status).toBe(400);
    expect(long.json.error.message).toMatch(/lifecycleNotificationUrl is required.*exceeds 1 hour/);
    expect((await s({ expirationDateTime: iso(5000 * 60) })).json.error.message).toContain('4230 minutes');
    fake.setKnobs({ allowHttpNotificationUrl: 'never' });
    expect((await s({})).json.error.message).toContain('HTTPS');
    fake.setKnobs({ allowHttpNotificationUrl: 'loopback' });
    expect(rx.hits).toHaveLength(0); // nothing above reached validation

    // With a lifecycle URL, longer lifetimes pass; both URLs are validated.
    const ok = await s({ expirationDateTime: iso(2 * 3600), lifecycleNotificationUrl: `${rx.url}?kind=lifecycle` });
    expect(ok.status).toBe(201);
    expect(rx.hits).toHaveLength(2);
    expect(rx.hits[1]!.query.get('kind')).toBe('lifecycle');
    expect(rx.hits[1]!.query.get('validationToken')).toBeTruthy();
  });

  it('renews with PATCH (200), reauthorizes (204), deletes (204), then 404', async () => {
    const t = await token();
    const id = (await api('POST', '/subscriptions', subBody(), { tok: t })).json.id as string;
    const renewed = await api('PATCH', `/subscriptions/${id}`, { expirationDateTime: iso(3500) }, { tok: t });
    expect(renewed.status).toBe(200);
    expect(renewed.json.expirationDateTime).toBe('2029-11-22T00:58:20.0000000Z');
    expect((await api('PATCH', `/subscriptions/${id}`, { expirationDateTime: iso(7200) }, { tok: t })).status).toBe(400);
    expect((await api('GET', `/subscriptions/${id}`, undefined, { tok: t })).json.id).toBe(id);
    expect((await api('GET', '/subscriptions', undefined, { tok: t })).json.value).toHaveLength(1);
    expect((await api('POST', `/subscriptions/${id}/reauthorize`, undefined, { tok: t })).status).toBe(204);
    const del = await api('DELETE', `/subscriptions/${id}`, undefined, { tok: t });
    expect(del.status).toBe(204);
    expect((await api('GET', `/subscriptions/${id}`, undefined, { tok: t })).status).toBe(404);
    // Expired subscriptions are gone.
    const id2 = (await api('POST', '/subscriptions', subBody(), { tok: t })).json.id as string;
    clock += 3001;
    const t2 = await token();
    expect((await api('PATCH', `/subscriptions/${id2}`, { expirationDateTime: iso(600) }, { tok: t2 })).status).toBe(404);
  });

  it('delivers notifications, retries failures, sends lifecycle events and call events on a JoinWebUrl filter', async () => {
    const t = await token();
    const meeting = (await api('POST', `/users/${ORG.id}/onlineMeetings`, meetingBody, { tok: t })).json;
    const resource = `communications/onlineMeetings/?$filter=JoinWebUrl eq '${meeting.joinWebUrl}'`;
    const sub = (await api('POST', '/subscriptions', subBody({ resource, lifecycleNotificationUrl: rx.url }), { tok: t })).json;
    rx.hits.length = 0;

    const d = await fake.notify(sub.id);
    expect(d).toMatchObject({ kind: 'notification', ok: true, attempts: [{ status: 202 }] });
    const sent = JSON.parse(rx.hits[0]!.body);
    expect(rx.hits[0]!.contentType).toContain('application/json');
    expect(sent.value[0]).toMatchObject({ subscriptionId: sub.id, clientState: 'bkx-secret-state', changeType: 'updated', resource, tenantId: TENANT });
    expect(rx.hits[0]!.body).toBe(d.body);

    const call = await fake.notifyCallEvent(meeting.id, 'CallStarted', { joined: [{ identity: { user: { id: ORG.id } } }] });
    expect(call).toHaveLength(1);
    expect(JSON.parse(rx.hits[1]!.body).value[0].resourceData).toMatchObject({
      eventType: 'Microsoft.Communication.CallStarted',
      'activeParticipants@joined': [{ identity: { user: { id: ORG.id } } }],
    });

    rx.failNext = 1;
    fake.setKnobs({ notificationRetryDelaysMs: [20, 20] });
    const retried = await fake.notify(sub.id);
    expect(retried.attempts.map((a) => a.status)).toEqual([500, 202]);
    expect(retried.ok).toBe(true);

    const lc = await fake.lifecycle(sub.id, 'subscriptionRemoved');
    expect(JSON.parse(lc.body).value[0]).toMatchObject({ subscriptionId: sub.id, lifecycleEvent: 'subscriptionRemoved', clientState: 'bkx-secret-state' });
    expect(fake.subscriptions.has(sub.id)).toBe(false);
  });

  it('times out slow deliveries and marks the endpoint slow', async () => {
    const t = await token();
    const sub = (await api('POST', '/subscriptions', subBody(), { tok: t })).json;
    fake.setKnobs({ deliveryTimeoutMs: 100, slowResponseMs: 50 });
    rx.mode = 'slow';
    rx.slowMs = 200;
    const d = await fake.notify(sub.id);
    expect(d.ok).toBe(false);
    expect(d.attempts[0]!.error).toBe('timeout');
    expect(fake.endpointStats(rx.url)).toEqual({ responses: 1, slow: 1, isSlow: true });
    rx.mode = 'echo';
    const next = await fake.notify(sub.id);
    expect(next.slowEndpoint).toBe(true);
    expect(next.ok).toBe(true);
  });
});
