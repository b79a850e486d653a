// Local fake of a self-hosted Jitsi Meet deployment with prosody token auth.
// @see shared/reference/platform-contracts.md §4.1 (JWT as prosody verifies it) and §4.2 (IFrame API).
// Behaviours marked [U] in the reference are knobs here, never hard-coded.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  applyFailure,
  FailureInjector,
  queryToObject,
  readBody,
  type FailWith,
  type RecordedRequest,
} from './http-fake';
import { jitsiExternalApiScript } from './jitsi-external-api';

// ---------------------------------------------------------------------------------------------
// Types

export type JitsiRole = 'moderator' | 'member';

/** Reason codes of a rejected join (snake_case, stable: tests assert on them). */
export type JitsiVerifyError =
  | 'token_missing'
  | 'malformed_token'
  | 'alg_rejected'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_issuer'
  | 'bad_audience'
  | 'bad_context'
  | 'room_missing'
  | 'room_mismatch'
  | 'bad_subject';

export interface JitsiUserContext {
  id?: string;
  name?: string;
  email?: string;
  avatar?: string;
  affiliation?: string;
  moderator?: boolean | string;
  [k: string]: unknown;
}

export interface JitsiClaims {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  room?: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  context?: { user?: JitsiUserContext; group?: string; features?: Record<string, unknown>; [k: string]: unknown };
  [k: string]: unknown;
}

export type JitsiVerifyResult =
  | {
      ok: true;
      /** Decoded payload; null when joined without a token (`allowEmptyToken`). */
      claims: JitsiClaims | null;
      role: JitsiRole;
      /** Joined room as the backend sees it (decoded, NFKC, lower-cased). */
      room: string;
    }
  | {
      ok: false;
      error: JitsiVerifyError;
      /** Human-readable detail, for logs and the 403 page. */
      message: string;
      /** Decoded payload when the token could be decoded at all (even if unverified). */
      claims?: JitsiClaims;
      room: string;
    };

/** Who becomes moderator when mod_token_affiliation does not decide (it is off, or no token). [U] */
export type JitsiAffiliationFallback = 'first_joiner' | 'member' | 'moderator';

/** Verification settings; defaults mirror prosody's (§4.1). */
export interface JitsiVerifyKnobs {
  /** prosody `app_id`. */
  appId: string;
  /** prosody `app_secret` (HMAC key). */
  appSecret: string;
  /** Accepted JWS algorithms (prosody `signature_algorithm`); HS256, HS384, HS512 are implemented. */
  algorithms: string[];
  /** `asap_accepted_issuers`; default [appId]. '*' accepts any. */
  acceptedIssuers: string[];
  /** `asap_accepted_audiences`; default ['*'] = any (but `aud` must still be present). */
  acceptedAudiences: string[];
  /** `asap_require_room_claim`. */
  requireRoomClaim: boolean;
  /** `enable_domain_verification`: `sub` must be the lower-cased domain (or tenant) or '*'. */
  enableDomainVerification: boolean;
  /** Domain `sub` is compared with under domain verification (prosody VirtualHost). */
  domain: string;
  /** mod_token_affiliation enabled. */
  tokenAffiliation: boolean;
  /** Role when token affiliation does not decide. [U] default 'first_joiner' (Jicofo auto-owner). */
  affiliationFallback: JitsiAffiliationFallback;
  /** Leeway for exp/nbf in seconds. [U] */
  clockSkewSeconds: number;
  /** Whether `nbf` is enforced. [U] */
  honourNbf: boolean;
  /** Whether a token without `exp` is rejected (code `expired`). [U] */
  requireExp: boolean;
  /** prosody `allow_empty_token`. */
  allowEmptyToken: boolean;
}

export interface JitsiFakeKnobs extends JitsiVerifyKnobs {
  /** Failure to inject on the next `failWith.times` (default 1) requests; null clears it. */
  failWith: FailWith | null;
  /** Clock in epoch seconds, for exp/nbf checks on the HTTP path. */
  now: () => number;
}

export type JitsiFakeOptions = Partial<JitsiFakeKnobs> & { appId?: string; appSecret?: string };

/** What the fake records for a meeting-page request. */
export interface JitsiVerificationRecord {
  room: string;
  result: JitsiVerifyResult;
}

export type JitsiRecordedRequest = RecordedRequest<JitsiVerificationRecord>;

