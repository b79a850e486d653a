// Local fake of Microsoft Graph for Teams online meetings, with the Entra ID client-credentials
// token endpoint and change-notification subscriptions.
// @see shared/reference/platform-contracts.md §2.1 (token), §2.2 (create), §2.3 (get/update/delete),
// §2.5 (change notifications), §2.6 (errors and throttling) and §8 (Graph PATCH answers 200 + body).
// Also `POST /users/{userId}/onlineMeetings/createOrGet` (Graph v1.0 onlinemeeting-createorget:
// create with a caller-chosen `externalId`, or return the meeting that already has it; the key is
// tenant + user + externalId).
// Behaviours marked [U] in the reference are knobs here, never hard-coded.

import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { applyFailure, queryToObject, readBody, sleep, type FailWith, type RecordedRequest } from './http-fake';

// ---------------------------------------------------------------------------------------------
// Types

/** A valid user: a UPN (contains '@'), an object id, or both explicitly. */
export type GraphFakeUserSpec =
  | string
  | { id: string; upn: string; displayName?: string; /** Overrides the `audioConferencing` knob for this organizer. */ audioConferencing?: boolean };

export interface GraphFakeUser {
  id: string;
  upn: string;
  displayName: string;
  audioConferencing?: boolean;
}

/** Failure injection (§ General fake rules) with a request filter and a Graph-shaped body shortcut. */
export interface GraphFailWith extends FailWith {
  /** Only requests matching this are affected (and counted against `times`). */
  match?: { method?: string; path?: RegExp | string };
  /** With `status` and no `body`: answer `{"error":{"code", "message", "innerError":{…}}}`. */
  code?: string;
  message?: string;
}

export interface GraphRateLimitKnob {
  /** Token bucket size and refill rate over all `/v1.0` calls. */
  perSecond: number;
  /** `Retry-After` in whole seconds (documented) or no header (§2.6 knob). */
  retryAfter: 'seconds' | 'absent';
}

export type GraphAudioConferencingStyle = 'documented' | 'docExample' | 'withArrays';

export interface GraphFakeKnobs {
  /** Directory (tenant) id; the token URL accepts it or one of `tenantDomains`. */
  tenantId: string;
  tenantDomains: string[];
  clientId: string;
  clientSecret: string;
  /** Object id of the app's service principal (`creatorId` of subscriptions). */
  servicePrincipalId: string;
  users: GraphFakeUserSpec[];
  /** Accept a UPN as `{userId}` in the path [U]; the docs say the Entra object id. */
  acceptUpnInPath: boolean;
  /** Application access policy: true = granted to everyone, false = nobody, or the user ids/UPNs granted. */
  accessPolicyGranted: boolean | string[];
  /** Status of the policy-missing `Unauthorized` error (§2.2 [U]: 403). */
  accessPolicyStatus: number;
  /** Application permissions in the token (`roles`). Writes need OnlineMeetings.ReadWrite.All. */
  roles: string[];
  tokenTtlSeconds: number;
  /** Status of `invalid_client` for a wrong secret (§2.1 [U]: 400/401). */
  badSecretStatus: 400 | 401;
  /** Clock in epoch seconds: tokens, creationDateTime, subscription expiry. */
  now: () => number;
  /** Organizers have dial-in, so meetings carry `audioConferencing` (§2.2 [U]). Per-user override in `users`. */
  audioConferencing: boolean;
  /** documented `{tollNumber, tollFreeNumber, conferenceId, dialinUrl}`; docExample spells `ConferenceId`; withArrays adds `tollNumbers[]`/`tollFreeNumbers[]`. */
  audioConferencingStyle: GraphAudioConferencingStyle;
  /** Also answer the deprecated `joinUrl` (duplicate of `joinWebUrl`) [U]. */
  includeDeprecatedJoinUrl: boolean;
  /** Without `Prefer: include-unknown-enum-members`, lobby scopes invited/organizationExcludingGuests come back as unknownFutureValue. */
  evolvableEnums: boolean;
  /** `joinMeetingIdSettings.isPasscodeRequired` when the request does not say (tenant policy) [U]. */
  passcodeRequiredByDefault: boolean;
  /** Defaults of the meeting options not sent on create (tenant meeting policy) [U]. */
  meetingDefaults: Record<string, unknown>;
  /** Reject properties not on onlineMeeting (e.g. `isEntryExempt`) with the OData 400. */
  rejectUnknownProperties: boolean;
  /** Base of `joinWebUrl`. */
  webBase: string;
  /** Error-body casing: `innerError` or `innererror` (§2.6 "casing varies"). */
  innerErrorCasing: 'innerError' | 'innererror';
  /** Token bucket over `/v1.0`; null = off. */
  rateLimit: GraphRateLimitKnob | null;
  /** Validation handshake reply deadline (§2.5: 10 s). */
  validationTimeoutMs: number;
  /** The validation reply must be `Content-Type: text/plain`. */
  validationRequireTextPlain: boolean;
  /** 'loopback' lets `http://127.0.0.1|localhost` through (local tests); 'never' = https only (real Graph). */
  allowHttpNotificationUrl: 'loopback' | 'any' | 'never';
  /** Longest subscription lifetime (v1.0 table: 4230 for Outlook/callRecord). */
  maxSubscriptionMinutes: number;
  /** Teams resources: over this many minutes needs `lifecycleNotificationUrl` (§2.5: 60). */
  teamsLifecycleThresholdMinutes: number;
  /** Notification delivery deadline (§2.5: 3 s). */
  deliveryTimeoutMs: number;
  /** Retries after a failed delivery (real: up to 4 h); compressed delays in ms. */
  notificationRetryDelaysMs: number[];
  /** A response slower than this counts as slow (§2.5: 2900 ms). */
  slowResponseMs: number;
  /** Once >10 % of an endpoint's responses were slow, delay each delivery to it by this much. */
  slowEndpointDelayMs: number;
  /** Replace all armed failures with this one (null clears). `failWith()` appends instead. */
  failWith: GraphFailWith | null;
  /** createOrGet answering an existing meeting: 200 (documented) or 201 [U]. */
  createOrGetExistingStatus: 200 | 201;
  /**
   * Who shares an `externalId`: each organizer has their own (documented: tenant + user +
   * externalId), or the whole tenant (then another organizer's meeting comes back) [U].
   */
  externalIdScope: 'organizer' | 'tenant';
  /**
   * createOrGet with the `externalId` of a deleted meeting [U]: `reusable` makes a new meeting,
   * `returnsDeleted` answers 200 with the deleted meeting (its id no longer resolves: GET, PATCH
   * and DELETE answer 404), `conflict` answers 409 `Conflict`.
   */
  deletedExternalIds: 'reusable' | 'returnsDeleted' | 'conflict';
}

export type GraphFakeOptions = Partial<GraphFakeKnobs>;

export interface GraphRecordedRequest extends RecordedRequest<never> {
  /** Status answered; undefined when the socket was destroyed. */
  status?: number;
  dropped?: boolean;
  /** `request-id` answered. */
  requestId?: string;
}

export interface GraphIssuedToken {
  access_token: string;
  tenant: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  roles: string[];
}

/** A stored online meeting: the wire object plus the organizer's user id. */
export interface GraphFakeMeeting {
  id: string;
  userId: string;
  [k: string]: unknown;
}

export interface GraphSubscription {
  id: string;
  resource: string;
  applicationId: string;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  notificationQueryOptions: null;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  creatorId: string;
  includeResourceData: boolean;
  latestSupportedTlsVersion: string;
  encryptionCertificate: string | null;
  encryptionCertificateId: string | null;
  notificationUrlAppId: null;
}

/** One validation handshake (§2.5) the fake performed. */
export interface GraphValidation {
  url: string;
  token: string;
  ok: boolean;
  status?: number;
  contentType?: string;
  body?: string;
  ms: number;
  error?: 'timeout' | 'status' | 'content-type' | 'mismatch' | 'network';
}

