import { runInNewContext } from 'node:vm';

import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startJitsiFake, verifyJitsiToken, type JitsiFake, type JitsiRecordedRequest } from '../src/index';

const APP_ID = 'bookingx';
const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-ABCD';
const key = new TextEncoder().encode(SECRET);

interface TokenOpts {
  claims?: Record<string, unknown>;
  alg?: string;
  secret?: string;
  omit?: string[];
}

async function token(o: TokenOpts = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: APP_ID,
    aud: 'jitsi',
    sub: 'meet.jitsi',
    room: 'consult-42',
    exp: now + 3600,
    context: { user: { id: 'u-1', name: 'Dr Ada', email: 'ada@example.com', affiliation: 'owner' } },
    ...o.claims,
  };
  for (const k of o.omit ?? []) delete claims[k];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
    .sign(o.secret ? new TextEncoder().encode(o.secret) : key);
}

const member = { context: { user: { id: 'p-7', name: 'Pat', affiliation: 'member' } } };

interface Page {
  status: number;
  html: string;
  title: string | undefined;
  attrs: Record<string, string>;
}

function parsePage(status: number, html: string): Page {
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1];
  const mainTag = /<main id="jitsi-fake"([^>]*)>/.exec(html)?.[1] ?? '';
  const attrs: Record<string, string> = {};
  for (const m of mainTag.matchAll(/data-([a-z-]+)="([^"]*)"/g)) attrs[m[1]!] = m[2]!;
  return { status, html, title, attrs };
}

let fake: JitsiFake;

async function join(room: string, jwt?: string): Promise<Page> {
  const q = jwt === undefined ? '' : `?jwt=${encodeURIComponent(jwt)}`;
  const res = await fetch(`${fake.url}/${room}${q}`);
  return parsePage(res.status, await res.text());
}

