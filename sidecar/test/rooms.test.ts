/**
 * The built-in room's server side (issue 6): tickets from REST (who may get one, what is in it),
 * and the signaling WebSocket as browsers use it: origin and token checks, the waiting room
 * (admit, deny), the meeting password, the relay of signals and chat, bounded sizes and rates,
 * reconnects that resume the same peer, and presence feeding the session (participants, start, end).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { RoomTicket, ServerMessage } from '@bkx-video/contracts';

import { deriveAccessToken } from '../src/crypto';
import { createRoomHub, type RoomConfig, type RoomConn, type RoomPerson } from '../src/rooms/room-hub';
import { turnCredentials } from '../src/rooms/room-tickets';
import { ADMIN, PREFIX, SECRET, bookSlot, bookingx, call, setup, signIdentity, type TestContext } from './helper';

const SITE = 'http://127.0.0.1:9';
const TURN_SECRET = 'turn-secret-0123456789';
const WEBRTC = {
	require_authentication: false,
	webrtc_enabled: true,
	zoom_enabled: false,
	default_platform: 'webrtc',
	password_required: true,
	password_length: 6,
	waiting_room_enabled: true,
	webrtc_stun_servers: [ 'stun:stun.example.test:3478' ],
	webrtc_turn_servers: [ 'turn:turn.example.test:3478?transport=udp', 'turn:turn.example.test:3478?transport=tcp' ],
	webrtc_turn_secret: TURN_SECRET,
};

let ctx: TestContext;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let base: string;
let hour = 8;

beforeAll( async () => {
	ctx = await setup( { clockStart: new Date().toISOString() } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Room' );
	ids = { provider, seat: await bx.seat( 'Dr. Room', provider ), video: await bx.service( 'Video consultation', true ) };
	expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', WEBRTC, ctx.clock.now() ) ).status ).toBe( 200 );
	base = await ctx.app.listen( { host: '127.0.0.1', port: 0 } );
} );
afterAll( async () => {
	await ctx?.close();
} );

const HOST = () => ( { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: 'provider@example.test', name: 'Dr. Room' } );
const utc = ( sql: string ) => new Date( `${ sql.replace( ' ', 'T' ) }Z` );

/** A booked consultation on the built-in room, with the clock 5 minutes before its start. */
async function consultation( email = `cara${ hour }@example.test` ) {
	const bookingId = await bookSlot( ctx.app, bx, ids, email, 3, hour++ );
	const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	expect( row.platform ).toBe( 'webrtc' );
	ctx.clock.set( new Date( utc( row.scheduled_start ).getTime() - 5 * 60_000 ).toISOString() );
	return {
		id: Number( row.id ),
		room: String( row.meeting_id ),
		password: String( row.meeting_password ),
		token: deriveAccessToken( SECRET, Number( row.id ), 1 ),
		row: () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', row.id ).first(),
	};
}

async function ticket( who: Record< string, unknown >, room: string, accessToken?: string ) {
	const path = `/v1/rooms/${ room }/ticket${ accessToken ? `?bkx_vc=${ accessToken }` : '' }`;
	const res = await call( ctx.app, who, 'POST', path, undefined, ctx.clock.now() );
	return { status: res.status, json: res.json as unknown as RoomTicket & { code?: string } };
}

/** A signaling connection as a browser opens it, with its messages queued for the test. */
function connect( token: string, origin = SITE, url?: string ) {
	const room = ( JSON.parse( Buffer.from( token.split( '.' )[ 1 ] ?? '', 'base64url' ).toString() || '{}' ) as { room?: string } ).room ?? 'r_x';
	const ws = new WebSocket( `${ url ?? `${ base.replace( 'http', 'ws' ) }/rooms/${ room }/signal` }?token=${ encodeURIComponent( token ) }`, { origin } );
	const inbox: ServerMessage[] = [];
	const waiters: Array< () => void > = [];
	ws.on( 'message', ( data ) => {
		inbox.push( JSON.parse( data.toString() ) as ServerMessage );
		waiters.splice( 0 ).forEach( ( w ) => w() );
	} );
	const closed = new Promise< { code: number; reason: string } >( ( resolve ) => ws.on( 'close', ( code, reason ) => resolve( { code, reason: reason.toString() } ) ) );
	const opened = new Promise< void >( ( resolve, reject ) => {
		ws.on( 'open', () => resolve() );
		ws.on( 'error', reject );
	} );
	return {
		ws,
		opened,
		closed,
		inbox,
		send: ( message: unknown ) => ws.send( typeof message === 'string' ? message : JSON.stringify( message ) ),
		/** The next message of `type` (taken from the inbox), within 3 s. */
		async next< T extends ServerMessage[ 'type' ] >( type: T ): Promise< Extract< ServerMessage, { type: T } > > {
			const deadline = Date.now() + 3000;
			for ( ;; ) {
				const at = inbox.findIndex( ( m ) => m.type === type );
				if ( at >= 0 ) {
					return inbox.splice( at, 1 )[ 0 ] as Extract< ServerMessage, { type: T } >;
				}
				if ( Date.now() > deadline ) {
					throw new Error( `no ${ type } message; got ${ JSON.stringify( inbox ) }` );
				}
				await new Promise< void >( ( resolve ) => {
					waiters.push( resolve );
					setTimeout( resolve, 100 );
				} );
			}
		},
	};
}