export interface GraphDeliveryAttempt {
  status?: number;
  ms: number;
  error?: 'timeout' | 'network';
}

/** One notification POST (with its retries) the fake sent. */
export interface GraphDelivery {
  kind: 'notification' | 'lifecycle';
  url: string;
  /** Raw JSON body sent (same bytes on every attempt). */
  body: string;
  attempts: GraphDeliveryAttempt[];
  /** A 2xx arrived within the deadline. */
  ok: boolean;
  /** The endpoint was marked slow before this delivery (§2.5). */
  slowEndpoint: boolean;
}

export interface GraphNotificationItem {
  id?: string;
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  clientState: string | null;
  changeType: string;
  resource: string;
  tenantId: string;
  resourceData: Record<string, unknown>;
  [k: string]: unknown;
}

export type GraphLifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';
export type GraphCallEventType = 'CallStarted' | 'CallEnded' | 'CallRosterUpdate';

export interface GraphFake {
  /** Graph base, e.g. `http://127.0.0.1:41234/v1.0`. */
  url: string;
  /** Token endpoint of a tenant: `http://127.0.0.1:PORT/<tenant>/oauth2/v2.0/token`. */
  tokenUrl(tenantId?: string): string;
  /** Login authority base (`http://127.0.0.1:PORT`), standing in for https://login.microsoftonline.com. */
  loginBase: string;
  /** Every non-control request, in order (live array). */
  requests: GraphRecordedRequest[];
  /** Live meetings by id. */
  meetings: Map<string, GraphFakeMeeting>;
  /** Live subscriptions by id. */
  subscriptions: Map<string, GraphSubscription>;
  /** Validation handshakes, in order. */
  validations: GraphValidation[];
  /** Notification/lifecycle deliveries, in order. */
  deliveries: GraphDelivery[];
  tokensIssued: GraphIssuedToken[];
  setKnobs(patch: Partial<GraphFakeKnobs>): void;
  knobs(): GraphFakeKnobs;
  /** Arm one more failure (the first armed failure that matches a request applies). */
  failWith(f: GraphFailWith): void;
  /**
   * The next `times` successful creates (`POST …/onlineMeetings`, or a createOrGet that makes a new
   * meeting) store the meeting, then destroy the socket unanswered.
   */
  loseNextCreateResponse(times?: number): void;
  /** Revoke one token, or all. */
  revokeTokens(token?: string): void;
  user(idOrUpn: string): GraphFakeUser | undefined;
  /** Deliver a change notification to a subscription's notificationUrl; `items` override the defaults. */
  notify(subscriptionId: string, items?: Array<Partial<GraphNotificationItem>>): Promise<GraphDelivery>;
  /** Deliver a lifecycle notification; `subscriptionRemoved` also deletes the subscription. */
  lifecycle(subscriptionId: string, event: GraphLifecycleEvent): Promise<GraphDelivery>;
  /** Call start/end/roster event (beta, [U] payload) to every subscription on this meeting's JoinWebUrl filter. */
  notifyCallEvent(
    meetingId: string,
    eventType: GraphCallEventType,
    opts?: { joined?: unknown[]; exited?: unknown[] },
  ): Promise<GraphDelivery[]>;
  /** Per notification URL: deliveries, slow responses, and whether the endpoint is marked slow. */
  endpointStats(url: string): { responses: number; slow: number; isSlow: boolean };
  /** Restore the start options, clear all state and failures. Tokens stay valid unless `{ tokens: true }`. */
  reset(opts?: { tokens?: boolean }): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants and helpers

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const GRAPH_THROTTLE_MESSAGE = 'Please retry again later.';
const PREFER_UNKNOWN_ENUMS = 'include-unknown-enum-members';

const LOBBY_SCOPES = ['organizer', 'organization', 'organizationAndFederated', 'everyone', 'invited', 'organizationExcludingGuests', 'unknownFutureValue'];
const EVOLVABLE_LOBBY_SCOPES = ['invited', 'organizationExcludingGuests'];
const ENUMS: Record<string, string[]> = {
  allowedPresenters: ['everyone', 'organization', 'roleIsPresenter', 'organizer', 'unknownFutureValue'],
  allowMeetingChat: ['enabled', 'disabled', 'limited', 'unknownFutureValue'],
  shareMeetingChatHistoryDefault: ['all', 'none', 'unknownFutureValue'],
  allowedLobbyAdmitters: ['organizerAndCoOrganizersAndPresenters', 'organizerAndCoOrganizers', 'unknownFutureValue'],
};
const BOOLEANS = [
  'recordAutomatically',
  'isEntryExitAnnounced',
  'allowAttendeeToEnableCamera',
  'allowAttendeeToEnableMic',
  'allowTeamworkReactions',
  'allowParticipantsToChangeName',
  'allowRecording',
  'allowTranscription',
  'allowBreakoutRooms',
  'allowWhiteboard',
];
const ATTENDEE_ROLES = ['attendee', 'presenter', 'producer', 'coorganizer', 'unknownFutureValue'];
/** Read-only properties a client may echo back; accepted and ignored [U]. */
const READ_ONLY = ['id', 'joinWebUrl', 'joinUrl', 'creationDateTime', 'videoTeleconferenceId', 'chatInfo', 'joinInformation', 'audioConferencing', 'isBroadcast', '@odata.type', '@odata.context'];
const WRITABLE = ['subject', 'startDateTime', 'endDateTime', 'participants', 'lobbyBypassSettings', 'joinMeetingIdSettings', 'watermarkProtection', ...Object.keys(ENUMS), ...BOOLEANS];
/** createOrGet's documented body parameters (an OData action: anything else is refused). */
const CREATE_OR_GET_PARAMS = ['externalId', 'startDateTime', 'endDateTime', 'subject', 'participants', 'chatInfo'];

const DEFAULT_MEETING_OPTIONS: Record<string, unknown> = {
  allowedPresenters: 'everyone',
  allowMeetingChat: 'enabled',
  allowTeamworkReactions: true,
  allowAttendeeToEnableCamera: true,
  allowAttendeeToEnableMic: true,
  allowParticipantsToChangeName: false,
  allowRecording: true,
  allowTranscription: true,
  allowBreakoutRooms: true,
  allowWhiteboard: true,
  allowedLobbyAdmitters: 'organizerAndCoOrganizersAndPresenters',
  isEntryExitAnnounced: true,
  recordAutomatically: false,
  shareMeetingChatHistoryDefault: 'none',
  watermarkProtection: null,
  lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A stable GUID-shaped id from a string. */
function guidFrom(s: string): string {
  const h = createHash('sha256').update(s.toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function resolveUsers(specs: GraphFakeUserSpec[]): GraphFakeUser[] {
  return specs.map((s) => {
    if (typeof s !== 'string') return { displayName: s.upn.split('@')[0]!, ...s };
    if (s.includes('@')) return { id: guidFrom(s), upn: s, displayName: s.split('@')[0]! };
    return { id: s, upn: `${s}@bookingx.example.test`, displayName: s };
  });
}

/** `yyyy-MM-ddTHH:mm:ss.fffffffZ` from epoch ms (Graph's 7-digit fraction). */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/**
 * Parse an ISO date-time and normalise it to UTC `Z`, keeping the sent fraction (padded to 7
 * digits). No offset = UTC [U]. Returns null when malformed.
 */
function normaliseDateTime(v: unknown): { ms: number; text: string } | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(v);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${(m[6] ?? 'Z').toUpperCase()}`);
  if (Number.isNaN(ms)) return null;
  const frac = m[5] ? `.${m[5].padEnd(7, '0')}` : '';
  const fracMs = m[5] ? Number(`0.${m[5]}`) * 1000 : 0;
  return { ms: ms + fracMs, text: new Date(ms).toISOString().replace(/\.\d{3}Z$/, `${frac}Z`) };
}

/** Graph's error body. */
export function graphErrorBody(
  code: string,
  message: string,
  ids: { requestId?: string; clientRequestId?: string; date?: string } = {},
  casing: 'innerError' | 'innererror' = 'innerError',
): { error: Record<string, unknown> } {
  const requestId = ids.requestId ?? randomUUID();
  return {
    error: {
      code,
      message,
      [casing]: {
        date: ids.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': ids.clientRequestId ?? requestId,
      },
    },
  };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const bad = (message: string, code = 'BadRequest'): ApiError => new ApiError(400, code, message);

/** Graph's answer to an undefined property (OData). */
const unknownProperty = (p: string, type = 'microsoft.graph.onlineMeeting'): ApiError =>
  bad(`The property '${p}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Start the Graph fake on 127.0.0.1 (random port).
 * Routes: `POST /{tenant}/oauth2/v2.0/token`; `GET /v1.0/users/{idOrUpn}`; `POST|GET /v1.0/users/{userId}/onlineMeetings`;
 * `POST /v1.0/users/{userId}/onlineMeetings/createOrGet`;
 * `GET|PATCH|DELETE /v1.0/users/{userId}/onlineMeetings/{id}`; `POST|GET /v1.0/subscriptions`;
 * `GET|PATCH|DELETE /v1.0/subscriptions/{id}`; `POST /v1.0/subscriptions/{id}/reauthorize`;
 * control routes `GET /__fake/requests|meetings|subscriptions` (not recorded, never failed/limited).
 */
export async function startGraphFake(options: GraphFakeOptions = {}): Promise<GraphFake> {
  const requests: GraphRecordedRequest[] = [];
  const meetings = new Map<string, GraphFakeMeeting>();
  const subscriptions = new Map<string, GraphSubscription>();
  const validations: GraphValidation[] = [];
  const deliveries: GraphDelivery[] = [];
  const tokensIssued: GraphIssuedToken[] = [];
  const tokens = new Map<string, GraphIssuedToken>();
  const endpoints = new Map<string, { responses: number; slow: number }>();
  let failures: Array<{ f: GraphFailWith; remaining: number }> = [];
  let loseCreates = 0;
  /** createOrGet's index: scope key + externalId → the meeting it made (kept after deletion). */
  const externalIds = new Map<string, GraphFakeMeeting>();
  let bucket = { tokens: 0, at: performance.now(), rate: 0 };
  let origin = '';

  const initialKnobs = (): GraphFakeKnobs => ({
    tenantId: '8a1f2c3d-0000-4000-a000-00000000b00c',
    tenantDomains: ['bookingx.example.test'],
    clientId: '0c5e7a11-0000-4000-a000-00000000c11e',
    clientSecret: 'graph-fake-secret',
    servicePrincipalId: '5e7f1a2b-0000-4000-a000-000000005e7f',
    users: ['organizer@bookingx.example.test'],
    acceptUpnInPath: false,
    accessPolicyGranted: true,
    accessPolicyStatus: 403,
    roles: ['OnlineMeetings.ReadWrite.All'],
    tokenTtlSeconds: 3599,
    badSecretStatus: 401,
    now: () => Math.floor(Date.now() / 1000),
    audioConferencing: false,
    audioConferencingStyle: 'documented',
    includeDeprecatedJoinUrl: false,
    evolvableEnums: true,
    passcodeRequiredByDefault: true,
    meetingDefaults: {},
    rejectUnknownProperties: true,
    webBase: 'https://teams.microsoft.com',
    innerErrorCasing: 'innerError',
    rateLimit: null,
    validationTimeoutMs: 10_000,
    validationRequireTextPlain: true,
    allowHttpNotificationUrl: 'loopback',
    maxSubscriptionMinutes: 4230,
    teamsLifecycleThresholdMinutes: 60,
    deliveryTimeoutMs: 3000,
    notificationRetryDelaysMs: [],
    slowResponseMs: 2900,
    slowEndpointDelayMs: 0,
    failWith: null,
    createOrGetExistingStatus: 200,
    externalIdScope: 'organizer',
    deletedExternalIds: 'returnsDeleted',
    ...stripUndefined(options),
  });
  let knobs = initialKnobs();

  const armFailures = (f: GraphFailWith | null): void => {
    failures = f ? [{ f, remaining: Math.max(0, f.times ?? 1) }] : [];
  };
  armFailures(knobs.failWith);

  const takeFailure = (method: string, path: string): GraphFailWith | null => {
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

  const allUsers = (): GraphFakeUser[] => resolveUsers(knobs.users);
  const findUser = (idOrUpn: string): GraphFakeUser | undefined => {
    const lower = idOrUpn.toLowerCase();
    return allUsers().find((u) => u.id.toLowerCase() === lower || u.upn.toLowerCase() === lower);
  };
  const findPathUser = (raw: string): GraphFakeUser | undefined => {
    const lower = raw.toLowerCase();
    return allUsers().find((u) => u.id.toLowerCase() === lower || (knobs.acceptUpnInPath && u.upn.toLowerCase() === lower));
  };
  const policyGranted = (u: GraphFakeUser): boolean => {
    const g = knobs.accessPolicyGranted;
    if (typeof g === 'boolean') return g;
    return g.some((x) => x.toLowerCase() === u.id.toLowerCase() || x.toLowerCase() === u.upn.toLowerCase());
  };

  // --- responses ------------------------------------------------------------------------------

  const ids = (req: IncomingMessage, rec: GraphRecordedRequest | null): { requestId: string; clientRequestId: string } => {
    const requestId = rec?.requestId ?? randomUUID();
    const c = req.headers['client-request-id'];
    return { requestId, clientRequestId: typeof c === 'string' && c ? c : requestId };
  };

  const send = (
    req: IncomingMessage,
    rec: GraphRecordedRequest | null,
    res: ServerResponse,
    status: number,
    body: string | null,
    headers: Record<string, string> = {},
  ): void => {
    const { requestId, clientRequestId } = ids(req, rec);
    const h: Record<string, string> = {
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Local Fake', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'FAKE' } }),
      ...headers,
    };
    if (body !== null) h['content-type'] ??= 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
    if (rec) rec.status = status;
    res.writeHead(status, h);
    res.end(body ?? undefined);
  };

  const sendError = (req: IncomingMessage, rec: GraphRecordedRequest, res: ServerResponse, e: ApiError): void => {
    const { requestId, clientRequestId } = ids(req, rec);
    const body = graphErrorBody(e.code, e.message, { requestId, clientRequestId }, knobs.innerErrorCasing);
    send(req, rec, res, e.status, JSON.stringify(body), e.headers);
  };

  // --- token endpoint (§2.1) ------------------------------------------------------------------

  const aadBody = (e: AadError): string => {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const ts = new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
    return JSON.stringify({
      error: e.error,
      error_description: `AADSTS${e.aadsts}: ${e.text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${ts}`,
      error_codes: [e.aadsts],
      timestamp: ts,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${origin}/error?code=${e.aadsts}`,
    });
  };

  const handleToken = (req: IncomingMessage, tenant: string, raw: string, rec: GraphRecordedRequest, res: ServerResponse): void => {
    const aadHeaders = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' };
    try {
      if (req.method !== 'POST') throw new AadError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
      const t = tenant.toLowerCase();
      if (t !== knobs.tenantId.toLowerCase() && !knobs.tenantDomains.some((d) => d.toLowerCase() === t)) {
        throw new AadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      }
      const ctype = (req.headers['content-type'] ?? '').toLowerCase();
      const form = ctype.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(raw) : new URLSearchParams();
      const need = (k: string): string => {
        const v = form.get(k);
        if (!v) throw new AadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${k}'.`);
        return v;
      };
      const grant = need('grant_type');
      if (grant !== 'client_credentials') {
        throw new AadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
      }
      const clientId = need('client_id');
      if (clientId !== knobs.clientId) {
        throw new AadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
      }
      const secret = form.get('client_secret');
      if (!secret) throw new AadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      if (secret !== knobs.clientSecret) {
        throw new AadError(
          knobs.badSecretStatus,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      const scope = need('scope');
      if (scope !== GRAPH_SCOPE) {
        throw new AadError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      const now = knobs.now();
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = {
        aud: 'https://graph.microsoft.com',
        iss: `https://sts.windows.net/${knobs.tenantId}/`,
        iat: now,
        nbf: now,
        exp: now + knobs.tokenTtlSeconds,
        appid: knobs.clientId,
        idtyp: 'app',
        oid: knobs.servicePrincipalId,
        roles: [...knobs.roles],
        tid: knobs.tenantId,
        uti: randomBytes(16).toString('base64url'),
        ver: '1.0',
      };
      // JWT-shaped but not verifiable: clients must treat Graph tokens as opaque.
      const access_token = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'graph-fake' })}.${b64(claims)}.${randomBytes(64).toString('base64url')}`;
      const issued: GraphIssuedToken = { access_token, tenant: knobs.tenantId, issuedAt: now, expiresAt: now + knobs.tokenTtlSeconds, revoked: false, roles: [...knobs.roles] };
      tokensIssued.push(issued);
      tokens.set(access_token, issued);
      send(req, rec, res, 200, JSON.stringify({ token_type: 'Bearer', expires_in: knobs.tokenTtlSeconds, ext_expires_in: knobs.tokenTtlSeconds, access_token }), aadHeaders);
    } catch (err) {
      if (err instanceof AadError) return send(req, rec, res, err.status, aadBody(err), aadHeaders);
      throw err;
    }
  };

  // --- Graph auth, throttling, bodies ---------------------------------------------------------

  const authenticate = (req: IncomingMessage): GraphIssuedToken => {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw new ApiError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const t = tokens.get(m[1]!);
    if (!t || t.revoked) {
      const message = m[1]!.includes('.') ? 'Access token validation failure. Invalid signature.' : 'IDX14100: JWT is not well formed, there are no dots (.).';
      throw new ApiError(401, 'InvalidAuthenticationToken', message); // [U] exact messages
    }
    if (knobs.now() >= t.expiresAt) throw new ApiError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    return t;
  };

  const requireRole = (t: GraphIssuedToken, write: boolean): void => {
    const ok = t.roles.includes('OnlineMeetings.ReadWrite.All') || (!write && t.roles.includes('OnlineMeetings.Read.All'));
    if (!ok) throw new ApiError(403, 'Forbidden', 'Insufficient privileges to complete the operation.'); // [U] exact body
  };

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
    const headers: Record<string, string> = rl.retryAfter === 'seconds' ? { 'retry-after': String(waitS) } : {};
    return new ApiError(429, 'TooManyRequests', GRAPH_THROTTLE_MESSAGE, headers);
  };

  const parseJsonBody = (req: IncomingMessage, raw: string): Record<string, unknown> => {
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    if (!ctype.startsWith('application/json')) {
      throw new ApiError(415, 'UnsupportedMediaType', 'Content-Type must be application/json.'); // [U] status/body
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      v = undefined;
    }
    if (!isObject(v)) {
      throw bad('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
    }
    return v;
  };

  // --- meetings (§2.2, §2.3) ------------------------------------------------------------------

  const newMeetingId = (userId: string): { id: string; threadId: string } => {
    const threadId = `19:meeting_${Buffer.from(randomUUID()).toString('base64').replace(/=+$/, '')}@thread.v2`;
    return { id: Buffer.from(`1*${userId}*0**${threadId}`).toString('base64'), threadId };
  };

  const userIdentity = (u: GraphFakeUser): Record<string, unknown> => ({
    application: null,
    device: null,
    user: { id: u.id, displayName: u.displayName, tenantId: knobs.tenantId, identityProvider: 'AAD' },
  });

  const validateAttendees = (v: unknown): Array<Record<string, unknown>> => {
    if (!Array.isArray(v)) throw bad("Invalid value for 'participants.attendees': an array is expected.");
    return v.map((a, i) => {
      if (!isObject(a)) throw bad(`Invalid value for 'participants.attendees[${i}]'.`);
      const upn = a['upn'];
      const identity = a['identity'];
      const idUser = isObject(identity) && isObject(identity['user']) ? identity['user'] : null;
      if (upn !== undefined && typeof upn !== 'string') throw bad(`Invalid value for 'participants.attendees[${i}].upn'.`);
      if (upn === undefined && (!idUser || typeof idUser['id'] !== 'string')) {
        throw bad(`participants.attendees[${i}] needs upn or identity.user.id.`); // [U] message
      }
      const role = a['role'] ?? 'attendee';
      if (typeof role !== 'string' || !ATTENDEE_ROLES.includes(role)) throw bad(`Invalid value '${String(role)}' for 'participants.attendees[${i}].role'.`);
      const known = upn ? findUser(upn as string) : idUser ? findUser(idUser['id'] as string) : undefined;
      const user = known
        ? { id: known.id, displayName: known.displayName, tenantId: knobs.tenantId, identityProvider: 'AAD' }
        : { id: (idUser?.['id'] as string | undefined) ?? null, displayName: (idUser?.['displayName'] as string | undefined) ?? null, tenantId: (idUser?.['tenantId'] as string | undefined) ?? null, identityProvider: 'AAD' };
      return { upn: (upn as string | undefined) ?? known?.upn ?? null, role, identity: { application: null, device: null, user } };
    });
  };

  /** Validate `body` and apply it to `m`; mutates only when every field is valid. */
  const applyBody = (m: GraphFakeMeeting, body: Record<string, unknown>, organizer: GraphFakeUser, isCreate: boolean): void => {
    const next = structuredClone(m);
    for (const k of Object.keys(body)) {
      if (WRITABLE.includes(k) || READ_ONLY.includes(k)) continue;
      if (knobs.rejectUnknownProperties) throw unknownProperty(k);
    }
    if (body['subject'] !== undefined) {
      if (typeof body['subject'] !== 'string' && body['subject'] !== null) throw bad("Invalid value for 'subject'.");
      next['subject'] = body['subject'];
    }
    for (const [k, allowed] of Object.entries(ENUMS)) {
      if (body[k] === undefined) continue;
      if (typeof body[k] !== 'string' || !allowed.includes(body[k] as string)) {
        throw bad(`Requested value '${String(body[k])}' was not found.`); // OData enum error
      }
      next[k] = body[k];
    }
    for (const k of BOOLEANS) {
      if (body[k] === undefined) continue;
      if (typeof body[k] !== 'boolean') throw bad(`Invalid value for '${k}': a boolean is expected.`);
      next[k] = body[k];
    }
    if (body['watermarkProtection'] !== undefined) {
      const w = body['watermarkProtection'];
      if (w !== null && (!isObject(w) || Object.values(w).some((x) => typeof x !== 'boolean'))) throw bad("Invalid value for 'watermarkProtection'.");
      next['watermarkProtection'] = w;
    }
    if (body['lobbyBypassSettings'] !== undefined) {
      const l = body['lobbyBypassSettings'];
      if (!isObject(l)) throw bad("Invalid value for 'lobbyBypassSettings'.");
      for (const k of Object.keys(l)) if (k !== 'scope' && k !== 'isDialInBypassEnabled' && k !== '@odata.type') throw unknownProperty(k, 'microsoft.graph.lobbyBypassSettings');
      if (l['scope'] !== undefined && (typeof l['scope'] !== 'string' || !LOBBY_SCOPES.includes(l['scope']))) {
        throw bad(`Requested value '${String(l['scope'])}' was not found.`);
      }
      if (l['isDialInBypassEnabled'] !== undefined && typeof l['isDialInBypassEnabled'] !== 'boolean') throw bad("Invalid value for 'lobbyBypassSettings.isDialInBypassEnabled'.");
      const prev = isObject(next['lobbyBypassSettings']) ? next['lobbyBypassSettings'] : {};
      next['lobbyBypassSettings'] = { ...prev, ...stripUndefined({ scope: l['scope'], isDialInBypassEnabled: l['isDialInBypassEnabled'] }) };
    }
    if (body['joinMeetingIdSettings'] !== undefined) {
      const j = body['joinMeetingIdSettings'];
      if (!isObject(j)) throw bad("Invalid value for 'joinMeetingIdSettings'.");
      if (isCreate) {
        if (j['passcode'] !== undefined && j['passcode'] !== null) throw bad('Custom passcode is not supported.'); // §2.2: server-generated [U message]
        if (j['joinMeetingId'] !== undefined && j['joinMeetingId'] !== null) throw bad('Custom joinMeetingId is not supported.');
        if (j['isPasscodeRequired'] !== undefined && typeof j['isPasscodeRequired'] !== 'boolean') throw bad("Invalid value for 'joinMeetingIdSettings.isPasscodeRequired'.");
        next['joinMeetingIdSettings'] = { ...(next['joinMeetingIdSettings'] as object), isPasscodeRequired: j['isPasscodeRequired'] ?? knobs.passcodeRequiredByDefault };
      } else {
        const cur = next['joinMeetingIdSettings'] as Record<string, unknown>;
        const changed = Object.entries(j).some(([k, v]) => cur[k] !== v);
        if (changed) throw bad('joinMeetingIdSettings cannot be updated after the meeting is created.'); // §2.2 immutable [U message]
      }
    }
    if (body['participants'] !== undefined) {
      const p = body['participants'];
      if (!isObject(p)) throw bad("Invalid value for 'participants'.");
      const org = p['organizer'];
      if (org !== undefined && org !== null) {
        const ou = isObject(org) && isObject(org['identity']) && isObject(org['identity']['user']) ? org['identity']['user']['id'] : undefined;
        const oupn = isObject(org) ? org['upn'] : undefined;
        const same = (typeof ou === 'string' && ou.toLowerCase() === organizer.id.toLowerCase()) || (typeof oupn === 'string' && oupn.toLowerCase() === organizer.upn.toLowerCase());
        if (!same && (ou !== undefined || oupn !== undefined)) throw bad('The organizer of the meeting cannot be changed.'); // §2.3 immutable [U message]
      }
      const parts = next['participants'] as Record<string, unknown>;
      if (p['attendees'] !== undefined) parts['attendees'] = validateAttendees(p['attendees']); // full list replaces
    }
    // Times: normalised to UTC Z; PATCH must send both.
    const hasStart = body['startDateTime'] !== undefined;
    const hasEnd = body['endDateTime'] !== undefined;
    if (!isCreate && hasStart !== hasEnd) throw bad('Both startDateTime and endDateTime must be provided to update the meeting time.'); // §2.3 [U message]
    const start = hasStart ? normaliseDateTime(body['startDateTime']) : null;
    const end = hasEnd ? normaliseDateTime(body['endDateTime']) : null;
    if (hasStart && !start) throw bad(`Cannot convert the literal '${String(body['startDateTime'])}' to the expected type 'Edm.DateTimeOffset'.`);
    if (hasEnd && !end) throw bad(`Cannot convert the literal '${String(body['endDateTime'])}' to the expected type 'Edm.DateTimeOffset'.`);
    if (isCreate) {
      // [U] defaults: now, and start + 1 h.
      const s = start ?? { ms: knobs.now() * 1000, text: graphTime(knobs.now() * 1000) };
      const e = end ?? { ms: s.ms + 3_600_000, text: graphTime(s.ms + 3_600_000) };
      if (e.ms < s.ms) throw bad('endDateTime must be later than startDateTime.'); // [U] message
      next['startDateTime'] = s.text;
      next['endDateTime'] = e.text;
    } else if (start && end) {
      if (end.ms < start.ms) throw bad('endDateTime must be later than startDateTime.');
      next['startDateTime'] = start.text;
      next['endDateTime'] = end.text;
    }
    Object.assign(m, next);
  };

  const audioConferencingFor = (u: GraphFakeUser, conferenceId: string): Record<string, unknown> | null => {
    if (!(u.audioConferencing ?? knobs.audioConferencing)) return null;
    const toll = '+1 555-0100-200';
    const tollFree = '+1 800-555-0199';
    const dialinUrl = `https://dialin.teams.microsoft.com/${randomUUID()}?id=${conferenceId}`;
    if (knobs.audioConferencingStyle === 'docExample') return { tollNumber: toll, tollFreeNumber: tollFree, ConferenceId: conferenceId, dialinUrl };
    const out: Record<string, unknown> = { conferenceId, tollNumber: toll, tollFreeNumber: tollFree, dialinUrl };
    if (knobs.audioConferencingStyle === 'withArrays') Object.assign(out, { tollNumbers: [toll], tollFreeNumbers: [tollFree] });
    return out;
  };

  const joinInformation = (m: GraphFakeMeeting, lang: string): Record<string, unknown> => {
    const de = lang.toLowerCase().startsWith('de');
    const title = de ? 'Microsoft Teams-Besprechung' : 'Microsoft Teams meeting';
    const click = de ? 'Hier klicken, um an der Besprechung teilzunehmen' : 'Click here to join the meeting';
    const html = `<div><p>${title}</p><a href="${String(m['joinWebUrl'])}">${click}</a></div>`;
    return { content: `data:text/html,${encodeURIComponent(html)}`, contentType: 'html' };
  };

  const createMeeting = (u: GraphFakeUser, body: Record<string, unknown>): GraphFakeMeeting => {
    const { id, threadId } = newMeetingId(u.id);
    const ctx = encodeURIComponent(JSON.stringify({ Tid: knobs.tenantId, Oid: u.id })).toLowerCase();
    const joinWebUrl = `${knobs.webBase}/l/meetup-join/${encodeURIComponent(threadId).toLowerCase()}/0?context=${ctx}`;
    const videoTeleconferenceId = String(randomInt(1_000_000_000, 9_999_999_999));
    const joinMeetingId = String(randomInt(100_000_000_000, 999_999_999_999));
    const m: GraphFakeMeeting = {
      id,
      userId: u.id,
      creationDateTime: graphTime(knobs.now() * 1000),
      startDateTime: '',
      endDateTime: '',
      joinWebUrl,
      subject: null,
      videoTeleconferenceId,
      isBroadcast: false,
      ...structuredClone({ ...DEFAULT_MEETING_OPTIONS, ...knobs.meetingDefaults }),
      chatInfo: { threadId, messageId: '0', replyChainMessageId: null },
      joinMeetingIdSettings: { isPasscodeRequired: knobs.passcodeRequiredByDefault, joinMeetingId, passcode: null },
      participants: { organizer: { upn: u.upn, role: 'presenter', identity: userIdentity(u) }, attendees: [] },
    };
    applyBody(m, body, u, true);
    const j = m['joinMeetingIdSettings'] as Record<string, unknown>;
    // Passcode is always server-generated (§2.2), only when required.
    j['passcode'] = j['isPasscodeRequired'] ? randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6) : null;
    const ac = audioConferencingFor(u, String(randomInt(100_000_000, 999_999_999)));
    if (ac) m['audioConferencing'] = ac;
    return m;
  };

  const meetingView = (m: GraphFakeMeeting, req: IncomingMessage | null): Record<string, unknown> => {
    const { userId, ...rest } = m;
    const out: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#users('${userId}')/onlineMeetings/$entity`, ...structuredClone(rest) };
    if (knobs.includeDeprecatedJoinUrl) out['joinUrl'] = m['joinWebUrl'];
    out['joinInformation'] = joinInformation(m, String(req?.headers['accept-language'] ?? 'en-US'));
    const prefer = String(req?.headers['prefer'] ?? '').toLowerCase().includes(PREFER_UNKNOWN_ENUMS);
    const lobby = out['lobbyBypassSettings'];
    if (knobs.evolvableEnums && !prefer && isObject(lobby) && EVOLVABLE_LOBBY_SCOPES.includes(lobby['scope'] as string)) {
      lobby['scope'] = 'unknownFutureValue';
    }
    return out;
  };

  const meetingOf = (u: GraphFakeUser, rawId: string): GraphFakeMeeting => {
    const m = meetings.get(rawId);
    if (!m || m.userId !== u.id) throw new ApiError(404, 'itemNotFound', 'The requested onlineMeeting was not found.'); // [U] code/message
    return m;
  };

  // --- subscriptions (§2.5) -------------------------------------------------------------------

  const isTeamsResource = (r: string): boolean => /onlineMeetings|communications\/|chats|teams\//i.test(r);

  const checkNotificationUrl = (field: string, v: unknown): string => {
    if (typeof v !== 'string') throw bad(`${field} is required.`);
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw bad(`Invalid ${field}: '${v}'.`, 'InvalidRequest');
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    const httpOk = knobs.allowHttpNotificationUrl === 'any' || (knobs.allowHttpNotificationUrl === 'loopback' && loopback);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && httpOk)) {
      throw bad(`The ${field} must be an HTTPS URL.`, 'InvalidRequest'); // [U] message
    }
    return v;
  };

  const checkExpiry = (v: unknown, resource: string, lifecycleUrl: string | null): string => {
    const e = normaliseDateTime(v);
    if (!e) throw bad("Invalid or missing 'expirationDateTime'.", 'InvalidRequest');
    const nowMs = knobs.now() * 1000;
    const minutes = (e.ms - nowMs) / 60_000;
    if (minutes <= 0) throw bad('Subscription expiration must be in the future.', 'InvalidRequest'); // [U] message
    if (minutes > knobs.maxSubscriptionMinutes) {
      throw bad(`Subscription expiration can only be ${knobs.maxSubscriptionMinutes} minutes in the future.`, 'InvalidRequest');
    }
    if (isTeamsResource(resource) && !lifecycleUrl && minutes > knobs.teamsLifecycleThresholdMinutes) {
      throw bad('lifecycleNotificationUrl is required for this resource when the expirationDateTime exceeds 1 hour.', 'InvalidRequest');
    }
    return e.text;
  };

  /** A realistic validation token: it holds spaces and ':' so the receiver must URL-decode it. */
  const newValidationToken = (): string => `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;

  const validateEndpoint = async (url: string): Promise<GraphValidation> => {
    const token = newValidationToken();
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    const t0 = performance.now();
    const v: GraphValidation = { url, token, ok: false, ms: 0 };
    try {
      const r = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(knobs.validationTimeoutMs),
      });
      v.status = r.status;
      v.contentType = r.headers.get('content-type') ?? '';
      v.body = await r.text();
      if (r.status !== 200) v.error = 'status';
      else if (knobs.validationRequireTextPlain && !v.contentType.toLowerCase().startsWith('text/plain')) v.error = 'content-type';
      else if (v.body !== token) v.error = 'mismatch';
      else v.ok = true;
    } catch (err) {
      v.error = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timeout' : 'network';
    }
    v.ms = Math.round(performance.now() - t0);
    validations.push(v);
    return v;
  };

  const validationError = (v: GraphValidation): ApiError => {
    // [U] code; messages as seen from Graph.
    if (v.error === 'timeout') return bad('Subscription validation request timed out.', 'ValidationError');
    if (v.error === 'mismatch') return bad('Subscription validation request failed. Response must exactly match validationToken query parameter.', 'ValidationError');
    if (v.error === 'content-type') return bad('Subscription validation request failed. Must respond with 200 OK to this request and Content-Type text/plain.', 'ValidationError');
    return bad('Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.', 'ValidationError');
  };

  const subscriptionView = (s: GraphSubscription): Record<string, unknown> => ({ '@odata.context': `${origin}/v1.0/$metadata#subscriptions/$entity`, ...s });

  const liveSubscription = (id: string): GraphSubscription => {
    const s = subscriptions.get(id);
    if (s && Date.parse(s.expirationDateTime) <= knobs.now() * 1000) subscriptions.delete(id); // expired = gone [U]
    const live = subscriptions.get(id);
    if (!live) throw new ApiError(404, 'ResourceNotFound', `The object was not found. Subscription '${id}' does not exist.`); // [U]
    return live;
  };

  const SUB_FIELDS = [
    'changeType',
    'notificationUrl',
    'resource',
    'expirationDateTime',
    'clientState',
    'lifecycleNotificationUrl',
    'includeResourceData',
    'encryptionCertificate',
    'encryptionCertificateId',
    'latestSupportedTlsVersion',
    'notificationQueryOptions',
    'notificationUrlAppId',
    '@odata.type',
  ];

  const createSubscription = async (body: Record<string, unknown>): Promise<GraphSubscription> => {
    for (const k of Object.keys(body)) if (!SUB_FIELDS.includes(k)) throw unknownProperty(k, 'microsoft.graph.subscription');
    const ct = body['changeType'];
    if (typeof ct !== 'string' || !ct.split(',').every((c) => ['created', 'updated', 'deleted'].includes(c.trim()))) {
      throw bad("Invalid 'changeType': a comma-separated list of created, updated, deleted is expected.", 'InvalidRequest');
    }
    const resource = body['resource'];
    if (typeof resource !== 'string' || !resource) throw bad("'resource' is required.", 'InvalidRequest');
    if (/^https?:/i.test(resource)) throw bad("'resource' must be a path relative to the Graph base URL.", 'InvalidRequest'); // [U]
    const notificationUrl = checkNotificationUrl('notificationUrl', body['notificationUrl']);
    const lifecycleNotificationUrl =
      body['lifecycleNotificationUrl'] === undefined || body['lifecycleNotificationUrl'] === null ? null : checkNotificationUrl('lifecycleNotificationUrl', body['lifecycleNotificationUrl']);
    const cs = body['clientState'];
    if (cs !== undefined && cs !== null && (typeof cs !== 'string' || cs.length > 128)) throw bad("'clientState' must be a string of at most 128 characters.", 'InvalidRequest');
    const includeResourceData = body['includeResourceData'] === true;
    if (includeResourceData && (typeof body['encryptionCertificate'] !== 'string' || typeof body['encryptionCertificateId'] !== 'string')) {
      throw bad('encryptionCertificate and encryptionCertificateId are required when includeResourceData is true.', 'InvalidRequest'); // [U]
    }
    const expirationDateTime = checkExpiry(body['expirationDateTime'], resource, lifecycleNotificationUrl);
    // Validation handshake before the 201: notificationUrl, then lifecycleNotificationUrl.
    for (const url of [notificationUrl, lifecycleNotificationUrl]) {
      if (url === null) continue;
      const v = await validateEndpoint(url);
      if (!v.ok) throw validationError(v);
    }
    const s: GraphSubscription = {
      id: randomUUID(),
      resource,
      applicationId: knobs.clientId,
      changeType: ct,
      clientState: (cs as string | undefined) ?? null,
      notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl,
      expirationDateTime,
      creatorId: knobs.servicePrincipalId,
      includeResourceData,
      latestSupportedTlsVersion: typeof body['latestSupportedTlsVersion'] === 'string' ? body['latestSupportedTlsVersion'] : 'v1_2',
      encryptionCertificate: (body['encryptionCertificate'] as string | undefined) ?? null,
      encryptionCertificateId: (body['encryptionCertificateId'] as string | undefined) ?? null,
      notificationUrlAppId: null,
    };
    subscriptions.set(s.id, s);
    return s;
  };

  // --- deliveries (Graph → us) ----------------------------------------------------------------

  const deliver = async (kind: GraphDelivery['kind'], url: string, payload: unknown): Promise<GraphDelivery> => {
    const body = JSON.stringify(payload);
    const stats = endpoints.get(url) ?? { responses: 0, slow: 0 };
    endpoints.set(url, stats);
    const slowEndpoint = stats.responses > 0 && stats.slow / stats.responses > 0.1;
    const d: GraphDelivery = { kind, url, body, attempts: [], ok: false, slowEndpoint };
    deliveries.push(d);
    if (slowEndpoint && knobs.slowEndpointDelayMs > 0) await sleep(knobs.slowEndpointDelayMs);
    const delays = [0, ...knobs.notificationRetryDelaysMs];
    for (const delay of delays) {
      if (delay > 0) await sleep(delay);
      const t0 = performance.now();
      const a: GraphDeliveryAttempt = { ms: 0 };
      try {
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(knobs.deliveryTimeoutMs),
        });
        a.status = r.status;
        await r.arrayBuffer().catch(() => undefined);
      } catch (err) {
        a.error = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timeout' : 'network';
      }
      a.ms = Math.round(performance.now() - t0);
      d.attempts.push(a);
      if (a.error !== 'network') {
        stats.responses += 1;
        if (a.ms > knobs.slowResponseMs || a.error === 'timeout') stats.slow += 1;
      }
      if (a.status !== undefined && a.status >= 200 && a.status < 300) {
        d.ok = true;
        break;
      }
    }
    return d;
  };

