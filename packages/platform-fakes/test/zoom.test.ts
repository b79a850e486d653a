import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startZoomFake, ZOOM_QPS_MESSAGE, zoomDailyCapMessage, type ZoomFake } from '../src/index';

const ACCOUNT = 'acc-123';
const CLIENT = 'client-abc';
const SECRET = 'secret-xyz';
const HOST = 'host@example.test';
const basic = (id = CLIENT, secret = SECRET) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

let fake: ZoomFake;
let clock = 1_890_000_000; // epoch seconds, moved by tests

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

async function tokenVia(via: 'query' | 'form', auth = basic(), account = ACCOUNT): Promise<Res> {
  if (via === 'query') {
    return call(`${fake.oauthUrl}?grant_type=account_credentials&account_id=${encodeURIComponent(account)}`, {
      method: 'POST',
      headers: { authorization: auth },
    });
  }
  return call(fake.oauthUrl, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'account_credentials', account_id: account }).toString(),
  });
}

async function token(): Promise<string> {
  const r = await tokenVia('query');
  expect(r.status).toBe(200);
  return r.json.access_token as string;
}

async function api(method: string, path: string, body?: unknown, tok?: string): Promise<Res> {
  const t = tok ?? (await token());
  return call(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${t}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const scheduled = {
  topic: 'Consultation with Dr Ada',
  type: 2,
  start_time: '2030-01-07T09:00:00Z',
  duration: 30,
  timezone: 'Europe/Berlin',
  agenda: 'Booking [bkx:42]',
  password: 'abc123',
  settings: { waiting_room: true, join_before_host: false, mute_upon_entry: true, auto_recording: 'cloud' },
};

beforeAll(async () => {
  fake = await startZoomFake({ accountId: ACCOUNT, clientId: CLIENT, clientSecret: SECRET, users: [HOST], now: () => clock });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  clock = 1_890_000_000;
  fake.reset({ tokens: true });
});

describe('S2S OAuth token (§1.1)', () => {
  it('issues a token with params in the query string', async () => {
    const r = await tokenVia('query');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(typeof r.json.access_token).toBe('string');
    expect(typeof r.json.scope).toBe('string');
    expect(r.json.scope).toContain('meeting:write:admin');
    expect(r.json.scope).toContain('meeting:read:admin');
    expect(fake.tokensIssued).toHaveLength(1);
    expect(fake.tokensIssued[0]).toMatchObject({ via: 'query', issuedAt: clock, expiresAt: clock + 3600 });
  });

  it('issues a token with params in a form body (Rivet)', async () => {
    const r = await tokenVia('form');
    expect(r.status).toBe(200);
    expect(fake.tokensIssued[0]?.via).toBe('form');
    expect(fake.requests[0]?.body).toBe('grant_type=account_credentials&account_id=acc-123');
  });

  it('rejects bad credentials with invalid_client (401, or 400 by knob)', async () => {
    const r = await tokenVia('query', basic(CLIENT, 'wrong'));
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
    fake.setKnobs({ badCredentialsStatus: 400 });
    expect((await tokenVia('form', 'Bearer nope')).status).toBe(400);
  });

  it('rejects a wrong account_id', async () => {
    const r = await tokenVia('query', basic(), 'other-account');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ reason: 'Invalid account_id', error: 'invalid_request' });
  });

  it('tokens expire by the clock knob and can be revoked', async () => {
    const t = await token();
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, t)).status).toBe(200);
    clock += 3599;
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, t)).status).toBe(200);
    clock += 1;
    const expired = await api('GET', `/users/${HOST}/meetings`, undefined, t);
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe(124);

    const t2 = await token();
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, t2)).status).toBe(200);
    fake.revokeTokens();
    const revoked = await api('GET', `/users/${HOST}/meetings`, undefined, t2);
    expect(revoked.status).toBe(401);
    expect(revoked.json).toEqual({ code: 124, message: 'Invalid access token.' });
  });

  it('refuses ?access_token= with 124 and unknown tokens with 124', async () => {
    const t = await token();
    const q = await call(`${fake.url}/users/${HOST}/meetings?access_token=${t}`);
    expect(q.status).toBe(401);
    expect(q.json).toEqual({ code: 124, message: 'Invalid access token.' });
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, 'not-a-token')).json.code).toBe(124);
  });
});

