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

import { CHAT_MAX_LENGTH } from './room-constants';

export * from './room-constants';

const isoUtc = z.iso.datetime();

/** A peer's id in one room: stable across reconnects of the same person within the room's life. */
export const PeerIdSchema = z.string().regex( /^p_[a-z0-9]{6,24}$/ );
export type PeerId = z.infer< typeof PeerIdSchema >;

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
	} ),
} );
export type RoomTicket = z.infer< typeof RoomTicketSchema >;

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

export const ClientMessageSchema = z.discriminatedUnion( 'type', [
	z.object( { type: z.literal( 'join' ), password: z.string().max( 64 ).optional() } ),
	z.object( { type: z.literal( 'signal' ), to: PeerIdSchema, ...SignalPayload } ),
	z.object( { type: z.literal( 'chat' ), text: z.string().trim().min( 1 ).max( CHAT_MAX_LENGTH ) } ),
	z.object( { type: z.literal( 'media' ), audio: z.boolean(), video: z.boolean(), screen: z.boolean() } ),
	z.object( { type: z.literal( 'quality' ), level: QualityLevelSchema } ),
	/** Hosts only: let a waiting participant in, or turn them away. */
	z.object( { type: z.literal( 'admit' ), peer: PeerIdSchema } ),
	z.object( { type: z.literal( 'deny' ), peer: PeerIdSchema } ),
	/** Hosts only: end the consultation for everybody. */
	z.object( { type: z.literal( 'end' ) } ),
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
] );
export type RoomErrorCode = z.infer< typeof RoomErrorCodeSchema >;

export const ServerMessageSchema = z.discriminatedUnion( 'type', [
	/** In the room. `resumed`: the same peer came back within the grace period (keep connections, restart ICE). */
	z.object( { type: z.literal( 'welcome' ), self: PeerInfoSchema, peers: z.array( PeerInfoSchema ), resumed: z.boolean() } ),
	/** In the waiting room; `host_present` tells the customer whether someone can admit them. */
	z.object( { type: z.literal( 'waiting' ), self: PeerInfoSchema, host_present: z.boolean() } ),
	/** To hosts: who waits (the full list, after every change). */
	z.object( { type: z.literal( 'lobby' ), waiting: z.array( z.object( { id: PeerIdSchema, name: z.string() } ) ) } ),
	z.object( { type: z.literal( 'peer-joined' ), peer: PeerInfoSchema } ),
	z.object( { type: z.literal( 'peer-left' ), peer: PeerIdSchema } ),
	z.object( { type: z.literal( 'signal' ), from: PeerIdSchema, ...SignalPayload } ),
	z.object( { type: z.literal( 'chat' ), from: PeerIdSchema, name: z.string(), text: z.string(), at: isoUtc } ),
	z.object( { type: z.literal( 'media' ), peer: PeerIdSchema, audio: z.boolean(), video: z.boolean(), screen: z.boolean() } ),
	z.object( { type: z.literal( 'connection-quality-changed' ), peer: PeerIdSchema, level: QualityLevelSchema } ),
	z.object( { type: z.literal( 'recording-started' ), by: PeerIdSchema } ),
	z.object( { type: z.literal( 'recording-stopped' ), by: PeerIdSchema } ),
	/** The room closed for everybody (the host ended it or left with end_meeting_on_host_leave). */
	z.object( { type: z.literal( 'ended' ), reason: z.enum( [ 'host_ended', 'host_left', 'closed' ] ) } ),
	/** A refusal; the socket closes after it unless `fatal` is false. */
	z.object( { type: z.literal( 'error' ), code: RoomErrorCodeSchema, message: z.string(), fatal: z.boolean() } ),
	z.object( { type: z.literal( 'pong' ) } ),
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
};