async function enter( who: Record< string, unknown >, room: string, accessToken?: string, password?: string ) {
	const t = await ticket( who, room, accessToken );
	expect( t.status ).toBe( 200 );
	const c = connect( t.json.token );
	await c.opened;
	c.send( { type: 'join', ...( password ? { password } : {} ) } );
	return c;
}

describe( 'room tickets', () => {
	it( 'gives the booking\'s customer a ticket with TURN credentials of their own, and the host one without the password', async () => {
		const c = await consultation();
		const customer = await ticket( { sub: 0 }, c.room, c.token );
		expect( customer.status ).toBe( 200 );
		expect( customer.json.signaling_url ).toBe( `${ ctx.config.platformUrls.roomSignaling }/rooms/${ c.room }/signal` );
		expect( customer.json.room ).toMatchObject( { consultation_id: c.id, role: 'participant', password_required: true, waiting_room: true, title: 'Video consultation' } );
		expect( customer.json.ice_transport_policy ).toBe( 'all' );
		const [ stun, turn ] = customer.json.ice_servers;
		expect( stun ).toEqual( { urls: [ 'stun:stun.example.test:3478' ] } );
		expect( turn!.urls ).toEqual( WEBRTC.webrtc_turn_servers );
		// TURN REST: "<expiry>:<participant>", base64 HMAC-SHA1 of it with the shared secret.
		const [ expiry, who ] = turn!.username!.split( ':' );
		expect( who ).toMatch( /^customer-\d+$/ );
		expect( Number( expiry ) * 1000 ).toBeGreaterThan( ctx.clock.now().getTime() + 3600_000 );
		expect( turn!.credential ).toBe( turnCredentials( TURN_SECRET, who!, new Date( Number( expiry ) * 1000 ) ).credential );

		const host = await ticket( HOST(), c.room );
		expect( host.status ).toBe( 200 );
		expect( host.json.room ).toMatchObject( { role: 'host', password_required: false, display_name: 'Dr. Room' } );
		expect( host.json.token ).not.toBe( customer.json.token );
	} );

	it( 'refuses a customer of another booking, an unknown room and a malformed one', async () => {
		const a = await consultation();
		const b = await consultation();
		// Another booking's link opens nothing here: the guest is nobody to this consultation.
		const stranger = await ticket( { sub: 0 }, a.room, b.token );
		expect( [ stranger.status, stranger.json.token ] ).toEqual( [ 401, undefined ] );
		const otherUser = await ticket( { sub: 4242, caps: [ 'read' ], email: 'someone@example.test' }, a.room );
		expect( [ otherUser.status, otherUser.json.code ] ).toEqual( [ 403, 'forbidden' ] );
		const nobody = await ticket( { sub: 0 }, a.room );
		expect( nobody.status ).toBe( 401 );
		const unknown = await ticket( HOST(), 'r_aaaaaaaaaaaaaaaaaaaa' );
		expect( [ unknown.status, unknown.json.code ] ).toEqual( [ 404, 'meeting_not_found' ] );
		const malformed = await ticket( HOST(), '..%2Fetc' );
		expect( [ malformed.status, malformed.json.code ] ).toEqual( [ 400, 'invalid_request' ] );
	} );

	it( 'refuses a ticket before the room opens', async () => {
		const c = await consultation();
		ctx.clock.advance( -2 * 3600_000 );
		const early = await ticket( HOST(), c.room );
		expect( [ early.status, early.json.code ] ).toEqual( [ 409, 'meeting_not_open' ] );
	} );

	it( 'sends only TURN, relay-only, when the site forces relaying', async () => {
		const c = await consultation();
		expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { webrtc_force_relay: true }, ctx.clock.now() ) ).status ).toBe( 200 );
		try {
			const t = await ticket( HOST(), c.room );
			expect( t.json.ice_transport_policy ).toBe( 'relay' );
			expect( t.json.ice_servers ).toHaveLength( 1 );
			expect( t.json.ice_servers[ 0 ]!.urls ).toEqual( WEBRTC.webrtc_turn_servers );
		} finally {
			await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { webrtc_force_relay: false }, ctx.clock.now() );
		}
	} );

	it( 'sends a guest from Join to the room page with their personal link', async () => {
		const c = await consultation();
		const path = `/v1/consultations/${ c.id }/join?bkx_vc=${ c.token }`;
		const iat = Math.floor( ctx.clock.now().getTime() / 1000 );
		const res = await ctx.app.inject( { method: 'POST', url: path, headers: { 'x-bkx-identity': await signIdentity( { iat, sub: 0, method: 'POST', path } ) } } );
		expect( res.statusCode ).toBe( 200 );
		expect( res.json().join_url ).toBe( `${ SITE }/?bkx_video_room=${ c.room }&bkx_vc=${ c.token }` );
	} );
} );

