/**
 * The built-in room through the Janus VideoRoom SFU (BRIEF §6, issue 6): the hub's media side when
 * BKX_VIDEO_JANUS_URL is set. The hub decides who is in; this module turns that into Janus access.
 *
 * - Rooms: one Janus room per consultation, number `JANUS_ROOM_BASE + consultation id`, created on
 *   the first admission (`exists` first; a concurrent create's 427 is fine) with `publishers` =
 *   max_participants, `is_private`, `permanent: false`, VP8 (simulcast by rid). Destroyed when the
 *   hub's room closes: the host ended it, or the last person left (after the reconnect grace).
 * - Secrets: the room `secret` (edit, kick, destroy) never leaves the sidecar; the `pin` (needed to
 *   join, as publisher or subscriber) goes only to admitted people. Both are derived from the
 *   sidecar secret and the room, so a restarted sidecar (or another instance) still controls a
 *   room Janus kept.
 * - Per participant: a random token in the room's `allowed` list (Janus checks it for publishers)
 *   and a feed id of ours, sent to that person only after `welcome`. When they leave or are removed,
 *   the token is taken off the list and their feeds are kicked.
 * - Janus core: the sidecar's requests carry `api_secret`; browsers get a signed token (Janus
 *   `token_auth_secret`) limited to the VideoRoom plugin, when BKX_VIDEO_JANUS_TOKEN_SECRET is set.
 *
 * Calls for one room run one after the other, so a destroy and the next create never cross.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';

import type { SfuAccess } from '@bkx-video/contracts';

import { signedJanusToken, type JanusClient } from './janus';
import type { PeerRecord, RoomConfig } from './room-hub';

/** Our Janus room numbers start here (clear of Janus's sample rooms 1234 and 5678). */
export const JANUS_ROOM_BASE = 7_100_000_000;

/** Signed Janus core tokens last this long (every request of the browser's session checks it). */
const CORE_TOKEN_MS = 12 * 3600_000;

export function janusRoomNumber( consultationId: number ): number {
	return JANUS_ROOM_BASE + consultationId;
}

export interface JanusRoomsOptions {
	client: JanusClient;
	/** Janus's HTTP API as browsers reach it. */
	publicUrl: string;
	/** The sidecar secret: room secrets and pins are derived from it. */
	key: string;
	/** Janus `token_auth_secret`, or null when Janus does not check tokens. */
	tokenSecret: string | null;
	clock: () => Date;
	log?: { warn( obj: object, msg: string ): void };
}

interface HeldPeer {
	token: string;
	feeds: number[];
}

export function createJanusRooms( o: JanusRoomsOptions ) {
	const peers = new Map< string, Map< string, HeldPeer > >();
	const queues = new Map< string, Promise< unknown > >();
	const derive = ( what: string, room: number ) => createHmac( 'sha256', o.key ).update( `bkx-video-janus-${ what }:${ room }` ).digest( 'base64url' ).slice( 0, 32 );

	/** Runs `fn` after every earlier call for the same room. */
	function serial< T >( roomId: string, fn: () => Promise< T > ): Promise< T > {
		const run = ( queues.get( roomId ) ?? Promise.resolve() ).catch( () => undefined ).then( fn );
		queues.set( roomId, run );
		void run.finally( () => queues.get( roomId ) === run && queues.delete( roomId ) ).catch( () => undefined );
		return run;
	}

	const background = ( what: string, room: RoomConfig, work: Promise< unknown > ) => {
		work.catch( ( error: unknown ) => o.log?.warn( { err: error, room: room.roomId }, `janus ${ what } failed` ) );
	};

	return {
		/** The room as the ticket names it (no credential). */
		ticket( consultationId: number ): { janus_url: string; room: number } {
			return { janus_url: o.publicUrl, room: janusRoomNumber( consultationId ) };
		},

		/**
		 * Access for an admitted peer: creates the Janus room if needed and puts the peer's token on
		 * its allowed list. A peer that comes back keeps its token and gets a new feed id (a reloaded
		 * page must not collide with its old publisher, which Janus drops on its session timeout).
		 *
		 * @throws JanusError when Janus is unreachable or refuses.
		 */
		grant( room: RoomConfig, peer: PeerRecord ): Promise< SfuAccess > {
			const number = janusRoomNumber( room.consultationId );
			let held = peers.get( room.roomId );
			if ( ! held ) {
				held = new Map();
				peers.set( room.roomId, held );
			}
			let p = held.get( peer.id );
			if ( ! p ) {
				p = { token: randomBytes( 18 ).toString( 'base64url' ), feeds: [] };
				held.set( peer.id, p );
			}
			const feed = randomInt( 1, 2 ** 47 );
			p.feeds.push( feed );
			const mine = p;
			return serial( room.roomId, async () => {
				await o.client.ensureRoom( {
					room: number,
					description: `Consultation ${ room.consultationId }`,
					publishers: room.maxParticipants,
					secret: derive( 'secret', number ),
					pin: derive( 'pin', number ),
					allowed: [ mine.token ],
				} );
				return {
					janus_url: o.publicUrl,
					room: number,
					pin: derive( 'pin', number ),
					token: mine.token,
					...( o.tokenSecret ? { core_token: signedJanusToken( o.tokenSecret, new Date( o.clock().getTime() + CORE_TOKEN_MS ) ) } : {} ),
					feed,
					display: peer.id,
				};
			} );
		},

		/** The peer is gone from the room: its token comes off the allowed list, its feeds are kicked. */
		revoke( room: RoomConfig, peer: PeerRecord ): void {
			const p = peers.get( room.roomId )?.get( peer.id );
			if ( ! p ) {
				return;
			}
			peers.get( room.roomId )?.delete( peer.id );
			const number = janusRoomNumber( room.consultationId );
			const secret = derive( 'secret', number );
			background( 'revoke', room, serial( room.roomId, async () => {
				await o.client.allowed( number, secret, 'remove', [ p.token ] );
				await o.client.kick( number, secret, p.feeds );
			} ) );
		},

		/** The hub's room closed (ended, or empty): the Janus room is destroyed, dropping everyone. */
		close( room: RoomConfig ): void {
			peers.delete( room.roomId );
			const number = janusRoomNumber( room.consultationId );
			background( 'destroy', room, serial( room.roomId, () => o.client.destroyRoom( number, derive( 'secret', number ) ) ) );
		},

		/** Settles once every queued Janus call has (tests, shutdown). */
		async idle(): Promise< void > {
			while ( queues.size ) {
				await Promise.allSettled( [ ...queues.values() ] );
			}
		},
	};
}

export type JanusRooms = ReturnType< typeof createJanusRooms >;