  const notificationItem = (s: GraphSubscription, over: Partial<GraphNotificationItem> = {}): GraphNotificationItem => ({
    id: randomUUID(),
    subscriptionId: s.id,
    subscriptionExpirationDateTime: s.expirationDateTime,
    clientState: s.clientState,
    changeType: s.changeType.split(',')[0]!.trim(),
    resource: s.resource,
    tenantId: knobs.tenantId,
    resourceData: { '@odata.type': '#Microsoft.Graph.Resource', '@odata.id': s.resource, '@odata.etag': `W/"${randomBytes(6).toString('hex')}"`, id: randomUUID() },
    ...over,
  });

  const safeDecode = (v: string): string => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  /** Does a subscription resource filter on this join URL? (The URL may arrive encoded once more.) */
  const filtersJoinUrl = (resource: string, joinWebUrl: string): boolean => {
    const m = /\$filter=JoinWebUrl(?:%20|\s)eq(?:%20|\s)(?:'|%27)(.+?)(?:'|%27)\s*$/i.exec(resource);
    if (!m) return false;
    const v = m[1]!;
    return v === joinWebUrl || safeDecode(v) === safeDecode(joinWebUrl) || safeDecode(safeDecode(v)) === safeDecode(joinWebUrl);
  };

  // --- API routing ----------------------------------------------------------------------------