describe( 'signaling', () => {
	it( 'refuses a page of another site before the upgrade, and a forged or expired token after it', async () => {
		const c = await consultation();
		const t = await ticket( HOST(), c.room );
		const foreign = connect( t.json.token, 'https://evil.example' );
		await expect( foreign.opened ).rejects.toThrow( /403/ );

		const forged = connect( `${ t.json.token.slice( 0, -4 ) }AAAA` );
		await forged.opened;
		expect( ( await forged.next( 'error' ) ).code ).toBe( 'room_token_invalid' );
		expect( ( await forged.closed ).code ).toBe( 4001 );

		// A valid token for another room's address.
		const other = await consultation();
		const elsewhere = connect( t.json.token, SITE, `${ base.replace( 'http', 'ws' ) }/rooms/${ other.room }/signal` );
		await elsewhere.opened;
		expect( ( await elsewhere.next( 'error' ) ).code ).toBe( 'room_token_invalid' );

		ctx.clock.set( new Date( Date.parse( t.json.expires_at ) + 1000 ).toISOString() );
		const expired = connect( t.json.token );
		await expired.opened;
		expect( ( await expired.next( 'error' ) ).code ).toBe( 'room_token_invalid' );
	} );

	it( 'keeps the customer waiting until the host admits them, then relays signals, media state and chat', async () => {
		const c = await consultation();
		const customer = await enter( { sub: 0 }, c.room, c.token, c.password );
		expect( await customer.next( 'waiting' ) ).toMatchObject( { host_present: false, self: { role: 'participant' } } );

		const host = await enter( HOST(), c.room );
		const welcome = await host.next( 'welcome' );
		expect( welcome ).toMatchObject( { peers: [], resumed: false, self: { role: 'host', name: 'Dr. Room' } } );
		const lobby = await host.next( 'lobby' );
		expect( lobby.waiting ).toHaveLength( 1 );
		const waitingId = lobby.waiting[ 0 ]!.id;
		expect( ( await customer.next( 'waiting' ) ).host_present ).toBe( true );

		// A participant cannot admit anyone.
		customer.send( { type: 'admit', peer: waitingId } );
		expect( ( await customer.next( 'error' ) ).code ).toBe( 'forbidden' );

		host.send( { type: 'admit', peer: waitingId } );
		const admitted = await customer.next( 'welcome' );
		expect( admitted.self.id ).toBe( waitingId );
		expect( admitted.peers.map( ( p ) => p.id ) ).toEqual( [ welcome.self.id ] );
		expect( ( await host.next( 'peer-joined' ) ).peer.id ).toBe( waitingId );
		expect( ( await host.next( 'lobby' ) ).waiting ).toEqual( [] );

		customer.send( { type: 'signal', to: welcome.self.id, description: { type: 'offer', sdp: 'v=0\r\n' } } );
		expect( await host.next( 'signal' ) ).toEqual( { type: 'signal', from: waitingId, description: { type: 'offer', sdp: 'v=0\r\n' } } );
		host.send( { type: 'signal', to: waitingId, candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } } );
		expect( ( await customer.next( 'signal' ) ).candidate?.candidate ).toContain( 'typ host' );

		customer.send( { type: 'media', audio: false, video: true, screen: false } );
		expect( await host.next( 'media' ) ).toMatchObject( { peer: waitingId, audio: false } );

		customer.send( { type: 'chat', text: 'Hello doctor' } );
		for ( const side of [ host, customer ] ) {
			expect( await side.next( 'chat' ) ).toMatchObject( { from: waitingId, text: 'Hello doctor' } );
		}

		// Presence is the session: both took part, the consultation is in progress.
		await new Promise( ( r ) => setTimeout( r, 200 ) );
		const rows = await ctx.db.knex( `${ PREFIX }bkx_video_participants` ).where( 'consultation_id', c.id );
		expect( rows.map( ( r ) => r.role ).sort() ).toEqual( [ 'host', 'participant' ] );
		expect( ( await c.row() ).status ).toBe( 'in_progress' );

		customer.send( { type: 'leave' } );
		expect( ( await host.next( 'peer-left' ) ).peer ).toBe( waitingId );
		const minted = await ticket( HOST(), c.room );
		host.send( { type: 'end' } );
		expect( ( await host.next( 'ended' ) ).reason ).toBe( 'host_ended' );
		expect( ( await host.closed ).code ).toBe( 4002 );
		await new Promise( ( r ) => setTimeout( r, 200 ) );
		const ended = await c.row();
		expect( ended.actual_end ).not.toBeNull();
		expect( ( await ctx.db.knex( `${ PREFIX }bkx_video_participants` ).where( 'consultation_id', c.id ).whereNull( 'leave_time' ) ).length ).toBe( 0 );

		// An ended room takes nobody back, not even with a ticket minted before the end.
		const late = connect( minted.json.token );
		await late.opened;
		expect( ( await late.next( 'error' ) ).code ).toBe( 'meeting_ended' );
		expect( ( await late.closed ).code ).toBe( 4002 );
		const after = await ticket( HOST(), c.room );
		expect( [ after.status, after.json.code ] ).toEqual( [ 410, 'meeting_ended' ] );
	} );

	it( 'turns a denied customer away with a clear message', async () => {
		const c = await consultation();
		const host = await enter( HOST(), c.room );
		await host.next( 'welcome' );
		const customer = await enter( { sub: 0 }, c.room, c.token, c.password );
		const lobby = await host.next( 'lobby' );
		host.send( { type: 'deny', peer: lobby.waiting[ 0 ]!.id } );
		const refused = await customer.next( 'error' );
		expect( refused ).toMatchObject( { code: 'room_denied', fatal: true, message: 'The host did not let you in to this consultation.' } );
		expect( ( await customer.closed ).code ).toBe( 4001 );
		expect( ( await host.next( 'lobby' ) ).waiting ).toEqual( [] );
		host.ws.close();
	} );

	it( 'refuses a wrong meeting password', async () => {
		const c = await consultation();
		const wrong = await enter( { sub: 0 }, c.room, c.token, c.password === '000000' ? '111111' : '000000' );
		expect( ( await wrong.next( 'error' ) ).code ).toBe( 'room_password_wrong' );
		expect( ( await wrong.closed ).code ).toBe( 4001 );
		const none = await enter( { sub: 0 }, c.room, c.token );
		expect( ( await none.next( 'error' ) ).code ).toBe( 'room_password_wrong' );
		const right = await enter( { sub: 0 }, c.room, c.token, c.password );
		await right.next( 'waiting' );
		right.ws.close();
	} );

	it( 'bounds what one connection may send: malformed messages, size and rate', async () => {
		const c = await consultation();
		const host = await enter( HOST(), c.room );
		await host.next( 'welcome' );
		host.send( 'not json' );
		expect( ( await host.next( 'error' ) ).code ).toBe( 'invalid_message' );
		host.send( { type: 'chat', text: 'x'.repeat( 2001 ) } );
		expect( ( await host.next( 'error' ) ).code ).toBe( 'invalid_message' );
		for ( let i = 0; i < 300; i++ ) {
			host.send( { type: 'ping' } );
		}
		expect( ( await host.next( 'error' ) ).code ).toBe( 'rate_limited' );
		const pongs = host.inbox.filter( ( m ) => m.type === 'pong' ).length;
		expect( pongs ).toBeLessThan( 300 );

		const big = await enter( HOST(), c.room );
		await big.next( 'welcome' );
		big.send( { type: 'chat', text: 'y'.repeat( 70 * 1024 ) } );
		expect( ( await big.closed ).code ).toBe( 1009 );

		const garbage = await enter( HOST(), c.room );
		await garbage.next( 'welcome' );
		for ( let i = 0; i < 5; i++ ) {
			garbage.send( { type: 'nonsense', i } );
		}
		expect( ( await garbage.closed ).code ).toBe( 4008 );
	} );

	it( 'lets a dropped peer come back as itself, and a second tab take over the first', async () => {
		const c = await consultation();
		const host = await enter( HOST(), c.room );
		const hostId = ( await host.next( 'welcome' ) ).self.id;
		const customer = await enter( { sub: 0 }, c.room, c.token, c.password );
		const waitingId = ( await host.next( 'lobby' ) ).waiting[ 0 ]!.id;
		host.send( { type: 'admit', peer: waitingId } );
		await customer.next( 'welcome' );
		await host.next( 'peer-joined' );

		customer.ws.terminate();
		const back = await enter( { sub: 0 }, c.room, c.token, c.password );
		const resumed = await back.next( 'welcome' );
		expect( resumed ).toMatchObject( { resumed: true, self: { id: waitingId } } );
		expect( resumed.peers.map( ( p ) => p.id ) ).toEqual( [ hostId ] );
		expect( host.inbox.some( ( m ) => m.type === 'peer-left' ) ).toBe( false );

		const tab = await enter( { sub: 0 }, c.room, c.token, c.password );
		expect( ( await tab.next( 'welcome' ) ).self.id ).toBe( waitingId );
		expect( ( await back.next( 'error' ) ).code ).toBe( 'room_replaced' );
		expect( ( await back.closed ).code ).toBe( 4003 );
		host.ws.close();
		tab.ws.close();
	} );
} );

