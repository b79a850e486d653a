/**
 * The built-in room (platform `webrtc`): the ticket REST hands out, and every message on the
 * signaling WebSocket, both ways. The sidecar validates each incoming message with
 * {@link ClientMessageSchema} and drops the connection on repeated garbage; the browser client
 * (packages/meeting-room) parses what it receives with {@link ServerMessageSchema}.
 *
 * Flow: POST /consultations/{id}/room → {@link RoomTicket} → open `signaling_url` with
 * `?token=` → send `join` → `welcome` (in the room), `waiting` (in the waiting room, until a host
 * sends `admit`), or `error` + close (wrong password, denied, full…). Media is peer to peer: the
 * newcomer offers to each peer listed in `welcome`; descriptions and candidates travel as `signal`.
 */
import { z } from 'zod';

import { BOARD_MAX_POINTS, CHAT_MAX_LENGTH } from './room-constants';

export * from './room-constants';

const isoUtc = z.iso.datetime();

/** A peer's id in one room: stable across reconnects of the same person within the room's life. */
export const PeerIdSchema = z.string().regex( /^p_[a-z0-9]{6,24}$/ );
export type PeerId = z.infer< typeof PeerIdSchema >;

/** One recording in a room, from a host's start to its stop (consents are given to a take). */
export const RecordingTakeSchema = z.string().regex( /^t_[a-z0-9]{12,24}$/ );

export const RoomRoleSchema = z.enum( [ 'host', 'participant' ] );
export type RoomRole = z.infer< typeof RoomRoleSchema >;

export const QualityLevelSchema = z.enum( [ 'good', 'fair', 'poor' ] );
export type QualityLevel = z.infer< typeof QualityLevelSchema >;

export const IceServerSchema = z.object( {
	urls: z.union( [ z.string(), z.array( z.string() ) ] ),
	username: z.string().optional(),
	credential: z.string().optional(),
} );
export type IceServer = z.infer< typeof IceServerSchema >;

/** What POST /consultations/{id}/room answers: everything the room needs to start. */
export const RoomTicketSchema = z.object( {
	/** Short-lived (a few minutes): only opens the socket; ask again to reconnect. */
	token: z.string(),
	expires_at: isoUtc,
	/** ws:// or wss:// URL of the sidecar's signaling endpoint. */
	signaling_url: z.string(),
	ice_servers: z.array( IceServerSchema ),
	/** `relay` when the site forces TURN (only TURN servers are listed then). */
	ice_transport_policy: z.enum( [ 'all', 'relay' ] ),
	room: z.object( {
		consultation_id: z.number().int().positive(),
		title: z.string(),
		scheduled_start: isoUtc,
		scheduled_end: isoUtc,
		role: RoomRoleSchema,
		display_name: z.string(),
		password_required: z.boolean(),
		waiting_room: z.boolean(),
		chat_enabled: z.boolean(),
		screen_share_enabled: z.boolean(),
		max_participants: z.number().int().positive(),
		end_on_host_leave: z.boolean(),
		/** Hosts may record the room (their browser records it and uploads it; everyone must consent). */
		recording_enabled: z.boolean(),
		/** The consultation is to be recorded: the host's room asks everyone for consent as soon as the host is in. */
		auto_recording: z.boolean(),
	} ),
	/**
	 * Present when the site runs rooms through the Janus VideoRoom SFU (media goes there instead of
	 * peer to peer). No credential here: each participant's access comes in an `sfu` message once the
	 * hub has let them in, so a customer in the waiting room can neither publish nor watch.
	 */
	sfu: z.object( { janus_url: z.string(), room: z.number().int().positive() } ).optional(),
} );
export type RoomTicket = z.infer< typeof RoomTicketSchema >;

/**
 * One participant's access to the room's Janus VideoRoom: publish as `feed` with `token` (the
 * room's allowed list), watch with `pin`; `core_token` is a signed Janus token for every request
 * when Janus runs with `token_auth`. `display` is the peer id, so the others map each Janus
 * publisher to a peer.
 */
export const SfuAccessSchema = z.object( {
	janus_url: z.string(),
	room: z.number().int().positive(),
	pin: z.string(),
	token: z.string(),
	core_token: z.string().optional(),
	feed: z.number().int().positive(),
	display: PeerIdSchema,
} );
export type SfuAccess = z.infer< typeof SfuAccessSchema >;