describe('meetings (§1.3, §1.4)', () => {
  it('creates a scheduled meeting (type 2) with an int64 numeric id', async () => {
    const r = await api('POST', `/users/${encodeURIComponent(HOST)}/meetings`, scheduled);
    expect(r.status).toBe(201);
    // The raw body carries the id as a bare JSON number of more than 10 digits.
    const rawId = /"id":(\d+)[,}]/.exec(r.text)?.[1];
    expect(rawId).toBeDefined();
    expect(rawId!.length).toBeGreaterThan(10);
    expect(rawId!.startsWith('8')).toBe(true);
    expect(typeof r.json.id).toBe('number');
    expect(r.headers.get('content-location')).toBe(`${fake.url}/meetings/${rawId}`);
    expect(r.headers.get('x-zm-trackingid')).toBeTruthy();
    const u = fake.user(HOST)!;
    expect(r.json).toMatchObject({
      host_id: u.id,
      host_email: HOST,
      topic: scheduled.topic,
      type: 2,
      status: 'waiting',
      start_time: '2030-01-07T09:00:00Z',
      duration: 30,
      timezone: 'Europe/Berlin',
      agenda: 'Booking [bkx:42]',
      password: 'abc123',
      created_at: '2029-11-22T00:00:00Z',
      settings: { waiting_room: true, join_before_host: false, mute_upon_entry: true, auto_recording: 'cloud' },
    });
    expect(typeof r.json.uuid).toBe('string');
    expect(r.json.join_url).toMatch(new RegExp(`^https://zoom\\.example\\.test/j/${rawId}\\?pwd=.+`));
    expect(r.json.start_url).toMatch(/^https:\/\/zoom\.example\.test\/s\//);
    expect(r.json.settings.global_dial_in_numbers[0]).toMatchObject({ type: 'toll' });
    expect(Object.keys(r.json.settings.global_dial_in_numbers[0]).sort()).toEqual(['city', 'country', 'country_name', 'number', 'type']);
    expect(fake.meetings.get(rawId!)?.topic).toBe(scheduled.topic);
  });

  it('converts a local start_time in the meeting timezone to UTC', async () => {
    const r = await api('POST', `/users/${HOST}/meetings`, { ...scheduled, start_time: '2030-07-01T10:00:00' });
    expect(r.json.start_time).toBe('2030-07-01T08:00:00Z');
  });

  it('generates a passcode when the user requires one and none is sent', async () => {
    const { password: _p, ...noPw } = scheduled;
    expect((await api('POST', `/users/${HOST}/meetings`, noPw)).json.password).toBeUndefined();
    fake.setKnobs({ userDefaults: { requirePasscode: true } });
    const r = await api('POST', `/users/${HOST}/meetings`, noPw);
    expect(r.json.password).toMatch(/^[a-zA-Z0-9]{6}$/);
    expect(r.json.join_url).toContain('?pwd=');
  });

  it('creates a recurring meeting (type 8, weekly "2,4", end_times 4) with occurrences', async () => {
    const r = await api('POST', `/users/${HOST}/meetings`, {
      ...scheduled,
      type: 8,
      start_time: '2030-01-07T09:00:00Z', // a Monday
      timezone: 'UTC',
      recurrence: { type: 2, repeat_interval: 1, weekly_days: '2,4', end_times: 4 },
    });
    expect(r.status).toBe(201);
    expect(r.json.recurrence).toEqual({ type: 2, repeat_interval: 1, weekly_days: '2,4', end_times: 4 });
    const occ = r.json.occurrences as Array<{ occurrence_id: string; start_time: string; duration: number; status: string }>;
    expect(occ.map((o) => o.start_time)).toEqual([
      '2030-01-07T09:00:00Z', // Mon
      '2030-01-09T09:00:00Z', // Wed
      '2030-01-14T09:00:00Z',
      '2030-01-16T09:00:00Z',
    ]);
    for (const o of occ) {
      expect(o.occurrence_id).toBe(String(Date.parse(o.start_time)));
      expect(o).toMatchObject({ duration: 30, status: 'available' });
    }
  });

  it('rejects weekly_days sent as a number, and type 8 without recurrence', async () => {
    const r = await api('POST', `/users/${HOST}/meetings`, { ...scheduled, type: 8, recurrence: { type: 2, weekly_days: 2, end_times: 2 } });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(300);
    expect(r.json.errors).toEqual([{ field: 'recurrence.weekly_days', message: 'Invalid field.' }]);
    expect((await api('POST', `/users/${HOST}/meetings`, { ...scheduled, type: 8 })).json.code).toBe(300);
  });

  it('gets, patches (204), ends and deletes; 3001 afterwards', async () => {
    const t = await token();
    const created = await api('POST', `/users/${HOST}/meetings`, scheduled, t);
    const id = /"id":(\d+)/.exec(created.text)![1]!;

    const got = await api('GET', `/meetings/${id}`, undefined, t);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ topic: scheduled.topic, uuid: created.json.uuid, host_id: created.json.host_id });

    const patched = await api('PATCH', `/meetings/${id}`, { topic: 'Moved', duration: 45, settings: { waiting_room: false } }, t);
    expect(patched.status).toBe(204);
    expect(patched.text).toBe('');
    const after = await api('GET', `/meetings/${id}`, undefined, t);
    expect(after.json).toMatchObject({ topic: 'Moved', duration: 45, agenda: scheduled.agenda, password: 'abc123' });
    expect(after.json.settings).toMatchObject({ waiting_room: false, mute_upon_entry: true });

    fake.setKnobs({ patchStatus: 200 });
    const p200 = await api('PATCH', `/meetings/${id}`, { agenda: 'x' }, t);
    expect(p200.status).toBe(200);
    expect(p200.json.agenda).toBe('x');

    const ended = await api('PUT', `/meetings/${id}/status`, { action: 'end' }, t);
    expect(ended.status).toBe(204);

    const del = await api('DELETE', `/meetings/${id}?schedule_for_reminder=false`, undefined, t);
    expect(del.status).toBe(204);
    for (const [m, b] of [['GET', undefined], ['DELETE', undefined], ['PATCH', { topic: 'y' }]] as const) {
      const gone = await api(m, `/meetings/${id}`, b, t);
      expect(gone.status).toBe(404);
      expect(gone.json).toEqual({ code: 3001, message: `Meeting ${id} is not found or has expired.` });
    }
  });

  it('answers 1001 for an unknown user and 300 for a bad password or type', async () => {
    const t = await token();
    const u = await api('POST', '/users/nobody@example.test/meetings', scheduled, t);
    expect(u.status).toBe(404);
    expect(u.json).toEqual({ code: 1001, message: 'User nobody@example.test not exist or not belong to this account.' });

    for (const password of ['12345678901', 'bad pass!']) {
      const r = await api('POST', `/users/${HOST}/meetings`, { ...scheduled, password }, t);
      expect(r.status).toBe(400);
      expect(r.json.code).toBe(300);
      expect(r.json.errors[0].field).toBe('password');
    }
    const ty = await api('POST', `/users/${HOST}/meetings`, { ...scheduled, type: 5 }, t);
    expect(ty.json).toMatchObject({ code: 300, errors: [{ field: 'type' }] });

    const notJson = await call(`${fake.url}/users/${HOST}/meetings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'text/plain' },
      body: JSON.stringify(scheduled),
    });
    expect(notJson.json.code).toBe(300);
    expect(fake.meetings.size).toBe(0);
  });

  it('lists a user\'s meetings with paging', async () => {
    const t = await token();
    for (let i = 0; i < 3; i++) await api('POST', `/users/${HOST}/meetings`, { ...scheduled, agenda: `Booking [bkx:${i}]` }, t);
    const p1 = await api('GET', `/users/${HOST}/meetings?type=upcoming&page_size=2`, undefined, t);
    expect(p1.status).toBe(200);
    expect(p1.json).toMatchObject({ page_size: 2, total_records: 3 });
    expect(p1.json.meetings).toHaveLength(2);
    expect(p1.json.next_page_token).not.toBe('');
    const p2 = await api('GET', `/users/${HOST}/meetings?next_page_token=${p1.json.next_page_token}`, undefined, t);
    expect(p2.json.meetings).toHaveLength(1);
    expect(p2.json.next_page_token).toBe('');
    const agendas = [...p1.json.meetings, ...p2.json.meetings].map((m: { agenda: string }) => m.agenda).sort();
    expect(agendas).toEqual(['Booking [bkx:0]', 'Booking [bkx:1]', 'Booking [bkx:2]']);
    expect(/"id":\d{11}/.test(p1.text)).toBe(true);

    // "upcoming" drops meetings that ended before now(); "scheduled" (default) keeps them.
    clock = Date.parse('2030-01-08T00:00:00Z') / 1000;
    expect((await api('GET', `/users/${HOST}/meetings?type=upcoming`)).json.total_records).toBe(0);
    expect((await api('GET', `/users/${HOST}/meetings`)).json.total_records).toBe(3);
  });
});

describe('quirk knobs', () => {
  it('idFormat string and 19-digit ids (beyond 2^53) stay exact on the wire', async () => {
    fake.setKnobs({ idDigits: 19 });
    const big = await api('POST', `/users/${HOST}/meetings`, scheduled);
    const raw = /"id":(\d+)[,}]/.exec(big.text)![1]!;
    expect(raw).toHaveLength(19);
    expect(fake.meetings.has(raw)).toBe(true);
    expect((await api('GET', `/meetings/${raw}`)).status).toBe(200);
    fake.setKnobs({ idFormat: 'string', idDigits: 11 });
    const str = await api('POST', `/users/${HOST}/meetings`, scheduled);
    expect(typeof str.json.id).toBe('string');
    expect(str.json.id).toMatch(/^8\d{10}$/);
  });

  it('keeps the local wall time of weekly occurrences across a DST change, and handles occurrence PATCH/DELETE', async () => {
    const r = await api('POST', `/users/${HOST}/meetings`, {
      ...scheduled,
      type: 8,
      start_time: '2030-03-25T09:00:00', // local, Monday before the EU DST switch (2030-03-31)
      timezone: 'Europe/Berlin',
      recurrence: { type: 2, weekly_days: '2', end_times: 2 },
    });
    const occ = r.json.occurrences as Array<{ occurrence_id: string; start_time: string }>;
    expect(occ.map((o) => o.start_time)).toEqual(['2030-03-25T08:00:00Z', '2030-04-01T07:00:00Z']);
    const id = /"id":(\d+)/.exec(r.text)![1]!;
    const oid = occ[1]!.occurrence_id;
    expect((await api('PATCH', `/meetings/${id}?occurrence_id=${oid}`, { duration: 50 })).status).toBe(204);
    const one = await api('GET', `/meetings/${id}?occurrence_id=${oid}`);
    expect(one.json).toMatchObject({ start_time: '2030-04-01T07:00:00Z', duration: 50 });
    expect((await api('DELETE', `/meetings/${id}?occurrence_id=${oid}`)).status).toBe(204);
    expect(fake.meetings.get(id)?.occurrences?.[1]?.status).toBe('deleted');
    expect((await api('GET', `/meetings/${id}?occurrence_id=nope`)).json.code).toBe(3000);
  });
});

describe('rate limits (§1.7)', () => {
  const burst = async (n: number) => {
    const t = await token();
    return Promise.all(Array.from({ length: n }, () => api('GET', `/users/${HOST}/meetings`, undefined, t)));
  };

  it('answers 429 with the QPS headers over N/s, with Retry-After in each mode', async () => {
    for (const mode of ['seconds', 'timestamp', 'absent'] as const) {
      fake.setKnobs({ rateLimit: { perSecond: 5, retryAfter: mode } });
      const results = await burst(8);
      const limited = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 200).length).toBe(5);
      expect(limited.length).toBe(3);
      const r = limited[0]!;
      expect(r.json).toEqual({ code: 429, message: ZOOM_QPS_MESSAGE });
      expect(r.headers.get('x-ratelimit-category')).toBe('Medium');
      expect(r.headers.get('x-ratelimit-type')).toBe('QPS');
      expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      const ra = r.headers.get('retry-after');
      if (mode === 'seconds') expect(ra).toBe('1');
      if (mode === 'timestamp') expect(ra).toBe('2029-11-22T00:00:01Z');
      if (mode === 'absent') expect(ra).toBeNull();
    }
  });

  it('enforces the daily per-user create/update cap', async () => {
    fake.setKnobs({ dailyCreateUpdateCap: 2 });
    const t = await token();
    expect((await api('POST', `/users/${HOST}/meetings`, scheduled, t)).status).toBe(201);
    expect((await api('POST', `/users/${HOST}/meetings`, scheduled, t)).status).toBe(201);
    const r = await api('POST', `/users/${HOST}/meetings`, scheduled, t);
    expect(r.status).toBe(429);
    expect(r.json).toEqual({ code: 429, message: zoomDailyCapMessage(2) });
    expect(r.headers.get('x-ratelimit-type')).toBe('Daily-limit');
    expect(r.headers.get('retry-after')).toBe('2029-11-23T00:00:00Z');
    clock += 86_400; // next UTC day
    expect((await api('POST', `/users/${HOST}/meetings`, scheduled, await token())).status).toBe(201);
  });
});

describe('failure injection', () => {
  it('fails with 503 then succeeds', async () => {
    const t = await token();
    fake.failWith({ status: 503, body: { code: 503, message: 'Service unavailable' }, retryAfter: 2, times: 1, match: { path: '^/v2/' } });
    const r1 = await api('GET', `/users/${HOST}/meetings`, undefined, t);
    expect(r1.status).toBe(503);
    expect(r1.headers.get('retry-after')).toBe('2');
    const r2 = await api('GET', `/users/${HOST}/meetings`, undefined, t);
    expect(r2.status).toBe(200);
    expect(fake.requests.map((q) => q.status)).toEqual([200, 503, 200]);
  });

  it('matches by method and path and answers XML on request', async () => {
    fake.failWith({ status: 500, xml: true, body: { code: 500, message: 'Internal' }, match: { method: 'POST', path: /\/meetings$/ } });
    const t = await token(); // POST /oauth/token does not match
    const r = await api('POST', `/users/${HOST}/meetings`, scheduled, t);
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toContain('xml');
    expect(r.text).toContain('<code>500</code>');
    expect(r.json).toBeNull();
  });

  it('delays, and resets the connection', async () => {
    const t = await token();
    fake.setKnobs({ failWith: { delayMs: 300 } });
    const t0 = Date.now();
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, t)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    fake.failWith({ reset: true });
    await expect(api('GET', `/users/${HOST}/meetings`, undefined, t)).rejects.toThrow();
    expect(fake.requests.at(-1)?.dropped).toBe(true);
    expect((await api('GET', `/users/${HOST}/meetings`, undefined, t)).status).toBe(200);
  });

  it('loseNextCreateResponse: the meeting exists although the client saw a socket error', async () => {
    const t = await token();
    fake.loseNextCreateResponse();
    await expect(api('POST', `/users/${HOST}/meetings`, scheduled, t)).rejects.toThrow();
    expect(fake.meetings.size).toBe(1);
    const list = await api('GET', `/users/${HOST}/meetings?type=upcoming&page_size=300`, undefined, t);
    const hit = list.json.meetings.find((m: { agenda?: string }) => m.agenda?.includes('[bkx:42]'));
    expect(hit).toBeDefined();
    expect(fake.meetings.has(String(hit.id))).toBe(true);
    // The next create answers normally.
    expect((await api('POST', `/users/${HOST}/meetings`, scheduled, t)).status).toBe(201);
  });

  it('control routes are not recorded', async () => {
    await api('POST', `/users/${HOST}/meetings`, scheduled);
    const before = fake.requests.length;
    const reqs = await call(`${fake.origin}/__fake/requests`);
    const ms = await call(`${fake.origin}/__fake/meetings`);
    expect(reqs.json).toHaveLength(before);
    expect(reqs.json[1].status).toBe(201);
    expect(ms.json).toHaveLength(1);
    expect(fake.requests.length).toBe(before);
  });
});