describe( 'room hub rules', () => {
	const config: RoomConfig = { roomId: 'r_hub', consultationId: 1, password: null, waitingRoom: false, maxParticipants: 2, endOnHostLeave: true, chat: true, screenShare: false };
	const person = ( key: string, role: RoomPerson[ 'role' ] ): RoomPerson => ( { key, name: key, role, userId: 0, email: null } );
	function conn() {
		const inbox: ServerMessage[] = [];
		const c: RoomConn & { inbox: ServerMessage[]; closedWith: number | null } = {
			inbox,
			closedWith: null,
			send: ( m ) => inbox.push( m ),
			close: ( code ) => {
				c.closedWith = code;
			},
		};
		return c;
	}

	it( 'removes a dropped peer after the grace period, ends the room when its host leaves, and refuses a full room', async () => {
		const log: string[] = [];
		const hub = createRoomHub( {
			clock: () => new Date(),
			resumeGraceSeconds: 0.1,
			events: {
				joined: ( _r, p ) => log.push( `joined ${ p.key }` ),
				left: ( _r, p ) => log.push( `left ${ p.key }` ),
				ended: ( _r, _at, reason ) => log.push( `ended ${ reason }` ),
			},
		} );
		const a = conn();
		const sa = hub.attach( config, person( 'wp-1', 'host' ), a );
		sa.message( JSON.stringify( { type: 'join' } ) );
		const b = conn();
		const sb = hub.attach( config, person( 'customer-1', 'participant' ), b );
		sb.message( JSON.stringify( { type: 'join' } ) );
		const full = conn();
		hub.attach( config, person( 'wp-9', 'host' ), full ).message( JSON.stringify( { type: 'join' } ) );
		expect( full.inbox.at( -1 ) ).toMatchObject( { type: 'error', code: 'room_full' } );
		expect( full.closedWith ).toBe( 4001 );
		// The screen flag is dropped when screen sharing is off.
		sb.message( JSON.stringify( { type: 'media', audio: true, video: true, screen: true } ) );
		expect( a.inbox.at( -1 ) ).toMatchObject( { type: 'media', screen: false } );

		sb.closed();
		expect( log ).toEqual( [ 'joined wp-1', 'joined customer-1' ] );
		await new Promise( ( r ) => setTimeout( r, 200 ) );
		expect( log ).toEqual( [ 'joined wp-1', 'joined customer-1', 'left customer-1' ] );
		expect( a.inbox.at( -1 ) ).toMatchObject( { type: 'peer-left' } );

		sa.message( JSON.stringify( { type: 'leave' } ) );
		expect( log.slice( -2 ) ).toEqual( [ 'left wp-1', 'ended host_left' ] );
		expect( hub.hasEnded( 'r_hub' ) ).toBe( true );
		expect( hub.stats() ).toEqual( { rooms: 0, peers: 0 } );
	} );
} );