  const handleApi = async (req: IncomingMessage, url: URL, raw: string, rec: GraphRecordedRequest, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const sub = url.pathname.slice('/v1.0'.length);
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => send(req, rec, res, status, JSON.stringify(v), headers);
    const notAllowed = () => new ApiError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    try {
      const limited = rateLimited();
      if (limited) throw limited;
      const token = authenticate(req);

      const meetingRoute = /^\/users\/([^/]+)\/onlineMeetings(?:\/([^/]+))?\/?$/.exec(sub);
      if (meetingRoute) {
        const rawUser = decodeURIComponent(meetingRoute[1]!);
        const meetingId = meetingRoute[2] === undefined ? null : decodeURIComponent(meetingRoute[2]);
        const createOrGet = meetingId === 'createOrGet';
        if (createOrGet && method !== 'POST') throw notAllowed();
        if (meetingId === null && method !== 'POST' && method !== 'GET') throw notAllowed();
        if (meetingId !== null && !createOrGet && !['GET', 'PATCH', 'DELETE'].includes(method)) throw notAllowed();
        const write = method !== 'GET';
        requireRole(token, write);
        const user = findPathUser(rawUser);
        if (!user) throw new ApiError(404, 'itemNotFound', `User '${rawUser}' was not found.`); // [U] code/message
        if (!policyGranted(user)) {
          const verb = method === 'POST' ? 'Create' : method === 'GET' ? 'Get' : method === 'PATCH' ? 'Update' : 'Delete';
          throw new ApiError(knobs.accessPolicyStatus, 'Unauthorized', `App ${knobs.clientId} is not authorized to ${verb} meeting on behalf of user ${user.id}`);
        }
        if (createOrGet) {
          const body = parseJsonBody(req, raw);
          for (const k of Object.keys(body)) {
            if (!CREATE_OR_GET_PARAMS.includes(k) && k !== '@odata.type') {
              throw bad(`The parameter '${k}' in the request payload is not a valid parameter for the operation 'createOrGet'.`); // OData action [U message]
            }
          }
          const externalId = body['externalId'];
          if (typeof externalId !== 'string' || externalId.trim() === '') throw bad("The parameter 'externalId' is required.", 'InvalidRequest'); // [U message]
          if (body['endDateTime'] !== undefined && body['startDateTime'] === undefined) throw bad('endDateTime cannot be provided without startDateTime.'); // documented error [U message]
          const key = `${knobs.externalIdScope === 'tenant' ? '*' : user.id}|${externalId}`;
          const known = externalIds.get(key);
          if (known) {
            const live = meetings.get(known.id) === known;
            if (live) return json(knobs.createOrGetExistingStatus, meetingView(known, req));
            if (knobs.deletedExternalIds === 'returnsDeleted') return json(200, meetingView(known, req));
            if (knobs.deletedExternalIds === 'conflict') throw new ApiError(409, 'Conflict', `The online meeting with externalId '${externalId}' was deleted.`); // [U]
          }
          const { externalId: _x, chatInfo: _c, ...rest } = body;
          const m = createMeeting(user, rest);
          m['externalId'] = externalId;
          meetings.set(m.id, m);
          externalIds.set(key, m);
          if (loseCreates > 0) {
            loseCreates -= 1;
            rec.dropped = true;
            req.socket.destroy();
            return;
          }
          return json(201, meetingView(m, req), { location: `${origin}/v1.0/users/${user.id}/onlineMeetings/${encodeURIComponent(m.id)}` });
        }
        if (meetingId === null && method === 'GET') {
          // Lookup by join URL [U]: the only list form; a filter is required.
          const filter = url.searchParams.get('$filter') ?? '';
          const fm = /^JoinWebUrl eq '([^']+)'$/i.exec(filter.trim());
          if (!fm) throw bad("Filter on 'JoinWebUrl' is required.", 'InvalidRequest'); // [U]
          const value = [...meetings.values()].filter((m) => m.userId === user.id && m['joinWebUrl'] === fm[1]).map((m) => {
            const { '@odata.context': _c, ...v } = meetingView(m, req);
            return v;
          });
          return json(200, { '@odata.context': `${origin}/v1.0/$metadata#users('${user.id}')/onlineMeetings`, value });
        }
        if (meetingId === null) {
          const body = parseJsonBody(req, raw);
          const m = createMeeting(user, body);
          meetings.set(m.id, m);
          if (loseCreates > 0) {
            loseCreates -= 1;
            rec.dropped = true;
            req.socket.destroy();
            return;
          }
          return json(201, meetingView(m, req), { location: `${origin}/v1.0/users/${user.id}/onlineMeetings/${encodeURIComponent(m.id)}` });
        }
        const m = meetingOf(user, meetingId);
        if (method === 'GET') return json(200, meetingView(m, req));
        if (method === 'PATCH') {
          const body = parseJsonBody(req, raw);
          applyBody(m, body, user, false);
          return json(200, meetingView(m, req)); // §8: 200 + full object, unlike Zoom's 204
        }
        meetings.delete(m.id);
        return send(req, rec, res, 204, null);
      }