/** A session description or ICE candidate for one peer (the sidecar relays it untouched). */
const SignalPayload = {
	description: z
		.object( { type: z.enum( [ 'offer', 'answer', 'pranswer', 'rollback' ] ), sdp: z.string().max( 60_000 ).optional() } )
		.optional(),
	candidate: z
		.object( {
			candidate: z.string().max( 1_000 ),
			sdpMid: z.string().max( 64 ).nullable().optional(),
			sdpMLineIndex: z.number().int().min( 0 ).max( 64 ).nullable().optional(),
			usernameFragment: z.string().max( 256 ).nullable().optional(),
		} )
		.nullable()
		.optional(),
};

/**
 * A whiteboard operation. Points are fractions of the board's width and height (0..1), so every
 * screen draws the same picture; a long stroke travels as several parts with the same `id`.
 */
export const BoardOpSchema = z.discriminatedUnion( 'kind', [
	z.object( {
		kind: z.literal( 'stroke' ),
		id: z.string().regex( /^[a-z0-9]{4,24}$/ ),
		color: z.string().regex( /^#[0-9a-f]{6}$/ ),
		width: z.number().min( 1 ).max( 24 ),
		points: z.array( z.tuple( [ z.number().min( 0 ).max( 1 ), z.number().min( 0 ).max( 1 ) ] ) ).min( 1 ).max( BOARD_MAX_POINTS ),
	} ),
	z.object( { kind: z.literal( 'clear' ) } ),
] );
export type BoardOp = z.infer< typeof BoardOpSchema >;

export const ClientMessageSchema = z.discriminatedUnion( 'type', [
	/** `history`: this page has no chat or whiteboard yet (a reload): replay them even when resuming. */
	z.object( { type: z.literal( 'join' ), password: z.string().max( 64 ).optional(), history: z.boolean().optional() } ),
	z.object( { type: z.literal( 'signal' ), to: PeerIdSchema, ...SignalPayload } ),
	z.object( { type: z.literal( 'chat' ), text: z.string().trim().min( 1 ).max( CHAT_MAX_LENGTH ) } ),
	/** The whiteboard: a stroke (or part of one) or a clear, relayed to everyone in the room. */
	z.object( { type: z.literal( 'board' ), op: BoardOpSchema } ),
	z.object( { type: z.literal( 'media' ), audio: z.boolean(), video: z.boolean(), screen: z.boolean() } ),
	z.object( { type: z.literal( 'quality' ), level: QualityLevelSchema } ),
	/** Hosts only: let a waiting participant in, or turn them away. */
	z.object( { type: z.literal( 'admit' ), peer: PeerIdSchema } ),
	z.object( { type: z.literal( 'deny' ), peer: PeerIdSchema } ),
	/** Hosts only: end the consultation for everybody. */
	z.object( { type: z.literal( 'end' ) } ),
	/** Hosts only: ask everyone to consent to a recording (`start`), or stop it. */
	z.object( { type: z.literal( 'record' ), action: z.enum( [ 'start', 'stop' ] ) } ),
	/** Everyone: agree to be recorded (whoever does not agrees to nothing, or leaves). */
	z.object( { type: z.literal( 'consent' ), recording: z.literal( true ) } ),
	z.object( { type: z.literal( 'leave' ) } ),
	z.object( { type: z.literal( 'ping' ) } ),
] );
export type ClientMessage = z.infer< typeof ClientMessageSchema >;

export const PeerInfoSchema = z.object( {
	id: PeerIdSchema,
	name: z.string(),
	role: RoomRoleSchema,
	audio: z.boolean(),
	video: z.boolean(),
	screen: z.boolean(),
} );
export type PeerInfo = z.infer< typeof PeerInfoSchema >;

/** Codes a room `error` carries (the user-facing text comes with it, in the site's language). */
export const RoomErrorCodeSchema = z.enum( [
	'room_token_invalid',
	'room_password_wrong',
	'room_denied',
	'room_full',
	'room_replaced',
	'rate_limited',
	'invalid_message',
	'forbidden',
	'meeting_ended',
	'sfu_unavailable',
] );
export type RoomErrorCode = z.infer< typeof RoomErrorCodeSchema >;

export const ServerMessageSchema = z.discriminatedUnion( 'type', [
	/** In the room. `resumed`: the same peer came back within the grace period (keep connections, restart ICE). */
	z.object( {
		type: z.literal( 'welcome' ),
		self: PeerInfoSchema,
		peers: z.array( PeerInfoSchema ),
		resumed: z.boolean(),
		/** A recording is on (or waits for consent): the newcomer sees the badge and is asked at once. */
		recording: z.boolean(),
	} ),
	/** In the waiting room; `host_present` tells the customer whether someone can admit them. */
	z.object( { type: z.literal( 'waiting' ), self: PeerInfoSchema, host_present: z.boolean() } ),
	/** To hosts: who waits (the full list, after every change). */
	z.object( { type: z.literal( 'lobby' ), waiting: z.array( z.object( { id: PeerIdSchema, name: z.string() } ) ) } ),
	z.object( { type: z.literal( 'peer-joined' ), peer: PeerInfoSchema } ),
	z.object( { type: z.literal( 'peer-left' ), peer: PeerIdSchema } ),
	z.object( { type: z.literal( 'signal' ), from: PeerIdSchema, ...SignalPayload } ),
	z.object( { type: z.literal( 'chat' ), from: PeerIdSchema, name: z.string(), text: z.string(), at: isoUtc } ),
	/** A whiteboard operation of `from`; replayed in order to whoever enters later (after the last clear). */
	z.object( { type: z.literal( 'board' ), from: PeerIdSchema, op: BoardOpSchema } ),
	/** A participant shared a file (room-files.ts); replayed with the chat to whoever enters later. */
	z.object( {
		type: z.literal( 'file-shared' ),
		id: z.number().int().positive(),
		name: z.string(),
		size: z.number().int().min( 0 ),
		mime: z.string(),
		from: PeerIdSchema,
		from_name: z.string(),
		at: isoUtc,
	} ),
	z.object( { type: z.literal( 'media' ), peer: PeerIdSchema, audio: z.boolean(), video: z.boolean(), screen: z.boolean() } ),
	z.object( { type: z.literal( 'connection-quality-changed' ), peer: PeerIdSchema, level: QualityLevelSchema } ),
	/**
	 * A host asked to record (`take` names this recording): answer with `consent`, or leave. Sent to
	 * everyone in the room who has not consented to this take, and to each newcomer while it lasts.
	 */
	z.object( { type: z.literal( 'recording-consent-requested' ), by: PeerIdSchema, take: RecordingTakeSchema } ),
	/** Everyone in the room has consented: media is recorded from now (again, after a pause). */
	z.object( { type: z.literal( 'recording-started' ), by: PeerIdSchema, take: RecordingTakeSchema.optional() } ),
	/**
	 * A take exists but someone in the room (`waiting`) has not consented yet, at its start or because
	 * they came in later: nothing is recorded (the recorder pauses) until they consent or leave.
	 */
	z.object( { type: z.literal( 'recording-pending' ), by: PeerIdSchema, take: RecordingTakeSchema, waiting: z.array( PeerIdSchema ) } ),
	z.object( { type: z.literal( 'recording-stopped' ), by: PeerIdSchema } ),
	/** The room closed for everybody (the host ended it or left with end_meeting_on_host_leave). */
	z.object( { type: z.literal( 'ended' ), reason: z.enum( [ 'host_ended', 'host_left', 'closed' ] ) } ),
	/** A refusal; the socket closes after it unless `fatal` is false. */
	z.object( { type: z.literal( 'error' ), code: RoomErrorCodeSchema, message: z.string(), fatal: z.boolean() } ),
	z.object( { type: z.literal( 'pong' ) } ),
	/** SFU rooms only: this participant's Janus access, after each `welcome` (see {@link SfuAccessSchema}). */
	z.object( { type: z.literal( 'sfu' ), access: SfuAccessSchema } ),
] );
export type ServerMessage = z.infer< typeof ServerMessageSchema >;

/** Default English text for each room error (the room UI shows its own translation by code). */
export const ROOM_ERROR_MESSAGES: Record< RoomErrorCode, string > = {
	room_token_invalid: 'This room link has expired. Please click Join again.',
	room_password_wrong: 'The meeting password is not right. Please check your invitation.',
	room_denied: 'The host did not let you in to this consultation.',
	room_full: 'This consultation is full.',
	room_replaced: 'You joined this consultation from another window or device.',
	rate_limited: 'Too many messages. Please slow down.',
	invalid_message: 'The room received a message it does not understand.',
	forbidden: 'Only the host can do that.',
	meeting_ended: 'This meeting has ended.',
	sfu_unavailable: 'The video server is not reachable right now. Please try again in a moment.',
};