beforeAll(async () => {
  fake = await startJitsiFake({ appId: APP_ID, appSecret: SECRET, domain: 'meet.jitsi' });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

describe('meeting page: token verification as prosody does it', () => {
  it('joins as moderator when context.user.affiliation is owner', async () => {
    const page = await join('consult-42', await token());
    expect(page.status).toBe(200);
    expect(page.title).toBe('Jitsi fake — joined consult-42');
    expect(page.attrs).toMatchObject({
      room: 'consult-42',
      role: 'moderator',
      'user-name': 'Dr Ada',
      'user-id': 'u-1',
      verified: 'true',
    });
    expect(page.html).toContain('Joined consult-42 as moderator');
  });

  it('joins as moderator when context.user.moderator is "true"', async () => {
    const page = await join('consult-42', await token({ claims: { context: { user: { name: 'X', moderator: 'true' } } } }));
    expect(page.attrs.role).toBe('moderator');
  });

  it('joins as member for any other token user', async () => {
    const page = await join('consult-42', await token({ claims: member }));
    expect(page.status).toBe(200);
    expect(page.attrs).toMatchObject({ role: 'member', 'user-name': 'Pat', verified: 'true' });
    expect(page.html).toContain('Joined consult-42 as member');
  });

  it('returns 403 bad_signature for a wrong secret', async () => {
    const page = await join('consult-42', await token({ secret: 'not-the-secret-not-the-secret-not-the-secret!' }));
    expect(page.status).toBe(403);
    expect(page.attrs).toMatchObject({ verified: 'false', error: 'bad_signature' });
    expect(page.html).toContain('Token rejected: bad_signature');
  });

  it('returns 403 alg_rejected for alg none, even when none is configured', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 60;
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: APP_ID, aud: '*', room: 'consult-42', exp })}.`;
    expect((await join('consult-42', unsigned)).attrs.error).toBe('alg_rejected');
    fake.setKnobs({ algorithms: ['HS256', 'none'] });
    expect((await join('consult-42', unsigned)).attrs.error).toBe('alg_rejected');
    const emptyAlg = `${b64({ alg: '' })}.${b64({ iss: APP_ID, aud: '*', room: 'consult-42', exp })}.`;
    expect((await join('consult-42', emptyAlg)).attrs.error).toBe('alg_rejected');
  });

  it('rejects HS512 by default and accepts it when configured', async () => {
    const jwt = await token({ alg: 'HS512' });
    const rejected = await join('consult-42', jwt);
    expect(rejected.status).toBe(403);
    expect(rejected.attrs.error).toBe('alg_rejected');
    fake.setKnobs({ algorithms: ['HS512'] });
    expect((await join('consult-42', jwt)).status).toBe(200);
    expect((await join('consult-42', await token())).attrs.error).toBe('alg_rejected');
  });

  it('returns 403 bad_issuer for an iss not in acceptedIssuers, and honours the knob', async () => {
    const jwt = await token({ claims: { iss: 'someone-else' } });
    expect((await join('consult-42', jwt)).attrs.error).toBe('bad_issuer');
    expect((await join('consult-42', await token({ omit: ['iss'] }))).attrs.error).toBe('bad_issuer');
    fake.setKnobs({ acceptedIssuers: [APP_ID, 'someone-else'] });
    expect((await join('consult-42', jwt)).status).toBe(200);
  });

  it('accepts any aud by default, requires aud, and restricts it with acceptedAudiences', async () => {
    expect((await join('consult-42', await token({ claims: { aud: 'anything' } }))).status).toBe(200);
    expect((await join('consult-42', await token({ omit: ['aud'] }))).attrs.error).toBe('bad_audience');
    fake.setKnobs({ acceptedAudiences: ['jitsi'] });
    expect((await join('consult-42', await token({ claims: { aud: 'anything' } }))).attrs.error).toBe('bad_audience');
    expect((await join('consult-42', await token({ claims: { aud: 'jitsi' } }))).status).toBe(200);
  });

  it('returns 403 room_mismatch for another room', async () => {
    const page = await join('consult-43', await token());
    expect(page.status).toBe(403);
    expect(page.attrs).toMatchObject({ error: 'room_mismatch', room: 'consult-43' });
  });

  it('compares rooms lower-cased after decoding and NFKC', async () => {
    const jwt = await token({ claims: { room: 'Consult-42' } });
    expect((await join('CONSULT-42', jwt)).attrs).toMatchObject({ verified: 'true', room: 'consult-42' });
    // Fullwidth "Ｃ" (U+FF23) normalises to "C" under NFKC, then lower-cases.
    expect((await join(encodeURIComponent('Ｃonsult-42'), jwt)).attrs.verified).toBe('true');
    expect((await join('consult-99', await token({ claims: { room: '*' } }))).attrs.verified).toBe('true');
  });

  it('requires the room claim unless requireRoomClaim is false', async () => {
    const jwt = await token({ omit: ['room'] });
    expect((await join('consult-42', jwt)).attrs.error).toBe('room_missing');
    fake.setKnobs({ requireRoomClaim: false });
    expect((await join('consult-42', jwt)).status).toBe(200);
  });

  it('returns 403 expired after exp, and clockSkewSeconds widens the window', async () => {
    const jwt = await token({ claims: { exp: Math.floor(Date.now() / 1000) - 30 } });
    const page = await join('consult-42', jwt);
    expect(page.status).toBe(403);
    expect(page.attrs.error).toBe('expired');
    fake.setKnobs({ clockSkewSeconds: 120 });
    expect((await join('consult-42', jwt)).status).toBe(200);
  });

  it('returns 403 not_yet_valid for nbf in the future unless honourNbf is false', async () => {
    const jwt = await token({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } });
    expect((await join('consult-42', jwt)).attrs.error).toBe('not_yet_valid');
    fake.setKnobs({ honourNbf: false });
    expect((await join('consult-42', jwt)).status).toBe(200);
  });

  it('returns 403 token_missing without jwt, and lets the first joiner moderate with allowEmptyToken', async () => {
    const page = await join('consult-42');
    expect(page.status).toBe(403);
    expect(page.attrs).toMatchObject({ verified: 'false', error: 'token_missing' });
    fake.setKnobs({ allowEmptyToken: true });
    expect((await join('consult-42')).attrs).toMatchObject({ verified: 'true', role: 'moderator', token: 'absent' });
    expect((await join('consult-42')).attrs).toMatchObject({ verified: 'true', role: 'member' });
  });

  it('returns 403 bad_context when a context.user value is null', async () => {
    const page = await join('consult-42', await token({ claims: { context: { user: { id: 'u-1', name: null } } } }));
    expect(page.attrs.error).toBe('bad_context');
  });

  it('checks sub only with enableDomainVerification', async () => {
    const jwt = await token({ claims: { sub: 'other.example.com' } });
    expect((await join('consult-42', jwt)).status).toBe(200);
    fake.setKnobs({ enableDomainVerification: true });
    expect((await join('consult-42', jwt)).attrs.error).toBe('bad_subject');
    expect((await join('consult-42', await token({ claims: { sub: 'MEET.JITSI' } }))).status).toBe(200);
    expect((await join('consult-42', await token({ claims: { sub: '*' } }))).status).toBe(200);
    expect((await join('acme/consult-42', await token({ claims: { sub: 'acme' } }))).status).toBe(200);
  });

  it('without tokenAffiliation gives moderator to the first joiner only', async () => {
    fake.setKnobs({ tokenAffiliation: false });
    expect((await join('consult-42', await token({ claims: member }))).attrs.role).toBe('moderator');
    expect((await join('consult-42', await token())).attrs.role).toBe('member');
  });
});

describe('failure injection', () => {
  it('answers the injected status, body and Retry-After for the next N requests', async () => {
    fake.setKnobs({ failWith: { status: 503, body: { error: 'down' }, retryAfter: 7, times: 2 } });
    const jwt = await token();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${fake.url}/consult-42?jwt=${jwt}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toEqual({ error: 'down' });
    }
    expect((await join('consult-42', jwt)).status).toBe(200);
    expect(fake.requests.map((r) => r.injected?.status)).toEqual([503, 503, undefined]);
  });

  it('delays the response by delayMs', async () => {
    fake.setKnobs({ failWith: { delayMs: 300 } });
    const started = Date.now();
    const page = await join('consult-42', await token());
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(page.status).toBe(200);
  });

  it('resets the connection when reset is true', async () => {
    fake.setKnobs({ failWith: { reset: true, delayMs: 20 } });
    await expect(fetch(`${fake.url}/consult-42`)).rejects.toThrow();
    expect((await join('consult-42', await token())).status).toBe(200);
  });
});

describe('request recording', () => {
  it('records method, path, query, headers, raw body, verification and decoded claims', async () => {
    const jwt = await token();
    await fetch(`${fake.url}/consult-42?jwt=${jwt}`, { headers: { 'x-test': 'yes' } });
    await join('consult-43', jwt);
    await fetch(`${fake.url}/consult-42`, { method: 'POST', body: '{"raw": true}' });
    expect(fake.requests).toHaveLength(3);
    const [ok, bad, post] = fake.requests as [JitsiRecordedRequest, JitsiRecordedRequest, JitsiRecordedRequest];
    expect(ok).toMatchObject({ method: 'GET', path: '/consult-42', query: { jwt }, body: '' });
    expect(ok.headers['x-test']).toBe('yes');
    expect(ok.verification?.result).toMatchObject({ ok: true, role: 'moderator', claims: { iss: APP_ID, room: 'consult-42' } });
    expect(bad.verification?.result).toMatchObject({ ok: false, error: 'room_mismatch', claims: { room: 'consult-42' } });
    expect(post).toMatchObject({ method: 'POST', body: '{"raw": true}' });

    const res = await fetch(`${fake.url}/__fake/requests`);
    const listed = (await res.json()) as JitsiRecordedRequest[];
    expect(listed.map((r) => r.path)).toEqual(['/consult-42', '/consult-43', '/consult-42']);
    expect(listed[1]?.verification?.result).toMatchObject({ ok: false, error: 'room_mismatch' });
    expect(fake.requests).toHaveLength(3); // control route is not recorded
  });

  it('reset() clears requests and restores the start knobs', async () => {
    fake.setKnobs({ algorithms: ['HS512'] });
    await join('consult-42', await token());
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.knobs().algorithms).toEqual(['HS256']);
  });
});

describe('verifyJitsiToken (pure)', () => {
  it('uses the given clock and prosody defaults', async () => {
    const jwt = await token({ claims: { exp: 2_000, nbf: 1_000 } });
    const knobs = { appId: APP_ID, appSecret: SECRET };
    expect(verifyJitsiToken(jwt, 'consult-42', knobs, 1_500)).toMatchObject({ ok: true, role: 'moderator', room: 'consult-42' });
    expect(verifyJitsiToken(jwt, 'consult-42', knobs, 2_000)).toMatchObject({ ok: false, error: 'expired' });
    expect(verifyJitsiToken(jwt, 'consult-42', knobs, 999)).toMatchObject({ ok: false, error: 'not_yet_valid' });
    expect(verifyJitsiToken('a.b', 'consult-42', knobs, 1_500)).toMatchObject({ ok: false, error: 'malformed_token' });
    expect(verifyJitsiToken(jwt, 'Consult-42', { ...knobs, appSecret: 'x' }, 1_500)).toMatchObject({ ok: false, error: 'bad_signature' });
  });
});

describe('external_api.js stub', () => {
  interface Listener {
    (ev: { data: unknown; source?: unknown }): void;
  }
  function browserShim() {
    const listeners: Listener[] = [];
    const appended: Record<string, unknown>[] = [];
    const makeEl = () => {
      const el: Record<string, unknown> = {
        style: {},
        attrs: {} as Record<string, string>,
        contentWindow: { frame: true },
        setAttribute(k: string, v: string) {
          (el.attrs as Record<string, string>)[k] = v;
        },
        addEventListener() {},
      };
      return el;
    };
    const body = {
      appendChild(el: Record<string, unknown>) {
        el.parentNode = body;
        appended.push(el);
      },
      removeChild(el: Record<string, unknown>) {
        appended.splice(appended.indexOf(el), 1);
      },
    };
    const window: Record<string, unknown> = {
      location: { protocol: 'http:' },
      document: { body, createElement: makeEl },
      addEventListener: (_: string, fn: Listener) => listeners.push(fn),
      removeEventListener: (_: string, fn: Listener) => listeners.splice(listeners.indexOf(fn), 1),
    };
    return { window, listeners, appended };
  }

  it('is served and records commands and emitted events', async () => {
    const res = await fetch(`${fake.url}/external_api.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    const shim = browserShim();
    runInNewContext(await res.text(), { window: shim.window });
    const script = `
      var api = new window.JitsiMeetExternalAPI(${JSON.stringify(fake.domain)}, { roomName: 'consult-42', jwt: 'J', width: 640 });
      var seen = [];
      api.addEventListener('participantJoined', function (e) { seen.push(e); });
      api.executeCommand('displayName', 'Dr Ada');
      api.executeCommands({ toggleLobby: [true] });
      api.__emit('participantJoined', { id: 'p1', displayName: 'Pat' });
      ({ api: api, seen: seen });`;
    const out = runInNewContext(script, { window: shim.window }) as { api: Record<string, unknown>; seen: unknown[] };
    expect(out.api.url).toBe(`http://${fake.domain}/consult-42?jwt=J`);
    expect(shim.appended).toHaveLength(1);
    expect(shim.window.__jitsiFakeCommands).toMatchObject([
      { name: 'displayName', args: ['Dr Ada'] },
      { name: 'toggleLobby', args: [true] },
    ]);
    expect(out.seen).toEqual([{ id: 'p1', displayName: 'Pat' }]);

    // The meeting page's postMessage becomes videoConferenceJoined; hangup emits left + readyToClose.
    const joined = runInNewContext(
      `var got = []; api.on('videoConferenceJoined', function (e) { got.push(e); });
       api.on('readyToClose', function () { got.push('readyToClose'); }); got;`,
      { window: shim.window, api: out.api },
    ) as unknown[];
    const frameWindow = shim.appended[0]?.contentWindow;
    for (const l of [...shim.listeners]) {
      // A message from another window is ignored; the iframe's own message is turned into an event.
      l({ data: { source: 'jitsi-fake', type: 'joined', room: 'other' }, source: {} });
      l({ data: { source: 'jitsi-fake', type: 'joined', room: 'consult-42', role: 'member', userId: 'u', userName: 'Pat' }, source: frameWindow });
    }
    runInNewContext(`api.executeCommand('hangup'); api.dispose();`, { api: out.api });
    expect(joined).toEqual([expect.objectContaining({ roomName: 'consult-42', displayName: 'Pat' }), 'readyToClose']);
    expect(shim.appended).toHaveLength(0);
    expect(shim.listeners).toHaveLength(0);
  });
});