      // `GET /users/{id | userPrincipalName}`: how an app finds a user's object id from a sign-in
      // name. Real Graph needs User.Read.All (or User.ReadBasic.All) for this; the fake does not
      // check it [U]. Unknown users → 404 Request_ResourceNotFound.
      const userRoute = /^\/users\/([^/]+)\/?$/.exec(sub);
      if (userRoute) {
        if (method !== 'GET') throw notAllowed();
        const rawUser = decodeURIComponent(userRoute[1]!);
        const u = findUser(rawUser);
        if (!u) {
          throw new ApiError(404, 'Request_ResourceNotFound', `Resource '${rawUser}' does not exist or one of its queried reference-property objects are not present.`);
        }
        return json(200, { '@odata.context': `${origin}/v1.0/$metadata#users/$entity`, id: u.id, userPrincipalName: u.upn, displayName: u.displayName, mail: u.upn });
      }

      if (sub === '/subscriptions' || sub === '/subscriptions/') {
        if (method === 'POST') {
          const s = await createSubscription(parseJsonBody(req, raw));
          return json(201, subscriptionView(s));
        }
        if (method === 'GET') {
          for (const id of [...subscriptions.keys()]) {
            try {
              liveSubscription(id);
            } catch {
              /* expired */
            }
          }
          return json(200, { '@odata.context': `${origin}/v1.0/$metadata#subscriptions`, value: [...subscriptions.values()] });
        }
        throw notAllowed();
      }
      const reauth = /^\/subscriptions\/([^/]+)\/reauthorize\/?$/.exec(sub);
      if (reauth) {
        if (method !== 'POST') throw notAllowed();
        liveSubscription(decodeURIComponent(reauth[1]!));
        return send(req, rec, res, 204, null);
      }
      const subRoute = /^\/subscriptions\/([^/]+)\/?$/.exec(sub);
      if (subRoute) {
        const s = liveSubscription(decodeURIComponent(subRoute[1]!));
        if (method === 'GET') return json(200, subscriptionView(s));
        if (method === 'PATCH') {
          const body = parseJsonBody(req, raw);
          for (const k of Object.keys(body)) {
            if (k !== 'expirationDateTime' && k !== 'notificationUrl' && k !== '@odata.type') throw bad(`Only expirationDateTime and notificationUrl can be updated; got '${k}'.`, 'InvalidRequest'); // [U]
          }
          const exp = checkExpiry(body['expirationDateTime'], s.resource, s.lifecycleNotificationUrl);
          if (body['notificationUrl'] !== undefined) {
            const nu = checkNotificationUrl('notificationUrl', body['notificationUrl']);
            const v = await validateEndpoint(nu);
            if (!v.ok) throw validationError(v);
            s.notificationUrl = nu;
          }
          s.expirationDateTime = exp;
          return json(200, subscriptionView(s));
        }
        if (method === 'DELETE') {
          subscriptions.delete(s.id);
          return send(req, rec, res, 204, null);
        }
        throw notAllowed();
      }
      const seg = sub.split('/').filter(Boolean)[0] ?? '';
      throw bad(`Resource not found for the segment '${seg}'.`);
    } catch (err) {
      if (err instanceof ApiError) return sendError(req, rec, res, err);
      throw err;
    }
  };

  // --- dispatch -------------------------------------------------------------------------------

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const raw = (await readBody(req)).toString('utf8');
    const method = req.method ?? 'GET';
    const control = (v: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(v));
    };

    if (url.pathname === '/__fake/requests') return control(requests);
    if (url.pathname === '/__fake/meetings') return control([...meetings.values()].map((m) => ({ ...meetingView(m, null), userId: m.userId })));
    if (url.pathname === '/__fake/subscriptions') return control([...subscriptions.values()]);

    const rec: GraphRecordedRequest = {
      at: new Date().toISOString(),
      method,
      path: url.pathname,
      query: queryToObject(url.searchParams),
      headers: req.headers,
      body: raw,
      requestId: randomUUID(),
    };
    requests.push(rec);

    const failure = takeFailure(method, url.pathname);
    if (failure) {
      const { match: _match, times: _times, code, message, ...f } = failure;
      if (f.status !== undefined) {
        const { requestId, clientRequestId } = ids(req, rec);
        if (f.body === undefined && code !== undefined) {
          f.body = graphErrorBody(code, message ?? code, { requestId, clientRequestId }, knobs.innerErrorCasing);
        }
        f.headers = { 'request-id': requestId, 'client-request-id': clientRequestId, ...(f.headers ?? {}) };
      }
      rec.injected = f;
      if (await applyFailure(f, req, res)) {
        if (f.reset) rec.dropped = true;
        else rec.status = f.status;
        return;
      }
    }

    const tokenRoute = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/.exec(url.pathname);
    if (tokenRoute) return handleToken(req, decodeURIComponent(tokenRoute[1]!), raw, rec, res);
    if (url.pathname === '/v1.0' || url.pathname.startsWith('/v1.0/')) return handleApi(req, url, raw, rec, res);
    sendError(req, rec, res, new ApiError(404, 'NotFound', `No route for ${url.pathname} in the Graph fake.`));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(graphErrorBody('generalException', `graph fake error: ${String(err)}`)));
      } else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1.0`,
    tokenUrl: (tenantId = knobs.tenantId) => `${origin}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
    loginBase: origin,
    requests,
    meetings,
    subscriptions,
    validations,
    deliveries,
    tokensIssued,
    setKnobs(patch) {
      knobs = { ...knobs, ...stripUndefined(patch) };
      if ('rateLimit' in patch) {
        knobs.rateLimit = patch.rateLimit ?? null;
        bucket = { tokens: 0, at: performance.now(), rate: 0 };
      }
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
    revokeTokens(token) {
      for (const t of tokensIssued) if (token === undefined || t.access_token === token) t.revoked = true;
    },
    user: (idOrUpn) => findUser(idOrUpn),
    async notify(subscriptionId, items) {
      const s = subscriptions.get(subscriptionId);
      if (!s) throw new Error(`graph fake: no subscription ${subscriptionId}`);
      const value = (items && items.length ? items : [{}]).map((over) => notificationItem(s, over));
      return deliver('notification', s.notificationUrl, { value });
    },
    async lifecycle(subscriptionId, event) {
      const s = subscriptions.get(subscriptionId);
      if (!s) throw new Error(`graph fake: no subscription ${subscriptionId}`);
      if (!s.lifecycleNotificationUrl) throw new Error(`graph fake: subscription ${subscriptionId} has no lifecycleNotificationUrl`);
      const item = { subscriptionId: s.id, subscriptionExpirationDateTime: s.expirationDateTime, tenantId: knobs.tenantId, clientState: s.clientState, lifecycleEvent: event };
      if (event === 'subscriptionRemoved') subscriptions.delete(s.id);
      return deliver('lifecycle', s.lifecycleNotificationUrl, { value: [item] });
    },
    async notifyCallEvent(meetingId, eventType, opts = {}) {
      const m = meetings.get(meetingId);
      if (!m) throw new Error(`graph fake: no meeting ${meetingId}`);
      const targets = [...subscriptions.values()].filter((s) => filtersJoinUrl(s.resource, String(m['joinWebUrl'])));
      const out: GraphDelivery[] = [];
      for (const s of targets) {
        // [U] beta payload shape.
        const resourceData: Record<string, unknown> = {
          '@odata.type': '#microsoft.graph.onlineMeeting',
          '@odata.id': `communications/onlineMeetings/${m.id}`,
          id: m.id,
          eventType: `Microsoft.Communication.${eventType}`,
        };
        if (opts.joined) resourceData['activeParticipants@joined'] = opts.joined;
        if (opts.exited) resourceData['activeParticipants@exited'] = opts.exited;
        out.push(await deliver('notification', s.notificationUrl, { value: [notificationItem(s, { changeType: 'updated', resourceData })] }));
      }
      return out;
    },
    endpointStats(url) {
      const s = endpoints.get(url) ?? { responses: 0, slow: 0 };
      return { ...s, isSlow: s.responses > 0 && s.slow / s.responses > 0.1 };
    },
    reset(opts = {}) {
      knobs = initialKnobs();
      armFailures(knobs.failWith);
      requests.length = 0;
      meetings.clear();
      subscriptions.clear();
      validations.length = 0;
      deliveries.length = 0;
      endpoints.clear();
      loseCreates = 0;
      externalIds.clear();
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
