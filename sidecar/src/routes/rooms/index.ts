/**
 * `GET /rooms/{room}/signal?token=…` (WebSocket): the built-in room's signaling, reached by browsers
 * directly at the sidecar's public URL like the media links. No identity header: the room token
 * from REST (rooms/room-tickets.ts) says who connects; the page's Origin must be the site's.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';

import { ROOM_CLOSE, ROOM_ERROR_MESSAGES, ROOM_LIMITS, type ServerMessage } from '@bkx-video/contracts';

import { AppError } from '../../errors';
import type { RoomConfig } from '../../rooms/room-hub';
import roomFileRoutes from './files';
import { roomRecordingAllowed } from '../../rooms/room-recording';
import roomRecordingRoutes from './recordings';

/** Server pings this often; a peer that has not answered the previous one is cut (a dead link). */
const PING_MS = 10_000;

export default async function roomRoutes( app: FastifyInstance ) {
	await app.register( websocket, { options: { maxPayload: ROOM_LIMITS.maxMessageBytes, perMessageDeflate: false } } );
	// Files shared in the room (its own context: raw-bytes body parser, CORS for the site).
	await app.register( roomFileRoutes );
	// The room's recording, uploaded by the host's browser (its own context: CORS for the site).
	await app.register( roomRecordingRoutes );
	const siteOrigin = new URL( app.config.siteUrl ).origin;

	app.get(
		'/:room/signal',
		{
			websocket: true,
			// Before the upgrade: a page of another site never gets a socket (403, nothing opened).
			preValidation: async ( request ) => {
				if ( request.headers.origin !== siteOrigin ) {
					throw new AppError( 'forbidden', { message: 'This room opens only on the site that booked it.' } );
				}
			},
		},
		async ( socket, request ) => {
			const conn = {
				send: ( message: ServerMessage ) => {
					if ( socket.readyState === socket.OPEN ) {
						socket.send( JSON.stringify( message ) );
					}
				},
				close: ( code: number, reason: string ) => socket.close( code, reason ),
			};
			// Frames that arrive while the room is looked up wait here, in order.
			const early: string[] = [];
			let session: ReturnType< typeof app.rooms.hub.attach > | null = null;
			let closed = false;
			socket.on( 'message', ( data, isBinary ) => {
				if ( isBinary ) {
					conn.close( ROOM_CLOSE.abuse, 'binary' );
					return;
				}
				const text = data.toString();
				if ( session ) {
					session.message( text );
				} else if ( early.length < 20 ) {
					early.push( text );
				}
			} );
			let alive = true;
			socket.on( 'pong', () => {
				alive = true;
			} );
			const pinger = setInterval( () => {
				if ( ! alive ) {
					socket.terminate();
					return;
				}
				alive = false;
				socket.ping();
			}, PING_MS );
			socket.on( 'close', () => {
				closed = true;
				clearInterval( pinger );
				session?.closed();
			} );

			const refuse = ( code: 'room_token_invalid' | 'meeting_ended' | 'meeting_not_found' ) => {
				const roomCode = code === 'meeting_not_found' ? 'room_token_invalid' : code;
				conn.send( { type: 'error', code: roomCode, message: ROOM_ERROR_MESSAGES[ roomCode ], fatal: true } );
				conn.close( code === 'meeting_ended' ? ROOM_CLOSE.ended : ROOM_CLOSE.refused, roomCode );
			};
			const token = typeof ( request.query as { token?: unknown } ).token === 'string' ? ( request.query as { token: string } ).token : '';
			let claims;
			try {
				claims = app.rooms.tickets.verify( token );
			} catch ( error ) {
				request.log.info( { reason: ( error as Error ).message }, 'room token refused' );
				refuse( 'room_token_invalid' );
				return;
			}
			const [ consultation, settings ] = await Promise.all( [ app.rooms.consultation( claims.cid ), app.services.settings.get() ] );
			if ( closed ) {
				return;
			}
			const room = ( request.params as { room?: string } ).room;
			if ( ! consultation || consultation.platform !== 'webrtc' || consultation.meetingId !== claims.room || room !== claims.room ) {
				refuse( 'room_token_invalid' );
				return;
			}
			if ( [ 'cancelled', 'failed', 'completed' ].includes( consultation.status ) || app.rooms.hub.hasEnded( claims.room ) ) {
				refuse( 'meeting_ended' );
				return;
			}
			const config: RoomConfig = {
				roomId: claims.room,
				consultationId: consultation.id,
				password: consultation.meetingPassword,
				waitingRoom: settings.waiting_room_enabled,
				maxParticipants: settings.max_participants,
				endOnHostLeave: settings.end_meeting_on_host_leave,
				chat: settings.enable_chat,
				screenShare: settings.allow_screen_sharing,
				recording: roomRecordingAllowed( settings ),
			};
			session = app.rooms.hub.attach( config, { key: claims.pk, name: claims.name, role: claims.role, userId: claims.uid, email: claims.email }, conn );
			for ( const text of early.splice( 0 ) ) {
				session.message( text );
			}
		}
	);
}