export interface JitsiFake {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Host and port, as passed to `new JitsiMeetExternalAPI(domain, …)`. */
  domain: string;
  /** Every non-control request, in order (live array; cleared by reset()). */
  requests: JitsiRecordedRequest[];
  /** Merge knobs; `failWith` (re)arms failure injection. */
  setKnobs(patch: Partial<JitsiFakeKnobs>): void;
  /** Current knobs (copy). */
  knobs(): JitsiFakeKnobs;
  /** Restore the start options, clear requests, failures and first-joiner state. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Verification (pure)

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const MODERATOR_AFFILIATIONS = new Set(['owner', 'moderator', 'teacher']);
// context.user keys that prosody/clients read as strings; a null here breaks the real stack.
const USER_STRING_KEYS = ['id', 'name', 'email', 'avatar'] as const;

/** Build full verify knobs from partial ones, with prosody defaults. */
export function jitsiDefaultKnobs(
  partial: Partial<JitsiVerifyKnobs> & { appId: string; appSecret: string },
): JitsiVerifyKnobs {
  return {
    algorithms: ['HS256'],
    acceptedIssuers: [partial.appId],
    acceptedAudiences: ['*'],
    requireRoomClaim: true,
    enableDomainVerification: false,
    domain: 'meet.jitsi',
    tokenAffiliation: true,
    affiliationFallback: 'first_joiner',
    clockSkewSeconds: 0,
    honourNbf: true,
    requireExp: true,
    allowEmptyToken: false,
    ...stripUndefined(partial),
    appId: partial.appId,
    appSecret: partial.appSecret,
  };
}

/**
 * Normalise a joined room the way the client does before it reaches prosody
 * (getBackendSafeRoomName: decode, NFKC, lower-case). Returns null when not decodable.
 */
export function normaliseJitsiRoom(raw: string): string | null {
  try {
    return decodeURIComponent(raw).normalize('NFKC').toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Verify a Jitsi JWT the way prosody's token/util.lib.lua does for a join of `room`.
 * `room` is the path after the domain: `room` or `tenant/room` (raw or decoded).
 * `now` is epoch seconds. `firstInRoom` only matters for `affiliationFallback: 'first_joiner'`.
 * Never throws; failures carry a {@link JitsiVerifyError} code.
 */
export function verifyJitsiToken(
  token: string | null | undefined,
  room: string,
  knobs: Partial<JitsiVerifyKnobs> & { appId: string; appSecret: string },
  now: number = Math.floor(Date.now() / 1000),
  extra: { firstInRoom?: boolean } = {},
): JitsiVerifyResult {
  const k = jitsiDefaultKnobs(knobs);
  const segments = room.split('/').filter((s) => s !== '');
  const roomSeg = segments.at(-1) ?? '';
  const tenantSeg = segments.length > 1 ? segments[0] : undefined;
  const joined = normaliseJitsiRoom(roomSeg) ?? roomSeg.toLowerCase();
  const tenant = tenantSeg === undefined ? undefined : (normaliseJitsiRoom(tenantSeg) ?? tenantSeg.toLowerCase());
  const fail = (error: JitsiVerifyError, message: string, claims?: JitsiClaims): JitsiVerifyResult =>
    claims === undefined ? { ok: false, error, message, room: joined } : { ok: false, error, message, claims, room: joined };

  if (token === undefined || token === null || token === '') {
    if (k.allowEmptyToken) return { ok: true, claims: null, role: fallbackRole(k, extra), room: joined };
    return fail('token_missing', 'no jwt given and allow_empty_token is false');
  }

  const parts = token.split('.');
  if (parts.length !== 3) return fail('malformed_token', `expected 3 dot-separated parts, got ${parts.length}`);
  const [h64, p64, s64] = parts as [string, string, string];
  const header = decodeJsonPart(h64);
  const payload = decodeJsonPart(p64);
  if (!isObject(header)) return fail('malformed_token', 'header is not base64url JSON object');
  if (!isObject(payload)) return fail('malformed_token', 'payload is not base64url JSON object');
  const claims = payload as JitsiClaims;

  // alg "none"/empty is always rejected, whatever is configured.
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg === '' || alg.toLowerCase() === 'none') {
    return fail('alg_rejected', `alg ${JSON.stringify(alg)} is never accepted`, claims);
  }
  if (!k.algorithms.includes(alg)) return fail('alg_rejected', `alg ${alg} not in [${k.algorithms.join(', ')}]`, claims);
  const hash = HMAC[alg];
  if (!hash) return fail('alg_rejected', `alg ${alg} is not implemented by the fake (HMAC only)`, claims);

  // Signature over the exact bytes received.
  const expected = createHmac(hash, k.appSecret).update(`${h64}.${p64}`).digest();
  const given = Buffer.from(s64, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('bad_signature', 'signature does not match app_secret', claims);
  }

  // exp/nbf: checked by the JWT library before prosody's own claim checks.
  const skew = k.clockSkewSeconds;
  if (claims.exp !== undefined && typeof claims.exp !== 'number') return fail('malformed_token', 'exp is not a number', claims);
  if (claims.nbf !== undefined && typeof claims.nbf !== 'number') return fail('malformed_token', 'nbf is not a number', claims);
  if (claims.exp === undefined && k.requireExp) return fail('expired', 'exp missing', claims);
  if (claims.exp !== undefined && now >= claims.exp + skew) return fail('expired', `exp ${claims.exp} <= now ${now}`, claims);
  if (k.honourNbf && claims.nbf !== undefined && now + skew < claims.nbf) {
    return fail('not_yet_valid', `nbf ${claims.nbf} > now ${now}`, claims);
  }

  if (typeof claims.iss !== 'string' || claims.iss === '') return fail('bad_issuer', 'iss missing', claims);
  if (!k.acceptedIssuers.includes('*') && !k.acceptedIssuers.includes(claims.iss)) {
    return fail('bad_issuer', `iss ${claims.iss} not in asap_accepted_issuers`, claims);
  }

  const auds = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (auds.length === 0 || auds.some((a) => typeof a !== 'string')) return fail('bad_audience', 'aud missing', claims);
  if (!k.acceptedAudiences.includes('*') && !auds.some((a) => k.acceptedAudiences.includes(a))) {
    return fail('bad_audience', `aud ${auds.join(',')} not in asap_accepted_audiences`, claims);
  }

  const ctx = claims.context;
  if (ctx !== undefined && !isObject(ctx)) return fail('bad_context', 'context is not an object', claims);
  const user = ctx?.user;
  if (user !== undefined) {
    if (!isObject(user)) return fail('bad_context', 'context.user is not an object', claims);
    for (const key of USER_STRING_KEYS) {
      if (key in user && typeof user[key] !== 'string') {
        return fail('bad_context', `context.user.${key} must be a string (null breaks prosody)`, claims);
      }
    }
  }

  if (claims.room === undefined || claims.room === null || claims.room === '') {
    if (k.requireRoomClaim) return fail('room_missing', 'room claim missing (asap_require_room_claim)', claims);
  } else {
    if (typeof claims.room !== 'string') return fail('room_mismatch', 'room claim is not a string', claims);
    if (claims.room !== '*' && claims.room.toLowerCase() !== joined) {
      return fail('room_mismatch', `token room ${claims.room} does not match ${joined}`, claims);
    }
  }

  if (k.enableDomainVerification) {
    const want = (tenant ?? k.domain).toLowerCase();
    if (typeof claims.sub !== 'string' || (claims.sub !== '*' && claims.sub.toLowerCase() !== want)) {
      return fail('bad_subject', `sub ${String(claims.sub)} does not match ${want}`, claims);
    }
  }

  return { ok: true, claims, role: roleFor(claims, k, extra), room: joined };
}

function roleFor(claims: JitsiClaims, k: JitsiVerifyKnobs, extra: { firstInRoom?: boolean }): JitsiRole {
  if (!k.tokenAffiliation) return fallbackRole(k, extra);
  // mod_token_affiliation: any token user who is not owner/moderator/teacher becomes member.
  const user = claims.context?.user;
  if (!user) return 'member';
  const aff = user.affiliation;
  if (typeof aff === 'string' && MODERATOR_AFFILIATIONS.has(aff)) return 'moderator';
  if (user.moderator === true || user.moderator === 'true') return 'moderator';
  return 'member';
}

function fallbackRole(k: JitsiVerifyKnobs, extra: { firstInRoom?: boolean }): JitsiRole {
  if (k.affiliationFallback === 'first_joiner') return extra.firstInRoom ? 'moderator' : 'member';
  return k.affiliationFallback;
}

function decodeJsonPart(part: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// HTML

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// JSON inside <script>: escape '<' so a claim cannot close the tag.
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function meetingPage(result: JitsiVerifyResult): string {
  const user = result.ok ? result.claims?.context?.user : undefined;
  const userName = typeof user?.name === 'string' ? user.name : '';
  const userId = typeof user?.id === 'string' ? user.id : '';
  const userEmail = typeof user?.email === 'string' ? user.email : '';
  const message = result.ok
    ? { source: 'jitsi-fake', type: 'joined', room: result.room, role: result.role, userId, userName, userEmail }
    : { source: 'jitsi-fake', type: 'rejected', room: result.room, error: result.error, message: result.message };
  const main = result.ok
    ? `<main id="jitsi-fake" data-room="${esc(result.room)}" data-role="${result.role}" data-user-name="${esc(userName)}" data-user-id="${esc(userId)}" data-user-email="${esc(userEmail)}" data-token="${result.claims ? 'present' : 'absent'}" data-verified="true">
<h1>Joined ${esc(result.room)} as ${result.role}</h1>
${userName ? `<p>Signed in as ${esc(userName)}</p>` : ''}
</main>`
    : `<main id="jitsi-fake" data-room="${esc(result.room)}" data-verified="false" data-error="${result.error}">
<h1>Not allowed to join ${esc(result.room)}</h1>
<p role="alert">Token rejected: ${result.error} (${esc(result.message)})</p>
</main>`;
  const title = result.ok ? `Jitsi fake — joined ${esc(result.room)}` : `Jitsi fake — not allowed (${result.error})`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
${main}
<script>
(function () {
  var msg = ${scriptJson(message)};
  window.__jitsiFakePage = msg;
  if (window.parent && window.parent !== window) window.parent.postMessage(msg, '*');
})();
</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Start the Jitsi fake on 127.0.0.1 (random port).
 * Routes: `GET /<room>?jwt=` and `GET /<tenant>/<room>?jwt=` (meeting page; 403 + data-error on
 * rejection), `GET /external_api.js` (IFrame API stub), `GET /__fake/requests` (recorded requests).
 */
export async function startJitsiFake(options: JitsiFakeOptions = {}): Promise<JitsiFake> {
  const appId = options.appId ?? 'bookingx';
  const appSecret = options.appSecret ?? 'jitsi-fake-secret';
  const injector = new FailureInjector();
  const requests: JitsiRecordedRequest[] = [];
  const joinedRooms = new Set<string>();
  let knobs: JitsiFakeKnobs;
  let domain = '';

  const initialKnobs = (): JitsiFakeKnobs => {
    const { failWith, now, ...verify } = options;
    return {
      ...jitsiDefaultKnobs({ ...verify, appId, appSecret, domain: verify.domain ?? domain }),
      failWith: failWith ?? null,
      now: now ?? (() => Math.floor(Date.now() / 1000)),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const body = (await readBody(req)).toString('utf8');
    const method = req.method ?? 'GET';

    // Control routes: neither recorded nor subject to failure injection.
    if (url.pathname === '/__fake/requests') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(requests));
      return;
    }

    const rec: JitsiRecordedRequest = {
      at: new Date().toISOString(),
      method,
      path: url.pathname,
      query: queryToObject(url.searchParams),
      headers: req.headers,
      body,
    };
    requests.push(rec);

    const failure = injector.take();
    if (failure) {
      rec.injected = failure;
      if (await applyFailure(failure, req, res)) return;
    }

    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
      return;
    }

    if (url.pathname === '/external_api.js') {
      send(res, 200, 'application/javascript; charset=utf-8', jitsiExternalApiScript());
      return;
    }

    const segments = url.pathname.split('/').filter((s) => s !== '');
    if (segments.length < 1 || segments.length > 2) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found: use /<room> or /<tenant>/<room>');
      return;
    }
    const rawRoom = segments.join('/');
    const normalised = segments.map((s) => normaliseJitsiRoom(s));
    if (normalised.some((s) => s === null)) {
      send(res, 400, 'text/plain; charset=utf-8', 'room path is not valid percent-encoding');
      return;
    }
    const roomKey = normalised.join('/');
    const token = url.searchParams.get('jwt');
    const result = verifyJitsiToken(token, rawRoom, knobs, knobs.now(), { firstInRoom: !joinedRooms.has(roomKey) });
    if (result.ok) joinedRooms.add(roomKey);
    rec.verification = { room: result.room, result };
    send(res, result.ok ? 200 : 403, 'text/html; charset=utf-8', meetingPage(result));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `jitsi fake error: ${String(err)}`);
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  domain = `127.0.0.1:${port}`;
  knobs = initialKnobs();
  injector.set(knobs.failWith);

  return {
    url: `http://${domain}`,
    domain,
    requests,
    setKnobs(patch) {
      knobs = { ...knobs, ...stripUndefined(patch) };
      if ('failWith' in patch) injector.set(patch.failWith ?? null);
    },
    knobs: () => ({ ...knobs }),
    reset() {
      knobs = initialKnobs();
      injector.set(knobs.failWith);
      requests.length = 0;
      joinedRooms.clear();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
