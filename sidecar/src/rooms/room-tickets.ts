/**
 * Room tickets: what the meeting-room block gets from REST before it opens the signaling socket.
 *
 * A ticket is given only to a viewer who may join now (the Join button's checks,
 * ConsultationsService.admit); its token is an HS256 JWT of ours, valid a few minutes, naming the
 * room, the person (their participant key) and their role. TURN credentials follow the TURN REST
 * scheme (reference §5): username `<expiry>:<participant>`, credential base64(HMAC-SHA1(secret, username)).
 */
import { createHmac, hkdfSync } from 'node:crypto';

import type { IceServer, IdentityClaims, RoomRole, RoomTicket, Settings } from '@bkx-video/contracts';

import { signalingBase } from '../config';
import { AppError } from '../errors';
import { createHs256Signer, createHs256Verifier, Hs256Error } from '../hs256';
import { isRoomId } from '../platforms/webrtc/adapter';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import type { Admitted, ConsultationsService } from '../services/consultations-service';
import { roomRecordingAllowed } from './room-recording';

/** How long a ticket's token opens the socket (a reconnect asks for a new ticket). */
export const ROOM_TOKEN_SECONDS = 300;

/** The signed claims of a room token. */
export interface RoomClaims {
	typ: 'room';
	/** Room id (the consultation's meeting id on `webrtc`). */
	room: string;
	/** Consultation id. */
	cid: number;
	/** Participant key: `customer-<booking>` or `wp-<user>` (the session tracker's key). */
	pk: string;
	role: RoomRole;
	name: string;
	/** WordPress user id, 0 for a guest. */
	uid: number;
	email: string | null;
	iat: number;
	exp: number;
}

/** TURN REST credentials (coturn `use-auth-secret`) for one participant until `expiresAt`. */
export function turnCredentials( secret: string, participant: string, expiresAt: Date ): { username: string; credential: string } {
	const username = `${ Math.floor( expiresAt.getTime() / 1000 ) }:${ participant }`;
	return { username, credential: createHmac( 'sha1', secret ).update( username ).digest( 'base64' ) };
}

/** The ICE servers a participant gets: STUN as set, TURN with credentials of their own; relay-only when forced. */
export function iceServersFor( settings: Settings, participant: string, expiresAt: Date ): { servers: IceServer[]; policy: 'all' | 'relay' } {
	const turn = settings.webrtc_turn_servers.filter( ( u ) => /^turns?:/.test( u ) );
	const servers: IceServer[] = [];
	const relay = settings.webrtc_force_relay && turn.length > 0 && settings.webrtc_turn_secret !== '';
	if ( ! relay && settings.webrtc_stun_servers.length ) {
		servers.push( { urls: settings.webrtc_stun_servers } );
	}
	if ( turn.length && settings.webrtc_turn_secret ) {
		servers.push( { urls: turn, ...turnCredentials( settings.webrtc_turn_secret, participant, expiresAt ) } );
	}
	return { servers, policy: relay ? 'relay' : 'all' };
}

interface Deps {
	secret: string;
	consultations: ConsultationsRepository;
	service: ConsultationsService;
	/** ws:// or wss:// base of this sidecar (config platformUrls.roomSignaling). */
	signalingBase: string;
	clock: () => Date;
	/** With Janus: where the room's media goes (rooms/janus-rooms.ts); absent: peer to peer. */
	sfu?: { ticket( consultationId: number ): { janus_url: string; room: number } } | null;
}

/** The room tokens' own key (not the identity secret itself: a room token is never an identity). */
function roomTokenKey( secret: string ): string {
	return Buffer.from( hkdfSync( 'sha256', secret, Buffer.alloc( 0 ), 'bkx-video-room-token', 32 ) ).toString( 'base64' );
}

/** Signs room claims as the ticket route does (also used by `pnpm bench`). */
export function createRoomTokenSigner( secret: string ): ( claims: RoomClaims ) => string {
	return createHs256Signer( roomTokenKey( secret ) );
}

export function createRoomTickets( deps: Deps ) {
	const sign = createRoomTokenSigner( deps.secret );
	const verifyHs256 = createHs256Verifier( roomTokenKey( deps.secret ) );

	async function findRoom( roomId: string ): Promise< Consultation > {
		const c = isRoomId( roomId ) ? await deps.consultations.findByMeeting( 'webrtc', roomId ) : null;
		if ( ! c ) {
			throw new AppError( 'meeting_not_found' );
		}
		return c;
	}

	return {
		/**
		 * A ticket into the room for this viewer.
		 *
		 * @throws AppError meeting_not_found, unauthenticated/forbidden, and the join checks' errors.
		 */
		async issue( identity: IdentityClaims, roomId: string, accessToken?: string ): Promise< RoomTicket > {
			const consultation = await findRoom( roomId );
			const admitted: Admitted = await deps.service.admit( identity, consultation, accessToken );
			const { settings, isHost, user, closesAt } = admitted;
			const c = admitted.consultation;
			const now = deps.clock();
			const iat = Math.floor( now.getTime() / 1000 );
			const role: RoomRole = isHost ? 'host' : 'participant';
			const name = user.name.trim() || ( isHost ? 'Host' : 'Guest' );
			const claims: RoomClaims = {
				typ: 'room',
				room: roomId,
				cid: c.id,
				pk: user.id,
				role,
				name,
				uid: identity.sub,
				email: user.email || null,
				iat,
				exp: iat + ROOM_TOKEN_SECONDS,
			};
			// TURN credentials last until the join window closes (plus an hour for overtime).
			const ice = iceServersFor( settings, user.id, new Date( closesAt.getTime() + 3600_000 ) );
			const [ , serviceName ] = await deps.service.names( c );
			return {
				token: sign( claims ),
				expires_at: new Date( claims.exp * 1000 ).toISOString(),
				// The setting names another sidecar's public address (rooms pinned there); empty: this one.
				signaling_url: `${ settings.webrtc_signaling_server ? signalingBase( settings.webrtc_signaling_server ) : deps.signalingBase }/rooms/${ roomId }/signal`,
				ice_servers: ice.servers,
				ice_transport_policy: ice.policy,
				room: {
					consultation_id: c.id,
					title: serviceName || 'Video consultation',
					scheduled_start: c.scheduledStart.toISOString(),
					scheduled_end: c.scheduledEnd.toISOString(),
					role,
					display_name: name,
					// Hosts never type it: they are the ones who hand it out.
					password_required: c.meetingPassword !== null && ! isHost,
					waiting_room: settings.waiting_room_enabled,
					chat_enabled: settings.enable_chat,
					screen_share_enabled: settings.allow_screen_sharing,
					max_participants: settings.max_participants,
					end_on_host_leave: settings.end_meeting_on_host_leave,
					recording_enabled: roomRecordingAllowed( settings ),
					// The consultation's own flag (copied from `auto_recording` when it was booked).
					auto_recording: roomRecordingAllowed( settings ) && c.recordingEnabled,
				},
				...( deps.sfu ? { sfu: deps.sfu.ticket( c.id ) } : {} ),
			};
		},

		/**
		 * The claims of a valid, unexpired room token.
		 *
		 * @throws Error with a reason when it is not one.
		 */
		verify( token: string ): RoomClaims {
			let payload: Record< string, unknown >;
			try {
				payload = verifyHs256( token );
			} catch ( error ) {
				throw new Error( error instanceof Hs256Error ? error.reason : 'malformed' );
			}
			if ( payload.typ !== 'room' || typeof payload.exp !== 'number' || typeof payload.room !== 'string' || typeof payload.cid !== 'number' ) {
				throw new Error( 'malformed' );
			}
			if ( payload.exp * 1000 < deps.clock().getTime() ) {
				throw new Error( 'expired' );
			}
			return payload as unknown as RoomClaims;
		},
	};
}

export type RoomTickets = ReturnType< typeof createRoomTickets >;
